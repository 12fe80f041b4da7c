//! Failures in the middle of a redemption: the call returns a store error, nothing
//! half-made remains (no session, the link not consumed, no audit entry for a login
//! that did not happen), and trying again works.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::sync::Arc;
use std::time::Duration;

use portal_core::audit::AuditAction;
use portal_core::magic_link::LinkRedemptionRequest;
use portal_core::store::Store;
use portal_core::testing::{Fixture, World};
use portal_core::token::Token;
use portal_core::{RequestInfo, StoreError};
use sqlx::Connection;

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
    let store = w.a.store();
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
        matches!(r, Err(StoreError::Unavailable(_))),
        "a failed statement is a store error: {r:?}"
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
    let store = Arc::new(common::pg_store(&url, &schema).await);
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
