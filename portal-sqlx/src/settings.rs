//! [`PoolSettings`]: how a store's connection pool meets a slow, busy or vanished
//! database.

use std::time::Duration;

/// How a store's connection pool behaves when the database is slow, busy or gone for a
/// moment. Every wait is bounded, so that a request fails as
/// [`StoreError::Unavailable`](portal_core::StoreError) (answered 503 with
/// `Retry-After`) instead of hanging, and the pool heals by itself once the database
/// is back: no restart is needed.
///
/// Connections are checked before each use (a round trip on a connection that sat in
/// the pool), so one the server killed (`pg_terminate_backend`, a database restart, a
/// failover) is replaced instead of failing a request.
///
/// `#[non_exhaustive]`: start from [`PoolSettings::default`] and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolSettings {
    /// The most connections open at once. Default 10.
    pub max_connections: u32,
    /// How long an operation waits for a connection (a free one of the pool, or a new
    /// one being opened, retried while the server refuses) before it fails as
    /// unavailable. Default 5 seconds: long enough for a database restart or a busy
    /// moment, short enough that a client is answered while it still waits.
    pub acquire_timeout: Duration,
    /// How long one statement waits for a lock that another transaction holds before
    /// the operation fails as unavailable: SQLite's busy timeout (a write waiting for
    /// another connection's or process's write), PostgreSQL's `lock_timeout` (a row or
    /// advisory lock). Default 5 seconds.
    pub lock_timeout: Duration,
    /// A connection unused this long is closed. Default 10 minutes; `None` keeps it.
    pub idle_timeout: Option<Duration>,
    /// A connection this old is closed and replaced once it is returned, so that none
    /// outlives a failover or a server's configuration change for long. Default 30
    /// minutes; `None` keeps it.
    pub max_lifetime: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
        }
    }
}

impl PoolSettings {
    /// sqlx's pool options of these settings.
    pub(crate) fn pool_options<DB: sqlx::Database>(&self) -> sqlx::pool::PoolOptions<DB> {
        sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(self.idle_timeout)
            .max_lifetime(self.max_lifetime)
            // A ping before each use of an idle connection: one the server closed is
            // replaced, not handed to an operation that would fail on it.
            .test_before_acquire(true)
    }
}
