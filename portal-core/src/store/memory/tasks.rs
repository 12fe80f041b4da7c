use async_trait::async_trait;

use super::{IdMap, MemoryStore, State};
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::evidence::{Evidence, Submission};
use crate::id::{ClientId, PhaseId, TaskId};
use crate::phase::Phase;
use crate::store::{StoreError, TaskStore};
use crate::task::{Completion, ItemCheck, Task, TaskEdit, TaskOutcome, TaskStatus};

/// Gives the rows of `client` the positions of `order` (from 1): `None` unless `order`
/// names each of them once; otherwise whether a position changed.
fn place<Id: Copy + Ord + Eq + std::hash::Hash, Row>(
    rows: &mut IdMap<Id, Row>,
    client: ClientId,
    order: &[Id],
    slot: impl Fn(&mut Row) -> (ClientId, &mut i64),
) -> Option<bool> {
    let mut theirs = Vec::new();
    for (id, row) in rows.iter_mut() {
        if slot(row).0 == client {
            theirs.push(*id);
        }
    }
    let mut given = order.to_vec();
    theirs.sort_unstable();
    given.sort_unstable();
    if theirs != given {
        return None;
    }
    let mut moved = false;
    for (position, id) in (1..).zip(order) {
        if let Some(row) = rows.get_mut(id) {
            let (_, current) = slot(row);
            if *current != position {
                *current = position;
                moved = true;
            }
        }
    }
    Some(moved)
}

impl State {
    /// Decides a write to a task with `decide` and keeps what it decided, with `audit`
    /// when it changed the task.
    fn decide_task(
        &mut self,
        task: TaskId,
        audit: AuditDraft,
        decide: impl FnOnce(&Task) -> TaskOutcome,
    ) -> Option<TaskOutcome> {
        let outcome = decide(self.tasks.get(&task)?);
        if let TaskOutcome::Changed(t) = &outcome {
            self.tasks.insert(task, t.clone());
            self.append(audit);
        }
        Some(outcome)
    }

    fn phase_name_taken(&self, client: ClientId, name: &str, other_than: PhaseId) -> bool {
        self.phases
            .values()
            .any(|p| p.client_id == client && p.name == name && p.id != other_than)
    }
}

#[async_trait]
impl TaskStore for MemoryStore {
    async fn insert_phase(&self, phase: &Phase, audit: AuditDraft) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.phases.contains_key(&phase.id) {
            return Err(StoreError::Conflict("phase id"));
        }
        if !state.clients.contains_key(&phase.client_id) {
            return Err(StoreError::Conflict("phase of an unknown client"));
        }
        if state.phase_name_taken(phase.client_id, &phase.name, phase.id) {
            return Err(StoreError::Conflict("phase name"));
        }
        state.phases.insert(phase.id, phase.clone());
        state.append(audit);
        Ok(())
    }

    async fn rename_phase(
        &self,
        phase: PhaseId,
        name: &str,
        audit: AuditDraft,
    ) -> Result<Option<Phase>, StoreError> {
        let mut state = self.lock()?;
        let Some(p) = state.phases.get(&phase).cloned() else {
            return Ok(None);
        };
        if p.name == name {
            return Ok(Some(p));
        }
        if state.phase_name_taken(p.client_id, name, phase) {
            return Err(StoreError::Conflict("phase name"));
        }
        let renamed = Phase {
            name: name.to_owned(),
            ..p
        };
        state.phases.insert(phase, renamed.clone());
        state.append(audit);
        Ok(Some(renamed))
    }

    async fn reorder_phases(
        &self,
        client: ClientId,
        order: &[PhaseId],
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let placed = place(&mut state.phases, client, order, |p| {
            (p.client_id, &mut p.position)
        });
        if placed == Some(true) {
            state.append(audit);
        }
        Ok(placed.is_some())
    }

    async fn phases(&self, client: ClientId) -> Result<Vec<Phase>, StoreError> {
        let mut out: Vec<Phase> = self
            .read()?
            .phases
            .values()
            .filter(|p| p.client_id == client)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.position.cmp(&b.position).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn phase(&self, id: PhaseId) -> Result<Option<Phase>, StoreError> {
        Ok(self.read()?.phases.get(&id).cloned())
    }

    async fn reorder_tasks(
        &self,
        client: ClientId,
        order: &[TaskId],
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let placed = place(&mut state.tasks, client, order, |t| {
            (t.client_id, &mut t.position)
        });
        if placed == Some(true) {
            state.append(audit);
        }
        Ok(placed.is_some())
    }

    async fn insert_task(&self, task: &Task, audit: AuditDraft) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.tasks.contains_key(&task.id) {
            return Err(StoreError::Conflict("task id"));
        }
        let phase_known = task.phase_id.is_none_or(|p| state.phases.contains_key(&p));
        if !state.clients.contains_key(&task.client_id) || !phase_known {
            return Err(StoreError::Conflict("task of an unknown client or phase"));
        }
        state.tasks.insert(task.id, task.clone());
        state.append(audit);
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

    async fn phases_and_tasks(
        &self,
        client: ClientId,
    ) -> Result<(Vec<Phase>, Vec<Task>), StoreError> {
        Ok((self.phases(client).await?, self.tasks(client).await?))
    }

    async fn edit_task(
        &self,
        task: TaskId,
        edit: &TaskEdit,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        let mut state = self.lock()?;
        if edit
            .phase_id
            .is_some_and(|p| !state.phases.contains_key(&p))
        {
            return Err(StoreError::Conflict("task of an unknown phase"));
        }
        Ok(state.decide_task(task, audit, |t| t.edited(edit, at)))
    }

    async fn withdraw_task(
        &self,
        task: TaskId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        Ok(self.lock()?.decide_task(task, audit, |t| t.withdrawn(at)))
    }

    async fn set_task_status(
        &self,
        task: TaskId,
        status: TaskStatus,
        completion: Option<&Completion>,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        Ok(self
            .lock()?
            .decide_task(task, audit, |t| t.with_status(status, completion, at)))
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
                t.updated_at = c.at;
                true
            }
            None if t.status == TaskStatus::Completed => {
                t.status = TaskStatus::Pending;
                t.completion = None;
                t.updated_at = audit.at;
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

    async fn submit_task(
        &self,
        task: TaskId,
        checked_against: &Evidence,
        submission: &Submission,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        Ok(self.lock()?.decide_task(task, audit, |t| {
            t.submitted(checked_against, submission, completion)
        }))
    }

    async fn set_checklist_item(
        &self,
        task: TaskId,
        item: usize,
        check: Option<&ItemCheck>,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<TaskOutcome>, StoreError> {
        Ok(self
            .lock()?
            .decide_task(task, audit, |t| t.with_item(item, check, at)))
    }
}
