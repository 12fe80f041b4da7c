//! The conversation between a client's contacts and the firm: comments on a task
//! (both sides), questions a contact asks at any time, and each client's activity, a
//! view of the audit log's entries about that client's work (see
//! [`AuditDraft::client_id`](crate::audit::AuditDraft::client_id)): what happened is
//! recorded once, in the same step as the change, and the feed cannot disagree with
//! the log.

use crate::audit::{Actor, AuditAction, AuditEvent, RequestInfo};
use crate::clock::Timestamp;
use crate::conversation::{Comment, Question};
use crate::grant::Permissions;
use crate::id::{ClientId, CommentId, ContactId, QuestionId, StaffId, TaskId};
use crate::portal::Portal;
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::staff::StaffContext;
use crate::task::Task;
use crate::text::{self, CheckedText};
use crate::throttle::ThrottleDecision;
use crate::token::TokenDigest;

/// Most entries one activity page lists.
pub const MAX_ACTIVITY_PAGE: u32 = 100;

/// Most questions one page of the staff's list holds.
pub const MAX_QUESTIONS_PAGE: u32 = 200;

/// Entries read from the log per round while filling an activity page: the log also
/// holds entries about the client that its feed does not show.
const ACTIVITY_ROUNDS: usize = 10;

/// What an activity entry says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    /// A task was created.
    TaskCreated,
    /// A task was completed.
    TaskCompleted,
    /// A task was reopened.
    TaskReopened,
    /// Staff set a task's status.
    StatusChanged,
    /// Something a task asks for was given (an answer, a form, a decision, a
    /// signature, a credential).
    Submitted,
    /// Files were uploaded for a task.
    FilesUploaded,
    /// Staff reviewed an upload.
    UploadReviewed,
    /// The firm published a document.
    DocumentPublished,
    /// A comment was written on a task.
    Commented,
    /// A contact asked the firm a question.
    Asked,
}

impl ActivityKind {
    /// The kind an audit action shows as, if the feed shows it at all: never staff's
    /// own bookkeeping (edits, reveals, downloads) or anything about access.
    #[must_use]
    pub fn of(action: AuditAction) -> Option<ActivityKind> {
        Some(match action {
            AuditAction::TaskCreated => ActivityKind::TaskCreated,
            AuditAction::TaskCompleted => ActivityKind::TaskCompleted,
            AuditAction::TaskReopened => ActivityKind::TaskReopened,
            AuditAction::TaskStatusSet => ActivityKind::StatusChanged,
            AuditAction::TaskSubmitted | AuditAction::CredentialSubmitted => {
                ActivityKind::Submitted
            }
            AuditAction::FilesUploaded => ActivityKind::FilesUploaded,
            AuditAction::UploadReviewed => ActivityKind::UploadReviewed,
            AuditAction::FilePublished => ActivityKind::DocumentPublished,
            AuditAction::CommentAdded => ActivityKind::Commented,
            AuditAction::QuestionAsked => ActivityKind::Asked,
            _ => return None,
        })
    }

    /// Stable name, as the JSON API gives it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ActivityKind::TaskCreated => "task_created",
            ActivityKind::TaskCompleted => "task_completed",
            ActivityKind::TaskReopened => "task_reopened",
            ActivityKind::StatusChanged => "status_changed",
            ActivityKind::Submitted => "submitted",
            ActivityKind::FilesUploaded => "files_uploaded",
            ActivityKind::UploadReviewed => "upload_reviewed",
            ActivityKind::DocumentPublished => "document_published",
            ActivityKind::Commented => "commented",
            ActivityKind::Asked => "asked",
        }
    }
}

/// Who did what an activity entry records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivityActor {
    /// A contact of the client.
    Contact(ContactId),
    /// A member of the firm's staff, named only in the staff's view of the feed.
    Staff(StaffId),
    /// The firm: staff as contacts see them, and the portal itself.
    Firm,
}

/// One entry of a client's activity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityItem {
    /// Its place in the firm's audit log: pages are asked for before it.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// What happened.
    pub kind: ActivityKind,
    /// Who did it.
    pub actor: ActivityActor,
    /// The task it concerns, if any.
    pub task_id: Option<TaskId>,
    /// That task's title as it is now.
    pub task_title: Option<String>,
}

/// One page of a client's activity, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityPage {
    /// The entries.
    pub items: Vec<ActivityItem>,
    /// Where the next (older) page starts, if there may be one.
    pub before: Option<u64>,
}

/// Who reads a feed: a contact sees staff as the firm, staff see each other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Contact,
    Staff,
}

impl Portal {
    /// Writes a comment on a task of a client the contact may read it on (see
    /// [`Portal::client_task`]); both sides see it. The body is checked text (1 to
    /// 5,000 characters, line breaks kept).
    pub async fn comment_on_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        body: &str,
        request: &RequestInfo,
    ) -> Result<Comment, TaskError> {
        let body = CheckedText::new(body, text::COMMENT)?.into_string();
        let task = self.client_task(auth, id).await?;
        let contact = auth.author()?;
        self.admit_message(auth, contact).await?;
        let comment = self.comment(&task, Actor::Contact(contact), body)?;
        let audit = self.task_audit(
            auth,
            &task,
            AuditAction::CommentAdded,
            request,
            format!("task={id} comment={}", comment.id),
        )?;
        if !self.store().add_comment(&comment, audit).await? {
            return Err(TaskError::NotFound);
        }
        Ok(comment)
    }

    /// The comments on a task the contact may read, oldest first.
    pub async fn task_comments(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<Vec<Comment>, TaskError> {
        self.client_task(auth, id).await?;
        Ok(self.store().comments(id).await?)
    }

    /// Writes a comment on a task of the staff member's firm, as the staff member. A
    /// withdrawn task takes none ([`StaffError::Conflict`]).
    pub async fn staff_comment(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        body: &str,
    ) -> Result<Comment, StaffError> {
        let body = CheckedText::new(body, text::COMMENT)?.into_string();
        let task = self.staff_task(ctx, id).await?;
        let comment = self.comment(&task, Actor::Staff(ctx.staff.clone()), body)?;
        let audit = self
            .task_staff_audit(
                ctx,
                AuditAction::CommentAdded,
                format!("task={id} comment={}", comment.id),
            )
            .about_task(task.client_id, task.id);
        if !self.store().add_comment(&comment, audit).await? {
            return Err(StaffError::Conflict("the task was withdrawn"));
        }
        Ok(comment)
    }

    /// The comments on a task of the staff member's firm, oldest first.
    pub async fn staff_task_comments(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<Vec<Comment>, StaffError> {
        self.staff_task(ctx, id).await?;
        Ok(self.store().comments(id).await?)
    }

    fn comment(&self, task: &Task, author: Actor, body: String) -> Result<Comment, TaskError> {
        Ok(Comment {
            id: CommentId::generate(self.secrets()).map_err(crate::portal::InternalError::from)?,
            task_id: task.id,
            firm_id: task.firm_id,
            client_id: task.client_id,
            author,
            body,
            at: self.now(),
        })
    }

    /// Asks the firm a question, about the contact's active client, or about a task
    /// it may read (from that task's page). The body is checked text (1 to 5,000
    /// characters, line breaks kept).
    pub async fn ask_question(
        &self,
        auth: &Authenticated,
        body: &str,
        task: Option<TaskId>,
        request: &RequestInfo,
    ) -> Result<Question, TaskError> {
        let body = CheckedText::new(body, text::QUESTION)?.into_string();
        let (client, task) = match task {
            Some(id) => {
                let task = self.client_task(auth, id).await?;
                (task.client_id, Some(task))
            }
            None => (auth.session.active_client, None),
        };
        let contact = auth.author()?;
        self.admit_message(auth, contact).await?;
        let question = Question {
            id: QuestionId::generate(self.secrets()).map_err(crate::portal::InternalError::from)?,
            firm_id: auth.session.firm_id,
            client_id: client,
            contact_id: contact,
            task_id: task.as_ref().map(|t| t.id),
            body,
            at: self.now(),
        };
        let detail = format!("question={} client={client}", question.id);
        let audit = self.audit(
            auth.session.firm_id,
            Actor::Contact(contact),
            AuditAction::QuestionAsked,
            Some(contact),
            request,
            detail,
        );
        let audit = match &task {
            Some(t) => audit.about_task(t.client_id, t.id),
            None => audit.about_client(client),
        };
        self.store().ask_question(&question, audit).await?;
        Ok(question)
    }

    /// Counts one comment or question of `contact` against the firm's
    /// [`messages_per_contact`](crate::policy::Policy::messages_per_contact).
    async fn admit_message(
        &self,
        auth: &Authenticated,
        contact: ContactId,
    ) -> Result<(), TaskError> {
        let firm = auth.session.firm_id;
        let Some(limit) = self.policy(firm).messages_per_contact else {
            return Ok(());
        };
        let key = TokenDigest::of(format!("conversation\0{firm}\0{contact}").as_bytes());
        match self.store().throttle_hit(&key, limit, self.now()).await? {
            ThrottleDecision::Allowed => Ok(()),
            ThrottleDecision::Throttled => Err(TaskError::TooManyMessages),
        }
    }

    /// The questions asked of the staff member's firm, of one client if given, newest
    /// first, strictly before `before` (the time and id of the last one of the previous
    /// page), at most `limit` (capped at [`MAX_QUESTIONS_PAGE`]).
    pub async fn staff_questions(
        &self,
        ctx: &StaffContext,
        client: Option<ClientId>,
        before: Option<(Timestamp, QuestionId)>,
        limit: u32,
    ) -> Result<Vec<Question>, StaffError> {
        if let Some(c) = client {
            self.staff_client(ctx, c).await?;
        }
        Ok(self
            .store()
            .questions(ctx.firm, client, before, limit.min(MAX_QUESTIONS_PAGE))
            .await?)
    }

    /// A page of the activity of a client the contact holds a grant with `tasks` to,
    /// newest first, before `before` (a page's [`ActivityPage::before`]), at most
    /// `limit` entries (capped at [`MAX_ACTIVITY_PAGE`]). Staff appear as the firm;
    /// nothing about withdrawn tasks is listed.
    pub async fn client_activity(
        &self,
        auth: &Authenticated,
        client: ClientId,
        before: Option<u64>,
        limit: u32,
    ) -> Result<ActivityPage, TaskError> {
        let permissions = self.client_permissions(auth, client).await?;
        if !permissions.contains(Permissions::TASKS) {
            return Err(TaskError::Forbidden);
        }
        Ok(self
            .activity(auth.session.firm_id, client, before, limit, Reader::Contact)
            .await?)
    }

    /// A page of a client's activity for staff of its firm, as
    /// [`Portal::client_activity`] gives it but naming staff members.
    pub async fn staff_client_activity(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        before: Option<u64>,
        limit: u32,
    ) -> Result<ActivityPage, StaffError> {
        self.staff_client(ctx, client).await?;
        Ok(self
            .activity(ctx.firm, client, before, limit, Reader::Staff)
            .await?)
    }

    async fn activity(
        &self,
        firm: crate::id::FirmId,
        client: ClientId,
        mut before: Option<u64>,
        limit: u32,
        reader: Reader,
    ) -> Result<ActivityPage, crate::store::StoreError> {
        let limit = limit.clamp(1, MAX_ACTIVITY_PAGE);
        let tasks = self.store().tasks(client).await?;
        let mut items = Vec::new();
        for _ in 0..ACTIVITY_ROUNDS {
            let events = self
                .store()
                .client_audit(firm, client, before, limit)
                .await?;
            let exhausted = events.len() < limit as usize;
            for event in &events {
                before = Some(event.seq);
                if let Some(item) = item(event, &tasks, reader) {
                    items.push(item);
                    if items.len() == limit as usize {
                        return Ok(ActivityPage { items, before });
                    }
                }
            }
            if exhausted {
                return Ok(ActivityPage {
                    items,
                    before: None,
                });
            }
        }
        Ok(ActivityPage { items, before })
    }
}

/// The feed's entry for an audit entry, if the feed shows it to `reader`: a success,
/// of a kind the feed lists, not about a withdrawn task.
fn item(event: &AuditEvent, tasks: &[Task], reader: Reader) -> Option<ActivityItem> {
    let e = &event.entry;
    if e.outcome != crate::audit::AuditOutcome::Success {
        return None;
    }
    let kind = ActivityKind::of(e.action)?;
    let task = match e.task_id {
        Some(id) => {
            let task = tasks.iter().find(|t| t.id == id)?;
            if task.withdrawn_at.is_some() && reader == Reader::Contact {
                return None;
            }
            Some(task)
        }
        None => None,
    };
    let actor = match (&e.actor, reader) {
        (Actor::Contact(c), _) => ActivityActor::Contact(*c),
        (Actor::Staff(s), Reader::Staff) => ActivityActor::Staff(s.clone()),
        _ => ActivityActor::Firm,
    };
    Some(ActivityItem {
        seq: event.seq,
        at: e.at,
        kind,
        actor,
        task_id: task.map(|t| t.id),
        task_title: task.map(|t| t.title.clone()),
    })
}
