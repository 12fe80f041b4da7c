//! What a stolen database gives away of the credentials clients handed over, and of
//! the login mail queued in its outbox: nothing. A contact hands over known secrets
//! (and replaces them), staff reveal them, the contact asks for a login link and a
//! login code by email (queued sealed, carrying the link's token and a personal link),
//! and then every byte the database holds is searched for them: the SQLite file with its
//! write-ahead log, every row of every table of the PostgreSQL schema. The contact's
//! address, which is stored in clear, must be found, so that a search finding no
//! secret is known to have looked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use portal_core::credential::CredentialValues;
use portal_core::evidence::{CredentialRequest, Evidence};
use portal_core::task::{NewTask, Side};
use portal_core::testing::{Fixture, World};
use portal_core::vault::SecretText;

/// Distinctive values, each long enough that finding it by chance is impossible.
const SECRETS: [(&str, &str); 3] = [
    ("username", "probe-user-5f1c0e9a7d"),
    ("password", "probe-pass-c83b61e2f0"),
    ("notes", "probe-note-27d94ab613"),
];
const REPLACED_PASSWORD: &str = "probe-first-a91f3e0c55";

/// Hands the secrets over through the portal of a world on `fixture`, replacing a first
/// version, and reveals them; then has a login link and a login code mailed to the
/// contact, and returns the tokens their mail carried (the last segment of each link).
async fn hand_over(fixture: Fixture) -> Vec<String> {
    let w = World::new(fixture).await;
    let task =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            NewTask {
                phase: None,
                title: "Accounting software admin".into(),
                description: String::new(),
                due_on: None,
                assignee: Side::Client,
                evidence: Evidence::Credential(CredentialRequest::login()),
            },
        )
        .await
        .unwrap()
        .id;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let jane =
        w.a.authenticate(w.firm.id, &cookie, &World::req())
            .await
            .unwrap();
    let values = |pairs: &[(&str, &str)]| {
        CredentialValues(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), SecretText::new((*v).to_owned())))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    let first = values(&[("username", SECRETS[0].1), ("password", REPLACED_PASSWORD)]);
    w.a.submit_credential(&jane, task, first, &World::req())
        .await
        .unwrap();
    w.a.submit_credential(&jane, task, values(&SECRETS), &World::req())
        .await
        .unwrap();
    let revealed =
        w.b.reveal_credential(&w.staff, task, "probe")
            .await
            .unwrap();
    let shown: Vec<_> = revealed.values.iter().map(|v| v.value.expose()).collect();
    assert_eq!(shown, SECRETS.map(|(_, v)| v), "the secrets were stored");
    w.a.settle().await;

    let mut tokens = Vec::new();
    w.a.request_login_link(w.firm.id, "jane@example.com", None, &World::req())
        .await
        .unwrap();
    w.a.settle().await;
    let link_mail = w.outbox.last_to("jane@example.com").unwrap().message;
    w.code("jane@example.com").await;
    let code_mail = w.outbox.last_to("jane@example.com").unwrap().message;
    for mail in [link_mail, code_mail] {
        for link in &mail.links {
            tokens.push(link.rsplit('/').next().unwrap().to_owned());
        }
    }
    assert!(
        tokens.len() >= 2 && tokens.iter().all(|t| t.len() >= 20),
        "the mail carried tokens: {tokens:?}"
    );
    tokens
}

fn assert_holds_no_secret(dump: &[u8], mailed: &[String], what: &str) {
    let found = |needle: &str| dump.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        found("jane@example.com"),
        "{what}: the search finds what is stored in clear"
    );
    for secret in SECRETS.map(|(_, v)| v).iter().chain([&REPLACED_PASSWORD]) {
        assert!(!found(secret), "{what} holds a secret in clear");
    }
    for token in mailed {
        assert!(!found(token), "{what} holds a mailed login token in clear");
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_holds_no_handed_over_secret() {
    let path = common::sqlite_path();
    let store = common::sqlite_file_store(&path).await;
    let mailed = hand_over(Fixture::single(Arc::new(store))).await;
    let mut dump = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        if let Ok(bytes) = std::fs::read(&file) {
            dump.extend_from_slice(&bytes);
        }
    }
    assert_holds_no_secret(&dump, &mailed, "the SQLite files");
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_holds_no_handed_over_secret() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED a_postgres_database_holds_no_handed_over_secret: set DATABASE_URL");
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = common::pg_store(&url, &schema).await;
    let mailed = hand_over(Fixture::single(Arc::new(store))).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&schema)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.iter().any(|(t,)| t == "portal_credentials"));
    let mut dump = Vec::new();
    for (table,) in &tables {
        let rows: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT t::text FROM \"{schema}\".\"{table}\" t"))
                .fetch_all(&pool)
                .await
                .unwrap();
        for (row,) in rows {
            dump.extend_from_slice(row.as_bytes());
        }
    }
    assert_holds_no_secret(&dump, &mailed, "the PostgreSQL tables");
}
