//! Work that must not run on a request's time: sending mail, and the lookups whose
//! duration would reveal whether an address is known. Jobs run on spawned tasks;
//! [`crate::Portal::settle`] waits for all of them (tests, graceful shutdown).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, Semaphore};

/// How many background jobs run at once; the rest wait their turn.
const CONCURRENT_JOBS: usize = 32;

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
