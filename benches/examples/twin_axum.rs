//! The bare axum twin of the example server for `benches/http/load.sh`: `/healthz`, and
//! `/portal/api/me` and `/whoami` answered with the bytes the portal answered them with
//! (captured in `$TWIN_DIR`), from constants, with no work: what the bytes alone cost.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Response};
use axum::routing::get;
use portal_benches::Captured;

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
    let addr = std::env::var("PORTAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    axum::serve(tokio::net::TcpListener::bind(addr).await?, router).await
}
