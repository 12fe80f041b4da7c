//! Tasks as contacts see them: list a client's tasks by phase, read one, complete,
//! submit what it asks for ([`Portal::submit_task`]), check checklist items. Staff
//! create, edit, withdraw and complete tasks ([`Portal::create_task`] and its kin) and
//! manage phases ([`Portal::create_phase`] and its kin).

use crate::audit::{Actor, AuditAction, AuditDraft, RequestInfo};
use crate::evidence::{EvidenceError, EvidenceKind};
use crate::grant::Permissions;
use crate::id::{ClientId, PhaseId, TaskId};
use crate::phase::Phase;
use crate::portal::session::{Authenticated, ReadOnlyPreview};
use crate::portal::{InternalError, Portal};
use crate::task::{Completion, ItemCheck, Progress, Side, Task, TaskOutcome, progress};
use crate::text::{self, CheckedText, TextError};

/// A task operation of a contact failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No such task or client for this contact (including other clients' and firms',
    /// and withdrawn tasks).
    #[error("not found")]
    NotFound,
    /// The contact's grant lacks the permission, or the task is the firm's to do.
    #[error("not allowed")]
    Forbidden,
    /// The note is too long or holds control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// What was submitted does not meet the task's definition; names the field.
    #[error(transparent)]
    Invalid(#[from] EvidenceError),
    /// A submission of another type than the task asks for.
    #[error("this task asks for {expected}, not {given}")]
    WrongType {
        /// The type the task asks for.
        expected: &'static str,
        /// The type submitted.
        given: &'static str,
    },
    /// The task already holds another submission, which stands, or its definition
    /// changed while the submission was checked against it.
    #[error("the task was already answered otherwise, or changed meanwhile")]
    Conflict,
    /// The document to sign is not the one the signature names: it was replaced
    /// after the client read it, or none is attached yet.
    #[error("the document changed: read it again before signing")]
    DocumentChanged,
    /// The contact wrote more comments and questions than the firm's policy allows in
    /// its window.
    #[error("too many messages: wait a few minutes")]
    TooManyMessages,
    /// The session is a staff preview, which changes nothing.
    #[error(transparent)]
    ReadOnlyPreview(#[from] ReadOnlyPreview),
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for TaskError {
    fn from(e: crate::store::StoreError) -> Self {
        TaskError::Internal(e.into())
    }
}

impl TaskError {
    /// The submission's type does not match the task's.
    pub(crate) fn wrong_type(expected: EvidenceKind, given: EvidenceKind) -> Self {
        TaskError::WrongType {
            expected: expected.as_str(),
            given: given.as_str(),
        }
    }
}

/// A client's phases and tasks, in their orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskList {
    /// The client's phases, by position.
    pub phases: Vec<Phase>,
    /// The tasks, by position.
    pub tasks: Vec<Task>,
}

impl TaskList {
    /// The name of a phase of the list.
    #[must_use]
    pub fn phase_name(&self, id: Option<PhaseId>) -> Option<&str> {
        let id = id?;
        self.phases
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.as_str())
    }

    /// The tasks grouped by phase, with each phase's status and percentages.
    #[must_use]
    pub fn progress(&self) -> Progress {
        progress(&self.phases, &self.tasks)
    }
}

impl Portal {
    /// The permissions of the session's contact on `client`; `NotFound` without a grant.
    pub(super) async fn client_permissions(
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

    /// The phases and visible tasks (not withdrawn) of a client the contact holds a
    /// grant with `tasks` to.
    pub async fn client_tasks(
        &self,
        auth: &Authenticated,
        client: ClientId,
    ) -> Result<TaskList, TaskError> {
        self.visible_list(auth, client, Permissions::TASKS, |_| true)
            .await
    }

    /// The phases and the visible tasks (not withdrawn) that `keep` picks of a client
    /// the contact holds `permission` on.
    async fn visible_list(
        &self,
        auth: &Authenticated,
        client: ClientId,
        permission: Permissions,
        keep: impl Fn(&Task) -> bool + Send,
    ) -> Result<TaskList, TaskError> {
        if !self
            .client_permissions(auth, client)
            .await?
            .contains(permission)
        {
            return Err(TaskError::Forbidden);
        }
        let (phases, mut tasks) = self.store().phases_and_tasks(client).await?;
        tasks.retain(|t| t.withdrawn_at.is_none() && keep(t));
        Ok(TaskList { phases, tasks })
    }

    /// A visible task with the permissions the contact holds on its client:
    /// `NotFound` for another firm's, a client without a grant, or a withdrawn task.
    pub(super) async fn visible_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<(Task, Permissions), TaskError> {
        let task = self
            .store()
            .task(id)
            .await?
            .filter(|t| t.firm_id == auth.session.firm_id && t.withdrawn_at.is_none())
            .ok_or(TaskError::NotFound)?;
        let permissions = self.client_permissions(auth, task.client_id).await?;
        Ok((task, permissions))
    }

    /// One task of a client the contact holds a grant with `tasks` to; an approval may
    /// also be read with `approvals` alone, and a document request with `documents`
    /// alone, since that permission is what answering it asks for.
    pub async fn client_task(&self, auth: &Authenticated, id: TaskId) -> Result<Task, TaskError> {
        let (task, permissions) = self.visible_task(auth, id).await?;
        let approval = task.evidence.kind() == EvidenceKind::Approval
            && permissions.contains(Permissions::APPROVALS);
        let documents = matches!(
            task.evidence.kind(),
            EvidenceKind::DocumentUpload | EvidenceKind::FileDrop
        ) && permissions.contains(Permissions::DOCUMENTS);
        if !permissions.contains(Permissions::TASKS) && !approval && !documents {
            return Err(TaskError::Forbidden);
        }
        Ok(task)
    }

    /// The approvals the client's side decides, pending and decided, of a client the
    /// contact holds a grant with `approvals` to (`tasks` is not needed: a contact may
    /// be trusted to approve without seeing the rest of the work). The list holds the
    /// client's phases, for the approvals' phase names.
    pub async fn client_approvals(
        &self,
        auth: &Authenticated,
        client: ClientId,
    ) -> Result<TaskList, TaskError> {
        self.visible_list(auth, client, Permissions::APPROVALS, |t| {
            t.assignee == Side::Client && t.evidence.kind() == EvidenceKind::Approval
        })
        .await
    }

    /// The task if the contact may act on it: its client is granted with `permission`,
    /// and it is the client's to do.
    pub(super) async fn actionable_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        permission: Permissions,
    ) -> Result<Task, TaskError> {
        let (task, permissions) = self.visible_task(auth, id).await?;
        if !permissions.contains(permission) || task.assignee != Side::Client {
            return Err(TaskError::Forbidden);
        }
        Ok(task)
    }

    /// A standard task the contact may act on: the other types are completed by what
    /// is submitted for them, or by their items.
    async fn standard_task(&self, auth: &Authenticated, id: TaskId) -> Result<Task, TaskError> {
        let task = self.actionable_task(auth, id, Permissions::TASKS).await?;
        match task.evidence.kind() {
            EvidenceKind::Standard => Ok(task),
            other => Err(TaskError::wrong_type(other, EvidenceKind::Standard)),
        }
    }

    /// Marks a standard client task complete (idempotent: a completed task keeps its
    /// first completion, and only the first is in the audit log).
    pub async fn complete_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        note: Option<&str>,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let note = CheckedText::optional(note, text::TASK_NOTE)?.map(CheckedText::into_string);
        let task = self.standard_task(auth, id).await?;
        let detail = format!(
            "task={id} note_chars={}",
            note.as_deref().map_or(0, |n| n.chars().count())
        );
        let audit = self.task_audit(auth, &task, AuditAction::TaskCompleted, request, detail)?;
        let completion = Completion {
            by: audit.actor.clone(),
            at: self.now(),
            note,
            ip: request.ip,
        };
        self.store()
            .set_task_completion(id, Some(&completion), audit)
            .await?
            .ok_or(TaskError::NotFound)
    }

    /// Marks a standard client task not complete (idempotent). The completion it had is
    /// gone from the task, and stays in the audit log.
    pub async fn uncomplete_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let task = self.standard_task(auth, id).await?;
        let audit = self.task_audit(
            auth,
            &task,
            AuditAction::TaskReopened,
            request,
            format!("task={id}"),
        )?;
        self.store()
            .set_task_completion(id, None, audit)
            .await?
            .ok_or(TaskError::NotFound)
    }

    /// Checks (`true`) or unchecks item `item` (from 0) of a checklist of a client the
    /// contact holds `tasks` on, whichever side the checklist is assigned to: either
    /// side may check each item. Idempotent; the task's status follows its items.
    pub async fn check_item(
        &self,
        auth: &Authenticated,
        id: TaskId,
        item: usize,
        checked: bool,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let task = self.client_task(auth, id).await?;
        let action = if checked {
            AuditAction::ItemChecked
        } else {
            AuditAction::ItemUnchecked
        };
        let audit = self.task_audit(
            auth,
            &task,
            action,
            request,
            format!("task={id} item={item}"),
        )?;
        let by = audit.actor.clone();
        self.set_item(&task, item, checked, by, audit).await
    }

    /// Checks or unchecks an item of `task` as `by`, after the caller's access checks.
    pub(super) async fn set_item(
        &self,
        task: &Task,
        item: usize,
        checked: bool,
        by: Actor,
        audit: AuditDraft,
    ) -> Result<Task, TaskError> {
        let items = match &task.evidence {
            crate::evidence::Evidence::Checklist(c) => c.items.len(),
            other => return Err(TaskError::wrong_type(EvidenceKind::Checklist, other.kind())),
        };
        if item >= items {
            return Err(EvidenceError::new(
                "item",
                crate::evidence::Problem::OutOfRange {
                    min: 0,
                    max: i64::try_from(items).unwrap_or(i64::MAX) - 1,
                },
            )
            .into());
        }
        let at = self.now();
        let check = checked.then_some(ItemCheck { by, at });
        match self
            .store()
            .set_checklist_item(task.id, item, check.as_ref(), at, audit)
            .await?
        {
            Some(TaskOutcome::Conflict(_)) => Err(TaskError::Conflict),
            Some(outcome) => Ok(outcome.into_task()),
            None => Err(TaskError::NotFound),
        }
    }

    /// The audit entry of a change a contact makes, its actor the session's
    /// [author](Authenticated::author): refused for a staff preview, before anything is
    /// written. Every contact's write builds its entry here (the store takes none
    /// without one), and takes the actor of what it records from the entry.
    pub(super) fn task_audit(
        &self,
        auth: &Authenticated,
        task: &Task,
        action: AuditAction,
        request: &RequestInfo,
        detail: String,
    ) -> Result<AuditDraft, ReadOnlyPreview> {
        let contact = auth.author()?;
        Ok(self
            .audit(
                auth.session.firm_id,
                Actor::Contact(contact),
                action,
                Some(contact),
                request,
                detail,
            )
            .about_task(task.client_id, task.id))
    }
}
