//! From driver errors to [`StoreError`], keeping the source.

use portal_core::StoreError;
use sqlx::error::DatabaseError;

/// A driver error as a store error: a value that does not decode is corrupt data; a
/// failure that says nothing about the operation itself (the server is unreachable,
/// the connection was lost, the pool had no connection free in time, the server is
/// shutting down, a lock or a resource ran out) leaves the store unavailable for a
/// moment; anything else is the operation refused. The driver's error is kept as the
/// source.
pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        // A connection cut in the middle of a message reads as garbage.
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::Database(ref db) if transient(db.as_ref()) => {
            StoreError::Unavailable(Box::new(e))
        }
        other => StoreError::Refused(Box::new(other)),
    }
}

/// Whether the database's own error means "not now" rather than "not this".
fn transient(db: &dyn DatabaseError) -> bool {
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return postgres_transient(pg.code());
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(sqlite_transient);
    }
    false
}

/// PostgreSQL SQLSTATEs that a later attempt may not meet.
#[cfg(feature = "postgres")]
fn postgres_transient(sqlstate: &str) -> bool {
    // 08: connection exception; 53: insufficient resources (too many connections,
    // out of memory, disk full).
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || matches!(
            sqlstate,
            // admin_shutdown (pg_terminate_backend, a fast shutdown), crash_shutdown,
            // cannot_connect_now (starting up or in recovery)
            "57P01" | "57P02" | "57P03"
            // serialization_failure, deadlock_detected: the other transaction won
            | "40001" | "40P01"
            // lock_not_available: a lock stayed held past `lock_timeout`
            | "55P03"
        )
}

/// Whether SQLite refused for another connection's lock (`SQLITE_BUSY`).
#[cfg(feature = "sqlite")]
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| c & 0xff == SQLITE_BUSY)
}

/// SQLite result codes that a later attempt may not meet: `SQLITE_BUSY` (another
/// connection held the write lock past the busy timeout) and `SQLITE_LOCKED`, with
/// their extended codes (the primary code is the low byte).
#[cfg(feature = "sqlite")]
fn sqlite_transient(code: i32) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)
}

/// A constraint an insert ran into, for the caller to turn into a retry or a
/// [`StoreError::Conflict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A unique key (a primary key or a unique index) already holds the value.
    Unique,
    /// A referenced row does not exist.
    ForeignKey,
}

pub(crate) fn violation(e: &sqlx::Error) -> Option<Violation> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if db.is_unique_violation() {
        Some(Violation::Unique)
    } else if db.is_foreign_key_violation() {
        Some(Violation::ForeignKey)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_connection_and_lock_failures_are_transient() {
        for code in [
            "08006", "08001", "57P01", "57P03", "53300", "40001", "40P01", "55P03",
        ] {
            assert!(postgres_transient(code), "{code}");
        }
        // Refused statements: a NUL in text, a raised exception, a syntax error, a
        // missing table, a check constraint.
        for code in ["22021", "P0001", "42601", "42P01", "23514", "57014"] {
            assert!(!postgres_transient(code), "{code}");
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_busy_and_locked_are_transient() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE
        for code in [5, 517, 6, 262] {
            assert!(sqlite_transient(code), "{code}");
        }
        // SQLITE_ERROR, SQLITE_CONSTRAINT_TRIGGER, SQLITE_READONLY, SQLITE_CORRUPT
        for code in [1, 1811, 8, 11] {
            assert!(!sqlite_transient(code), "{code}");
        }
    }

    #[test]
    fn lost_connections_and_pool_timeouts_are_unavailable() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        ] {
            assert!(matches!(store_error(e), StoreError::Unavailable(_)));
        }
        assert!(matches!(
            store_error(sqlx::Error::RowNotFound),
            StoreError::Refused(_)
        ));
    }
}
