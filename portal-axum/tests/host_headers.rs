//! What `PortalLayer` adds to a host's own responses: the renewed session cookie, and
//! the security headers beside the host's own, never in their place.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use axum::routing::get;
use portal_axum::{CurrentContact, PortalLayer};
use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};
use tower_service::Service as _;

async fn call(app: &Router, path: &str, cookie: &str) -> HeaderMap {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().call(req).await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.headers().clone()
}

fn all<'a>(h: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    h.get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn host_responses_get_the_session_headers_beside_their_own() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let web = w.web().await;
    let token = w.login(w.jane.id).await.token.expose_secret();
    let cookie = format!("{}={token}", web.session_cookie_name());
    let app = Router::new()
        .route(
            "/own",
            get(|_: CurrentContact| async {
                (
                    [
                        (header::CACHE_CONTROL, "private, max-age=60"),
                        (header::CONTENT_SECURITY_POLICY, "default-src 'self'"),
                    ],
                    "page",
                )
            }),
        )
        .route("/plain", get(|_: CurrentContact| async { "plain" }))
        .layer(PortalLayer::new(web));

    let h = call(&app, "/own", &cookie).await;
    assert_eq!(
        all(&h, "cache-control"),
        ["private, max-age=60"],
        "the host's kept"
    );
    assert_eq!(
        all(&h, "content-security-policy"),
        ["default-src 'self'", "frame-ancestors 'none'"],
        "a second policy beside the host's"
    );
    assert_eq!(all(&h, "referrer-policy"), ["no-referrer"]);
    assert_eq!(all(&h, "strict-transport-security").len(), 1, "https firm");
    assert!(all(&h, "set-cookie").is_empty(), "nothing renewed yet");

    // Past the renewal interval, the next request renews the session: its cookie is
    // sent again with the new lifetime.
    w.advance(Duration::from_secs(16 * 60));
    let h = call(&app, "/plain", &cookie).await;
    let set = all(&h, "set-cookie");
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with(&format!("{cookie};")), "{set:?}");
    assert!(set[0].contains("Max-Age="), "{set:?}");
    assert_eq!(all(&h, "cache-control"), ["no-store"]);
}
