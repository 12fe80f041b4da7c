//! Tasks, their phases, submissions and checklist items.
//!
//! Writes that decide on what a task holds (edit, withdraw, set a status) lock its row
//! ([`Dialect::LOCK_TASK`]), let the domain decide ([`Task::edited`] and its kin, as the
//! memory store does) and write the outcome. A submission is one conditional update
//! (the first one stands however many race); a checklist item is a row of its own,
//! inserted or deleted, and the task's status is set from the count of checked items
//! under the task's lock, so that checks from both sides at once end consistent.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::evidence::{Evidence, Submission};
use portal_core::id::{ClientId, PhaseId, TaskId};
use portal_core::phase::Phase;
use portal_core::task::{
    Completion, ItemCheck, Task, TaskEdit, TaskOutcome, TaskStatus, checklist_completion,
    checklist_status,
};
use sqlx::Transaction;
use uuid::Uuid;

use super::{Engine, append_audit, commit};
use crate::columns::{item_columns, phase_columns, task_columns};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows;
use crate::stmt::{SqlRow, sql};

const INSERT_TASK: &str = concat!(
    "INSERT INTO portal_tasks (",
    task_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19, $20)"
);

/// What the domain's decisions change of a task (neither its id, client nor creation).
const WRITE_TASK: &str = "UPDATE portal_tasks SET phase_id = $2, title = $3, description = $4, \
     due_on = $5, assignee = $6, status = $7, evidence = $8, definition = $9, position = $10, \
     updated_at = $11, completed_by = $12, completed_at = $13, completion_note = $14, \
     completed_ip = $15, withdrawn_at = $16 WHERE id = $1";

const TASK: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM portal_tasks WHERE id = $1"
);

const TASKS: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM portal_tasks WHERE client_id = $1 ORDER BY position, id"
);

const ITEMS: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM portal_checklist_items WHERE task_id = $1"
);

const CLIENT_ITEMS: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM portal_checklist_items WHERE task_id IN \
     (SELECT id FROM portal_tasks WHERE client_id = $1)"
);

/// Completes a task that is not completed yet: the first completion stands, however
/// many arrive at once.
const COMPLETE: &str = "UPDATE portal_tasks SET status = 'completed', completed_by = $2, \
     completed_at = $3, completion_note = $4, completed_ip = $5, updated_at = $3 \
     WHERE id = $1 AND status <> 'completed'";

const UNCOMPLETE: &str = "UPDATE portal_tasks SET status = 'pending', completed_by = NULL, \
     completed_at = NULL, completion_note = NULL, completed_ip = NULL, updated_at = $2 \
     WHERE id = $1 AND status = 'completed'";

/// The first submission of a task not completed stands, however many arrive at once,
/// and only while the task's definition is the one it was checked against.
const SUBMIT: &str = "UPDATE portal_tasks SET submission = $2, status = 'completed', \
     completed_by = $3, completed_at = $4, completion_note = $5, completed_ip = $6, \
     updated_at = $4 WHERE id = $1 AND submission IS NULL AND status <> 'completed' \
     AND evidence = $7 AND definition IS NOT DISTINCT FROM $8";

const CHECK_ITEM: &str = "INSERT INTO portal_checklist_items (task_id, item, checked_by, \
     checked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (task_id, item) DO NOTHING";

const UNCHECK_ITEM: &str = "DELETE FROM portal_checklist_items WHERE task_id = $1 AND item = $2";

const COUNT_ITEMS: &str = "SELECT COUNT(*) AS checked FROM portal_checklist_items \
     WHERE task_id = $1";

const ITEMS_STATUS: &str = "UPDATE portal_tasks SET status = $2, updated_at = $3, \
     completed_by = $4, completed_at = $5, completion_note = NULL, completed_ip = NULL \
     WHERE id = $1";

const INSERT_PHASE: &str = concat!(
    "INSERT INTO portal_phases (",
    phase_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6)"
);

const PHASE: &str = concat!(
    "SELECT ",
    phase_columns!(),
    " FROM portal_phases WHERE id = $1"
);

const PHASES: &str = concat!(
    "SELECT ",
    phase_columns!(),
    " FROM portal_phases WHERE client_id = $1 ORDER BY position, id"
);

/// A client's tasks with their checked items, on the caller's connection.
async fn read_tasks<DB: Dialect>(
    c: &mut DB::Connection,
    client: ClientId,
) -> Result<Vec<Task>, StoreError> {
    let rows = sql::<DB>(TASKS).id(client.as_uuid()).all(c).await?;
    let mut checks = sql::<DB>(CLIENT_ITEMS)
        .id(client.as_uuid())
        .all(c)
        .await?
        .iter()
        .map(rows::item_check)
        .collect::<Result<Vec<_>, _>>()?;
    // Sorted by task, each task finds its checks by a binary search.
    checks.sort_by_key(|(task, ..)| *task);
    rows.iter().map(|r| rows::task(r, &checks)).collect()
}

/// Tasks from rows of `portal_tasks` read by any statement (the columns `rows::task`
/// reads), each with its checked items, on the caller's connection.
pub(super) async fn with_checks<DB: Dialect>(
    c: &mut DB::Connection,
    found: &[SqlRow<DB>],
) -> Result<Vec<Task>, StoreError> {
    let mut checks = Vec::new();
    for r in found {
        for check in sql::<DB>(ITEMS).id(r.id("id")?).all(c).await? {
            checks.push(rows::item_check(&check)?);
        }
    }
    // Sorted by task, each task finds its checks by a binary search.
    checks.sort_by_key(|(task, ..)| *task);
    found.iter().map(|r| rows::task(r, &checks)).collect()
}

/// A task read in the caller's transaction (locked by `lock`, or not).
pub(super) async fn read_task<DB: Dialect>(
    c: &mut DB::Connection,
    task: TaskId,
    lock: bool,
) -> Result<Option<Task>, StoreError> {
    let row = sql::<DB>(if lock { DB::LOCK_TASK } else { TASK })
        .id(task.as_uuid())
        .optional(c)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let checks = sql::<DB>(ITEMS)
        .id(task.as_uuid())
        .all(c)
        .await?
        .iter()
        .map(rows::item_check)
        .collect::<Result<Vec<_>, _>>()?;
    rows::task(&row, &checks).map(Some)
}

/// Writes what the domain decided of a task (everything but its id, client, creation
/// and checked items) in the caller's transaction, which holds the task's lock.
pub(super) async fn write_task<DB: Dialect>(
    c: &mut DB::Connection,
    next: &Task,
) -> Result<(), StoreError> {
    let completion = next.completion.as_ref();
    let by = completion.map(|c| c.by.to_stored());
    let ip = completion.and_then(|c| c.ip).map(|ip| ip.to_string());
    let definition = rows::definition(&next.evidence)?;
    let written = sql::<DB>(WRITE_TASK)
        .id(next.id.as_uuid())
        .opt_id(next.phase_id.map(|p| p.as_uuid()))
        .text(&next.title)
        .text(&next.description)
        .opt_ts(next.due_on)
        .text(next.assignee.as_str())
        .text(next.status.as_str())
        .text(next.evidence.kind().as_str())
        .opt_text(definition.as_deref())
        .int(next.position)
        .ts(next.updated_at)
        .opt_text(by.as_deref())
        .opt_ts(completion.map(|c| c.at))
        .opt_text(completion.and_then(|c| c.note.as_deref()))
        .opt_text(ip.as_deref())
        .opt_ts(next.withdrawn_at)
        .insert(c)
        .await?;
    match written {
        Ok(_) => Ok(()),
        Err(_) => Err(StoreError::Conflict("task of an unknown phase")),
    }
}

/// The task as it now is, after a write of this transaction.
async fn reread<DB: Dialect>(c: &mut DB::Connection, task: TaskId) -> Result<Task, StoreError> {
    read_task::<DB>(c, task, false)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a task vanished while written".into()))
}

fn item_index(item: usize) -> Result<i64, StoreError> {
    i64::try_from(item).map_err(|_| StoreError::Corrupt("item index out of range".into()))
}

/// Gives the rows of `client` that `select` lists (by id) the positions of `order`,
/// from 1, through `update` (`$1` the id, `$2` the position, changing only a
/// position that differs), and commits with `audit` when one moved. `false`, with
/// nothing written, unless `order` names each of those rows once.
async fn placed<DB: Dialect>(
    mut tx: Transaction<'static, DB>,
    client: ClientId,
    select: &'static str,
    update: &'static str,
    order: &[Uuid],
    audit: AuditDraft,
) -> Result<bool, StoreError> {
    let mut theirs: Vec<Uuid> = sql::<DB>(select)
        .id(client.as_uuid())
        .all(&mut tx)
        .await?
        .iter()
        .map(|r| r.id("id"))
        .collect::<Result<_, _>>()?;
    let mut given = order.to_vec();
    theirs.sort_unstable();
    given.sort_unstable();
    if theirs != given {
        return Ok(false);
    }
    let mut moved = 0;
    for (position, id) in (1..).zip(order) {
        moved += sql::<DB>(update).id(*id).int(position).run(&mut tx).await?;
    }
    if moved > 0 {
        append_audit::<DB>(&mut tx, audit).await?;
    }
    commit::<DB>(tx).await?;
    Ok(true)
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn insert_phase(
        &self,
        phase: &Phase,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let inserted = sql::<DB>(INSERT_PHASE)
            .id(phase.id.as_uuid())
            .id(phase.firm_id.as_uuid())
            .id(phase.client_id.as_uuid())
            .text(&phase.name)
            .int(phase.position)
            .ts(phase.created_at)
            .insert(&mut tx)
            .await?;
        match inserted {
            Ok(_) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict("phase id or name")),
            Err(Violation::ForeignKey) => {
                return Err(StoreError::Conflict("phase of an unknown client"));
            }
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn rename_phase(
        &self,
        phase: PhaseId,
        name: &str,
        audit: AuditDraft,
    ) -> Result<Option<Phase>, StoreError> {
        let mut tx = self.write().await?;
        let renamed = sql::<DB>("UPDATE portal_phases SET name = $2 WHERE id = $1 AND name <> $2")
            .id(phase.as_uuid())
            .text(name)
            .insert(&mut tx)
            .await?;
        match renamed {
            Ok(0) => {}
            Ok(_) => {
                append_audit::<DB>(&mut tx, audit).await?;
            }
            Err(_) => return Err(StoreError::Conflict("phase name")),
        }
        let now = sql::<DB>(PHASE)
            .id(phase.as_uuid())
            .optional(&mut tx)
            .await?
            .map(|r| rows::phase(&r))
            .transpose()?;
        commit::<DB>(tx).await?;
        Ok(now)
    }

    pub(crate) async fn reorder_phases(
        &self,
        client: ClientId,
        order: &[PhaseId],
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let tx = self.write().await?;
        let order: Vec<Uuid> = order.iter().map(|id| id.as_uuid()).collect();
        let select = "SELECT id FROM portal_phases WHERE client_id = $1";
        let update = "UPDATE portal_phases SET position = $2 WHERE id = $1 AND position <> $2";
        placed::<DB>(tx, client, select, update, &order, audit).await
    }

    pub(crate) async fn phases(&self, client: ClientId) -> Result<Vec<Phase>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(PHASES)
            .id(client.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::phase)
            .collect()
    }

    pub(crate) async fn phase(&self, id: PhaseId) -> Result<Option<Phase>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(PHASE)
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::phase(&r))
            .transpose()
    }

    pub(crate) async fn reorder_tasks(
        &self,
        client: ClientId,
        order: &[TaskId],
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let tx = self.write().await?;
        let order: Vec<Uuid> = order.iter().map(|id| id.as_uuid()).collect();
        // Locked, so that a task written meanwhile (edited, moved) waits for the new
        // positions rather than writing back the old one.
        let update = "UPDATE portal_tasks SET position = $2 WHERE id = $1 AND position <> $2";
        placed::<DB>(tx, client, DB::LOCK_CLIENT_TASKS, update, &order, audit).await
    }

    pub(crate) async fn insert_task(
        &self,
        task: &Task,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let completion = task.completion.as_ref();
        let by = completion.map(|c| c.by.to_stored());
        let ip = completion.and_then(|c| c.ip).map(|ip| ip.to_string());
        let definition = rows::definition(&task.evidence)?;
        let submission = task
            .submission
            .as_ref()
            .map(rows::submission_json)
            .transpose()?;
        let mut tx = self.write().await?;
        let inserted = sql::<DB>(INSERT_TASK)
            .id(task.id.as_uuid())
            .id(task.firm_id.as_uuid())
            .id(task.client_id.as_uuid())
            .opt_id(task.phase_id.map(|p| p.as_uuid()))
            .text(&task.title)
            .text(&task.description)
            .opt_ts(task.due_on)
            .text(task.assignee.as_str())
            .text(task.status.as_str())
            .text(task.evidence.kind().as_str())
            .opt_text(definition.as_deref())
            .int(task.position)
            .ts(task.created_at)
            .ts(task.updated_at)
            .opt_text(by.as_deref())
            .opt_ts(completion.map(|c| c.at))
            .opt_text(completion.and_then(|c| c.note.as_deref()))
            .opt_text(ip.as_deref())
            .opt_text(submission.as_deref())
            .opt_ts(task.withdrawn_at)
            .insert(&mut tx)
            .await?;
        match inserted {
            Ok(_) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict("task id")),
            Err(Violation::ForeignKey) => {
                return Err(StoreError::Conflict("task of an unknown client or phase"));
            }
        }
        for (item, check) in task.checklist.iter().enumerate() {
            if let Some(check) = check {
                let by = check.by.to_stored();
                sql::<DB>(CHECK_ITEM)
                    .id(task.id.as_uuid())
                    .int(item_index(item)?)
                    .text(&by)
                    .ts(check.at)
                    .run(&mut tx)
                    .await?;
            }
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        let mut c = self.conn().await?;
        read_task::<DB>(&mut c, id, false).await
    }

    pub(crate) async fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError> {
        let mut c = self.conn().await?;
        read_tasks::<DB>(&mut c, client).await
    }

    pub(crate) async fn phases_and_tasks(
        &self,
        client: ClientId,
    ) -> Result<(Vec<Phase>, Vec<Task>), StoreError> {
        let mut c = self.conn().await?;
        let phases = sql::<DB>(PHASES)
            .id(client.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::phase)
            .collect::<Result<_, _>>()?;
        Ok((phases, read_tasks::<DB>(&mut c, client).await?))
    }

    /// Locks the task, lets `decide` decide on it, and writes what it decided with
    /// `audit` when it changed the task.
    async fn decide(
        &self,
        task: TaskId,
        audit: AuditDraft,
        decide: impl FnOnce(&Task) -> TaskOutcome + Send,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        let mut tx = self.write().await?;
        let Some(current) = read_task::<DB>(&mut tx, task, true).await? else {
            return Ok(None);
        };
        let outcome = decide(&current);
        if let TaskOutcome::Changed(next) = &outcome {
            write_task::<DB>(&mut tx, next).await?;
            append_audit::<DB>(&mut tx, audit).await?;
            commit::<DB>(tx).await?;
        }
        Ok(Some(outcome))
    }

    pub(crate) async fn edit_task(
        &self,
        task: TaskId,
        edit: &TaskEdit,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        self.decide(task, audit, |t| t.edited(edit, at)).await
    }

    pub(crate) async fn withdraw_task(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        self.decide(task, audit, |t| t.withdrawn(at)).await
    }

    pub(crate) async fn set_task_status(
        &self,
        task: TaskId,
        status: TaskStatus,
        completion: Option<&Completion>,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        self.decide(task, audit, |t| t.with_status(status, completion, at))
            .await
    }

    pub(crate) async fn set_task_completion(
        &self,
        task: TaskId,
        completion: Option<&Completion>,
        audit: AuditDraft,
    ) -> Result<Option<Task>, StoreError> {
        let by = completion.map(|c| c.by.to_stored());
        let ip = completion.and_then(|c| c.ip).map(|ip| ip.to_string());
        let mut tx = self.write().await?;
        // A no-op when the task is already in the asked state: doing it twice changes
        // nothing the second time.
        let change = match completion {
            Some(done) => sql::<DB>(COMPLETE)
                .id(task.as_uuid())
                .opt_text(by.as_deref())
                .ts(done.at)
                .opt_text(done.note.as_deref())
                .opt_text(ip.as_deref()),
            // Reopened when the entry says.
            None => sql::<DB>(UNCOMPLETE).id(task.as_uuid()).ts(audit.at),
        };
        if change.run(&mut tx).await? > 0 {
            append_audit::<DB>(&mut tx, audit).await?;
        }
        let now = read_task::<DB>(&mut tx, task, false).await?;
        commit::<DB>(tx).await?;
        Ok(now)
    }

    pub(crate) async fn submit_task(
        &self,
        task: TaskId,
        checked_against: &Evidence,
        submission: &Submission,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        let json = rows::submission_json(submission)?;
        let definition = rows::definition(checked_against)?;
        let by = completion.by.to_stored();
        let ip = completion.ip.map(|ip| ip.to_string());
        let mut tx = self.write().await?;
        let stood = sql::<DB>(SUBMIT)
            .id(task.as_uuid())
            .text(&json)
            .text(&by)
            .ts(completion.at)
            .opt_text(completion.note.as_deref())
            .opt_text(ip.as_deref())
            .text(checked_against.kind().as_str())
            .opt_text(definition.as_deref())
            .run(&mut tx)
            .await?
            > 0;
        if stood {
            append_audit::<DB>(&mut tx, audit).await?;
        }
        let Some(now) = read_task::<DB>(&mut tx, task, false).await? else {
            return Ok(None);
        };
        commit::<DB>(tx).await?;
        Ok(Some(if stood {
            TaskOutcome::Changed(now)
        } else if now.submission.as_ref() == Some(submission) {
            TaskOutcome::Unchanged(now)
        } else {
            TaskOutcome::Conflict(now)
        }))
    }

    pub(crate) async fn set_checklist_item(
        &self,
        task: TaskId,
        item: usize,
        check: Option<&ItemCheck>,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        let mut tx = self.write().await?;
        // The lock orders the checks of one task: each counts the items with the
        // others' writes committed.
        let Some(current) = read_task::<DB>(&mut tx, task, true).await? else {
            return Ok(None);
        };
        if item >= current.checklist.len() {
            return Ok(Some(TaskOutcome::Conflict(current)));
        }
        let index = item_index(item)?;
        let changed = match check {
            Some(check) => {
                let by = check.by.to_stored();
                sql::<DB>(CHECK_ITEM)
                    .id(task.as_uuid())
                    .int(index)
                    .text(&by)
                    .ts(check.at)
                    .run(&mut tx)
                    .await?
            }
            None => {
                sql::<DB>(UNCHECK_ITEM)
                    .id(task.as_uuid())
                    .int(index)
                    .run(&mut tx)
                    .await?
            }
        };
        if changed == 0 {
            return Ok(Some(TaskOutcome::Unchanged(current)));
        }
        let checked = sql::<DB>(COUNT_ITEMS)
            .id(task.as_uuid())
            .optional(&mut tx)
            .await?
            .map_or(Ok(0), |r| r.int("checked"))?;
        let status = checklist_status(
            usize::try_from(checked).unwrap_or(0),
            current.checklist.len(),
        );
        let completion = checklist_completion(&Task { status, ..current }, check);
        let completed_by = completion.as_ref().map(|c| c.by.to_stored());
        sql::<DB>(ITEMS_STATUS)
            .id(task.as_uuid())
            .text(status.as_str())
            .ts(at)
            .opt_text(completed_by.as_deref())
            .opt_ts(completion.as_ref().map(|c| c.at))
            .run(&mut tx)
            .await?;
        append_audit::<DB>(&mut tx, audit).await?;
        let now = reread::<DB>(&mut tx, task).await?;
        commit::<DB>(tx).await?;
        Ok(Some(TaskOutcome::Changed(now)))
    }
}
