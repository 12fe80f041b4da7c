use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::credential::{Credential, CredentialRefusal, closed_at, task_after_submitting};
use crate::evidence::Evidence;
use crate::id::TaskId;
use crate::store::{AuditFn, CredentialStore, StoreError};
use crate::task::Completion;
use crate::vault::KeyId;

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn submit_credential(
        &self,
        credential: &Credential,
        checked_against: &Evidence,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<Result<Credential, CredentialRefusal>>, StoreError> {
        let mut state = self.lock()?;
        let Some(task) = state.tasks.get(&credential.task_id) else {
            return Ok(None);
        };
        let task = match task_after_submitting(task, checked_against, completion) {
            Ok(t) => t,
            Err(refusal) => return Ok(Some(Err(refusal))),
        };
        let stored = match state.credentials.get(&task.id) {
            Some(current) => match current.replaced_by(credential) {
                Ok(c) => c,
                Err(refusal) => return Ok(Some(Err(refusal))),
            },
            None => credential.clone(),
        };
        state.credentials.insert(task.id, stored.clone());
        state.tasks.insert(task.id, task);
        state.append(audit);
        Ok(Some(Ok(stored)))
    }

    async fn credential(&self, task: TaskId) -> Result<Option<Credential>, StoreError> {
        Ok(self.read()?.credentials.get(&task).cloned())
    }

    async fn reveal_credential(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditFn<'_, Credential>,
    ) -> Result<Option<Credential>, StoreError> {
        let mut state = self.lock()?;
        let Some(revealed) = state.credentials.get(&task).and_then(|c| c.revealed(at)) else {
            return Ok(None);
        };
        state.credentials.insert(task, revealed.clone());
        if let Some(draft) = audit(&revealed) {
            state.append(draft);
        }
        Ok(Some(revealed))
    }

    async fn purge_credential(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<(Credential, bool)>, StoreError> {
        let mut state = self.lock()?;
        let Some(current) = state.credentials.get(&task) else {
            return Ok(None);
        };
        let Some(purged) = current.purged_now(at) else {
            return Ok(Some((current.clone(), false)));
        };
        state.credentials.insert(task, purged.clone());
        state.append(audit);
        Ok(Some((purged, true)))
    }

    async fn closed_credentials(
        &self,
        closed_before: Timestamp,
        after: Option<TaskId>,
        batch: u32,
    ) -> Result<Vec<Credential>, StoreError> {
        let state = self.read()?;
        let mut due: Vec<Credential> = state
            .credentials
            .values()
            .filter(|c| !c.purged() && after.is_none_or(|a| c.task_id > a))
            .filter(|c| {
                state
                    .tasks
                    .get(&c.task_id)
                    .and_then(closed_at)
                    .is_some_and(|closed| closed <= closed_before)
            })
            .cloned()
            .collect();
        due.sort_by_key(|c| c.task_id);
        due.truncate(batch as usize);
        Ok(due)
    }

    async fn credentials_to_rotate(
        &self,
        active: &KeyId,
        after: Option<TaskId>,
        batch: u32,
    ) -> Result<Vec<Credential>, StoreError> {
        let state = self.read()?;
        let mut due: Vec<Credential> = state
            .credentials
            .values()
            .filter(|c| !c.purged() && c.key_id != *active)
            .filter(|c| after.is_none_or(|a| c.task_id > a))
            .cloned()
            .collect();
        due.sort_by_key(|c| c.task_id);
        due.truncate(batch as usize);
        Ok(due)
    }

    async fn rewrap_credential(&self, rewrapped: &Credential) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(next) = state
            .credentials
            .get(&rewrapped.task_id)
            .and_then(|c| c.rewrapped(rewrapped))
        else {
            return Ok(false);
        };
        state.credentials.insert(next.task_id, next);
        Ok(true)
    }
}
