//! Credentials handed over in credential tasks, sealed before they reach the store.
//!
//! The writes follow the tasks' pattern: lock what the decision stands on, let the
//! domain decide ([`task_after_submitting`], [`Credential::replaced_by`],
//! [`Credential::revealed`], [`Credential::purged_now`], [`Credential::rewrapped`], as
//! the memory store does) and write the outcome with its audit entry in the same
//! transaction. Every write to a credential holds its row's lock
//! ([`Dialect::LOCK_CREDENTIAL`]), read by a statement of its own after any other lock
//! is held, so the credential decided on is the one the last writer committed: a
//! replacement racing a reveal either committed first, and the reveal reads it, or
//! finds the reveal committed, and is refused.
//!
//! A submission also completes the task, so it locks the task's row first: the task,
//! then the credential, then the audit head. Reveals, purges and rotations lock only
//! the credential, then the head. No operation locks a task after a credential, so no two wait on each other in a
//! cycle.
//!
//! Nothing here reads, logs or compares a value: the fields are sealed, and are
//! written and read back as the JSON of what the vault made.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::credential::{Credential, CredentialRefusal, task_after_submitting};
use portal_core::evidence::Evidence;
use portal_core::id::TaskId;
use portal_core::store::AuditFn;
use portal_core::task::Completion;
use portal_core::vault::KeyId;

use super::tasks::{read_task, write_task};
use super::{Engine, append_audit, commit};
use crate::columns::credential_columns;
use crate::dialect::Dialect;
use crate::rows;
use crate::stmt::sql;

/// Writes a credential as the domain decided it: inserted for its task's first
/// submission, the whole row replaced after. Every caller holds the task's or the
/// credential's lock, so the row it replaces is the one it decided on.
const WRITE_CREDENTIAL: &str = concat!(
    "INSERT INTO portal_credentials (",
    credential_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (task_id) DO UPDATE SET firm_id = excluded.firm_id, \
     client_id = excluded.client_id, key_id = excluded.key_id, fields = excluded.fields, \
     version = excluded.version, submitted_by = excluded.submitted_by, \
     submitted_at = excluded.submitted_at, revealed_at = excluded.revealed_at, \
     purged_at = excluded.purged_at"
);

const CREDENTIAL: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM portal_credentials WHERE task_id = $1"
);

// Two statements rather than `($3 IS NULL OR task_id > $3)`, so that a cached generic
// plan still walks the primary key from `after`. Both dialects compare ids as bytes
// (PostgreSQL's `UUID` and SQLite's 16-byte `BLOB` alike), the order of `TaskId`.
const TO_ROTATE: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM portal_credentials WHERE purged_at IS NULL AND key_id <> $1 \
     ORDER BY task_id LIMIT $2"
);

const TO_ROTATE_AFTER: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM portal_credentials WHERE purged_at IS NULL AND key_id <> $1 AND task_id > $3 \
     ORDER BY task_id LIMIT $2"
);

/// The credentials not purged whose task was closed at or before `$1`: the time a task
/// was closed is `credential::closed_at`'s, its withdrawal, or else its completion's
/// time while it is completed (a task is completed exactly when its status is, and
/// `completed_at` is its completion's time).
macro_rules! closed_sql {
    ($after:literal) => {
        concat!(
            "SELECT ",
            credential_columns!("c."),
            " FROM portal_credentials c JOIN portal_tasks t ON t.id = c.task_id \
             WHERE c.purged_at IS NULL AND COALESCE(t.withdrawn_at, \
             CASE WHEN t.status = 'completed' THEN t.completed_at END) <= $1",
            $after,
            " ORDER BY c.task_id LIMIT $2"
        )
    };
}

const CLOSED: &str = closed_sql!("");

const CLOSED_AFTER: &str = closed_sql!(" AND c.task_id > $3");

/// A credential's row locked until the caller's transaction ends.
async fn lock_credential<DB: Dialect>(
    c: &mut DB::Connection,
    task: TaskId,
) -> Result<Option<Credential>, StoreError> {
    sql::<DB>(DB::LOCK_CREDENTIAL)
        .id(task.as_uuid())
        .optional(c)
        .await?
        .map(|r| rows::credential(&r))
        .transpose()
}

/// Writes `credential` in the caller's transaction, which holds its lock.
async fn write_credential<DB: Dialect>(
    c: &mut DB::Connection,
    credential: &Credential,
) -> Result<(), StoreError> {
    let fields = rows::credential_fields_json(&credential.fields)?;
    sql::<DB>(WRITE_CREDENTIAL)
        .id(credential.task_id.as_uuid())
        .id(credential.firm_id.as_uuid())
        .id(credential.client_id.as_uuid())
        .text(credential.key_id.as_str())
        .text(&fields)
        .int(i64::from(credential.version))
        .id(credential.submitted_by.as_uuid())
        .ts(credential.submitted_at)
        .opt_ts(credential.revealed_at)
        .opt_ts(credential.purged_at)
        .run(c)
        .await?;
    Ok(())
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn submit_credential(
        &self,
        credential: &Credential,
        checked_against: &Evidence,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<Result<Credential, CredentialRefusal>>, StoreError> {
        // A refusal returns with the transaction unfinished: dropped, it rolls back.
        let mut tx = self.write().await?;
        let Some(task) = read_task::<DB>(&mut tx, credential.task_id, true).await? else {
            return Ok(None);
        };
        let done = match task_after_submitting(&task, checked_against, completion) {
            Ok(done) => done,
            Err(refusal) => return Ok(Some(Err(refusal))),
        };
        let stored = match lock_credential::<DB>(&mut tx, task.id).await? {
            Some(current) => match current.replaced_by(credential) {
                Ok(next) => next,
                Err(refusal) => return Ok(Some(Err(refusal))),
            },
            None => credential.clone(),
        };
        write_credential::<DB>(&mut tx, &stored).await?;
        write_task::<DB>(&mut tx, &done).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some(Ok(stored)))
    }

    pub(crate) async fn credential(&self, task: TaskId) -> Result<Option<Credential>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CREDENTIAL)
            .id(task.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::credential(&r))
            .transpose()
    }

    pub(crate) async fn reveal_credential(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditFn<'_, Credential>,
    ) -> Result<Option<Credential>, StoreError> {
        let mut tx = self.write().await?;
        let Some(current) = lock_credential::<DB>(&mut tx, task).await? else {
            return Ok(None);
        };
        let Some(revealed) = current.revealed(at) else {
            return Ok(None);
        };
        // Only the first reveal changes the row; every one is recorded.
        if revealed != current {
            write_credential::<DB>(&mut tx, &revealed).await?;
        }
        if let Some(draft) = audit(&revealed) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Some(revealed))
    }

    pub(crate) async fn purge_credential(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<(Credential, bool)>, StoreError> {
        let mut tx = self.write().await?;
        let Some(current) = lock_credential::<DB>(&mut tx, task).await? else {
            return Ok(None);
        };
        let Some(purged) = current.purged_now(at) else {
            return Ok(Some((current, false)));
        };
        write_credential::<DB>(&mut tx, &purged).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some((purged, true)))
    }

    pub(crate) async fn closed_credentials(
        &self,
        closed_before: Timestamp,
        after: Option<TaskId>,
        batch: u32,
    ) -> Result<Vec<Credential>, StoreError> {
        let q = match after {
            Some(after) => sql::<DB>(CLOSED_AFTER)
                .ts(closed_before)
                .int(i64::from(batch))
                .id(after.as_uuid()),
            None => sql::<DB>(CLOSED).ts(closed_before).int(i64::from(batch)),
        };
        let mut c = self.conn().await?;
        q.all(&mut c).await?.iter().map(rows::credential).collect()
    }

    pub(crate) async fn credentials_to_rotate(
        &self,
        active: &KeyId,
        after: Option<TaskId>,
        batch: u32,
    ) -> Result<Vec<Credential>, StoreError> {
        let q = match after {
            Some(after) => sql::<DB>(TO_ROTATE_AFTER)
                .text(active.as_str())
                .int(i64::from(batch))
                .id(after.as_uuid()),
            None => sql::<DB>(TO_ROTATE)
                .text(active.as_str())
                .int(i64::from(batch)),
        };
        let mut c = self.conn().await?;
        q.all(&mut c).await?.iter().map(rows::credential).collect()
    }

    pub(crate) async fn rewrap_credential(
        &self,
        rewrapped: &Credential,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let Some(next) = lock_credential::<DB>(&mut tx, rewrapped.task_id)
            .await?
            .and_then(|current| current.rewrapped(rewrapped))
        else {
            return Ok(false);
        };
        write_credential::<DB>(&mut tx, &next).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }
}
