//! Fixtures shared by the test binaries: fresh databases, two pools each where the
//! conformance suite wants two application instances. Each dialect's part is built
//! with its feature.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)] // each binary uses a part

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use portal_core::random::{OsSecretSource, SecretSource};
use portal_core::testing::Fixture;
#[cfg(feature = "postgres")]
use portal_sqlx::PgStore;
#[cfg(feature = "sqlite")]
use portal_sqlx::SqliteStore;

/// Leftovers of earlier runs older than this are removed; younger ones may belong to a
/// run still going on.
const STALE: Duration = Duration::from_secs(3600);

fn seconds_since_epoch() -> u64 {
    // Test bookkeeping (naming and expiring scratch databases), not a domain rule.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `t<seconds>_<random>`: unique per test, and telling its age.
pub(crate) fn scratch_name() -> String {
    let mut bytes = [0u8; 6];
    OsSecretSource.fill(&mut bytes).expect("randomness");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("t{}_{hex}", seconds_since_epoch())
}

fn stale(name: &str) -> bool {
    name.strip_prefix("t")
        .and_then(|rest| rest.split('_').next())
        .and_then(|secs| secs.parse::<u64>().ok())
        .is_some_and(|secs| secs + STALE.as_secs() < seconds_since_epoch())
}

/// A fresh database file path in a scratch folder (old files there are removed).
pub(crate) fn sqlite_path() -> PathBuf {
    let dir = std::env::temp_dir().join("portal-sqlx-tests");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.file_name().to_str().is_some_and(stale) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    dir.join(format!("{}.db", scratch_name()))
}

#[cfg(feature = "sqlite")]
/// A migrated store on a fresh SQLite file.
pub(crate) async fn sqlite_file_store(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(path).await.expect("open");
    store.migrate().await.expect("migrate");
    store
}

#[cfg(feature = "sqlite")]
/// Two pools on one fresh SQLite file in WAL mode: two application instances.
pub(crate) async fn sqlite_file() -> Option<Fixture> {
    let path = sqlite_path();
    let primary = sqlite_file_store(&path).await;
    let secondary = SqliteStore::open(&path).await.expect("open");
    secondary
        .migrate()
        .await
        .expect("migrating again changes nothing");
    Some(Fixture {
        primary: Arc::new(primary),
        secondary: Arc::new(secondary),
        files: None,
    })
}

#[cfg(feature = "sqlite")]
/// One private in-memory SQLite database, used as both instances.
pub(crate) async fn sqlite_memory() -> Option<Fixture> {
    let store = SqliteStore::open_in_memory().await.expect("open");
    store.migrate().await.expect("migrate");
    Some(Fixture::single(Arc::new(store)))
}

#[cfg(feature = "postgres")]
/// `DATABASE_URL` if it names a PostgreSQL database.
pub(crate) fn database_url() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

#[cfg(feature = "postgres")]
/// A fresh schema name on the `DATABASE_URL` database; removes stale test schemas.
pub(crate) async fn pg_schema(url: &str) -> String {
    let pool = sqlx::PgPool::connect(url).await.expect("connect");
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'portal\\_t%'")
            .fetch_all(&pool)
            .await
            .expect("schemas");
    for (name,) in names {
        if name.strip_prefix("portal_").is_some_and(stale) {
            let drop = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
            let _ = sqlx::raw_sql(&drop).execute(&pool).await;
        }
    }
    pool.close().await;
    format!("portal_{}", scratch_name())
}

#[cfg(feature = "postgres")]
/// A migrated store in `schema`.
pub(crate) async fn pg_store(url: &str, schema: &str) -> PgStore {
    let store = PgStore::connect_with_schema(url, schema)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store
}

#[cfg(feature = "postgres")]
/// Two pools on one fresh schema of the `DATABASE_URL` database: two application
/// instances, migrating at the same time as two instances starting together would.
/// `None` (the case prints that it was skipped) when `DATABASE_URL` is not set.
pub(crate) async fn postgres() -> Option<Fixture> {
    let url = database_url()?;
    let schema = pg_schema(&url).await;
    let primary = PgStore::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    let secondary = PgStore::connect_with_schema(&url, &schema)
        .await
        .expect("connect");
    let (a, b) = tokio::join!(primary.migrate(), secondary.migrate());
    a.expect("migrate");
    b.expect("concurrent migration");
    Some(Fixture {
        primary: Arc::new(primary),
        secondary: Arc::new(secondary),
        files: None,
    })
}
