//! The little of sqlx that the shared store code uses, behind one trait.
//!
//! The store logic is written once, generic over the database. sqlx expresses what a
//! database can bind, decode and execute as bounds on other types (`i64: Encode<DB>`,
//! `&mut DB::Connection: Executor`), and Rust does not carry such bounds along with a
//! `DB: Trait` bound. So [`Db`] states them once, on its blanket implementation, and
//! exposes the handful of typed operations the stores need; everything else only asks
//! for `DB: Dialect`. [`Stmt`] and [`SqlRow`] are the typed front ends used in the
//! store code: binders and getters by domain type, errors already mapped.

use std::future::Future;
use std::pin::Pin;

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::token::TokenDigest;
use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

use crate::dialect::Dialect;
use crate::error::{Violation, store_error, violation};

/// A boxed, sendable future, as sqlx's executors return them.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A statement with its arguments, as sqlx builds it.
pub(crate) type Q<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// What the shared store code needs from a database driver.
pub(crate) trait Db: Database {
    fn bind_id<'q>(q: Q<'q, Self>, v: Option<Uuid>) -> Q<'q, Self>;
    fn bind_int<'q>(q: Q<'q, Self>, v: Option<i64>) -> Q<'q, Self>;
    fn bind_bytes<'q>(q: Q<'q, Self>, v: Option<&'q [u8]>) -> Q<'q, Self>;
    fn bind_text<'q>(q: Q<'q, Self>, v: Option<&'q str>) -> Q<'q, Self>;

    fn fetch_optional<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Option<Self::Row>, sqlx::Error>>;
    fn fetch_all<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Vec<Self::Row>, sqlx::Error>>;
    fn execute<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Self::QueryResult, sqlx::Error>>;
    /// Runs several `;`-separated statements without arguments (migrations).
    fn execute_script<'e>(
        c: &'e mut Self::Connection,
        sql: &'static str,
    ) -> BoxFuture<'e, Result<Self::QueryResult, sqlx::Error>>;

    fn get_id(row: &Self::Row, col: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn get_int(row: &Self::Row, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn get_bytes(row: &Self::Row, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
    fn get_text(row: &Self::Row, col: &str) -> Result<Option<String>, sqlx::Error>;
}

impl<DB> Db for DB
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<Uuid>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'r> Option<Uuid>: Decode<'r, DB>,
    for<'r> Option<i64>: Decode<'r, DB>,
    for<'r> Option<Vec<u8>>: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
{
    fn bind_id<'q>(q: Q<'q, Self>, v: Option<Uuid>) -> Q<'q, Self> {
        q.bind(v)
    }
    fn bind_int<'q>(q: Q<'q, Self>, v: Option<i64>) -> Q<'q, Self> {
        q.bind(v)
    }
    fn bind_bytes<'q>(q: Q<'q, Self>, v: Option<&'q [u8]>) -> Q<'q, Self> {
        q.bind(v)
    }
    fn bind_text<'q>(q: Q<'q, Self>, v: Option<&'q str>) -> Q<'q, Self> {
        q.bind(v)
    }

    fn fetch_optional<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Option<Self::Row>, sqlx::Error>> {
        c.fetch_optional(q)
    }
    fn fetch_all<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Vec<Self::Row>, sqlx::Error>> {
        c.fetch_all(q)
    }
    fn execute<'e, 'q: 'e>(
        c: &'e mut Self::Connection,
        q: Q<'q, Self>,
    ) -> BoxFuture<'e, Result<Self::QueryResult, sqlx::Error>> {
        c.execute(q)
    }
    fn execute_script<'e>(
        c: &'e mut Self::Connection,
        sql: &'static str,
    ) -> BoxFuture<'e, Result<Self::QueryResult, sqlx::Error>> {
        c.execute(sqlx::raw_sql(sql))
    }

    fn get_id(row: &Self::Row, col: &str) -> Result<Option<Uuid>, sqlx::Error> {
        row.try_get(col)
    }
    fn get_int(row: &Self::Row, col: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(col)
    }
    fn get_bytes(row: &Self::Row, col: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        row.try_get(col)
    }
    fn get_text(row: &Self::Row, col: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(col)
    }
}

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
    /// A text column parsed by `parse`; a value it refuses is corrupt.
    pub(crate) fn parsed<T>(
        &self,
        col: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let text = self.text(col)?;
        parse(&text).ok_or_else(|| corrupt(col, "unrecognised value"))
    }
    pub(crate) fn opt_parsed<T>(
        &self,
        col: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, StoreError> {
        self.opt_text(col)?
            .map(|t| parse(&t).ok_or_else(|| corrupt(col, "unrecognised value")))
            .transpose()
    }
}
