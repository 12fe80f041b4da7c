//! The little of sqlx that the shared store code uses, behind one trait.
//!
//! The store logic is written once, generic over the database. sqlx expresses what a
//! database can bind, decode and execute as bounds on other types (`i64: Encode<DB>`,
//! `&mut DB::Connection: Executor`), and Rust does not carry such bounds along with a
//! `DB: Trait` bound. So [`Db`] states them once, on its blanket implementation, and
//! exposes the handful of typed operations the stores need; everything else only asks
//! for `DB: Dialect`; the typed front ends built on it live in `stmt`.

use std::future::Future;
use std::pin::Pin;

use sqlx::query::Query;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

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
    /// A text column borrowed from the row, for values parsed rather than kept.
    fn get_str<'r>(row: &'r Self::Row, col: &str) -> Result<Option<&'r str>, sqlx::Error>;
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
    for<'r> Option<&'r str>: Decode<'r, DB> + Type<DB>,
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
    fn get_str<'r>(row: &'r Self::Row, col: &str) -> Result<Option<&'r str>, sqlx::Error> {
        row.try_get(col)
    }
}
