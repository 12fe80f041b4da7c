//! The typed front ends of the store code: [`Stmt`] binds by domain type (ids,
//! timestamps, digests) and runs the statement, [`SqlRow`] reads columns back, both
//! with the driver's errors already mapped to [`StoreError`](portal_core::StoreError).
//! They sit above [`Db`](crate::db::Db) (what sqlx can do) and
//! [`Dialect`] (how the two databases differ).

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::token::TokenDigest;
use sqlx::Database;
use uuid::Uuid;

use crate::db::Q;
use crate::dialect::Dialect;
use crate::error::{Violation, store_error, violation};

/// A statement being built: `sql(TEXT).id(..).ts(..)`, then one of the runners.
/// Parameters are numbered `$1, $2, ...` in the text, which both PostgreSQL and sqlx's
/// SQLite driver accept, so one text serves both dialects.
pub(crate) struct Stmt<'q, DB: Database>(Q<'q, DB>);

/// Starts a statement. Statements are prepared once per connection and cached.
pub(crate) fn sql<'q, DB: Dialect>(text: &'static str) -> Stmt<'q, DB> {
    Stmt(sqlx::query(text))
}

impl<'q, DB: Dialect> Stmt<'q, DB> {
    pub(crate) fn id(self, v: Uuid) -> Self {
        Stmt(DB::bind_id(self.0, Some(v)))
    }
    pub(crate) fn opt_id(self, v: Option<Uuid>) -> Self {
        Stmt(DB::bind_id(self.0, v))
    }
    pub(crate) fn int(self, v: i64) -> Self {
        Stmt(DB::bind_int(self.0, Some(v)))
    }
    pub(crate) fn ts(self, t: Timestamp) -> Self {
        self.int(t.unix_millis())
    }
    pub(crate) fn opt_ts(self, t: Option<Timestamp>) -> Self {
        Stmt(DB::bind_int(self.0, t.map(Timestamp::unix_millis)))
    }
    pub(crate) fn bytes(self, v: &'q [u8]) -> Self {
        Stmt(DB::bind_bytes(self.0, Some(v)))
    }
    pub(crate) fn opt_bytes(self, v: Option<&'q [u8]>) -> Self {
        Stmt(DB::bind_bytes(self.0, v))
    }
    pub(crate) fn digest(self, d: &'q TokenDigest) -> Self {
        self.bytes(d.as_bytes())
    }
    pub(crate) fn opt_digest(self, d: Option<&'q TokenDigest>) -> Self {
        self.opt_bytes(d.map(|d| &d.as_bytes()[..]))
    }
    pub(crate) fn text(self, v: &'q str) -> Self {
        Stmt(DB::bind_text(self.0, Some(v)))
    }
    pub(crate) fn opt_text(self, v: Option<&'q str>) -> Self {
        Stmt(DB::bind_text(self.0, v))
    }

    /// The first row, if any.
    pub(crate) async fn optional(
        self,
        c: &mut DB::Connection,
    ) -> Result<Option<SqlRow<DB>>, StoreError> {
        Ok(DB::fetch_optional(c, self.0)
            .await
            .map_err(store_error)?
            .map(SqlRow))
    }

    /// Every row.
    pub(crate) async fn all(self, c: &mut DB::Connection) -> Result<Vec<SqlRow<DB>>, StoreError> {
        Ok(DB::fetch_all(c, self.0)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(SqlRow)
            .collect())
    }

    /// Runs it; returns the number of rows it changed.
    pub(crate) async fn run(self, c: &mut DB::Connection) -> Result<u64, StoreError> {
        let done = DB::execute(c, self.0).await.map_err(store_error)?;
        Ok(DB::rows_affected(&done))
    }

    /// Runs an insert whose constraint violations the caller handles.
    pub(crate) async fn insert(
        self,
        c: &mut DB::Connection,
    ) -> Result<Result<u64, Violation>, StoreError> {
        match DB::execute(c, self.0).await {
            Ok(done) => Ok(Ok(DB::rows_affected(&done))),
            Err(e) => match violation(&e) {
                Some(v) => Ok(Err(v)),
                None => Err(store_error(e)),
            },
        }
    }

    /// Like [`Stmt::insert`] for an `INSERT ... RETURNING`.
    pub(crate) async fn insert_returning(
        self,
        c: &mut DB::Connection,
    ) -> Result<Result<Option<SqlRow<DB>>, Violation>, StoreError> {
        match DB::fetch_optional(c, self.0).await {
            Ok(row) => Ok(Ok(row.map(SqlRow))),
            Err(e) => match violation(&e) {
                Some(v) => Ok(Err(v)),
                None => Err(store_error(e)),
            },
        }
    }
}

/// A row read back, with getters by domain type; a value that does not decode (or a
/// `NULL` where the schema forbids one) is [`StoreError::Corrupt`].
pub(crate) struct SqlRow<DB: Database>(DB::Row);

fn corrupt(col: &str, what: &str) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {what}"))
}

fn required<T>(col: &str, v: Option<T>) -> Result<T, StoreError> {
    v.ok_or_else(|| corrupt(col, "unexpected NULL"))
}

impl<DB: Dialect> SqlRow<DB> {
    pub(crate) fn opt_id(&self, col: &str) -> Result<Option<Uuid>, StoreError> {
        DB::get_id(&self.0, col).map_err(store_error)
    }
    pub(crate) fn id(&self, col: &str) -> Result<Uuid, StoreError> {
        required(col, self.opt_id(col)?)
    }
    pub(crate) fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        DB::get_int(&self.0, col).map_err(store_error)
    }
    pub(crate) fn int(&self, col: &str) -> Result<i64, StoreError> {
        required(col, self.opt_int(col)?)
    }
    /// A non-negative counter that fits a `u32`.
    pub(crate) fn count(&self, col: &str) -> Result<u32, StoreError> {
        u32::try_from(self.int(col)?).map_err(|_| corrupt(col, "counter out of range"))
    }
    pub(crate) fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.opt_int(col)?.map(Timestamp::from_unix_millis))
    }
    pub(crate) fn ts(&self, col: &str) -> Result<Timestamp, StoreError> {
        Ok(Timestamp::from_unix_millis(self.int(col)?))
    }
    pub(crate) fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
        DB::get_bytes(&self.0, col).map_err(store_error)
    }
    pub(crate) fn opt_digest(&self, col: &str) -> Result<Option<TokenDigest>, StoreError> {
        self.opt_bytes(col)?
            .map(|b| {
                <[u8; 32]>::try_from(b.as_slice())
                    .map(TokenDigest::from_bytes)
                    .map_err(|_| corrupt(col, "not a 32-byte digest"))
            })
            .transpose()
    }
    pub(crate) fn digest(&self, col: &str) -> Result<TokenDigest, StoreError> {
        required(col, self.opt_digest(col)?)
    }
    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        DB::get_text(&self.0, col).map_err(store_error)
    }
    pub(crate) fn text(&self, col: &str) -> Result<String, StoreError> {
        required(col, self.opt_text(col)?)
    }
    /// A text column borrowed from the row, for a value parsed rather than kept.
    pub(crate) fn opt_str(&self, col: &str) -> Result<Option<&str>, StoreError> {
        DB::get_str(&self.0, col).map_err(store_error)
    }
    /// A text column parsed by `parse`; a value it refuses is corrupt.
    pub(crate) fn parsed<T>(
        &self,
        col: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        required(col, self.opt_parsed(col, parse)?)
    }
    pub(crate) fn opt_parsed<T>(
        &self,
        col: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, StoreError> {
        self.opt_str(col)?
            .map(|t| parse(t).ok_or_else(|| corrupt(col, "unrecognised value")))
            .transpose()
    }
}
