//! The bare axum twin of the example server for `benches/http/load.sh`: `/healthz`, and
//! `/portal/api/me` and `/whoami` answered with the bytes the portal answered them with
//! (captured in `$TWIN_DIR`), from constants, with no work: what the bytes alone cost.
//!
//! Beside them, two peers: `/peer/minimal`, the minimal session check, and
//! `/peer/tower-sessions`, a session read through `tower-sessions` and its memory store
//! (log in first with `POST /peer/tower-sessions/login`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use axum::routing::{get, post};
use portal_benches::{Captured, MinimalSessions};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let mut router = Router::new().route("/healthz", get(|| async { "ok" }));
    for (path, captured) in Captured::from_twin_dir() {
        let (headers, body) =
            captured.leak(|n, v| (HeaderName::from_static(n), HeaderValue::from_static(v)));
        router = router.route(
            path,
            get(move || async move {
                let mut r = Response::new(Body::from(body));
                r.headers_mut().reserve(headers.len() + 1);
                for (n, v) in headers {
                    r.headers_mut().append(n.clone(), v.clone());
                }
                r
            }),
        );
    }
    let minimal = Arc::new(MinimalSessions::from_env());
    let router = router
        .route(
            "/peer/minimal",
            get(move |headers: HeaderMap| async move {
                if minimal.check(headers.get(header::COOKIE).map(HeaderValue::as_bytes)) {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::UNAUTHORIZED, "no session")
                }
            }),
        )
        .merge(tower_sessions_peer());
    let addr = std::env::var("PORTAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    axum::serve(tokio::net::TcpListener::bind(addr).await?, router).await
}

fn tower_sessions_peer() -> Router {
    Router::new()
        .route(
            "/peer/tower-sessions/login",
            post(|session: Session| async move {
                match session.insert("n", 1_u64).await {
                    Ok(()) => (StatusCode::OK, "ok"),
                    Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "no session"),
                }
            }),
        )
        .route(
            "/peer/tower-sessions",
            get(|session: Session| async move {
                match session.get::<u64>("n").await {
                    Ok(Some(_)) => (StatusCode::OK, "ok"),
                    _ => (StatusCode::UNAUTHORIZED, "no session"),
                }
            }),
        )
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
}
