//! [`open`]: the store a database URL names, migrated, in one call.

use std::sync::Arc;

use portal_core::{Store, StoreError};

/// Why [`open`] gave no store. Never shows the URL, which may hold a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL is none of the forms [`open`] takes.
    #[error("a database URL is sqlite:PATH, sqlite::memory: or postgres://...")]
    Unrecognised,
    /// The URL names a database this build of the crate leaves out: the cargo
    /// feature named is off.
    #[error("portal-sqlx was built without its `{0}` feature")]
    NotBuilt(&'static str),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the store `url` names and applies the migrations it lacks (safe from every
/// instance at every start), with [`PoolSettings::default`](crate::PoolSettings):
///
/// - `sqlite:PATH` (or `sqlite://PATH`): a SQLite file, created if missing, as
///   `SqliteStore::open` opens it (feature `sqlite`);
///   `sqlite::memory:` a private in-memory database. The path takes no `?` options.
/// - `postgres://...` (or `postgresql://...`): PostgreSQL, Portal's tables in the
///   connection's `search_path`, as `PgStore::connect` connects (feature
///   `postgres`).
///
/// For a pool of other settings, a PostgreSQL schema of Portal's own, or a pool the
/// host shares, open the store type itself and call its `migrate`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        return open_sqlite(rest).await;
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url).await;
    }
    Err(OpenError::Unrecognised)
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(rest: &str) -> Result<Arc<dyn Store>, OpenError> {
    use crate::SqliteStore;

    let store = if rest == ":memory:" {
        SqliteStore::open_in_memory().await?
    } else {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        // sqlx's own URLs take options after `?`; taken here as part of a file name,
        // they would silently open another file than the one meant.
        if path.is_empty() || path.contains('?') {
            return Err(OpenError::Unrecognised);
        }
        SqliteStore::open(path).await?
    };
    store.migrate().await?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotBuilt("sqlite"))
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let store = crate::PgStore::connect(url).await?;
    store.migrate().await?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotBuilt("postgres"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refused(url: &str) {
        let e = open(url).await.expect_err(url);
        assert!(matches!(e, OpenError::Unrecognised), "{url}: {e:?}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[tokio::test]
    async fn urls_of_no_known_form_are_refused_without_being_shown() {
        for url in [
            "",
            "mysql://portal:secret@localhost/portal",
            "postgres:/portal",
            "memory:",
        ] {
            refused(url).await;
        }
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_sqlite_url_names_a_file_and_nothing_more() {
        for url in ["sqlite:", "sqlite://", "sqlite:portal.db?mode=ro"] {
            refused(url).await;
        }
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn a_database_left_out_of_the_build_is_named() {
        let e = open("postgres://portal:secret@localhost/portal")
            .await
            .err();
        assert!(matches!(e, Some(OpenError::NotBuilt("postgres"))), "{e:?}");
    }
}
