//! What contacts and staff say to each other: comments on a task, visible to both
//! sides, and questions a contact asks the firm at any time. Both are plain text,
//! checked against their [limits](crate::text::COMMENT) before they are stored, and
//! shown escaped wherever they are shown. Who may read them is the task's and the
//! client's rule: a contact reads what concerns clients it holds a grant to.

use crate::audit::Actor;
use crate::clock::Timestamp;
use crate::id::{ClientId, CommentId, ContactId, FirmId, QuestionId, TaskId};

/// A comment on a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// The task it is on.
    pub task_id: TaskId,
    /// The task's firm.
    pub firm_id: FirmId,
    /// The task's client.
    pub client_id: ClientId,
    /// Who wrote it: a contact, or a staff member.
    pub author: Actor,
    /// What it says (checked text, line breaks kept).
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// A question a contact asked the firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Its id.
    pub id: QuestionId,
    /// The firm asked.
    pub firm_id: FirmId,
    /// The client it was asked for (the contact's active client).
    pub client_id: ClientId,
    /// Who asked.
    pub contact_id: ContactId,
    /// The task whose page it was asked from, if any.
    pub task_id: Option<TaskId>,
    /// What it says (checked text, line breaks kept).
    pub body: String,
    /// When.
    pub at: Timestamp,
}
