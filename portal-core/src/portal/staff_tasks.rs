//! Tasks as staff manage them: create them of each type, edit, withdraw, set their
//! status (completing the firm's own), check checklist items on the firm's side.

use crate::audit::{Actor, AuditAction, AuditDraft};
use crate::evidence::Evidence;
use crate::id::{ClientId, TaskId};
use crate::portal::Portal;
use crate::portal::staff::StaffError;
use crate::portal::task::{TaskError, TaskList};
use crate::staff::StaffContext;
use crate::task::Side;
use crate::task::{Completion, NewTask, Task, TaskEdit, TaskOutcome, TaskStatus, empty_checklist};
use crate::text::{self, CheckedText};

const ANSWERED: &str = "the task was answered: its definition can no longer change";
const ATTACH: &str = "a signature's document is attached through its own route, as a PDF";
const NO_VAULT: &str = "this portal has no vault key configured: it cannot ask for credentials";
const CLIENTS_TO_DO: &str = "the task is the client's to do: set its status instead";

impl From<TaskError> for StaffError {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::NotFound => StaffError::NotFound,
            TaskError::Invalid(e) => StaffError::Evidence(e),
            TaskError::Text(e) => StaffError::Text(e),
            TaskError::Internal(e) => StaffError::Internal(e),
            TaskError::Conflict => StaffError::Conflict("the checklist changed meanwhile"),
            TaskError::DocumentChanged => StaffError::Conflict("the document changed"),
            TaskError::WrongType { .. } => StaffError::Invalid("the task is no checklist"),
            TaskError::Forbidden | TaskError::ReadOnlyPreview(_) | TaskError::TooManyMessages => {
                StaffError::Invalid("not allowed")
            }
        }
    }
}

impl Portal {
    /// Refuses a credential task when there is no vault to seal what it asks for.
    fn credentials_accepted(&self, evidence: &Evidence) -> Result<(), StaffError> {
        if matches!(evidence, Evidence::Credential(_)) && !self.has_vault() {
            return Err(StaffError::Invalid(NO_VAULT));
        }
        Ok(())
    }

    /// The audit entry of a change staff make, its actor the staff member.
    pub(super) fn task_staff_audit(
        &self,
        ctx: &StaffContext,
        action: AuditAction,
        detail: String,
    ) -> AuditDraft {
        self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            action,
            None,
            &ctx.request,
            detail,
        )
    }

    /// A task of a client of the staff member's firm, withdrawn or not;
    /// [`StaffError::NotFound`] for another firm's.
    pub async fn staff_task(&self, ctx: &StaffContext, id: TaskId) -> Result<Task, StaffError> {
        self.store()
            .task(id)
            .await?
            .filter(|t| t.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)
    }

    /// Creates a task for a client of the staff member's firm, with its definition
    /// checked, at the end of the client's list. A phase name the client has no phase
    /// of makes one.
    pub async fn create_task(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        new: NewTask,
    ) -> Result<Task, StaffError> {
        let client = self.staff_client(ctx, client).await?;
        let title = CheckedText::new(&new.title, text::TASK_TITLE)?.into_string();
        let phase = CheckedText::optional(new.phase.as_deref(), text::TASK_PHASE)?
            .map(CheckedText::into_string);
        let description = CheckedText::new(&new.description, text::TASK_DESCRIPTION)?.into_string();
        let evidence = new.evidence.checked()?;
        if matches!(&evidence, Evidence::Signature(r) if r.document.is_some()) {
            return Err(StaffError::Invalid(ATTACH));
        }
        self.credentials_accepted(&evidence)?;
        let phase_id = match phase {
            Some(name) => Some(self.phase_named(ctx, client.id, name).await?),
            None => None,
        };
        let existing = self.store().tasks(client.id).await?;
        let now = self.now();
        let task = Task {
            id: TaskId::generate(self.secrets())?,
            firm_id: ctx.firm,
            client_id: client.id,
            phase_id,
            title,
            description,
            due_on: new.due_on,
            assignee: new.assignee,
            status: TaskStatus::Pending,
            checklist: empty_checklist(&evidence),
            evidence,
            position: existing.iter().map(|t| t.position).max().unwrap_or(0) + 1,
            created_at: now,
            updated_at: now,
            completion: None,
            submission: None,
            withdrawn_at: None,
        };
        let audit = self
            .task_staff_audit(
                ctx,
                AuditAction::TaskCreated,
                format!(
                    "task={} client={} type={}",
                    task.id,
                    client.id,
                    task.evidence.kind().as_str()
                ),
            )
            .about_task(task.client_id, task.id);
        self.store().insert_task(&task, audit).await?;
        Ok(task)
    }

    /// A client's phases and tasks, withdrawn ones included, for staff.
    pub async fn staff_tasks(
        &self,
        ctx: &StaffContext,
        client: ClientId,
    ) -> Result<TaskList, StaffError> {
        let client = self.staff_client(ctx, client).await?;
        let (phases, tasks) = self.store().phases_and_tasks(client.id).await?;
        Ok(TaskList { phases, tasks })
    }

    /// Replaces what staff may change of a task (start from `TaskEdit::from(&task)`).
    /// Its definition changes only while nothing was given for it
    /// ([`StaffError::Conflict`] otherwise); its phase must be its client's.
    pub async fn edit_task(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        edit: TaskEdit,
    ) -> Result<Task, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        if let Evidence::Signature(r) = &edit.evidence {
            let current = match &task.evidence {
                Evidence::Signature(c) => c.document.as_ref(),
                _ => None,
            };
            if r.document.as_ref() != current {
                return Err(StaffError::Invalid(ATTACH));
            }
        }
        let edit = TaskEdit {
            title: CheckedText::new(&edit.title, text::TASK_TITLE)?.into_string(),
            description: CheckedText::new(&edit.description, text::TASK_DESCRIPTION)?.into_string(),
            evidence: edit.evidence.checked()?,
            ..edit
        };
        self.credentials_accepted(&edit.evidence)?;
        // A credential handed over answers its task even when staff reopened it: its
        // definition stays, so that its values can still be revealed and purged.
        if edit.evidence != task.evidence && self.store().credential(id).await?.is_some() {
            return Err(StaffError::Conflict(ANSWERED));
        }
        if let Some(phase) = edit.phase_id
            && !self
                .store()
                .phases(task.client_id)
                .await?
                .iter()
                .any(|p| p.id == phase)
        {
            return Err(StaffError::NotFound);
        }
        let audit = self
            .task_staff_audit(ctx, AuditAction::TaskEdited, format!("task={id}"))
            .about_task(task.client_id, task.id);
        match self.store().edit_task(id, &edit, self.now(), audit).await? {
            Some(TaskOutcome::Conflict(_)) => Err(StaffError::Conflict(ANSWERED)),
            Some(outcome) => Ok(outcome.into_task()),
            None => Err(StaffError::NotFound),
        }
    }

    /// Withdraws a task: contacts no longer see it; it stays, with its answers, and the
    /// audit log says who withdrew it. Idempotent.
    pub async fn withdraw_task(&self, ctx: &StaffContext, id: TaskId) -> Result<Task, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        let audit = self
            .task_staff_audit(ctx, AuditAction::TaskWithdrawn, format!("task={id}"))
            .about_task(task.client_id, task.id);
        self.store()
            .withdraw_task(id, self.now(), audit)
            .await?
            .map(TaskOutcome::into_task)
            .ok_or(StaffError::NotFound)
    }

    /// Sets a task's status; completing records the staff member as its completer (the
    /// way staff complete the firm's own tasks). Idempotent.
    pub async fn set_task_status(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        status: TaskStatus,
    ) -> Result<Task, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        let at = self.now();
        let completion = Completion {
            by: Actor::Staff(ctx.staff.clone()),
            at,
            note: None,
            ip: ctx.request.ip,
        };
        let audit = self
            .task_staff_audit(
                ctx,
                AuditAction::TaskStatusSet,
                format!("task={id} status={}", status.as_str()),
            )
            .about_task(task.client_id, task.id);
        self.store()
            .set_task_status(id, status, Some(&completion), at, audit)
            .await?
            .map(TaskOutcome::into_task)
            .ok_or(StaffError::NotFound)
    }

    /// Completes one of the firm's own tasks (assigned to [`Side::Firm`]), with an
    /// optional note, as the staff member. Idempotent: a completed task keeps its first
    /// completion. A task the client is to do is a [`StaffError::Conflict`]: completing
    /// the client's work goes through its status, on purpose
    /// ([`set_task_status`](Portal::set_task_status)).
    pub async fn complete_firm_task(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        note: Option<&str>,
    ) -> Result<Task, StaffError> {
        let note = CheckedText::optional(note, text::TASK_NOTE)?.map(CheckedText::into_string);
        let task = self.staff_task(ctx, id).await?;
        if task.assignee != Side::Firm {
            return Err(StaffError::Conflict(CLIENTS_TO_DO));
        }
        let at = self.now();
        let detail = format!(
            "task={id} note_chars={}",
            note.as_deref().map_or(0, |n| n.chars().count())
        );
        let completion = Completion {
            by: Actor::Staff(ctx.staff.clone()),
            at,
            note,
            ip: ctx.request.ip,
        };
        let audit = self
            .task_staff_audit(ctx, AuditAction::TaskCompleted, detail)
            .about_task(task.client_id, task.id);
        self.store()
            .set_task_status(id, TaskStatus::Completed, Some(&completion), at, audit)
            .await?
            .map(TaskOutcome::into_task)
            .ok_or(StaffError::NotFound)
    }

    /// Puts a client's tasks in the order given, which names each of them once,
    /// withdrawn ones included ([`StaffError::Invalid`] otherwise): the order of the
    /// client's list, and so of each phase's tasks. Moving a task to another phase is
    /// an [`edit_task`](Portal::edit_task).
    pub async fn reorder_tasks(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        order: &[TaskId],
    ) -> Result<TaskList, StaffError> {
        let client = self.staff_client(ctx, client).await?;
        let audit = self.task_staff_audit(
            ctx,
            AuditAction::TasksReordered,
            format!("client={}", client.id),
        );
        if !self.store().reorder_tasks(client.id, order, audit).await? {
            return Err(StaffError::Invalid(
                "the order must name each of the client's tasks once",
            ));
        }
        self.staff_tasks(ctx, client.id).await
    }

    /// Checks (`true`) or unchecks item `item` (from 0) of a checklist, on the firm's
    /// side. Idempotent; the task's status follows its items.
    pub async fn staff_check_item(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        item: usize,
        checked: bool,
    ) -> Result<Task, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        let action = if checked {
            AuditAction::ItemChecked
        } else {
            AuditAction::ItemUnchecked
        };
        let audit = self
            .task_staff_audit(ctx, action, format!("task={id} item={item}"))
            .about_task(task.client_id, task.id);
        Ok(self
            .set_item(&task, item, checked, Actor::Staff(ctx.staff.clone()), audit)
            .await?)
    }
}
