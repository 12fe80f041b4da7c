use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::AuditDraft;
use crate::id::{ClientId, TaskId};
use crate::store::{StoreError, TaskStore};
use crate::task::{Completion, Task, TaskStatus};

#[async_trait]
impl TaskStore for MemoryStore {
    async fn insert_task(&self, task: &Task) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.tasks.contains_key(&task.id) {
            return Err(StoreError::Conflict("task id"));
        }
        state.tasks.insert(task.id, task.clone());
        Ok(())
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        Ok(self.read()?.tasks.get(&id).cloned())
    }

    async fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError> {
        let state = self.read()?;
        let mut out: Vec<Task> = state
            .tasks
            .values()
            .filter(|t| t.client_id == client)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.position.cmp(&b.position).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn set_task_completion(
        &self,
        task: TaskId,
        completion: Option<&Completion>,
        audit: AuditDraft,
    ) -> Result<Option<Task>, StoreError> {
        let mut state = self.lock()?;
        let Some(t) = state.tasks.get_mut(&task) else {
            return Ok(None);
        };
        let changed = match completion {
            Some(c) if t.status != TaskStatus::Completed => {
                t.status = TaskStatus::Completed;
                t.completion = Some(c.clone());
                true
            }
            None if t.status == TaskStatus::Completed => {
                t.status = TaskStatus::Pending;
                t.completion = None;
                true
            }
            _ => false,
        };
        let now = t.clone();
        if changed {
            state.append(audit);
        }
        Ok(Some(now))
    }
}
