//! The in-memory store against the store conformance suite.

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::testing::Fixture;

async fn memory() -> Option<Fixture> {
    Some(Fixture::single(Arc::new(MemoryStore::new())))
}

portal_core::store_conformance!(memory);
