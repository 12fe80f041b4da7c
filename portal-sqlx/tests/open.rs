//! Starting from a database URL in one call each (`portal_sqlx::open`,
//! `PortalBuilder::maintain_every`, `Portal::ensure_firm`), as every instance of a host
//! does at every start: the first start makes the firm, a later one finds it and
//! gives it the settings of its own, and two instances starting at once on one
//! database migrate it once and make one firm.
//!
//! The PostgreSQL case reads `DATABASE_URL`; without it it prints `SKIPPED` and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::time::Duration;

use portal_core::Portal;
use portal_core::firm::{Branding, Firm, FirmKey, FirmSettings, PublicUrl};

/// One start of a host: the store its URL names, the portal, the firm.
async fn start(database_url: &str, public_url: &str) -> Firm {
    let store = portal_sqlx::open(database_url).await.expect("open");
    let portal = Portal::builder_shared(store)
        .delivery(portal_core::notify::DevOutbox::new())
        .maintain_every(Duration::from_secs(300))
        .build()
        .expect("portal");
    portal
        .ensure_firm(
            &FirmKey::new("acme").unwrap(),
            FirmSettings {
                name: "Acme Accounting".into(),
                public_url: PublicUrl::parse(public_url).unwrap(),
                branding: Branding::default(),
                mail_from: None,
            },
        )
        .await
        .expect("firm")
}

/// Two instances starting at once, then a later start with a new public URL.
async fn starts_find_one_firm(database_url: &str) {
    let (a, b) = tokio::join!(
        start(database_url, "https://portal.acme.example"),
        start(database_url, "https://portal.acme.example"),
    );
    assert_eq!(a, b, "one firm for two instances starting at once");
    let moved = start(database_url, "https://clients.acme.example").await;
    assert_eq!((moved.id, moved.created_at), (a.id, a.created_at));
    assert_eq!(moved.public_url.as_str(), "https://clients.acme.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_starts_find_one_firm_and_apply_their_settings() {
    let url = format!("sqlite:{}", common::sqlite_path().display());
    starts_find_one_firm(&url).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_starts_find_one_firm_and_apply_their_settings() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_starts_find_one_firm_and_apply_their_settings: no DATABASE_URL"
        );
        return;
    };
    // A schema of its own, named in the URL as a host would name one.
    let schema = common::pg_schema(&url).await;
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&pool)
        .await
        .expect("schema");
    pool.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    starts_find_one_firm(&format!("{url}{separator}options[search_path]={schema}")).await;
}
