//! What clients hear of their tasks: when each task was announced, how many reminders
//! went out and when the next is due (`portal_task_notices`), and each contact's
//! reminder pause (`portal_contacts.reminders_paused_until`).
//!
//! A task is *open for the client* by one SQL predicate, `open_for_client!`, the
//! rule of [`is_open_for_client`] written once for every statement here that asks it;
//! the partial index `portal_tasks_open_for_client` (migration 12) is on the same
//! predicate, so that the announce scan walks only the open tasks, oldest first, and
//! the reminder scan walks `portal_task_notices_due` from the earliest due.
//!
//! Announcing and recording reminders are compare-and-set steps, decided on the tasks'
//! rows as they are under their locks ([`Dialect::LOCK_TASK`], the lock every write
//! that decides on a task takes, a completion and a withdrawal included), taken in id
//! order so that two rounds over overlapping tasks never wait on each other in a
//! cycle. Under those locks each task is written by one conditional statement whose
//! count of changed rows decides: a task no longer open, announced meanwhile, or whose
//! next reminder moved, changes no row, and the whole step (its messages included)
//! is rolled back. The messages are queued first, before the other writes, as every
//! operation that causes messages does. The lock order is the tasks': the tasks, then
//! (for a pause) the contact, then the audit head.

use std::collections::BTreeMap;

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::id::{ClientId, ContactId, TaskId};
#[cfg(doc)]
use portal_core::notice::is_open_for_client;
use portal_core::notice::{Recipient, TaskNotices};
use portal_core::outbox::QueuedMessage;
use portal_core::task::Task;

use super::tasks::with_checks;
use super::{Engine, append_audit, commit, outbox};
use crate::columns::{contact_columns, notice_columns, task_columns};
use crate::dialect::Dialect;
use crate::rows;
use crate::stmt::sql;

/// The rule of [`is_open_for_client`] on the row of `portal_tasks` aliased `$t`: the
/// client's to do (`Side::Client`), not withdrawn, not completed
/// (`TaskStatus::Completed`). Written once here; `portal_tasks_open_for_client` is a
/// partial index on the same predicate.
macro_rules! open_for_client {
    ($t:literal) => {
        concat!(
            $t,
            "assignee = 'client' AND ",
            $t,
            "withdrawn_at IS NULL AND ",
            $t,
            "status <> 'completed'"
        )
    };
}

/// At most `$2` tasks open for the client, never announced, created at or before `$1`,
/// earliest created first, along `portal_tasks_open_for_client`.
const TO_ANNOUNCE: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM portal_tasks t WHERE ",
    open_for_client!("t."),
    " AND t.created_at <= $1 \
     AND NOT EXISTS (SELECT 1 FROM portal_task_notices n WHERE n.task_id = t.id) \
     ORDER BY t.created_at, t.id LIMIT $2"
);

/// Announces task `$1` at `$2`, its first reminder due at `$3`, if it is open for the
/// client and was never announced: one row changed, or none.
const ANNOUNCE: &str = concat!(
    "INSERT INTO portal_task_notices (task_id, announced_at, reminders_sent, \
     next_reminder_at) SELECT t.id, $2, 0, $3 FROM portal_tasks t WHERE t.id = $1 AND ",
    open_for_client!("t."),
    " ON CONFLICT (task_id) DO NOTHING"
);

/// At most `$2` announced tasks open for the client whose next reminder is due at or
/// before `$1`, with their notices, earliest due first, along
/// `portal_task_notices_due`. The task's columns and the notices' share no name.
const TO_REMIND: &str = concat!(
    "SELECT ",
    task_columns!(),
    ", ",
    notice_columns!(),
    " FROM portal_task_notices n JOIN portal_tasks t ON t.id = n.task_id \
     WHERE n.next_reminder_at IS NOT NULL AND n.next_reminder_at <= $1 AND ",
    open_for_client!("t."),
    " ORDER BY n.next_reminder_at, n.task_id LIMIT $2"
);

/// Counts `$4` more reminders of task `$1` (one per time it was given) and sets its
/// next to `$3`, if the task is open for the client and its next reminder is still the
/// one due at `$2`: one row changed, or none.
const REMINDED: &str = concat!(
    "UPDATE portal_task_notices SET reminders_sent = reminders_sent + $4, \
     next_reminder_at = $3 WHERE task_id = $1 AND next_reminder_at = $2 \
     AND EXISTS (SELECT 1 FROM portal_tasks t WHERE t.id = $1 AND ",
    open_for_client!("t."),
    ")"
);

/// The contacts holding a grant to client `$1`, along `portal_grants_by_client`, with
/// the grant's permissions and their pause. The contact's columns and the grant's share
/// no name.
const RECIPIENTS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    ", reminders_paused_until, permissions FROM portal_grants g \
     JOIN portal_contacts c ON c.id = g.contact_id WHERE g.client_id = $1 ORDER BY g.seq"
);

const PAUSE: &str = "UPDATE portal_contacts SET reminders_paused_until = $2 WHERE id = $1";

/// Locks the rows of `tasks` in id order in the caller's transaction; `false` if one
/// of them does not exist.
async fn lock_tasks<DB: Dialect>(
    c: &mut DB::Connection,
    tasks: impl Iterator<Item = TaskId>,
) -> Result<bool, StoreError> {
    for task in tasks {
        if sql::<DB>(DB::LOCK_TASK)
            .id(task.as_uuid())
            .optional(c)
            .await?
            .is_none()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn tasks_to_announce(
        &self,
        created_before: Timestamp,
        batch: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let mut c = self.conn().await?;
        let found = sql::<DB>(TO_ANNOUNCE)
            .ts(created_before)
            .int(i64::from(batch))
            .all(&mut c)
            .await?;
        with_checks::<DB>(&mut c, &found).await
    }

    pub(crate) async fn announce_tasks(
        &self,
        tasks: &[(TaskId, Option<Timestamp>)],
        at: Timestamp,
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        // In id order, each task once (the last time given with it, as a map keeps it).
        let tasks: BTreeMap<TaskId, Option<Timestamp>> = tasks.iter().copied().collect();
        // A refusal returns with the transaction unfinished: dropped, it rolls back,
        // the messages with the rest.
        let mut tx = self.write().await?;
        outbox::queue_in::<DB>(&mut tx, messages).await?;
        if !lock_tasks::<DB>(&mut tx, tasks.keys().copied()).await? {
            return Ok(false);
        }
        for (task, first_reminder) in &tasks {
            let announced = sql::<DB>(ANNOUNCE)
                .id(task.as_uuid())
                .ts(at)
                .opt_ts(*first_reminder)
                .run(&mut tx)
                .await?;
            if announced == 0 {
                return Ok(false);
            }
        }
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn tasks_to_remind(
        &self,
        now: Timestamp,
        batch: u32,
    ) -> Result<Vec<(Task, TaskNotices)>, StoreError> {
        let mut c = self.conn().await?;
        let found = sql::<DB>(TO_REMIND)
            .ts(now)
            .int(i64::from(batch))
            .all(&mut c)
            .await?;
        let tasks = with_checks::<DB>(&mut c, &found).await?;
        tasks
            .into_iter()
            .zip(&found)
            .map(|(task, r)| Ok((task, rows::task_notices(r)?)))
            .collect()
    }

    pub(crate) async fn record_reminders(
        &self,
        reminded: &[(TaskId, Timestamp, Option<Timestamp>)],
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        // In id order, each task once: a task given twice is counted twice, with the
        // last next time given, and only if both were due at the same time.
        let mut tasks: BTreeMap<TaskId, (Timestamp, i64, Option<Timestamp>)> = BTreeMap::new();
        let mut consistent = true;
        for (task, due, next) in reminded {
            let entry = tasks.entry(*task).or_insert((*due, 0, None));
            consistent &= entry.0 == *due;
            entry.1 += 1;
            entry.2 = *next;
        }
        let mut tx = self.write().await?;
        outbox::queue_in::<DB>(&mut tx, messages).await?;
        if !consistent || !lock_tasks::<DB>(&mut tx, tasks.keys().copied()).await? {
            return Ok(false);
        }
        for (task, (due, count, next)) in &tasks {
            let counted = sql::<DB>(REMINDED)
                .id(task.as_uuid())
                .ts(*due)
                .opt_ts(*next)
                .int(*count)
                .run(&mut tx)
                .await?;
            if counted == 0 {
                return Ok(false);
            }
        }
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn client_recipients(
        &self,
        client: ClientId,
    ) -> Result<Vec<Recipient>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(RECIPIENTS)
            .id(client.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::recipient)
            .collect()
    }

    pub(crate) async fn pause_reminders(
        &self,
        contact: ContactId,
        until: Option<Timestamp>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let paused = sql::<DB>(PAUSE)
            .id(contact.as_uuid())
            .opt_ts(until)
            .run(&mut tx)
            .await?;
        if paused == 0 {
            return Ok(false);
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use portal_core::task::{Side, TaskStatus};

    /// The predicate names the stored values of the rule's terms, and the partial
    /// indexes of both dialects are on the predicate word for word (a planner uses a
    /// partial index only for a query whose condition implies the index's).
    #[test]
    fn the_open_predicate_is_the_rule_and_the_index_s() {
        let open = open_for_client!("");
        assert!(open.contains(&format!("assignee = '{}'", Side::Client.as_str())));
        assert!(open.contains(&format!("status <> '{}'", TaskStatus::Completed.as_str())));
        assert!(open.contains("withdrawn_at IS NULL"));
        for migration in [
            include_str!("../postgres/0012_notices.sql"),
            include_str!("../sqlite/0012_notices.sql"),
        ] {
            assert!(migration.contains(&format!("WHERE {open};")), "{migration}");
        }
    }
}
