//! How the host's own routes below the portal's mount path meet the portal's, as
//! `portal_axum::router` documents.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use axum::routing::get;
use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};
use tower_service::Service as _;

async fn get_body(app: &Router, path: &str) -> (u16, String) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let resp = app.clone().call(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_host_route_below_the_mount_path_takes_its_path_over() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let web = w.web().await;
    let host = || get(|| async { "host" });
    // A fixed path of the portal's and another path below the mount, with the host's
    // routes added before the portal's and after them.
    let before = Router::new()
        .route("/portal/login", host())
        .route("/portal/custom", host())
        .merge(portal_axum::router(web.clone()));
    let after = portal_axum::router(web.clone())
        .route("/portal/login", host())
        .route("/portal/custom", host());
    for app in [before, after] {
        assert_eq!(get_body(&app, "/portal/login").await, (200, "host".into()));
        assert_eq!(get_body(&app, "/portal/custom").await, (200, "host".into()));
        let (status, page) = get_body(&app, "/portal/login/link").await;
        assert_eq!(status, 405, "the portal's own route beside them: {page}");
        assert_eq!(get_body(&app, "/portal/nowhere").await.0, 404);
    }
}
