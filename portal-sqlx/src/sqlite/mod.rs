//! SQLite: [`SqliteStore`], an embedded database file for one machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use portal_core::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Pool, Sqlite, Transaction};

use crate::dialect::{
    Dialect, Lock, Migration, claim_messages_sql, give_up_messages_sql, lock_audit_head_sql,
    lock_client_sql, lock_client_tasks_sql, lock_contact_sql, lock_credential_sql,
    lock_expired_files_sql, lock_file_sql, lock_message_sql, lock_task_sql,
};
use crate::engine::Engine;
use crate::error::{is_busy, store_error};
use crate::settings::PoolSettings;

/// A [`Store`](portal_core::Store) on SQLite (bundled with the crate).
///
/// Cheap to clone (it wraps a connection pool). Writes are serialised by SQLite itself:
/// each writing operation is one `BEGIN IMMEDIATE` transaction, so the guarantees of
/// the store traits hold between pools and processes that open the same file, as long
/// as the file is on a local disk (SQLite's locking does not work over network file
/// systems). In WAL mode, reads (session verification) never wait for writers.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    engine: Engine<Sqlite>,
}

portal_core::forward_store!(SqliteStore => engine);

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` with
    /// [`PoolSettings::default`]: see [`SqliteStore::open_with`].
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &PoolSettings::default()).await
    }

    /// Opens (creating it if missing) the database file at `path` in WAL mode, with
    /// foreign keys enforced, `synchronous = NORMAL` (in WAL mode: durable across
    /// application crashes; a power loss may take back the last transactions, never
    /// corrupt the file) and [`PoolSettings::lock_timeout`] as the busy timeout: a
    /// write that finds another connection's or process's write under way waits for it
    /// that long (SQLite's "database is locked"), then fails as
    /// [`StoreError::Unavailable`]. Call [`SqliteStore::migrate`] before use.
    pub async fn open_with(
        path: impl AsRef<Path>,
        settings: &PoolSettings,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(settings.lock_timeout)
            .foreign_keys(true);
        // Two processes opening a new file at once both read it, then both ask for
        // the exclusive lock that switching it to WAL takes: SQLite refuses one of
        // them at once rather than let them wait for each other (`SQLITE_BUSY`, no
        // busy wait). By then the other has switched the file, so opening it again
        // finds it in WAL mode and needs no such lock. Retried for as long as the
        // busy timeout lets any other write wait.
        const PAUSE: Duration = Duration::from_millis(10);
        let mut retries = settings.lock_timeout.as_millis() / PAUSE.as_millis();
        loop {
            match settings.pool_options().connect_with(options.clone()).await {
                Ok(pool) => return Ok(SqliteStore::from_pool(pool)),
                Err(e) if is_busy(&e) && retries > 0 => {
                    retries -= 1;
                    tokio::time::sleep(PAUSE).await;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    /// A private in-memory database, gone when the store is dropped: for tests and
    /// demos. It lives in a single connection that the pool never closes (SQLite gives
    /// every connection to `:memory:` a database of its own, and a shared-cache memory
    /// database replaces the file locking this store relies on with table locks), so
    /// operations run one at a time.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(store_error)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(SqliteStore::from_pool(pool))
    }

    /// A store on a pool the host configured itself. Its connections should enforce
    /// foreign keys (sqlx's default) and have a busy timeout; a file should be in WAL
    /// mode so that reads do not wait for writes.
    #[must_use]
    pub fn from_pool(pool: SqlitePool) -> Self {
        SqliteStore {
            engine: Engine::new(pool),
        }
    }

    /// The pool, e.g. to share it with the host or to close it.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        self.engine.pool()
    }

    /// Applies the migrations not yet applied; safe to call at every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        crate::migrate::migrate(self.pool()).await
    }
}

impl Dialect for Sqlite {
    // No locking clauses: `BEGIN IMMEDIATE` already holds the database's write lock.
    const LOCK_CONTACT: &'static str = lock_contact_sql!("");
    const LOCK_AUDIT_HEAD: &'static str = lock_audit_head_sql!("");
    const LOCK_TASK: &'static str = lock_task_sql!("");
    const LOCK_CLIENT_TASKS: &'static str = lock_client_tasks_sql!("");
    const LOCK_CLIENT: &'static str = lock_client_sql!("");
    const LOCK_FILE: &'static str = lock_file_sql!("");
    const LOCK_EXPIRED_FILES: &'static str = lock_expired_files_sql!("");
    const LOCK_CREDENTIAL: &'static str = lock_credential_sql!("");
    const CLAIM_MESSAGES: &'static str = claim_messages_sql!("SELECT value FROM json_each($4)", "");
    const LOCK_MESSAGE: &'static str = lock_message_sql!("");
    const GIVE_UP_MESSAGES: &'static str = give_up_messages_sql!("");
    const REFERENCED_BLOBS: &'static str = "SELECT DISTINCT blob FROM portal_files \
         WHERE blob IN (SELECT value FROM json_each($1))";
    const MIGRATIONS_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS portal_schema_migrations (\
         version INTEGER PRIMARY KEY, \
         description TEXT NOT NULL, \
         checksum BLOB NOT NULL, \
         applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))\
         ) STRICT";
    const MIGRATIONS: &'static [Migration] = &[
        Migration {
            version: 1,
            description: "firms, clients, contacts, grants, links, codes, sessions, throttle, audit",
            sql: include_str!("0001_schema.sql"),
        },
        Migration {
            version: 2,
            description: "tasks",
            sql: include_str!("0002_tasks.sql"),
        },
        Migration {
            version: 3,
            description: "sessions carry their grant's permissions",
            sql: include_str!("0003_session_permissions.sql"),
        },
        Migration {
            version: 4,
            description: "failure counters of contacts and stand-ins, refusal windows",
            sql: include_str!("0004_login_failures.sql"),
        },
        Migration {
            version: 5,
            description: "firms found by a key the host chooses",
            sql: include_str!("0005_firm_key.sql"),
        },
        Migration {
            version: 6,
            description: "phases of their own; evidence definitions, submissions, checklist items",
            sql: include_str!("0006_phases_evidence.sql"),
        },
        Migration {
            version: 7,
            description: "staff preview links; sessions marked as previews",
            sql: include_str!("0007_previews.sql"),
        },
        Migration {
            version: 8,
            description: "document requests: uploads and the rows of stored files",
            sql: include_str!("0008_files.sql"),
        },
        Migration {
            version: 9,
            description: "credentials handed over, sealed, one per credential task",
            sql: include_str!("0009_credentials.sql"),
        },
        Migration {
            version: 10,
            description: "comments on tasks, questions to the firm; audit entries name client and task",
            sql: include_str!("0010_conversation.sql"),
        },
        Migration {
            version: 11,
            description: "outbox",
            sql: include_str!("0011_outbox.sql"),
        },
        Migration {
            version: 12,
            description: "notices: task announcements and reminders, reminder pauses, staff recipients, activity cursors, digest items",
            sql: include_str!("0012_notices.sql"),
        },
    ];

    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error> {
        // Take the write lock now: a deferred transaction that reads first and writes
        // later fails with SQLITE_BUSY, without waiting, if another write got in between.
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn lock(_: &mut Self::Connection, _: Lock<'_>) -> Result<(), sqlx::Error> {
        // The transaction's write lock covers every key: one writer at a time.
        Ok(())
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
