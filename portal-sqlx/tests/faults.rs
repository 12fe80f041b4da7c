//! Failures in the middle of a redemption: the call returns a store error, nothing
//! half-made remains (no session, the link not consumed, no audit entry for a login
//! that did not happen), and trying again works. A database that goes away for a
//! moment (connections killed, locks held too long) fails operations as
//! `StoreError::Unavailable` within the bounds of `PoolSettings`, and the store
//! recovers by itself; SQLite writers that meet each other wait instead of failing.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use portal_core::LoginError;
use portal_core::StaffError;
use portal_core::audit::AuditAction;
use portal_core::magic_link::LinkRedemptionRequest;
use portal_core::store::Store;
use portal_core::testing::{Fixture, World};
use portal_core::token::Token;
use portal_core::{InternalError, RequestInfo, StoreError};
use portal_sqlx::{PgStore, PoolSettings, SqliteStore};
use sqlx::{Connection, Executor as _};

fn req() -> RequestInfo {
    World::req()
}

/// Redeems `token` through the store directly, so the error's type shows.
async fn redeem_at_store(
    w: &World,
    store: &dyn Store,
    token: &str,
) -> Result<portal_core::magic_link::LinkRedemption, StoreError> {
    let new = w.a.new_session(w.firm.id, None, &req()).expect("seed");
    let request = LinkRedemptionRequest {
        digest: Token::parse(token).expect("token").digest(),
        presented_binding: None,
        require_binding: false,
        seed: new.seed,
    };
    store.redeem_magic_link(&request, &|_| None).await
}

/// What must hold after a redemption of `token` failed: no session, no login recorded,
/// an intact audit chain, and the same link still good (it was never consumed); then
/// a new link works too.
async fn nothing_half_made(w: &World, token: &str) {
    let store = w.store();
    assert!(
        store.sessions(w.jane.id).await.unwrap().is_empty(),
        "no session without a consumed link"
    );
    assert!(w.audit(AuditAction::LinkRedeemed).await.is_empty());
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
    w.a.redeem_magic_link(w.firm.id, token, None, None, &req())
        .await
        .expect("the link was not consumed: retrying it works");
    w.login(w.jane.id).await;
    assert_eq!(store.sessions(w.jane.id).await.unwrap().len(), 2);
}

async fn failing_session_insert_rolls_back(
    store: Arc<dyn Store>,
    fail: &str,
    heal: &str,
    run: impl AsyncFn(&str),
) {
    let w = World::new(Fixture::single(store.clone())).await;
    let token = w.link(w.jane.id).await;
    run(fail).await;
    let r = redeem_at_store(&w, store.as_ref(), &token).await;
    assert!(
        matches!(r, Err(StoreError::Refused(_))),
        "a statement the database refuses is refused, not unavailable: {r:?}"
    );
    run(heal).await;
    nothing_half_made(&w, &token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_redemption_failing_mid_transaction_leaves_nothing() {
    let store = common::sqlite_file_store(&common::sqlite_path()).await;
    let pool = store.pool().clone();
    failing_session_insert_rolls_back(
        Arc::new(store),
        "CREATE TRIGGER fail_sessions BEFORE INSERT ON portal_sessions \
         BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
        "DROP TRIGGER fail_sessions",
        async |statement: &str| {
            sqlx::raw_sql(statement).execute(&pool).await.unwrap();
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_redemption_failing_mid_transaction_leaves_nothing() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_redemption_failing_mid_transaction_leaves_nothing: no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    let store = common::pg_store(&url, &schema).await;
    let pool = store.pool().clone();
    failing_session_insert_rolls_back(
        Arc::new(store),
        "CREATE FUNCTION fail_sessions() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$; \
         CREATE TRIGGER fail_sessions BEFORE INSERT ON portal_sessions \
         FOR EACH ROW EXECUTE FUNCTION fail_sessions()",
        "DROP TRIGGER fail_sessions ON portal_sessions; DROP FUNCTION fail_sessions()",
        async |statement: &str| {
            sqlx::raw_sql(statement).execute(&pool).await.unwrap();
        },
    )
    .await;
}

/// The redeeming connection is killed (`pg_terminate_backend`) while its transaction
/// waits on the link's row, which a second connection holds locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connection_killed_mid_redemption_leaves_nothing() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_connection_killed_mid_redemption_leaves_nothing: no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    // The redemption must still be waiting when it is found and killed.
    let mut settings = PoolSettings::default();
    settings.lock_timeout = Duration::from_secs(60);
    let store = Arc::new(pg_store_with(&url, &schema, &settings).await);
    let w = Arc::new(World::new(Fixture::single(store.clone())).await);
    let token = w.link(w.jane.id).await;

    let mut blocker = sqlx::PgConnection::connect(&url).await.unwrap();
    let (blocker_pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
        .fetch_one(&mut blocker)
        .await
        .unwrap();
    let lock = format!("SELECT 1 FROM \"{schema}\".portal_magic_links FOR UPDATE");
    let mut held = blocker.begin().await.unwrap();
    sqlx::raw_sql(&lock).execute(&mut *held).await.unwrap();

    let redeeming = {
        let (w, store, token) = (w.clone(), store.clone(), token.clone());
        tokio::spawn(async move { redeem_at_store(&w, store.as_ref(), &token).await })
    };
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut victim = None;
    for _ in 0..200 {
        victim = sqlx::query_as::<_, (i32,)>(
            "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
        )
        .bind(blocker_pid)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
        if victim.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (victim,) = victim.expect("the redemption waits on the locked link");
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(victim)
        .execute(&mut admin)
        .await
        .unwrap();
    let r = redeeming.await.unwrap();
    assert!(
        matches!(r, Err(StoreError::Unavailable(_))),
        "a lost connection is a store error: {r:?}"
    );
    held.rollback().await.unwrap();
    nothing_half_made(&w, &token).await;
}

/// A migrated store in `schema` with `settings`.
async fn pg_store_with(url: &str, schema: &str, settings: &PoolSettings) -> PgStore {
    let store = PgStore::connect_with(url, Some(schema), settings)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// `url` with `application_name` set, so that a test finds its pool's connections.
fn named(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

/// Whether a portal call failed because the store was unavailable.
fn login_unavailable(e: &LoginError) -> bool {
    matches!(
        e,
        LoginError::Internal(InternalError::Store(StoreError::Unavailable(_)))
    )
}

fn staff_unavailable(e: &StaffError) -> bool {
    matches!(
        e,
        StaffError::Internal(InternalError::Store(StoreError::Unavailable(_)))
    )
}

/// The store's own invariants after a fault: every session of Jane's has its
/// redemption in the audit log (and no redemption lacks its session), and the chain
/// verifies.
async fn invariants_hold(w: &World) {
    let sessions = w.store().sessions(w.jane.id).await.unwrap().len();
    let redeemed = w.audit(AuditAction::LinkRedeemed).await.len();
    assert_eq!(sessions, redeemed, "each session with its redemption");
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

/// Logins run on four tasks while every connection of the store's pool is killed
/// (`pg_terminate_backend`) every 100 ms for two seconds: each login either succeeds or
/// fails as unavailable (never refused or corrupt, never a hang), logins succeed again
/// as soon as the killing stops (the pool replaces the dead connections by itself), and
/// no session exists without its redeemed link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_killed_during_traffic_fail_as_unavailable_then_recover() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_connections_killed_during_traffic_fail_as_unavailable_then_recover: \
             no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    let mut settings = PoolSettings::default();
    settings.acquire_timeout = Duration::from_secs(2);
    let store = Arc::new(pg_store_with(&named(&url, &schema), &schema, &settings).await);
    let w = Arc::new(World::new(Fixture::single(store)).await);

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (w, stop) = (w.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut unavailable) = (0u32, 0u32);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let token = match w.a.generate_magic_link(&w.staff, w.jane.id).await {
                    Ok(url) => url.rsplit('/').next().unwrap().to_owned(),
                    Err(e) => {
                        assert!(staff_unavailable(&e), "issuing: {e:?}");
                        unavailable += 1;
                        continue;
                    }
                };
                match w
                    .a
                    .redeem_magic_link(w.firm.id, &token, None, None, &req())
                    .await
                {
                    Ok(_) => ok += 1,
                    // A newer link of another task won: not a fault.
                    Err(LoginError::Link(_)) => {}
                    Err(e) => {
                        assert!(login_unavailable(&e), "redeeming: {e:?}");
                        unavailable += 1;
                    }
                }
                assert!(
                    started.elapsed() < Duration::from_secs(8),
                    "an operation outlasted its bounds"
                );
            }
            (ok, unavailable)
        }));
    }

    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut killed = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let done = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&schema)
        .execute(&mut admin)
        .await
        .unwrap();
        killed += done.rows_affected();
    }
    stop.store(true, Ordering::Relaxed);
    let mut unavailable = 0;
    for worker in workers {
        unavailable += worker.await.unwrap().1;
    }
    assert!(killed > 0, "connections were killed");
    eprintln!("killed {killed} connections; {unavailable} operations failed as unavailable");

    // No restart: the same store logs in again at once.
    w.login(w.jane.id).await;
    invariants_hold(&w).await;
}

/// A row lock held past `lock_timeout` fails the redemption waiting on it as
/// unavailable, within about that time, with nothing half-made; once the lock is
/// released the same link works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lock_held_past_lock_timeout_fails_as_unavailable() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_lock_held_past_lock_timeout_fails_as_unavailable: no DATABASE_URL"
        );
        return;
    };
    let schema = common::pg_schema(&url).await;
    let mut settings = PoolSettings::default();
    settings.lock_timeout = Duration::from_millis(300);
    let store = Arc::new(pg_store_with(&url, &schema, &settings).await);
    let w = World::new(Fixture::single(store.clone())).await;
    let token = w.link(w.jane.id).await;

    let mut blocker = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut held = blocker.begin().await.unwrap();
    let lock = format!("SELECT 1 FROM \"{schema}\".portal_magic_links FOR UPDATE");
    sqlx::raw_sql(&lock).execute(&mut *held).await.unwrap();

    let started = Instant::now();
    let r = redeem_at_store(&w, store.as_ref(), &token).await;
    let waited = started.elapsed();
    assert!(
        matches!(r, Err(StoreError::Unavailable(_))),
        "a lock wait past lock_timeout: {r:?}"
    );
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
    held.rollback().await.unwrap();
    nothing_half_made(&w, &token).await;
}

/// Holds SQLite's write lock on `path` from a connection of its own (as another
/// process would) until the returned sender is used or dropped.
async fn hold_sqlite_write_lock(path: &std::path::Path) -> tokio::sync::oneshot::Sender<()> {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (locked, is_locked) = tokio::sync::oneshot::channel::<()>();
    let path = path.to_owned();
    tokio::spawn(async move {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        conn.execute("BEGIN IMMEDIATE").await.unwrap();
        let _ = locked.send(());
        let _ = released.await;
        conn.execute("COMMIT").await.unwrap();
    });
    is_locked.await.unwrap();
    release
}

/// Two stores on one SQLite file (two application instances) write at once while a
/// third connection holds the write lock for 300 ms: every write waits for the lock
/// and succeeds ("database is locked" is never an error within the busy timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_writers_wait_for_the_lock_and_succeed() {
    let path = common::sqlite_path();
    let primary = common::sqlite_file_store(&path).await;
    let secondary = SqliteStore::open(&path).await.unwrap();
    let w = Arc::new(
        World::new(Fixture {
            primary: Arc::new(primary),
            secondary: Arc::new(secondary),
            files: None,
        })
        .await,
    );
    let release = hold_sqlite_write_lock(&path).await;
    let started = Instant::now();
    let writers: Vec<_> = (0..20)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let portal = if i % 2 == 0 { &w.a } else { &w.b };
                let contact = if i % 2 == 0 { w.jane.id } else { w.bob.id };
                portal.generate_magic_link(&w.staff, contact).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    release.send(()).unwrap();
    for writer in writers {
        writer.await.unwrap().expect("a write waits for the lock");
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

/// The wait is bounded: a write lock held past the busy timeout fails the write as
/// unavailable (not refused), and the same write succeeds once the lock is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_lock_held_past_the_busy_timeout_fails_as_unavailable() {
    let path = common::sqlite_path();
    let mut settings = PoolSettings::default();
    settings.lock_timeout = Duration::from_millis(200);
    let store = SqliteStore::open_with(&path, &settings).await.unwrap();
    store.migrate().await.unwrap();
    let w = World::new(Fixture::single(Arc::new(store))).await;

    let release = hold_sqlite_write_lock(&path).await;
    let started = Instant::now();
    let r = w.a.generate_magic_link(&w.staff, w.jane.id).await;
    let waited = started.elapsed();
    assert!(
        matches!(&r, Err(e) if staff_unavailable(e)),
        "a write lock held too long: {r:?}"
    );
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
    release.send(()).unwrap();
    w.login(w.jane.id).await;
    invariants_hold(&w).await;
}
