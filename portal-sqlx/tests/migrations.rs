//! Migrations: idempotent, kept in Portal's own table, refused when edited after being
//! applied; on PostgreSQL, confined to the chosen schema. Migration 3 carries the
//! sessions of an existing database over to the session invariant; migration 4 moves
//! the contacts' failure counters to their own table; migration 6 moves the tasks'
//! phase names into phases of their own; migration 7 keeps every session a login of
//! its contact (none a preview); migration 10 keeps the audit entries written before
//! it verifying, beside entries that name a client and a task; migration 12 counts
//! every task existing before it as announced, so that an upgrade announces none.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId, FirmId};
use portal_core::store::Store;
use portal_core::token::TokenDigest;
use portal_sqlx::{PgStore, SqliteStore};
use uuid::Uuid;

/// How many migrations each dialect has.
const MIGRATIONS: i64 = 12;

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
    assert_eq!(applied, MIGRATIONS);
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
    assert_eq!(tables.len(), 30, "{tables:?}");
    assert!(tables.iter().all(|(t,)| t.starts_with("portal_")));
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM portal_schema_migrations")
        .fetch_one(stores[0].pool())
        .await
        .unwrap();
    assert_eq!(applied, MIGRATIONS);
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
                Err(StoreError::Refused(_))
            ),
            "{bad:?}"
        );
    }
}

/// The SQL of the first migrations of one dialect, as applied by an earlier version.
struct Earlier {
    migrations_table: &'static str,
    scripts: &'static [&'static str],
}

const SQLITE_V2: Earlier = Earlier {
    migrations_table: "CREATE TABLE portal_schema_migrations (version INTEGER PRIMARY KEY, \
         description TEXT NOT NULL, checksum BLOB NOT NULL, \
         applied_at INTEGER NOT NULL DEFAULT 0) STRICT",
    scripts: &[
        include_str!("../src/sqlite/0001_schema.sql"),
        include_str!("../src/sqlite/0002_tasks.sql"),
    ],
};

const SQLITE_V5: Earlier = Earlier {
    migrations_table: SQLITE_V2.migrations_table,
    scripts: &[
        include_str!("../src/sqlite/0001_schema.sql"),
        include_str!("../src/sqlite/0002_tasks.sql"),
        include_str!("../src/sqlite/0003_session_permissions.sql"),
        include_str!("../src/sqlite/0004_login_failures.sql"),
        include_str!("../src/sqlite/0005_firm_key.sql"),
    ],
};

const SQLITE_V6: Earlier = Earlier {
    migrations_table: SQLITE_V2.migrations_table,
    scripts: &[
        include_str!("../src/sqlite/0001_schema.sql"),
        include_str!("../src/sqlite/0002_tasks.sql"),
        include_str!("../src/sqlite/0003_session_permissions.sql"),
        include_str!("../src/sqlite/0004_login_failures.sql"),
        include_str!("../src/sqlite/0005_firm_key.sql"),
        include_str!("../src/sqlite/0006_phases_evidence.sql"),
    ],
};

const POSTGRES_V2: Earlier = Earlier {
    migrations_table: "CREATE TABLE portal_schema_migrations (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, checksum BYTEA NOT NULL, \
         applied_at BIGINT NOT NULL DEFAULT 0)",
    scripts: &[
        include_str!("../src/postgres/0001_schema.sql"),
        include_str!("../src/postgres/0002_tasks.sql"),
    ],
};

const POSTGRES_V5: Earlier = Earlier {
    migrations_table: POSTGRES_V2.migrations_table,
    scripts: &[
        include_str!("../src/postgres/0001_schema.sql"),
        include_str!("../src/postgres/0002_tasks.sql"),
        include_str!("../src/postgres/0003_session_permissions.sql"),
        include_str!("../src/postgres/0004_login_failures.sql"),
        include_str!("../src/postgres/0005_firm_key.sql"),
    ],
};

const POSTGRES_V6: Earlier = Earlier {
    migrations_table: POSTGRES_V2.migrations_table,
    scripts: &[
        include_str!("../src/postgres/0001_schema.sql"),
        include_str!("../src/postgres/0002_tasks.sql"),
        include_str!("../src/postgres/0003_session_permissions.sql"),
        include_str!("../src/postgres/0004_login_failures.sql"),
        include_str!("../src/postgres/0005_firm_key.sql"),
        include_str!("../src/postgres/0006_phases_evidence.sql"),
    ],
};

const SQLITE_V9: Earlier = Earlier {
    migrations_table: SQLITE_V2.migrations_table,
    scripts: &[
        include_str!("../src/sqlite/0001_schema.sql"),
        include_str!("../src/sqlite/0002_tasks.sql"),
        include_str!("../src/sqlite/0003_session_permissions.sql"),
        include_str!("../src/sqlite/0004_login_failures.sql"),
        include_str!("../src/sqlite/0005_firm_key.sql"),
        include_str!("../src/sqlite/0006_phases_evidence.sql"),
        include_str!("../src/sqlite/0007_previews.sql"),
        include_str!("../src/sqlite/0008_files.sql"),
        include_str!("../src/sqlite/0009_credentials.sql"),
    ],
};

const POSTGRES_V9: Earlier = Earlier {
    migrations_table: POSTGRES_V2.migrations_table,
    scripts: &[
        include_str!("../src/postgres/0001_schema.sql"),
        include_str!("../src/postgres/0002_tasks.sql"),
        include_str!("../src/postgres/0003_session_permissions.sql"),
        include_str!("../src/postgres/0004_login_failures.sql"),
        include_str!("../src/postgres/0005_firm_key.sql"),
        include_str!("../src/postgres/0006_phases_evidence.sql"),
        include_str!("../src/postgres/0007_previews.sql"),
        include_str!("../src/postgres/0008_files.sql"),
        include_str!("../src/postgres/0009_credentials.sql"),
    ],
};

const SQLITE_V11: Earlier = Earlier {
    migrations_table: SQLITE_V2.migrations_table,
    scripts: &[
        include_str!("../src/sqlite/0001_schema.sql"),
        include_str!("../src/sqlite/0002_tasks.sql"),
        include_str!("../src/sqlite/0003_session_permissions.sql"),
        include_str!("../src/sqlite/0004_login_failures.sql"),
        include_str!("../src/sqlite/0005_firm_key.sql"),
        include_str!("../src/sqlite/0006_phases_evidence.sql"),
        include_str!("../src/sqlite/0007_previews.sql"),
        include_str!("../src/sqlite/0008_files.sql"),
        include_str!("../src/sqlite/0009_credentials.sql"),
        include_str!("../src/sqlite/0010_conversation.sql"),
        include_str!("../src/sqlite/0011_outbox.sql"),
    ],
};

const POSTGRES_V11: Earlier = Earlier {
    migrations_table: POSTGRES_V2.migrations_table,
    scripts: &[
        include_str!("../src/postgres/0001_schema.sql"),
        include_str!("../src/postgres/0002_tasks.sql"),
        include_str!("../src/postgres/0003_session_permissions.sql"),
        include_str!("../src/postgres/0004_login_failures.sql"),
        include_str!("../src/postgres/0005_firm_key.sql"),
        include_str!("../src/postgres/0006_phases_evidence.sql"),
        include_str!("../src/postgres/0007_previews.sql"),
        include_str!("../src/postgres/0008_files.sql"),
        include_str!("../src/postgres/0009_credentials.sql"),
        include_str!("../src/postgres/0010_conversation.sql"),
        include_str!("../src/postgres/0011_outbox.sql"),
    ],
};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn digest(n: u8) -> TokenDigest {
    TokenDigest::from_bytes([n; 32])
}

/// Applies the migrations of `$earlier` to `$pool` and records them as the migrator
/// does.
macro_rules! apply_earlier {
    ($pool:expr, $earlier:expr) => {{
        let pool = $pool;
        sqlx::raw_sql($earlier.migrations_table)
            .execute(pool)
            .await
            .unwrap();
        for (version, script) in (1i64..).zip($earlier.scripts) {
            sqlx::raw_sql(script).execute(pool).await.unwrap();
            sqlx::query(
                "INSERT INTO portal_schema_migrations (version, description, checksum, \
                 applied_at) VALUES ($1, 'earlier', $2, 0)",
            )
            .bind(version)
            .bind(&TokenDigest::of(script.as_bytes()).as_bytes()[..])
            .execute(pool)
            .await
            .unwrap();
        }
    }};
}

/// Applies migrations 1 and 2 to `$pool`, then adds sessions as an earlier version
/// left them: one of an active contact on a granted client (digest 1, client 11,
/// permissions 5), one on a client whose grant was removed (digest 2), one of a
/// suspended contact (digest 3).
macro_rules! version_2_with_sessions {
    ($pool:expr, $v2:expr) => {{
        let pool = $pool;
        apply_earlier!(pool, $v2);
        let statements: [(&str, Vec<Uuid>); 5] = [
            (
                "INSERT INTO portal_firms (id, name, public_url, display_name, accent_colour, \
                 welcome_message, created_at) \
                 VALUES ($1, 'Firm', 'https://f.example', 'Firm', '#123456', '', 0)",
                vec![id(1)],
            ),
            (
                "INSERT INTO portal_clients (id, firm_id, name, created_at) \
                 VALUES ($1, $3, 'One', 0), ($2, $3, 'Two', 0)",
                vec![id(11), id(12), id(1)],
            ),
            (
                "INSERT INTO portal_contacts (id, firm_id, email, email_canonical, first_name, \
                 status, created_at) VALUES \
                 ($1, $3, 'a@f.example', 'a@f.example', 'A', 'active', 0), \
                 ($2, $3, 's@f.example', 's@f.example', 'S', 'suspended', 0)",
                vec![id(21), id(22), id(1)],
            ),
            (
                "INSERT INTO portal_grants (contact_id, client_id, permissions, granted_at) \
                 VALUES ($1, $2, 5, 0)",
                vec![id(21), id(11)],
            ),
            (
                "INSERT INTO portal_grants (contact_id, client_id, permissions, granted_at) \
                 VALUES ($1, $2, 15, 0)",
                vec![id(22), id(11)],
            ),
        ];
        for (statement, ids) in statements {
            let mut q = sqlx::query(statement);
            for i in ids {
                q = q.bind(i);
            }
            q.execute(pool).await.unwrap();
        }
        // Contact 21 has failed seven times, the last at 1,000 ms.
        sqlx::query(
            "UPDATE portal_contacts SET failures = 7, last_failure_at = 1000 WHERE id = $1",
        )
        .bind(id(21))
        .execute(pool)
        .await
        .unwrap();
        for (n, contact, client) in [(1u8, 21, 11), (2, 21, 12), (3, 22, 11)] {
            sqlx::query(
                "INSERT INTO portal_sessions (token_hash, id, contact_id, firm_id, \
                 active_client, created_at, renewed_at, idle_expires_at, absolute_expires_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, 0, 9000000000000, 9000000000000)",
            )
            .bind(&digest(n).as_bytes()[..])
            .bind(id(100 + u128::from(n)))
            .bind(id(contact))
            .bind(id(1))
            .bind(id(client))
            .execute(pool)
            .await
            .unwrap();
        }
    }};
}

/// After migration 3: the live session verifies with its grant's permissions, the two
/// that earlier verification refused are gone. After migration 4: the contacts' failure
/// counts are where the counters are now kept, and a challenge can belong to a
/// stand-in, which is no contact.
async fn sessions_carried_over(store: &dyn Store) {
    let kept = store.session(&digest(1)).await.unwrap().expect("kept");
    assert_eq!(kept.active_client, ClientId::from_uuid(id(11)));
    assert_eq!(kept.permissions, Permissions::from_bits(5));
    for gone in [2, 3] {
        assert!(store.session(&digest(gone)).await.unwrap().is_none());
    }
    let failures = store
        .failure_state(ContactId::from_uuid(id(21)))
        .await
        .unwrap();
    assert_eq!(failures.consecutive, 7);
    assert_eq!(
        failures.last_failure_at,
        Some(Timestamp::from_unix_millis(1000))
    );
    let none = store
        .failure_state(ContactId::from_uuid(id(22)))
        .await
        .unwrap();
    assert_eq!(none.consecutive, 0);
    let address = portal_core::email::EmailAddress::parse("nobody@f.example").unwrap();
    let stand_in = portal_core::failure::stand_in(address.canonical());
    let challenge = portal_core::email_code::ChallengeRecord {
        digest: digest(9),
        contact_id: stand_in,
        firm_id: FirmId::from_uuid(id(1)),
        created_at: Timestamp::from_unix_millis(0),
        expires_at: Timestamp::from_unix_millis(600_000),
        code_hash: "hash".into(),
        next: None,
    };
    store.issue_challenge(&challenge, None, &[]).await.unwrap();
    assert_eq!(
        store.challenge_contact(&digest(9)).await.unwrap(),
        Some(stand_in)
    );
}

#[tokio::test]
async fn sqlite_migration_3_copies_permissions_and_ends_refused_sessions() {
    let path = common::sqlite_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    version_2_with_sessions!(&pool, SQLITE_V2);
    pool.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.expect("migration 3");
    sessions_carried_over(&store).await;
    let (sessions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM portal_sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 1);
    // The rebuilt table keeps its indexes, and a session without permissions is refused.
    let (indexes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
         AND tbl_name = 'portal_sessions' AND name LIKE 'portal_sessions_%'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(indexes, 3);
    let (indexes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
         AND tbl_name = 'portal_challenges' AND name LIKE 'portal_challenges_%'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(indexes, 2);
    let without = sqlx::query(
        "INSERT INTO portal_sessions (token_hash, id, contact_id, firm_id, active_client, \
         created_at, renewed_at, idle_expires_at, absolute_expires_at) \
         SELECT zeroblob(32), id, contact_id, firm_id, active_client, 0, 0, 0, 0 \
         FROM portal_sessions",
    )
    .execute(store.pool())
    .await;
    assert!(without.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_3_copies_permissions_and_ends_refused_sessions() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_migration_3_copies_permissions_and_ends_refused_sessions: \
             no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = PgStore::connect_with_schema(&url, &schema).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(store.pool())
        .await
        .unwrap();
    version_2_with_sessions!(store.pool(), POSTGRES_V2);
    store.migrate().await.expect("migration 3");
    sessions_carried_over(&store).await;
    let (sessions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM portal_sessions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 1);
    let without = sqlx::query(
        "INSERT INTO portal_sessions (token_hash, id, contact_id, firm_id, active_client, \
         created_at, renewed_at, idle_expires_at, absolute_expires_at) \
         SELECT '\\x00', gen_random_uuid(), contact_id, firm_id, active_client, 0, 0, 0, 0 \
         FROM portal_sessions",
    )
    .execute(store.pool())
    .await;
    assert!(without.is_err());
}

/// Applies migrations 1 to 5 to `$pool`, then adds tasks as they were kept then, with
/// their phases' names: client 11's "Month end" first appears at position 2, before
/// its "Onboarding" (at 3), one task has no phase; client 12 has an "Onboarding" of its
/// own.
macro_rules! version_5_with_phases {
    ($pool:expr, $v5:expr) => {{
        let pool = $pool;
        apply_earlier!(pool, $v5);
        sqlx::query(
            "INSERT INTO portal_firms (id, name, public_url, display_name, accent_colour, \
             welcome_message, created_at) \
             VALUES ($1, 'Firm', 'https://f.example', 'Firm', '#123456', '', 0)",
        )
        .bind(id(1))
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO portal_clients (id, firm_id, name, created_at) \
             VALUES ($1, $3, 'One', 0), ($2, $3, 'Two', 0)",
        )
        .bind(id(11))
        .bind(id(12))
        .bind(id(1))
        .execute(pool)
        .await
        .unwrap();
        let tasks: [(u128, u128, Option<&str>, i64); 5] = [
            (31, 11, Some("Onboarding"), 3),
            (32, 11, Some("Month end"), 5),
            (33, 11, None, 1),
            (34, 11, Some("Month end"), 2),
            (35, 12, Some("Onboarding"), 1),
        ];
        for (task, client, phase, position) in tasks {
            sqlx::query(
                "INSERT INTO portal_tasks (id, firm_id, client_id, phase, title, description, \
                 assignee, status, evidence, position, created_at) \
                 VALUES ($1, $2, $3, $4, 'T', '', 'client', 'pending', 'standard', $5, $6)",
            )
            .bind(id(task))
            .bind(id(1))
            .bind(id(client))
            .bind(phase)
            .bind(position)
            .bind(position * 1000)
            .execute(pool)
            .await
            .unwrap();
        }
    }};
}

/// After migration 6: each client's phase names are phases of their own, in the order
/// of their first tasks, and every task refers to the one it named.
async fn phases_carried_over(store: &dyn Store) {
    use portal_core::id::TaskId;
    let (one, two) = (ClientId::from_uuid(id(11)), ClientId::from_uuid(id(12)));
    let phases = store.phases(one).await.unwrap();
    let names: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Month end", "Onboarding"]);
    let tasks = store.tasks(one).await.unwrap();
    let named: Vec<(TaskId, Option<&str>)> = tasks
        .iter()
        .map(|t| {
            let phase = phases.iter().find(|p| Some(p.id) == t.phase_id);
            (t.id, phase.map(|p| p.name.as_str()))
        })
        .collect();
    let task = |n| TaskId::from_uuid(id(n));
    assert_eq!(
        named,
        [
            (task(33), None),
            (task(34), Some("Month end")),
            (task(31), Some("Onboarding")),
            (task(32), Some("Month end")),
        ]
    );
    assert!(tasks.iter().all(
        |t| t.updated_at == t.created_at && t.evidence == portal_core::task::Evidence::Standard
    ));
    let groups: Vec<Option<String>> = portal_core::task::progress(&phases, &tasks)
        .phases
        .into_iter()
        .map(|g| g.phase.map(|p| p.name))
        .collect();
    assert_eq!(
        groups,
        [Some("Month end".into()), Some("Onboarding".into()), None]
    );
    let theirs = store.phases(two).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].name, "Onboarding");
    assert!(
        phases.iter().all(|p| p.id != theirs[0].id),
        "a phase per client"
    );
    assert_eq!(
        store.tasks(two).await.unwrap()[0].phase_id,
        Some(theirs[0].id)
    );
}

#[tokio::test]
async fn sqlite_migration_6_moves_phase_names_into_phases() {
    let path = common::sqlite_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    version_5_with_phases!(&pool, SQLITE_V5);
    pool.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.expect("migration 6");
    phases_carried_over(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_6_moves_phase_names_into_phases() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_migration_6_moves_phase_names_into_phases: no DATABASE_URL");
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = PgStore::connect_with_schema(&url, &schema).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(store.pool())
        .await
        .unwrap();
    version_5_with_phases!(store.pool(), POSTGRES_V5);
    store.migrate().await.expect("migration 6");
    phases_carried_over(&store).await;
}

/// Applies migrations 1 to 6 to `$pool`, then adds a contact's session as it was kept
/// then (digest 1, contact 21 on client 11, permissions 5).
macro_rules! version_6_with_a_session {
    ($pool:expr, $v6:expr) => {{
        let pool = $pool;
        apply_earlier!(pool, $v6);
        let statements: [(&str, Vec<Uuid>); 4] = [
            (
                "INSERT INTO portal_firms (id, name, public_url, display_name, accent_colour, \
                 welcome_message, created_at) \
                 VALUES ($1, 'Firm', 'https://f.example', 'Firm', '#123456', '', 0)",
                vec![id(1)],
            ),
            (
                "INSERT INTO portal_clients (id, firm_id, name, created_at) \
                 VALUES ($1, $2, 'One', 0)",
                vec![id(11), id(1)],
            ),
            (
                "INSERT INTO portal_contacts (id, firm_id, email, email_canonical, first_name, \
                 status, created_at) VALUES ($1, $2, 'a@f.example', 'a@f.example', 'A', \
                 'active', 0)",
                vec![id(21), id(1)],
            ),
            (
                "INSERT INTO portal_grants (contact_id, client_id, permissions, granted_at) \
                 VALUES ($1, $2, 5, 0)",
                vec![id(21), id(11)],
            ),
        ];
        for (statement, ids) in statements {
            let mut q = sqlx::query(statement);
            for i in ids {
                q = q.bind(i);
            }
            q.execute(pool).await.unwrap();
        }
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, id, contact_id, firm_id, active_client, \
             permissions, created_at, renewed_at, idle_expires_at, absolute_expires_at) \
             VALUES ($1, $2, $3, $4, $5, 5, 0, 0, 9000000000000, 9000000000000)",
        )
        .bind(&digest(1).as_bytes()[..])
        .bind(id(101))
        .bind(id(21))
        .bind(id(1))
        .bind(id(11))
        .execute(pool)
        .await
        .unwrap();
    }};
}

/// After migration 7: the session kept verifies as the contact's own (no preview), and
/// preview links can be issued for the contact.
async fn sessions_kept_as_logins(store: &dyn Store) {
    use portal_core::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
    use portal_core::clock::Timestamp;
    use portal_core::id::{ContactId, FirmId, StaffId};
    use portal_core::preview::PreviewLinkRecord;
    let kept = store.session(&digest(1)).await.unwrap().expect("kept");
    assert_eq!(kept.preview_by, None);
    assert_eq!(kept.permissions, Permissions::from_bits(5));
    let listed = store.sessions(ContactId::from_uuid(id(21))).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].session.is_preview());
    let at = Timestamp::from_unix_millis(1_000);
    let link = PreviewLinkRecord {
        digest: digest(2),
        contact_id: ContactId::from_uuid(id(21)),
        firm_id: FirmId::from_uuid(id(1)),
        staff: StaffId::new("alice").unwrap(),
        created_at: at,
        expires_at: at + std::time::Duration::from_secs(600),
    };
    let entry = AuditDraft {
        firm_id: link.firm_id,
        at,
        actor: Actor::Staff(link.staff.clone()),
        action: AuditAction::PreviewIssued,
        contact_id: Some(link.contact_id),
        client_id: None,
        task_id: None,
        request: RequestInfo::default(),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    };
    store.issue_preview_link(&link, entry).await.unwrap();
    assert_eq!(
        store.preview_link_contact(&digest(2), at).await.unwrap(),
        Some(link.contact_id)
    );
}

#[tokio::test]
async fn sqlite_migration_7_keeps_sessions_as_logins() {
    let path = common::sqlite_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    version_6_with_a_session!(&pool, SQLITE_V6);
    pool.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.expect("migration 7");
    sessions_kept_as_logins(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_7_keeps_sessions_as_logins() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_migration_7_keeps_sessions_as_logins: no DATABASE_URL");
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = PgStore::connect_with_schema(&url, &schema).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(store.pool())
        .await
        .unwrap();
    version_6_with_a_session!(store.pool(), POSTGRES_V6);
    store.migrate().await.expect("migration 7");
    sessions_kept_as_logins(&store).await;
}

/// An entry of firm 1 as any version writes it, `n`-th of its kind.
fn audit_draft(n: u8) -> portal_core::audit::AuditDraft {
    use portal_core::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
    AuditDraft {
        firm_id: FirmId::from_uuid(id(1)),
        at: Timestamp::from_unix_millis(1_000 * i64::from(n)),
        actor: Actor::Contact(ContactId::from_uuid(id(21))),
        action: AuditAction::TaskCompleted,
        contact_id: Some(ContactId::from_uuid(id(21))),
        client_id: None,
        task_id: None,
        request: RequestInfo::new(Some([192, 0, 2, n].into()), Some("earlier")),
        outcome: AuditOutcome::Success,
        detail: format!("n={n}"),
    }
}

/// The two entries of firm 1 that [`version_9_with_audit`] writes, as sealed then:
/// without a client or a task, so that their hashes cover neither.
fn earlier_entries() -> Vec<portal_core::audit::AuditEvent> {
    use portal_core::audit::{ChainHead, seal};
    let first = seal(None, audit_draft(1));
    let head = ChainHead {
        seq: first.seq,
        hash: first.hash,
    };
    let second = seal(Some(head), audit_draft(2));
    vec![first, second]
}

/// Applies migrations 1 to 9 to `$pool`, then writes [`earlier_entries`] and their head
/// with the columns an audit entry had then.
macro_rules! version_9_with_audit {
    ($pool:expr, $v9:expr) => {{
        let pool = $pool;
        apply_earlier!(pool, $v9);
        let entries = earlier_entries();
        for e in &entries {
            let d = &e.entry;
            sqlx::query(
                "INSERT INTO portal_audit_events (firm_id, seq, at, actor, action, contact_id, \
                 ip, user_agent, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id(1))
            .bind(i64::try_from(e.seq).unwrap())
            .bind(d.at.unix_millis())
            .bind(d.actor.to_stored())
            .bind(d.action.as_str())
            .bind(d.contact_id.map(|c| c.as_uuid()))
            .bind(d.request.ip.map(|ip| ip.to_string()))
            .bind(d.request.user_agent.clone())
            .bind(d.outcome.as_str())
            .bind(d.detail.clone())
            .bind(&e.prev_hash.as_bytes()[..])
            .bind(&e.hash.as_bytes()[..])
            .execute(pool)
            .await
            .unwrap();
        }
        let last = entries.last().unwrap();
        sqlx::query("INSERT INTO portal_audit_heads (firm_id, seq, hash) VALUES ($1, $2, $3)")
            .bind(id(1))
            .bind(i64::try_from(last.seq).unwrap())
            .bind(&last.hash.as_bytes()[..])
            .execute(pool)
            .await
            .unwrap();
    }};
}

/// After migration 10: the entries written before it read back as they were sealed
/// (no client, no task), an entry about a client and a task joins the same chain, the
/// whole chain verifies, and the client's activity lists that entry alone.
async fn audit_carried_over(store: &dyn Store) {
    use portal_core::audit::verify_chain;
    use portal_core::id::TaskId;
    let firm = FirmId::from_uuid(id(1));
    let client = ClientId::from_uuid(id(11));
    let scoped = audit_draft(3).about_task(client, TaskId::from_uuid(id(31)));
    let appended = store.append_audit(scoped).await.unwrap();
    assert_eq!(appended.seq, 3);
    let mut expected = earlier_entries();
    expected.push(appended.clone());
    let events = store.audit_events(firm, None, 0, 100).await.unwrap();
    assert_eq!(events, expected);
    let head = store.audit_head(firm).await.unwrap();
    assert_eq!(verify_chain(&events, head), Ok(()));
    assert_eq!(
        store.client_audit(firm, client, None, 10).await.unwrap(),
        vec![appended]
    );
}

#[tokio::test]
async fn sqlite_migration_10_keeps_earlier_audit_entries_verifying() {
    let path = common::sqlite_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    version_9_with_audit!(&pool, SQLITE_V9);
    pool.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.expect("migration 10");
    audit_carried_over(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_10_keeps_earlier_audit_entries_verifying() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_migration_10_keeps_earlier_audit_entries_verifying: no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = PgStore::connect_with_schema(&url, &schema).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(store.pool())
        .await
        .unwrap();
    version_9_with_audit!(store.pool(), POSTGRES_V9);
    store.migrate().await.expect("migration 10");
    audit_carried_over(&store).await;
}

/// A task row as migration 11 left tasks: task `n` of client 11 of firm 1, for the
/// client, created at `n` seconds.
const V11_TASK: &str = "INSERT INTO portal_tasks (id, firm_id, client_id, title, description, \
     assignee, status, evidence, position, created_at, updated_at) \
     VALUES ($1, $2, $3, 'Task', '', 'client', $4, 'standard', $5, $6, $6)";

/// Applies migrations 1 to 11 to `$pool`, then writes firm 1, client 11 and tasks 31
/// (pending) and 32 (in progress), both open for the client, never announced then.
macro_rules! version_11_with_tasks {
    ($pool:expr, $v11:expr) => {{
        let pool = $pool;
        apply_earlier!(pool, $v11);
        sqlx::query(
            "INSERT INTO portal_firms (id, name, public_url, display_name, accent_colour, \
             welcome_message, created_at) \
             VALUES ($1, 'Firm', 'https://f.example', 'Firm', '#123456', '', 0)",
        )
        .bind(id(1))
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO portal_clients (id, firm_id, name, created_at) VALUES ($1, $2, 'One', 0)",
        )
        .bind(id(11))
        .bind(id(1))
        .execute(pool)
        .await
        .unwrap();
        for (n, status) in [(31u8, "pending"), (32, "in_progress")] {
            sqlx::query(V11_TASK)
                .bind(id(u128::from(n)))
                .bind(id(1))
                .bind(id(11))
                .bind(status)
                .bind(i64::from(n))
                .bind(1_000 * i64::from(n))
                .execute(pool)
                .await
                .unwrap();
        }
    }};
}

/// After migration 12: the tasks that existed before it count as announced when they
/// were created, with no reminder due, so that the upgrade announces none of them; a
/// task made after it is announced as usual.
async fn tasks_carried_over(store: &dyn Store) {
    let far = Timestamp::from_unix_millis(9_000_000_000_000);
    assert!(
        store.tasks_to_announce(far, 10).await.unwrap().is_empty(),
        "none of the earlier tasks is announced after the upgrade"
    );
    assert!(store.tasks_to_remind(far, 10).await.unwrap().is_empty());
    // Announcing one of them again is refused: it counts as announced.
    assert!(
        !store
            .announce_tasks(
                &[(portal_core::id::TaskId::from_uuid(id(31)), None)],
                far,
                &[]
            )
            .await
            .unwrap()
    );
}

/// After [`tasks_carried_over`] and the insertion of task 33 by [`V11_TASK`]: it alone
/// is due to be announced.
async fn new_task_announced(store: &dyn Store) {
    let far = Timestamp::from_unix_millis(9_000_000_000_000);
    let due: Vec<_> = store
        .tasks_to_announce(far, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id.as_uuid())
        .collect();
    assert_eq!(due, [id(33)], "a task made after the upgrade is announced");
}

#[tokio::test]
async fn sqlite_migration_12_announces_no_earlier_task() {
    let path = common::sqlite_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    version_11_with_tasks!(&pool, SQLITE_V11);
    pool.close().await;
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.expect("migration 12");
    tasks_carried_over(&store).await;
    sqlx::query(V11_TASK)
        .bind(id(33))
        .bind(id(1))
        .bind(id(11))
        .bind("pending")
        .bind(33i64)
        .bind(33_000i64)
        .execute(store.pool())
        .await
        .unwrap();
    new_task_announced(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_12_announces_no_earlier_task() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_migration_12_announces_no_earlier_task: no DATABASE_URL");
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = PgStore::connect_with_schema(&url, &schema).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(store.pool())
        .await
        .unwrap();
    version_11_with_tasks!(store.pool(), POSTGRES_V11);
    store.migrate().await.expect("migration 12");
    tasks_carried_over(&store).await;
    sqlx::query(V11_TASK)
        .bind(id(33))
        .bind(id(1))
        .bind(id(11))
        .bind("pending")
        .bind(33i64)
        .bind(33_000i64)
        .execute(store.pool())
        .await
        .unwrap();
    new_task_announced(&store).await;
}
