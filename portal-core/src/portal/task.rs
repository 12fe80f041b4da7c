//! Tasks: staff create them, contacts list and complete the ones their grant covers.

use crate::audit::{Actor, AuditAction, AuditDraft, RequestInfo};
use crate::grant::Permissions;
use crate::id::{ClientId, TaskId};
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::task::Completion;
use crate::task::{NewTask, Side, Task, TaskStatus};
use crate::text::{self, CheckedText, TextError};

/// A task operation of a contact failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No such task or client for this contact (including other clients' and firms').
    #[error("not found")]
    NotFound,
    /// The contact's grant lacks the permission, or the task is the firm's to do.
    #[error("not allowed")]
    Forbidden,
    /// The note is too long or holds control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for TaskError {
    fn from(e: crate::store::StoreError) -> Self {
        TaskError::Internal(e.into())
    }
}

impl Portal {
    /// The permissions of the session's contact on `client`; `NotFound` without a grant.
    async fn client_permissions(
        &self,
        auth: &Authenticated,
        client: ClientId,
    ) -> Result<Permissions, TaskError> {
        if client == auth.session.active_client {
            return Ok(auth.session.permissions);
        }
        self.store()
            .grants(auth.session.contact_id)
            .await?
            .into_iter()
            .find(|g| g.client_id == client)
            .map(|g| g.permissions)
            .ok_or(TaskError::NotFound)
    }

    /// The tasks of a client the contact holds a grant to, in order.
    pub async fn client_tasks(
        &self,
        auth: &Authenticated,
        client: ClientId,
    ) -> Result<Vec<Task>, TaskError> {
        if !self
            .client_permissions(auth, client)
            .await?
            .contains(Permissions::TASKS)
        {
            return Err(TaskError::Forbidden);
        }
        Ok(self.store().tasks(client).await?)
    }

    /// The task if the contact may act on it: its client is granted with `tasks`, and
    /// it is the client's to do.
    async fn actionable_task(&self, auth: &Authenticated, id: TaskId) -> Result<Task, TaskError> {
        let task = self
            .store()
            .task(id)
            .await?
            .filter(|t| t.firm_id == auth.session.firm_id)
            .ok_or(TaskError::NotFound)?;
        if !self
            .client_permissions(auth, task.client_id)
            .await?
            .contains(Permissions::TASKS)
            || task.assignee != Side::Client
        {
            return Err(TaskError::Forbidden);
        }
        Ok(task)
    }

    /// Marks a client task complete (idempotent: a completed task keeps its first
    /// completion, and only the first is in the audit log).
    pub async fn complete_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        note: Option<&str>,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let note = CheckedText::optional(note, text::TASK_NOTE)?.map(CheckedText::into_string);
        self.actionable_task(auth, id).await?;
        let detail = format!(
            "task={id} note_chars={}",
            note.as_deref().map_or(0, |n| n.chars().count())
        );
        let completion = Completion {
            by: Actor::Contact(auth.session.contact_id),
            at: self.now(),
            note,
        };
        let audit = self.task_audit(auth, AuditAction::TaskCompleted, request, detail);
        self.store()
            .set_task_completion(id, Some(&completion), audit)
            .await?
            .ok_or(TaskError::NotFound)
    }

    /// Marks a client task not complete (idempotent). The completion it had is gone
    /// from the task, and stays in the audit log.
    pub async fn uncomplete_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        self.actionable_task(auth, id).await?;
        let audit = self.task_audit(
            auth,
            AuditAction::TaskReopened,
            request,
            format!("task={id}"),
        );
        self.store()
            .set_task_completion(id, None, audit)
            .await?
            .ok_or(TaskError::NotFound)
    }

    fn task_audit(
        &self,
        auth: &Authenticated,
        action: AuditAction,
        request: &RequestInfo,
        detail: String,
    ) -> AuditDraft {
        let contact = auth.session.contact_id;
        self.audit(
            auth.session.firm_id,
            Actor::Contact(contact),
            action,
            Some(contact),
            request,
            detail,
        )
    }

    /// Creates a task for a client of the staff member's firm.
    pub async fn create_task(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        new: NewTask,
    ) -> Result<Task, StaffError> {
        let client = self
            .store()
            .client(client)
            .await?
            .filter(|c| c.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)?;
        let title = CheckedText::new(&new.title, text::TASK_TITLE)?.into_string();
        let phase = CheckedText::optional(new.phase.as_deref(), text::TASK_PHASE)?
            .map(CheckedText::into_string);
        let description = CheckedText::new(&new.description, text::TASK_DESCRIPTION)?.into_string();
        let existing = self.store().tasks(client.id).await?;
        let task = Task {
            id: TaskId::generate(self.secrets())?,
            firm_id: ctx.firm,
            client_id: client.id,
            phase,
            title,
            description,
            due_on: new.due_on,
            assignee: new.assignee,
            status: TaskStatus::Pending,
            evidence: new.evidence,
            position: existing.iter().map(|t| t.position).max().unwrap_or(0) + 1,
            created_at: self.now(),
            completion: None,
        };
        self.store().insert_task(&task).await?;
        Ok(task)
    }

    /// A client's tasks, for staff.
    pub async fn staff_tasks(
        &self,
        ctx: &StaffContext,
        client: ClientId,
    ) -> Result<Vec<Task>, StaffError> {
        let client = self
            .store()
            .client(client)
            .await?
            .filter(|c| c.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)?;
        Ok(self.store().tasks(client.id).await?)
    }
}
