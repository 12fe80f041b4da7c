//! The maintenance task of `PortalBuilder::maintain_every`: it runs at once and then
//! once per period, and ends once the last handle on the portal is dropped, letting go
//! of the store. Tokio's clock is paused: the periods pass without waiting.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use portal_core::testing::RecordingStore;
use portal_core::{BuildError, MemoryStore, Portal};

const PERIOD: Duration = Duration::from_secs(300);

/// How many maintenance runs the store has seen since the last call.
fn runs(store: &RecordingStore) -> usize {
    store
        .take_calls()
        .iter()
        .filter(|op| **op == "purge_expired")
        .count()
}

#[tokio::test(start_paused = true)]
async fn maintenance_runs_every_period_until_the_last_portal_is_dropped() {
    let store = Arc::new(RecordingStore::new(Arc::new(MemoryStore::new())));
    let portal = Portal::builder_shared(store.clone())
        .delivery(portal_core::notify::DevOutbox::new())
        .maintain_every(PERIOD)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(runs(&store), 1, "a run at once");
    tokio::time::sleep(PERIOD).await;
    assert_eq!(runs(&store), 1, "one per period");

    // Any clone keeps it going.
    let clone = portal.clone();
    drop(portal);
    tokio::time::sleep(PERIOD).await;
    assert_eq!(runs(&store), 1);

    drop(clone);
    tokio::time::sleep(3 * PERIOD).await;
    assert_eq!(runs(&store), 0, "no run once every portal is gone");
    assert_eq!(
        Arc::strong_count(&store),
        1,
        "the task holds nothing of the portal"
    );
}

#[tokio::test]
async fn a_maintenance_period_of_zero_is_refused() {
    let built = Portal::builder(MemoryStore::new())
        .delivery(portal_core::notify::DevOutbox::new())
        .maintain_every(Duration::ZERO)
        .build();
    assert!(matches!(built, Err(BuildError::MaintenancePeriod)));
}
