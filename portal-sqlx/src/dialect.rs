//! What differs between PostgreSQL and SQLite: how a writing transaction starts, how
//! rows and keys are locked, how a list of values is passed as one parameter, and the
//! schema. Everything else is shared SQL.
//!
//! PostgreSQL runs at `READ COMMITTED` with many concurrent writers, so operations lock
//! what they decide on: the contact row first (`FOR NO KEY UPDATE`), then its grants
//! and the rows of its links, codes and sessions; a client's row before one of its
//! tasks' (an upload counts the client's stored bytes); and a firm's audit head last,
//! always in that order so that two operations never wait on each other in a cycle. SQLite
//! has one writer at a time: every writing transaction starts with `BEGIN IMMEDIATE`,
//! which takes the database's write lock up front (waiting out the busy timeout), so
//! nothing needs locking row by row and a read never has to be upgraded to a write
//! mid-transaction (the upgrade is what fails with `SQLITE_BUSY` without waiting).

use portal_core::token::TokenDigest;
use sqlx::{Pool, Transaction};

use crate::db::Db;

/// One step of the schema.
#[derive(Debug)]
pub(crate) struct Migration {
    /// Applied in increasing order; recorded in `portal_schema_migrations`.
    pub(crate) version: i64,
    /// What it does, for people reading the migrations table.
    pub(crate) description: &'static str,
    /// The statements, separated by `;`.
    pub(crate) sql: &'static str,
}

/// A lock held until the end of the current transaction.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lock<'a> {
    /// Migrations: one migrator at a time, whatever the number of instances.
    Migrations,
    /// One throttle key: its hits are counted and recorded by one transaction at a time.
    // Only PostgreSQL locks by key; SQLite's write lock already covers every key.
    Throttle(#[cfg_attr(not(feature = "postgres"), allow(dead_code))] &'a TokenDigest),
}

/// A database Portal runs on.
pub(crate) trait Dialect: Db + Sized {
    /// Reads a contact's status and firm, locking the contact row against concurrent
    /// changes (suspension, revocation, grants, other logins, switches) until the
    /// transaction ends. `$1` is the contact id.
    const LOCK_CONTACT: &'static str;
    /// Reads a firm's audit head, locking it until the transaction ends. `$1` is the
    /// firm id.
    const LOCK_AUDIT_HEAD: &'static str;
    /// Reads a task's row (the columns `rows::task` reads), locking it until the
    /// transaction ends, so that writes deciding on the task run one after the other.
    /// `$1` is the task id.
    const LOCK_TASK: &'static str;
    /// Reads the ids of a client's tasks, locking their rows in id order until the
    /// transaction ends (one order for every caller, so that two reorders never wait
    /// on each other in a cycle). `$1` is the client id.
    const LOCK_CLIENT_TASKS: &'static str;
    /// Reads a client's id, locking its row until the transaction ends, so that the
    /// uploads to any of its tasks count its stored bytes one after the other. Taken
    /// before [`Dialect::LOCK_TASK`], never after. `$1` is the client id.
    const LOCK_CLIENT: &'static str;
    /// Reads a file's row (the columns `rows::stored_file` reads), locking it until the
    /// transaction ends, so that a contact's deletion of a dropped file and a staff
    /// download of it run one after the other. Taken before [`Dialect::LOCK_TASK`] of
    /// the file's task, never after. `$1` is the file id.
    const LOCK_FILE: &'static str;
    /// Reads the `id` and `blob` of at most `$2` files whose expiry is at or before
    /// `$1` and that are not removed yet, locking their rows until the transaction
    /// ends. Where rows are locked one by one, those another transaction holds are
    /// passed over, so that sweeps running at once each remove their own files.
    const LOCK_EXPIRED_FILES: &'static str;
    /// Reads a credential's row (the columns `rows::credential` reads), locking it until
    /// the transaction ends, so that submissions, reveals, purges and rotations of one
    /// credential run one after the other. Taken after [`Dialect::LOCK_TASK`] of its
    /// task when both are taken, never before. `$1` is the task id.
    const LOCK_CREDENTIAL: &'static str;
    /// Claims outbox messages, in one statement: sets `claim_id = $1` and
    /// `claim_until = $2` on at most `$5` messages claimable at `$3` (queued, due, under
    /// no live claim, and either unsealed or sealed under one of the keys given as one
    /// JSON array of strings in `$4`), the earliest due first, then by id; returns them
    /// (the columns `rows::queued_message` reads), in no particular order. The keys are
    /// one bound value rather than a placeholder each, so that one statement, prepared
    /// once, serves any number of keys (each database unpacks the array in its own way,
    /// as [`Dialect::REFERENCED_BLOBS`] does); an empty array leaves only unsealed
    /// messages. Where rows are locked one by one, those another claim holds are passed
    /// over, so that claims made at once never share a message.
    const CLAIM_MESSAGES: &'static str;
    /// Reads a message's `state`, `claim_id`, `attempts` and `key_id`, locking its row
    /// until the transaction ends, so that the attempts recorded on one message (and its
    /// giving up) run one after the other. `$1` is the message id.
    const LOCK_MESSAGE: &'static str;
    /// Gives up at most `$3` messages still queued since before `$1` and under no claim
    /// live at `$2`, in one statement: each becomes `$5` (failed), counts one more
    /// attempt, is released from any claim that ran out, and has its payload replaced
    /// by `$4` (empty) when it is sealed; returns their `id` and `attempts`. Where rows
    /// are locked one by one, those another transaction holds are passed over: a give-up
    /// running at once, or an attempt being recorded, decides on them.
    const GIVE_UP_MESSAGES: &'static str;
    /// Selects the `blob` of every file row that names one of the blob names given as
    /// one JSON array of strings in `$1`: one statement, prepared once, whatever the
    /// number of names (each database unpacks the array in its own way).
    const REFERENCED_BLOBS: &'static str;
    /// Creates `portal_schema_migrations` if it does not exist.
    const MIGRATIONS_TABLE: &'static str;
    /// The schema, in order.
    const MIGRATIONS: &'static [Migration];

    /// Starts a transaction that will write.
    async fn begin_write(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, sqlx::Error>;
    /// Takes `lock` until the end of the transaction `c` is in.
    async fn lock(c: &mut Self::Connection, lock: Lock<'_>) -> Result<(), sqlx::Error>;
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// [`Dialect::LOCK_CONTACT`] with the dialect's locking clause appended. It reads the
/// contact row only: on PostgreSQL, a statement that waited for the lock returns the
/// locked row as it is now, but any other table it read as it was when the statement
/// started, so what depends on the lock (the grants) is read by a later statement.
macro_rules! lock_contact_sql {
    ($locking:literal) => {
        concat!(
            "SELECT status, firm_id FROM portal_contacts WHERE id = $1",
            $locking
        )
    };
}

/// [`Dialect::LOCK_AUDIT_HEAD`] with the dialect's locking clause appended.
macro_rules! lock_audit_head_sql {
    ($locking:literal) => {
        concat!(
            "SELECT seq, hash FROM portal_audit_heads WHERE firm_id = $1",
            $locking
        )
    };
}

/// [`Dialect::LOCK_TASK`] with the dialect's locking clause appended.
macro_rules! lock_task_sql {
    ($locking:literal) => {
        concat!(
            "SELECT ",
            crate::columns::task_columns!(),
            " FROM portal_tasks WHERE id = $1",
            $locking
        )
    };
}

/// [`Dialect::LOCK_CLIENT`] with the dialect's locking clause appended.
macro_rules! lock_client_sql {
    ($locking:literal) => {
        concat!("SELECT id FROM portal_clients WHERE id = $1", $locking)
    };
}

/// [`Dialect::LOCK_FILE`] with the dialect's locking clause appended.
macro_rules! lock_file_sql {
    ($locking:literal) => {
        concat!(
            "SELECT ",
            crate::columns::file_columns!(),
            " FROM portal_files WHERE id = $1",
            $locking
        )
    };
}

/// [`Dialect::LOCK_EXPIRED_FILES`] with the dialect's locking clause appended. The
/// oldest expiries first, on the index of the files still to remove.
macro_rules! lock_expired_files_sql {
    ($locking:literal) => {
        concat!(
            "SELECT id, blob FROM portal_files \
             WHERE expires_at <= $1 AND removed_at IS NULL \
             ORDER BY expires_at, id LIMIT $2",
            $locking
        )
    };
}

/// [`Dialect::LOCK_CREDENTIAL`] with the dialect's locking clause appended.
macro_rules! lock_credential_sql {
    ($locking:literal) => {
        concat!(
            "SELECT ",
            crate::columns::credential_columns!(),
            " FROM portal_credentials WHERE task_id = $1",
            $locking
        )
    };
}

/// [`Dialect::LOCK_CLIENT_TASKS`] with the dialect's locking clause appended.
macro_rules! lock_client_tasks_sql {
    ($locking:literal) => {
        concat!(
            "SELECT id FROM portal_tasks WHERE client_id = $1 ORDER BY id",
            $locking
        )
    };
}

/// [`Dialect::CLAIM_MESSAGES`] with the dialect's unpacking of the key array and its
/// locking clause. The claimable messages are found along `portal_outbox_messages_due`
/// `(state, due_at, id)`.
macro_rules! claim_messages_sql {
    ($keys:literal, $locking:literal) => {
        concat!(
            "UPDATE portal_outbox_messages SET claim_id = $1, claim_until = $2 \
             WHERE id IN (SELECT id FROM portal_outbox_messages \
             WHERE state = 'queued' AND due_at <= $3 \
             AND (claim_until IS NULL OR claim_until <= $3) \
             AND (key_id IS NULL OR key_id IN (",
            $keys,
            ")) ORDER BY due_at, id LIMIT $5",
            $locking,
            ") RETURNING ",
            crate::columns::outbox_message_columns!()
        )
    };
}

/// [`Dialect::LOCK_MESSAGE`] with the dialect's locking clause appended.
macro_rules! lock_message_sql {
    ($locking:literal) => {
        concat!(
            "SELECT state, claim_id, attempts, key_id FROM portal_outbox_messages WHERE id = $1",
            $locking
        )
    };
}

/// [`Dialect::GIVE_UP_MESSAGES`] with the dialect's locking clause. The outer
/// `state = 'queued'` repeats the inner one for the rows a concurrent give-up changed
/// between this statement's snapshot and its lock.
macro_rules! give_up_messages_sql {
    ($locking:literal) => {
        concat!(
            "UPDATE portal_outbox_messages SET state = $5, attempts = attempts + 1, \
             claim_id = NULL, claim_until = NULL, \
             payload = CASE WHEN key_id IS NULL THEN payload ELSE $4 END \
             WHERE state = 'queued' AND id IN (SELECT id FROM portal_outbox_messages \
             WHERE state = 'queued' AND queued_at < $1 \
             AND (claim_until IS NULL OR claim_until <= $2) \
             ORDER BY queued_at, id LIMIT $3",
            $locking,
            ") RETURNING id, attempts"
        )
    };
}

pub(crate) use {
    claim_messages_sql, give_up_messages_sql, lock_audit_head_sql, lock_client_sql,
    lock_client_tasks_sql, lock_contact_sql, lock_credential_sql, lock_expired_files_sql,
    lock_file_sql, lock_message_sql, lock_task_sql,
};
