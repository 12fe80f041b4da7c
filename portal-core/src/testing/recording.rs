//! A store wrapper that records which operations were called, for tests that two
//! paths make the same calls (e.g. known and unknown addresses), and that can hold
//! the callers of one operation until they are all there, for races that must
//! interleave exactly (two requests that both read before either writes).

use std::future::Future;
use std::sync::{Arc, Mutex};

use super::STORE_OPERATIONS;
use crate::store::Store;

/// Delegates to a store and records the name of every operation called.
#[derive(Debug)]
pub struct RecordingStore {
    inner: Arc<dyn Store>,
    calls: Mutex<Vec<&'static str>>,
    held: Mutex<Option<(&'static str, Arc<tokio::sync::Barrier>)>>,
}

impl RecordingStore {
    /// Wraps `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn Store>) -> Self {
        RecordingStore {
            inner,
            calls: Mutex::new(Vec::new()),
            held: Mutex::new(None),
        }
    }

    /// From now on, each call of `operation` waits, once the store has answered it,
    /// until `callers` calls of it have: they all return together, each with what the
    /// store answered before any of them went on. [`RecordingStore::release`] ends it.
    ///
    /// # Panics
    ///
    /// If `operation` is not the name of a store operation: a misspelt hold would
    /// never hold, and the race it should force would go untested.
    pub fn hold_after(&self, operation: &'static str, callers: usize) {
        assert!(
            STORE_OPERATIONS
                .iter()
                .any(|(_, ops)| ops.contains(&operation)),
            "{operation:?} is not a store operation"
        );
        if let Ok(mut h) = self.held.lock() {
            *h = Some((operation, Arc::new(tokio::sync::Barrier::new(callers))));
        }
    }

    /// Ends [`RecordingStore::hold_after`].
    pub fn release(&self) {
        if let Ok(mut h) = self.held.lock() {
            *h = None;
        }
    }

    /// The operations called since the last [`RecordingStore::take_calls`], in order.
    pub fn take_calls(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    /// Runs every forwarded call: records it, and once the store has answered, waits
    /// for the other callers if `operation` is held.
    async fn observe<T>(&self, operation: &'static str, call: impl Future<Output = T>) -> T {
        if let Ok(mut c) = self.calls.lock() {
            c.push(operation);
        }
        let answer = call.await;
        let barrier = self.held.lock().ok().and_then(|h| {
            h.as_ref()
                .filter(|(op, _)| *op == operation)
                .map(|(_, b)| b.clone())
        });
        if let Some(barrier) = barrier {
            barrier.wait().await;
        }
        answer
    }
}

crate::forward_store!(RecordingStore => inner through observe);
