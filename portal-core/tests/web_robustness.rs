//! The neutral HTTP layer's routes. Its fuzz case (arbitrary requests never get a 5xx)
//! is `portal_core::testing::conformance::no_input_gets_a_server_error`, run on every
//! store by `store_conformance!` (here on memory, in `memory_conformance`).

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};
use portal_core::web::Request;

const ORIGIN: &str = "https://portal.acme.example";

/// Adapters may route the fixed paths exactly, beside a wildcard for the rest: a path
/// listed that no route answers would be a dead route in every adapter.
#[tokio::test]
async fn every_fixed_path_is_a_route() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let web = w.web().await;
    let answers = async |path: &str| {
        let mut statuses = Vec::new();
        for method in ["GET", "POST"] {
            let req = Request::new(method, &format!("/portal{path}")).header("origin", ORIGIN);
            statuses.push(web.handle(req).await.status);
        }
        statuses
    };
    for path in portal_core::web::FIXED_PATHS {
        assert!(
            answers(path).await.iter().any(|&s| s != 404),
            "{path:?} is not a route"
        );
    }
    assert_eq!(
        answers("/api/nope").await,
        [404, 404],
        "the check tells routes apart"
    );
}
