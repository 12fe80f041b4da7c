//! Work that must not run on a request's time: sending mail, and the lookups whose
//! duration would reveal whether an address is known. Jobs run on spawned tasks;
//! [`crate::Portal::settle`] waits for all of them (tests, graceful shutdown).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, Semaphore};

/// How many background jobs run at once; the rest wait their turn.
const CONCURRENT_JOBS: usize = 32;

/// How many jobs may wait before anonymous requests that would add one are refused
/// (503): each waiting job holds memory, and a flood must not grow it without bound.
const MAX_PENDING_JOBS: usize = 10_000;

/// How long a refused request is told to wait.
pub(crate) const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug)]
pub(crate) struct Background {
    runtime: tokio::runtime::Handle,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    permits: Arc<Semaphore>,
}

impl Background {
    pub(crate) fn new(runtime: tokio::runtime::Handle) -> Self {
        Background {
            runtime,
            pending: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(Notify::new()),
            permits: Arc::new(Semaphore::new(CONCURRENT_JOBS)),
        }
    }

    pub(crate) fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let (pending, idle, permits) = (
            self.pending.clone(),
            self.idle.clone(),
            self.permits.clone(),
        );
        self.runtime.spawn(async move {
            let _permit = permits.acquire_owned().await;
            job.await;
            if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                idle.notify_waiters();
            }
        });
    }

    /// Whether a job that a request would add may still be queued.
    pub(crate) fn has_room(&self) -> bool {
        self.pending.load(Ordering::SeqCst) < MAX_PENDING_JOBS
    }

    pub(crate) async fn settle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}
