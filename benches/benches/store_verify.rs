//! The SQL stores (issue 3): session verification with 100,000 sessions, and magic-link
//! consumption, on SQLite (a file in WAL mode) and PostgreSQL, each beside the raw
//! `SELECT` of the same row through sqlx on the same pool in the same run.
//!
//! - `*/verify/store` vs `*/verify/raw_select`: one verification at a time (latency).
//! - `*/verify_64_tasks/...`: 64 tasks verifying at once through a pool of 8
//!   connections (throughput; criterion reports elements per second).
//! - `*/consume_link/store` (issue a link untimed, then time its redemption: the
//!   conditional update, the session insert and the audit append in one transaction)
//!   vs `*/consume_link/raw_select` (read the link's row).
//!
//! Run with: `cargo bench -p portal-benches --bench store_verify`
//! PostgreSQL runs when `DATABASE_URL` names one (a fresh schema, dropped at the end),
//! e.g. `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`; otherwise it is
//! skipped with a notice.

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly; a bench measures real time.
#![allow(missing_docs, clippy::expect_used, clippy::disallowed_methods)]

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portal_core::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId, FirmId, SessionId};
use portal_core::magic_link::{LinkRedemptionRequest, MagicLinkRecord};
use portal_core::random::{OsSecretSource, SecretSource};
use portal_core::session::SessionSeed;
use portal_core::store::Store;
use portal_core::testing::START;
use portal_core::token::TokenDigest;
use portal_sqlx::{PgStore, SqliteStore};

const SESSIONS: i64 = 100_000;
const CONTACTS: usize = 100;
const TASKS: usize = 64;
const PER_TASK: usize = 100;
const POOL: u32 = 8;
const DAY: Duration = Duration::from_secs(86_400);

/// The digest of the `i`th bulk-inserted session: SHA-256 of `i` as 8 big-endian bytes
/// (what PostgreSQL's `sha256(int8send(i))` computes).
fn session_digest(i: i64) -> TokenDigest {
    TokenDigest::of(&i.to_be_bytes())
}

/// A pseudo-random walk over the sessions, the same for every bench.
fn nth_session(n: usize) -> TokenDigest {
    let i = (n as i64).wrapping_mul(7_919) % SESSIONS + 1;
    session_digest(i)
}

/// What the benches need from a backend.
#[derive(Clone)]
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// The baseline: the row by its primary key, through sqlx, nothing decoded.
    async fn select_session(&self, digest: &TokenDigest) -> bool {
        const Q: &str = "SELECT * FROM portal_sessions WHERE token_hash = $1";
        match self {
            Raw::Sqlite(p) => sqlx::query(Q)
                .bind(&digest.as_bytes()[..])
                .fetch_optional(p)
                .await
                .map(|r| r.is_some()),
            Raw::Postgres(p) => sqlx::query(Q)
                .bind(&digest.as_bytes()[..])
                .fetch_optional(p)
                .await
                .map(|r| r.is_some()),
        }
        .expect("select")
    }

    async fn select_link(&self, digest: &TokenDigest) -> bool {
        const Q: &str = "SELECT * FROM portal_magic_links WHERE token_hash = $1";
        match self {
            Raw::Sqlite(p) => sqlx::query(Q)
                .bind(&digest.as_bytes()[..])
                .fetch_optional(p)
                .await
                .map(|r| r.is_some()),
            Raw::Postgres(p) => sqlx::query(Q)
                .bind(&digest.as_bytes()[..])
                .fetch_optional(p)
                .await
                .map(|r| r.is_some()),
        }
        .expect("select")
    }
}

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    raw: Raw,
    firm: FirmId,
    contacts: Vec<ContactId>,
}

/// A firm, a client and its contacts, made through the portal as a host would.
async fn populate(store: Arc<dyn Store>) -> (FirmId, ClientId, Vec<ContactId>) {
    let p = portal_benches::populate(store, CONTACTS).await;
    (p.firm, p.client, p.contacts)
}

/// The sessions' permissions: the grant's, as the store copies them (the invitations
/// above grant everything).
const PERMISSIONS: i64 = Permissions::ALL.bits() as i64;

const SESSION_COLUMNS: &str = "token_hash, id, contact_id, firm_id, active_client, \
     permissions, created_at, renewed_at, idle_expires_at, absolute_expires_at, ip, \
     user_agent";

async fn sqlite_backend(path: &std::path::Path) -> Backend {
    let store = SqliteStore::open(path).await.expect("open");
    store.migrate().await.expect("migrate");
    let pool = store.pool().clone();
    let store: Arc<dyn Store> = Arc::new(store);
    let (firm, client, contacts) = populate(store.clone()).await;
    // 100,000 rows in one transaction through one prepared statement.
    let mut tx = pool.begin().await.expect("begin");
    let insert = format!(
        "INSERT INTO portal_sessions ({SESSION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, {PERMISSIONS}, $6, $6, $7, $8, '192.0.2.1', 'bench')"
    );
    for i in 1..=SESSIONS {
        let digest = session_digest(i);
        sqlx::query(&insert)
            .bind(&digest.as_bytes()[..])
            .bind(SessionId::from_bytes((i as u128).to_be_bytes()).as_uuid())
            .bind(contacts[i as usize % CONTACTS].as_uuid())
            .bind(firm.as_uuid())
            .bind(client.as_uuid())
            .bind(START.unix_millis())
            .bind((START + DAY).unix_millis())
            .bind((START + 30 * DAY).unix_millis())
            .execute(&mut *tx)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    Backend {
        name: "sqlite_wal",
        store,
        raw: Raw::Sqlite(pool),
        firm,
        contacts,
    }
}

async fn postgres_backend(url: &str, schema: &str) -> (Backend, sqlx::PgPool) {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("url")
        .options([("search_path", schema)]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL)
        .connect_with(options)
        .await
        .expect("connect");
    sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&pool)
        .await
        .expect("schema");
    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.expect("migrate");
    let store: Arc<dyn Store> = Arc::new(store);
    let (firm, client, contacts) = populate(store.clone()).await;
    let insert = format!(
        "INSERT INTO portal_sessions ({SESSION_COLUMNS}) \
         SELECT sha256(int8send(i)), md5(i::TEXT)::UUID, c.id, $1, $2, {PERMISSIONS}, \
                $3, $3, $4, $5, '192.0.2.1', 'bench' \
         FROM generate_series(1, $6::BIGINT) AS i \
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM portal_contacts) c \
           ON c.n = i % {CONTACTS}"
    );
    sqlx::query(&insert)
        .bind(firm.as_uuid())
        .bind(client.as_uuid())
        .bind(START.unix_millis())
        .bind((START + DAY).unix_millis())
        .bind((START + 30 * DAY).unix_millis())
        .bind(SESSIONS)
        .execute(&pool)
        .await
        .expect("bulk insert");
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .expect("analyze");
    let backend = Backend {
        name: "postgres",
        store,
        raw: Raw::Postgres(pool.clone()),
        firm,
        contacts,
    };
    (backend, pool)
}

/// A link of the `n`th contact, issued (killing its previous one) for redemption.
async fn issue_link(b: &Backend, n: usize) -> TokenDigest {
    let mut bytes = [0u8; 32];
    OsSecretSource.fill(&mut bytes).expect("random");
    let digest = TokenDigest::from_bytes(bytes);
    let contact = b.contacts[n % b.contacts.len()];
    let record = MagicLinkRecord {
        digest,
        contact_id: contact,
        firm_id: b.firm,
        created_at: START,
        expires_at: START + Duration::from_secs(900),
        next: None,
        binding: None,
    };
    b.store
        .issue_magic_link(&record, audit(b.firm, contact, AuditAction::LinkIssued))
        .await
        .expect("issue");
    digest
}

fn audit(firm: FirmId, contact: ContactId, action: AuditAction) -> AuditDraft {
    AuditDraft {
        firm_id: firm,
        at: START,
        actor: Actor::Contact(contact),
        action,
        contact_id: Some(contact),
        client_id: None,
        task_id: None,
        request: RequestInfo::new(Some([192, 0, 2, 1].into()), Some("bench")),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    }
}

async fn redeem(b: &Backend, digest: TokenDigest) -> bool {
    let mut id = [0u8; 16];
    let mut token = [0u8; 32];
    OsSecretSource.fill(&mut id).expect("random");
    OsSecretSource.fill(&mut token).expect("random");
    let seed = SessionSeed {
        id: SessionId::from_bytes(id),
        digest: TokenDigest::from_bytes(token),
        firm_id: b.firm,
        created_at: START,
        idle_expires_at: START + DAY,
        absolute_expires_at: START + 30 * DAY,
        request: RequestInfo::new(Some([192, 0, 2, 1].into()), Some("bench")),
        replaces: None,
        preview_by: None,
    };
    let request = LinkRedemptionRequest {
        digest,
        presented_binding: None,
        require_binding: false,
        seed,
    };
    let firm = b.firm;
    let outcome = b
        .store
        .redeem_magic_link(&request, &|o| match o {
            portal_core::magic_link::LinkRedemption::Redeemed { session, .. } => {
                Some(audit(firm, session.contact_id, AuditAction::LinkRedeemed))
            }
            _ => None,
        })
        .await
        .expect("redeem");
    matches!(
        outcome,
        portal_core::magic_link::LinkRedemption::Redeemed { .. }
    )
}

/// `TASKS` tasks, each verifying `PER_TASK` sessions, all at once.
async fn burst(b: &Arc<Backend>, next: &Arc<AtomicUsize>, raw: bool) {
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (b, next) = (b.clone(), next.clone());
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    let digest = nth_session(next.fetch_add(1, Ordering::Relaxed));
                    let found = if raw {
                        b.raw.select_session(&digest).await
                    } else {
                        b.store.session(&digest).await.expect("read").is_some()
                    };
                    assert!(black_box(found));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
}

fn run(c: &mut Criterion, rt: &tokio::runtime::Runtime, b: Backend) {
    let b = Arc::new(b);
    let next = Arc::new(AtomicUsize::new(0));

    let mut group = c.benchmark_group(format!("store_verify_100k/{}/verify", b.name));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("raw_select", |bench| {
        bench.to_async(rt).iter(|| {
            let (b, n) = (b.clone(), next.fetch_add(1, Ordering::Relaxed));
            async move { assert!(black_box(b.raw.select_session(&nth_session(n)).await)) }
        })
    });
    group.bench_function("store", |bench| {
        bench.to_async(rt).iter(|| {
            let (b, n) = (b.clone(), next.fetch_add(1, Ordering::Relaxed));
            async move {
                let s = b.store.session(&nth_session(n)).await.expect("read");
                assert!(black_box(s).is_some());
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("store_verify_100k/{}/verify_64_tasks", b.name));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements((TASKS * PER_TASK) as u64));
    for (name, raw) in [("raw_select", true), ("store", false)] {
        group.bench_function(name, |bench| {
            bench.to_async(rt).iter(|| burst(&b, &next, raw))
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("store_verify_100k/{}/consume_link", b.name));
    group.measurement_time(Duration::from_secs(4));
    let issued = Arc::new(AtomicUsize::new(0));
    group.bench_function("raw_select", |bench| {
        let link = rt.block_on(issue_link(&b, 0));
        bench.to_async(rt).iter(|| {
            let b = b.clone();
            async move { assert!(black_box(b.raw.select_link(&link).await)) }
        })
    });
    group.bench_function("store", |bench| {
        bench.to_async(rt).iter_custom(|iters| {
            let (b, issued) = (b.clone(), issued.clone());
            async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let link = issue_link(&b, issued.fetch_add(1, Ordering::Relaxed)).await;
                    let start = Instant::now();
                    assert!(black_box(redeem(&b, link).await));
                    spent += start.elapsed();
                }
                spent
            }
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let mut name = [0u8; 6];
    OsSecretSource.fill(&mut name).expect("random");
    let suffix: String = name.iter().map(|b| format!("{b:02x}")).collect();

    let path = std::env::temp_dir().join(format!("portal-bench-{suffix}.db"));
    let sqlite = rt.block_on(sqlite_backend(&path));
    run(c, &rt, sqlite);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }

    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let schema = format!("portal_bench_{suffix}");
            let (pg, pool) = rt.block_on(postgres_backend(&url, &schema));
            run(c, &rt, pg);
            rt.block_on(async {
                let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
                let _ = sqlx::raw_sql(&drop).execute(&pool).await;
            });
        }
        _ => eprintln!("SKIPPED store_verify_100k/postgres: set DATABASE_URL to a PostgreSQL URL"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
