//! The router gets its fixed paths from the portal's route table: each is an exact
//! route, the rest of the portal's paths go to its wildcard.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{Next, from_fn};
use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};
use portal_core::web::FIXED_PATHS;
use tower_service::Service as _;

#[tokio::test]
async fn every_fixed_path_of_the_table_is_an_exact_route() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let matched: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = matched.clone();
    let mut app =
        portal_axum::router::<()>(w.web().await).layer(from_fn(move |req: Request, next: Next| {
            let path = req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_owned());
            *seen.lock().unwrap() = path;
            next.run(req)
        }));
    let mut route_of = async |path: &str| {
        let req = Request::get(path).body(Body::empty()).unwrap();
        app.call(req).await.unwrap();
        matched.lock().unwrap().take()
    };
    for path in FIXED_PATHS {
        let path = format!("/portal{path}");
        assert_eq!(route_of(&path).await.as_deref(), Some(path.as_str()));
    }
    for path in [
        "/portal/c/token",
        "/portal/api/clients/x/tasks",
        "/portal/nowhere",
    ] {
        assert_eq!(
            route_of(path).await.as_deref(),
            Some("/portal/{*rest}"),
            "{path}"
        );
    }
}
