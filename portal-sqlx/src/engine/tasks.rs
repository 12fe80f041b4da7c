//! Tasks and their completion.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::id::{ClientId, TaskId};
use portal_core::task::{Completion, Task};

use super::{Engine, append_audit, commit};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows::{self, task_columns};
use crate::stmt::sql;

const INSERT_TASK: &str = concat!(
    "INSERT INTO portal_tasks (",
    task_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
);

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

/// Completes a task that is not completed yet: the first completion stands, however
/// many arrive at once.
const COMPLETE: &str = "UPDATE portal_tasks SET status = 'completed', completed_by = $2, \
     completed_at = $3, completion_note = $4 WHERE id = $1 AND status <> 'completed'";

const UNCOMPLETE: &str = "UPDATE portal_tasks SET status = 'pending', completed_by = NULL, \
     completed_at = NULL, completion_note = NULL WHERE id = $1 AND status = 'completed'";

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn insert_task(&self, task: &Task) -> Result<(), StoreError> {
        let completion = task.completion.as_ref();
        let by = completion.map(|c| c.by.to_stored());
        let mut c = self.conn().await?;
        let inserted = sql::<DB>(INSERT_TASK)
            .id(task.id.as_uuid())
            .id(task.firm_id.as_uuid())
            .id(task.client_id.as_uuid())
            .opt_text(task.phase.as_deref())
            .text(&task.title)
            .text(&task.description)
            .opt_ts(task.due_on)
            .text(task.assignee.as_str())
            .text(task.status.as_str())
            .text(task.evidence.kind())
            .int(task.position)
            .ts(task.created_at)
            .opt_text(by.as_deref())
            .opt_ts(completion.map(|c| c.at))
            .opt_text(completion.and_then(|c| c.note.as_deref()))
            .insert(&mut c)
            .await?;
        match inserted {
            Ok(_) => Ok(()),
            Err(Violation::Unique) => Err(StoreError::Conflict("task id")),
            Err(Violation::ForeignKey) => Err(StoreError::Conflict("task of an unknown client")),
        }
    }

    pub(crate) async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(TASK)
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::task(&r))
            .transpose()
    }

    pub(crate) async fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(TASKS)
            .id(client.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::task)
            .collect()
    }

    pub(crate) async fn set_task_completion(
        &self,
        task: TaskId,
        completion: Option<&Completion>,
        audit: AuditDraft,
    ) -> Result<Option<Task>, StoreError> {
        let by = completion.map(|c| c.by.to_stored());
        let mut tx = self.write().await?;
        // A no-op when the task is already in the asked state: doing it twice changes
        // nothing the second time.
        let change = match completion {
            Some(done) => sql::<DB>(COMPLETE)
                .id(task.as_uuid())
                .opt_text(by.as_deref())
                .ts(done.at)
                .opt_text(done.note.as_deref()),
            None => sql::<DB>(UNCOMPLETE).id(task.as_uuid()),
        };
        if change.run(&mut tx).await? > 0 {
            append_audit::<DB>(&mut tx, audit).await?;
        }
        let now = sql::<DB>(TASK)
            .id(task.as_uuid())
            .optional(&mut tx)
            .await?
            .map(|r| rows::task(&r))
            .transpose()?;
        commit::<DB>(tx).await?;
        Ok(now)
    }
}
