//! Migrations: idempotent, kept in Portal's own table, refused when edited after being
//! applied; on PostgreSQL, confined to the chosen schema.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use portal_core::StoreError;
use portal_sqlx::{PgStore, SqliteStore};

#[tokio::test]
async fn sqlite_migrations_are_idempotent_and_kept_apart() {
    let path = common::sqlite_path();
    let store = common::sqlite_file_store(&path).await;
    store.migrate().await.expect("again");
    SqliteStore::open(&path)
        .await
        .unwrap()
        .migrate()
        .await
        .expect("from another pool");
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let tables: Vec<&str> = tables.iter().map(|(t,)| t.as_str()).collect();
    assert!(tables.contains(&"portal_schema_migrations"));
    assert!(
        tables.iter().all(|t| t.starts_with("portal_")),
        "{tables:?}"
    );
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM portal_schema_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(applied, 2);
}

#[tokio::test]
async fn sqlite_edited_migration_is_refused() {
    let store = common::sqlite_file_store(&common::sqlite_path()).await;
    sqlx::query("UPDATE portal_schema_migrations SET checksum = zeroblob(32)")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(store.migrate().await, Err(StoreError::Corrupt(_))));
}

#[tokio::test]
async fn sqlite_in_memory_databases_are_private() {
    let a = SqliteStore::open_in_memory().await.unwrap();
    a.migrate().await.unwrap();
    let b = SqliteStore::open_in_memory().await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master")
        .fetch_all(b.pool())
        .await
        .unwrap();
    assert!(tables.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_stay_in_their_schema() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_migrations_stay_in_their_schema: no DATABASE_URL");
        return;
    };
    let schema = common::pg_schema(&url).await;
    // Four instances starting at once.
    let stores: Vec<PgStore> = connect_instances(&url, &schema, 4).await;
    tokio::join!(
        async {
            for s in &stores[..2] {
                s.migrate().await.expect("migrate");
            }
        },
        async {
            for s in &stores[2..] {
                s.migrate().await.expect("migrate concurrently");
            }
        }
    );
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&schema)
    .fetch_all(stores[0].pool())
    .await
    .unwrap();
    assert_eq!(tables.len(), 14, "{tables:?}");
    assert!(tables.iter().all(|(t,)| t.starts_with("portal_")));
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM portal_schema_migrations")
        .fetch_one(stores[0].pool())
        .await
        .unwrap();
    assert_eq!(applied, 2);
    sqlx::query("UPDATE portal_schema_migrations SET checksum = '\\x00'")
        .execute(stores[0].pool())
        .await
        .unwrap();
    assert!(matches!(
        stores[1].migrate().await,
        Err(StoreError::Corrupt(_))
    ));
}

async fn connect_instances(url: &str, schema: &str, n: usize) -> Vec<PgStore> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(PgStore::connect_with_schema(url, schema).await.unwrap());
    }
    out
}

#[tokio::test]
async fn postgres_schema_names_are_plain_identifiers() {
    for bad in ["", "Public", "a-b", "x\"; DROP TABLE y; --", "1abc"] {
        assert!(
            matches!(
                PgStore::connect_with_schema("postgres://nowhere.invalid/db", bad).await,
                Err(StoreError::Unavailable(_))
            ),
            "{bad:?}"
        );
    }
}
