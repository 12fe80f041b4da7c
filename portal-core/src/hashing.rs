//! argon2id hashing of passwords and email codes, on a small pool of dedicated threads
//! sized by a memory budget.
//!
//! One argon2id computation holds its whole memory cost (19 MiB by default) for tens of
//! milliseconds. Run one per request and a few hundred concurrent login attempts take
//! gigabytes and as many threads: that is how a login page is flooded. So every
//! computation (hashing, verifying, and the dummy verifications that keep unknown
//! addresses as slow as known ones) goes through one bounded pool:
//! - as many worker threads as the budget holds computations at once, each reusing
//!   one memory buffer, so the memory argon2 uses is fixed, whatever the traffic;
//! - a bounded queue in front of them; a request that finds it full is refused at once
//!   with [`HashError::Busy`] (the web layer answers 503 with `Retry-After`), whatever
//!   address it names, so the refusal tells nothing about the address;
//! - background work (the code that goes into an email) waits for room instead.
//!
//! The workers are threads of their own, never the async runtime's, and run at a low
//! CPU priority (nice 10): on a machine with few cores, argon2 would otherwise take the
//! cores from the runtime, and a flood of logins would slow every logged-in contact's
//! request (measured: `/api/me`'s p99 went from 0.2 ms to 4 ms under a flood on two
//! cores; at a lower priority it stayed at its idle value).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq as _;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, oneshot};

use crate::policy::Argon2Params;
use crate::random::{RandomnessUnavailable, SecretSource};

/// Hashing could not be done.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// No randomness for the salt.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// argon2 refused the parameters or the input.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The hashing pool could not run the work (its threads could not start or stopped).
    #[error("hashing task failed")]
    Task,
    /// The hashing queue is full: try again after the given time.
    #[error("too many logins at once; retry in {} s", retry_after.as_secs())]
    Busy {
        /// When the queue is likely to have room again (whole seconds, at least one).
        retry_after: Duration,
    },
}

/// How much argon2 work may run at once, and how much may wait.
///
/// The number of concurrent computations is the memory budget divided by the largest
/// memory cost among the portal's policies (at least one), and each worker keeps its
/// buffer: the memory argon2 ever uses is about the budget. Requests past the queue are
/// refused with a 503 rather than piling up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLimits {
    /// Memory argon2 may use at once, in KiB.
    pub memory_budget_kib: u64,
    /// How many computations may wait for a worker before requests are refused.
    pub queue: usize,
}

/// Computations that may wait per worker by default: at about 25 ms each, a full
/// queue is drained in under half a second.
const QUEUE_PER_WORKER: usize = 16;

impl HashingLimits {
    /// Limits for `workers` computations of the default cost (19 MiB) at once, with
    /// the default queue.
    #[must_use]
    pub fn for_workers(workers: usize) -> Self {
        let workers = workers.max(1);
        HashingLimits {
            memory_budget_kib: u64::from(Argon2Params::default().memory_kib)
                .saturating_mul(workers as u64),
            queue: workers.saturating_mul(QUEUE_PER_WORKER),
        }
    }

    /// The default: one computation per core this process may use, each of the
    /// default cost (on two cores, 38 MiB and a queue of 32).
    #[must_use]
    pub fn for_machine() -> Self {
        Self::for_workers(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// How many workers these limits give for computations of `memory_kib` each.
    pub(crate) fn workers_for(&self, memory_kib: u32) -> usize {
        let each = u64::from(memory_kib).max(1);
        usize::try_from(self.memory_budget_kib / each)
            .unwrap_or(usize::MAX)
            .clamp(1, 256)
    }
}

impl Default for HashingLimits {
    fn default() -> Self {
        Self::for_machine()
    }
}

/// What the hashing pool has done since the portal was built: for monitoring, and for
/// tests that prove a refused request did no hashing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashingLoad {
    /// Worker threads (computations that can run at once).
    pub workers: usize,
    /// Computations that may wait.
    pub queue_capacity: usize,
    /// Computations waiting now.
    pub queued: usize,
    /// argon2 computations finished (hashes and verifications, dummy ones included).
    pub computed: u64,
    /// Requests refused because the queue was full.
    pub refused_busy: u64,
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn params_of(p: Argon2Params) -> Result<Params, HashError> {
    Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// What a worker computes.
enum Work {
    Hash {
        secret: String,
        salt: [u8; 16],
        params: Argon2Params,
    },
    Verify {
        secret: String,
        phc: Arc<str>,
    },
}

/// What it answers: a PHC string, or whether the secret matched.
enum Done {
    Hashed(String),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done, HashError>>,
    /// Its place in the queue, given back when a worker takes it.
    place: OwnedSemaphorePermit,
}

impl Work {
    /// Runs on a worker, in `memory` (grown as needed, then kept for the next job).
    fn run(self, memory: &mut Vec<Block>) -> Result<Done, HashError> {
        let fail = |e: &dyn std::fmt::Display| HashError::Argon2(e.to_string());
        match self {
            Work::Hash {
                secret,
                salt,
                params,
            } => {
                let params = params_of(params)?;
                let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
                compute(&params, secret.as_bytes(), &salt, &mut out, memory)?;
                let salt = SaltString::encode_b64(&salt).map_err(|e| fail(&e))?;
                let phc = PasswordHash {
                    algorithm: Algorithm::Argon2id.ident(),
                    version: Some(Version::V0x13.into()),
                    params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
                    salt: Some(salt.as_salt()),
                    hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
                };
                Ok(Done::Hashed(phc.to_string()))
            }
            Work::Verify { secret, phc } => {
                let parsed = PasswordHash::new(&phc).map_err(|e| fail(&e))?;
                if Algorithm::try_from(parsed.algorithm) != Ok(Algorithm::Argon2id)
                    || parsed
                        .version
                        .is_some_and(|v| v != u32::from(Version::V0x13))
                {
                    return Err(HashError::Argon2("not an argon2id v19 hash".into()));
                }
                let params = Params::try_from(&parsed).map_err(|e| fail(&e))?;
                let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                    return Err(HashError::Argon2("hash without salt or output".into()));
                };
                let mut salt_bytes = [0u8; 64];
                let salt = salt.decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
                let mut out = [0u8; Output::MAX_LENGTH];
                let out = out
                    .get_mut(..expected.len())
                    .ok_or_else(|| HashError::Argon2("output too long".into()))?;
                compute(&params, secret.as_bytes(), salt, out, memory)?;
                // Constant time: the expected output is the secret's stand-in.
                Ok(Done::Verified(out.ct_eq(expected.as_bytes()).into()))
            }
        }
    }
}

/// Blocks (1 KiB each) past glibc's largest mmap threshold (32 MiB on 64-bit targets).
const MAPPED_BLOCKS: usize = 33 * 1024;

/// One argon2id computation into `out`, in the worker's reusable `memory`.
fn compute(
    params: &Params,
    secret: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), HashError> {
    if memory.len() < params.block_count() {
        // Reserved past the allocator's largest heap size, so that the buffer is
        // mapped on its own and its pages go back to the system when it is freed:
        // a buffer freed into the heap and allocated again stayed resident, 19 MiB
        // more each time. Pages reserved and never touched cost no memory.
        *memory = Vec::with_capacity(params.block_count().max(MAPPED_BLOCKS));
        memory.resize(params.block_count(), Block::default());
    }
    argon2(params.clone())
        .hash_password_into_with_memory(secret, salt, out, &mut memory[..])
        .map_err(|e| HashError::Argon2(e.to_string()))
}

#[derive(Debug, Default)]
struct Counters {
    computed: AtomicU64,
    refused_busy: AtomicU64,
    /// Microseconds the last computation took, for `Retry-After`.
    last_micros: AtomicU64,
}

/// How long a worker keeps its buffer without work: then it gives the memory back, so
/// that a portal that logs someone in now and then does not hold 19 MiB per core.
const KEEP_MEMORY_IDLE: Duration = Duration::from_secs(1);

/// The jobs waiting for a worker.
#[derive(Default)]
struct Queue {
    jobs: Mutex<Waiting>,
    ready: Condvar,
}

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    /// The pool is gone: workers finish what is queued and stop.
    closed: bool,
}

/// The bounded pool: worker threads started on first use, a bounded queue before them.
struct HashPool {
    workers: usize,
    queue: usize,
    /// One permit per place in the queue.
    places: Arc<Semaphore>,
    waiting: OnceLock<Result<Arc<Queue>, ()>>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl HashPool {
    fn new(workers: usize, queue: usize) -> Self {
        let queue = queue.max(1);
        HashPool {
            workers,
            queue,
            places: Arc::new(Semaphore::new(queue)),
            waiting: OnceLock::new(),
            counters: Arc::new(Counters::default()),
        }
    }

    fn waiting(&self) -> Result<&Arc<Queue>, HashError> {
        self.waiting
            .get_or_init(|| self.start())
            .as_ref()
            .map_err(|()| HashError::Task)
    }

    /// Starts the workers. They stop when the pool (the portal) is dropped and the
    /// queue is drained.
    fn start(&self) -> Result<Arc<Queue>, ()> {
        let queue = Arc::new(Queue::default());
        for i in 0..self.workers {
            let (queue, counters) = (queue.clone(), self.counters.clone());
            let started = std::thread::Builder::new()
                .name(format!("portal-argon2-{i}"))
                .spawn(move || work(&queue, &counters));
            if let Err(e) = started {
                tracing::error!(error = %e, "could not start a hashing thread");
                if i == 0 {
                    return Err(());
                }
            }
        }
        Ok(queue)
    }

    /// Runs `work` on the pool. `wait`: wait for room in the queue (background work)
    /// rather than refusing at once (requests).
    async fn run(&self, work: Work, wait: bool) -> Result<Done, HashError> {
        let queue = self.waiting()?;
        let place = if wait {
            self.places
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| HashError::Task)?
        } else {
            self.places.clone().try_acquire_owned().map_err(|_| {
                self.counters.refused_busy.fetch_add(1, Ordering::Relaxed);
                HashError::Busy {
                    retry_after: self.retry_after(),
                }
            })?
        };
        let (reply, answer) = oneshot::channel();
        queue
            .jobs
            .lock()
            .map_err(|_| HashError::Task)?
            .jobs
            .push_back(Job { work, reply, place });
        queue.ready.notify_one();
        answer.await.map_err(|_| HashError::Task)?
    }

    /// How long a full queue takes to drain, rounded up to whole seconds.
    fn retry_after(&self) -> Duration {
        let each = self.counters.last_micros.load(Ordering::Relaxed);
        let rounds = (self.queue / self.workers.max(1)) as u64 + 1;
        let secs = rounds.saturating_mul(each).div_ceil(1_000_000);
        Duration::from_secs(secs.clamp(1, 60))
    }

    fn load(&self) -> HashingLoad {
        HashingLoad {
            workers: self.workers,
            queue_capacity: self.queue,
            queued: self.queue - self.places.available_permits(),
            computed: self.counters.computed.load(Ordering::Relaxed),
            refused_busy: self.counters.refused_busy.load(Ordering::Relaxed),
        }
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        if let Some(Ok(queue)) = self.waiting.get() {
            if let Ok(mut w) = queue.jobs.lock() {
                w.closed = true;
            }
            queue.ready.notify_all();
        }
    }
}

/// A worker's loop: one job at a time, in one buffer it keeps while there is work, at
/// a low CPU priority: under a flood of logins, the requests of contacts already
/// logged in (and the runtime that answers them) go first, and the logins wait.
fn work(queue: &Queue, counters: &Counters) {
    if let Err(e) = lower_priority() {
        tracing::debug!(error = ?e, "hashing thread keeps its priority");
    }
    let mut memory = Vec::new();
    while let Some(job) = next_job(queue, &mut memory) {
        let Job { work, reply, place } = job;
        drop(place);
        // A duration of work, for `Retry-After`: not the domain's time, which the
        // injected clock gives.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        let done = work.run(&mut memory);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        counters.last_micros.store(micros, Ordering::Relaxed);
        counters.computed.fetch_add(1, Ordering::Relaxed);
        // The asker may have gone (its request was dropped): nothing to tell.
        let _ = reply.send(done);
    }
}

/// Lowers the calling thread's CPU priority to nice 10 on Linux (the crate maps its
/// scale 0–99 onto niceness 19 to -20): about a tenth of a core when other work wants
/// the cores, and all of them when it does not. The lowest priority (nice 19, a
/// sixtieth) starved logins whenever anything else kept the machine busy.
fn lower_priority() -> Result<(), thread_priority::Error> {
    let nice_10 = thread_priority::ThreadPriorityValue::try_from(22u8)
        .map_err(|_| thread_priority::Error::Priority("out of range"))?;
    thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Crossplatform(
        nice_10,
    ))
}

/// The next job, waiting for one; `None` once the pool is closed and drained. A worker
/// that waits longer than [`KEEP_MEMORY_IDLE`] gives its buffer back.
fn next_job(queue: &Queue, memory: &mut Vec<Block>) -> Option<Job> {
    let mut waiting = queue.jobs.lock().ok()?;
    loop {
        if let Some(job) = waiting.jobs.pop_front() {
            return Some(job);
        }
        if waiting.closed {
            return None;
        }
        let (w, timeout) = queue.ready.wait_timeout(waiting, KEEP_MEMORY_IDLE).ok()?;
        waiting = w;
        if timeout.timed_out() && waiting.jobs.is_empty() {
            *memory = Vec::new();
        }
    }
}

/// The dummy hash of one parameter set, once it is made.
type DummyCell = Arc<OnceCell<Arc<str>>>;

/// Hashes and verifies low-entropy secrets with argon2id, through the bounded pool.
#[derive(Debug)]
pub(crate) struct SecretHasher {
    secrets: Arc<dyn SecretSource>,
    // A hash of a fixed string per parameter set: verifying against it costs what a real
    // verification costs, so unknown accounts take the same time as known ones. Made
    // once however many requests need it first.
    dummies: Mutex<HashMap<(u32, u32, u32), DummyCell>>,
    pool: HashPool,
}

impl SecretHasher {
    /// A hasher whose pool holds `limits`, for computations of at most `memory_kib`.
    pub(crate) fn new(
        secrets: Arc<dyn SecretSource>,
        limits: HashingLimits,
        memory_kib: u32,
    ) -> Self {
        SecretHasher {
            secrets,
            dummies: Mutex::new(HashMap::new()),
            pool: HashPool::new(limits.workers_for(memory_kib), limits.queue),
        }
    }

    /// A salted argon2id hash (PHC string) of `secret`, for a request: refused with
    /// [`HashError::Busy`] when the queue is full.
    pub(crate) async fn hash(
        &self,
        params: Argon2Params,
        secret: String,
    ) -> Result<String, HashError> {
        self.hash_with(params, secret, false).await
    }

    /// Like [`SecretHasher::hash`], for background work: waits for room in the queue.
    pub(crate) async fn hash_in_background(
        &self,
        params: Argon2Params,
        secret: String,
    ) -> Result<String, HashError> {
        self.hash_with(params, secret, true).await
    }

    async fn hash_with(
        &self,
        params: Argon2Params,
        secret: String,
        wait: bool,
    ) -> Result<String, HashError> {
        let mut salt = [0u8; 16];
        self.secrets.fill(&mut salt)?;
        let work = Work::Hash {
            secret,
            salt,
            params,
        };
        match self.pool.run(work, wait).await? {
            Done::Hashed(phc) => Ok(phc),
            Done::Verified(_) => Err(HashError::Task),
        }
    }

    /// Whether `secret` matches `phc`. With `None`, verifies against a dummy hash of the
    /// same cost and answers `false`. Refused with [`HashError::Busy`] when the queue
    /// is full, whether or not there is a real hash.
    pub(crate) async fn verify(
        &self,
        params: Argon2Params,
        secret: String,
        phc: Option<&str>,
    ) -> Result<bool, HashError> {
        let (phc, real) = match phc {
            Some(p) => (Arc::from(p), true),
            None => (self.dummy(params).await?, false),
        };
        match self.pool.run(Work::Verify { secret, phc }, false).await? {
            Done::Verified(matched) => Ok(real && matched),
            Done::Hashed(_) => Err(HashError::Task),
        }
    }

    /// The dummy hash for `params`: hashed once, on first use, while every request
    /// that needs it meanwhile waits for that one computation.
    pub(crate) async fn dummy(&self, params: Argon2Params) -> Result<Arc<str>, HashError> {
        let key = (params.memory_kib, params.iterations, params.parallelism);
        let cell = self
            .dummies
            .lock()
            .map_err(|_| HashError::Task)?
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let phc = self
                .hash_in_background(params, "portal-dummy-secret".to_owned())
                .await?;
            Ok::<_, HashError>(Arc::from(phc))
        })
        .await
        .cloned()
    }

    /// What the pool has done.
    pub(crate) fn load(&self) -> HashingLoad {
        self.pool.load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    fn hasher(workers: usize, queue: usize) -> SecretHasher {
        let limits = HashingLimits {
            memory_budget_kib: 19_456 * workers as u64,
            queue,
        };
        SecretHasher::new(Arc::new(SeededSecretSource::new(1)), limits, 19_456)
    }

    #[tokio::test]
    async fn hashes_verify_and_are_salted_argon2id() {
        let h = hasher(1, 4);
        let p = Argon2Params::default();
        let a = h.hash(p, "correct horse battery".into()).await.unwrap();
        let b = h.hash(p, "correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(
            h.verify(p, "correct horse battery".into(), Some(&a))
                .await
                .unwrap()
        );
        assert!(!h.verify(p, "wrong".into(), Some(&a)).await.unwrap());
        assert!(
            !h.verify(p, "portal-dummy-secret".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_are_those_of_the_argon2_crate_both_ways() {
        // Hashes stored before the pool (made by the crate's own PasswordHasher) must
        // keep verifying, and the pool's must verify with the crate.
        let h = hasher(1, 4);
        let p = Argon2Params {
            memory_kib: 8_192,
            iterations: 5,
            parallelism: 1,
        };
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = argon2(params_of(p).unwrap())
            .hash_password(b"a long pass phrase", &salt)
            .unwrap()
            .to_string();
        assert!(
            h.verify(p, "a long pass phrase".into(), Some(&theirs))
                .await
                .unwrap()
        );
        assert!(
            !h.verify(p, "a long pass phrasE".into(), Some(&theirs))
                .await
                .unwrap()
        );
        let ours = h.hash(p, "another pass phrase".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2(params_of(p).unwrap())
                .verify_password(b"another pass phrase", &parsed)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn other_algorithms_are_refused() {
        let h = hasher(1, 4);
        let argon2i = "$argon2i$v=19$m=8192,t=5,p=1$c2l4dGVlbiBieXRlIHNsdA$\
                       AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(
            h.verify(Argon2Params::default(), "x".into(), Some(argon2i))
                .await,
            Err(HashError::Argon2(_))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_counts_it() {
        // One worker, one place in the queue: of twelve verifications started together,
        // at most two are taken (one running, one waiting) before the rest are refused.
        let h = Arc::new(hasher(1, 1));
        let p = Argon2Params::default();
        h.dummy(p).await.unwrap();
        let before = h.load().computed;
        let tries: Vec<_> = (0..12)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move { h.verify(p, "guess".into(), None).await })
            })
            .collect();
        let mut busy = 0;
        for t in tries {
            match t.await.unwrap() {
                Ok(false) => {}
                Err(HashError::Busy { retry_after }) => {
                    assert!(retry_after >= Duration::from_secs(1));
                    busy += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let load = h.load();
        assert!(busy >= 1, "some were refused");
        assert_eq!(load.refused_busy, busy);
        assert_eq!(
            load.computed - before,
            12 - busy,
            "a refused one computed nothing"
        );
        assert_eq!((load.workers, load.queue_capacity, load.queued), (1, 1, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_dummy_is_hashed_once_however_many_need_it_first() {
        let h = Arc::new(hasher(1, 1));
        let p = Argon2Params::default();
        let all: Vec<_> = (0..20)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move { h.dummy(p).await.unwrap() })
            })
            .collect();
        let mut dummies = Vec::new();
        for d in all {
            dummies.push(d.await.unwrap());
        }
        dummies.dedup();
        assert_eq!(dummies.len(), 1);
        assert_eq!(h.load().computed, 1);
    }

    #[tokio::test]
    async fn background_hashing_waits_for_room() {
        let h = Arc::new(hasher(1, 1));
        let p = Argon2Params {
            memory_kib: 8_192,
            iterations: 5,
            parallelism: 1,
        };
        let all: Vec<_> = (0..6)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move { h.hash_in_background(p, format!("code {i}")).await })
            })
            .collect();
        for t in all {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(h.load().refused_busy, 0);
    }

    #[test]
    fn the_budget_gives_the_workers() {
        let limits = HashingLimits::for_workers(3);
        assert_eq!(limits.workers_for(19_456), 3);
        assert_eq!(limits.workers_for(19_456 * 2), 1);
        assert_eq!(limits.workers_for(1_024), 57);
        assert_eq!(limits.queue, 48);
        assert_eq!(HashingLimits::for_workers(0).workers_for(19_456), 1);
    }
}
