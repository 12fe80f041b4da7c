//! PostgreSQL: [`PgStore`], for one or many application instances sharing a database.

use std::fmt;
use std::str::FromStr;

use portal_core::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgQueryResult};
use sqlx::{Executor as _, Pool, Postgres, Transaction};

use crate::dialect::{
    Dialect, Lock, Migration, claim_messages_sql, give_up_messages_sql, lock_audit_head_sql,
    lock_client_sql, lock_client_tasks_sql, lock_contact_sql, lock_credential_sql,
    lock_expired_files_sql, lock_file_sql, lock_message_sql, lock_task_sql,
};
use crate::engine::Engine;
use crate::error::store_error;
use crate::settings::PoolSettings;

/// A [`Store`](portal_core::Store) on PostgreSQL.
///
/// Cheap to clone (it wraps a connection pool). Every guarantee of the store traits
/// holds across application instances: single-use links and codes are decided by one
/// conditional `UPDATE`, and the rows an operation decides on are locked for the rest
/// of its transaction. Tables are named `portal_*`; [`PgStore::connect_with_schema`]
/// puts them in a schema of their own instead.
///
/// Connections are plain TCP or Unix sockets: the crate is built without TLS support,
/// for a database on the same host or a private network. Run the database behind a
/// TLS-terminating proxy, or on the same machine, if the network between is not
/// trusted.
#[derive(Clone)]
pub struct PgStore {
    engine: Engine<Postgres>,
    schema: Option<String>,
}

portal_core::forward_store!(PgStore => engine);

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("engine", &self.engine)
            .field("schema", &self.schema)
            .finish()
    }
}

/// A schema name that is not a plain lower-case identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a schema name is 1 to 63 of a-z, 0-9 and _, not starting with a digit: {0:?}")]
pub struct InvalidSchemaName(pub String);

fn check_schema(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Refused(Box::new(InvalidSchemaName(
            schema.to_owned(),
        ))))
    }
}

impl PgStore {
    /// Connects a pool with [`PoolSettings::default`] to `url`, e.g.
    /// `postgres://portal@localhost/portal`. Call [`PgStore::migrate`] before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None, &PoolSettings::default()).await
    }

    /// Like [`PgStore::connect`], with Portal's tables in `schema` (created by
    /// [`PgStore::migrate`] if missing): every connection of the pool starts with
    /// `search_path` set to it. Keeps Portal apart from the host's own tables, and lets
    /// tests give each run a fresh schema. `schema` is a plain lower-case identifier.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Some(schema), &PoolSettings::default()).await
    }

    /// Connects a pool to `url` with `settings`, Portal's tables in `schema` if one is
    /// given (as [`PgStore::connect_with_schema`]). Every connection starts with
    /// `lock_timeout` set to [`PoolSettings::lock_timeout`]. Fails as
    /// [`StoreError::Unavailable`] if the server cannot be reached within
    /// [`PoolSettings::acquire_timeout`].
    pub async fn connect_with(
        url: &str,
        schema: Option<&str>,
        settings: &PoolSettings,
    ) -> Result<Self, StoreError> {
        if let Some(schema) = schema {
            check_schema(schema)?;
        }
        let lock_timeout = format!("{}ms", settings.lock_timeout.as_millis().max(1));
        let mut options = PgConnectOptions::from_str(url)
            .map_err(store_error)?
            .options([("lock_timeout", lock_timeout.as_str())]);
        if let Some(schema) = schema {
            options = options.options([("search_path", schema)]);
        }
        let pool = settings
            .pool_options()
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(PgStore {
            engine: Engine::new(pool),
            schema: schema.map(str::to_owned),
        })
    }

    /// A store on a pool the host configured itself. Portal's tables are found through
    /// the connections' `search_path`. The pool should bound its acquire timeout and
    /// test connections before use, as [`PoolSettings`] does.
    #[must_use]
    pub fn from_pool(pool: PgPool) -> Self {
        PgStore {
            engine: Engine::new(pool),
            schema: None,
        }
    }

    /// The pool, e.g. to share it with the host or to close it.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        self.engine.pool()
    }

    /// Creates the schema (if one was given) and applies the migrations not yet
    /// applied; safe to call from every instance at every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let Some(schema) = &self.schema {
            let mut tx = self.pool().begin().await.map_err(store_error)?;
            Postgres::lock(&mut tx, Lock::Migrations)
                .await
                .map_err(store_error)?;
            // `schema` passed `check_schema`: a bare identifier, safe to splice in.
            let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            sqlx::raw_sql(&create)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
            tx.commit().await.map_err(store_error)?;
        }
        crate::migrate::migrate(self.pool()).await
    }
}

/// Takes the advisory lock of migrations (`pg_advisory_xact_lock(bigint)`, the key
/// "portal" in ASCII: 0x706f_7274_616c), waiting for it whole: another instance's
/// migrations may take longer than `lock_timeout` allows a request to wait. One script
/// of constants, so that both statements run on the connection in turn.
const MIGRATION_LOCK_SQL: &str =
    "SET LOCAL lock_timeout = 0; SELECT pg_advisory_xact_lock(123623963910508)";
/// The class of the throttle locks (`pg_advisory_xact_lock(int, int)`, whose key space
/// is apart from the one-bigint form): "thrt" in ASCII.
const THROTTLE_LOCK_CLASS: i32 = 0x7468_7274;

impl Dialect for Postgres {
    const LOCK_CONTACT: &'static str = lock_contact_sql!(" FOR NO KEY UPDATE");
    const LOCK_AUDIT_HEAD: &'static str = lock_audit_head_sql!(" FOR UPDATE");
    // NO KEY: the checked items referring to the task do not wait for it.
    const LOCK_TASK: &'static str = lock_task_sql!(" FOR NO KEY UPDATE");
    const LOCK_CLIENT_TASKS: &'static str = lock_client_tasks_sql!(" FOR NO KEY UPDATE");
    // NO KEY: rows that refer to the client (its files, tasks, grants) do not wait for
    // it; uploads to its tasks do.
    const LOCK_CLIENT: &'static str = lock_client_sql!(" FOR NO KEY UPDATE");
    const LOCK_FILE: &'static str = lock_file_sql!(" FOR UPDATE");
    // SKIP LOCKED: a file another sweep holds is its to remove, and one a deletion or a
    // download holds is left to the next sweep, which finds it again if still due.
    const LOCK_EXPIRED_FILES: &'static str = lock_expired_files_sql!(" FOR UPDATE SKIP LOCKED");
    const LOCK_CREDENTIAL: &'static str = lock_credential_sql!(" FOR UPDATE");
    // SKIP LOCKED on both rows: a credential another purge holds is its to purge, and
    // one whose task a submission or an edit holds (or that a reveal holds) is left to
    // the next purge, which finds it again if still due. The task is locked too (as
    // `LOCK_TASK` locks it), so that its closing is checked on the row as it is under
    // the lock: a task reopened meanwhile is passed over.
    // SKIP LOCKED: a message another claim is taking is its to take; the next one due
    // is taken instead, so that claims made at once by any number of workers never
    // share a message and never wait on each other.
    const CLAIM_MESSAGES: &'static str = claim_messages_sql!(
        "SELECT json_array_elements_text($4::json)",
        " FOR UPDATE SKIP LOCKED"
    );
    const LOCK_MESSAGE: &'static str = lock_message_sql!(" FOR UPDATE");
    // SKIP LOCKED: a message another give-up holds is its to give up, and one whose
    // attempt is being recorded is decided by that attempt.
    const GIVE_UP_MESSAGES: &'static str = give_up_messages_sql!(" FOR UPDATE SKIP LOCKED");
    const REFERENCED_BLOBS: &'static str = "SELECT DISTINCT blob FROM portal_files \
         WHERE blob IN (SELECT json_array_elements_text($1::json))";
    const MIGRATIONS_TABLE: &'static str = "CREATE TABLE IF NOT EXISTS portal_schema_migrations (\
         version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, \
         checksum BYTEA NOT NULL, \
         applied_at BIGINT NOT NULL \
           DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)";
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
        pool.begin().await
    }

    async fn lock(c: &mut Self::Connection, lock: Lock<'_>) -> Result<(), sqlx::Error> {
        match lock {
            Lock::Migrations => {
                c.execute(sqlx::raw_sql(MIGRATION_LOCK_SQL)).await?;
            }
            Lock::Throttle(key) => {
                // Keys are uniform digests: 32 of their bits spread keys over the lock
                // space; a rare collision only makes two keys wait for each other.
                let b = key.as_bytes();
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                    .bind(THROTTLE_LOCK_CLASS)
                    .bind(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                    .execute(c)
                    .await?;
            }
        }
        Ok(())
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}
