//! From driver errors to [`StoreError`], keeping the source.

use portal_core::StoreError;

/// A driver error as a store error: a value that does not decode is corrupt data;
/// anything else (connection lost, pool timed out, statement refused) means the
/// store is unavailable, with the driver's error kept as the source.
pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Unavailable(Box::new(other)),
    }
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
