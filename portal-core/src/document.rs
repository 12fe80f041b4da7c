//! Document requests: a task that asks the client for files, and the uploads that
//! answer it.
//!
//! A request goes *requested* → *uploaded* → *approved*, or *rejected* with the
//! reviewer's notes → uploaded again. Each [`Upload`] is one or more files given at
//! once and reviewed as a whole. The rules, decided here once for every store:
//!
//! - one upload awaits review at a time: another upload then is refused
//!   ([`UploadRefusal::AwaitingReview`]) until it is reviewed or withdrawn, so that a
//!   review always judges exactly what the reviewer saw;
//! - an approved request takes no more uploads ([`UploadRefusal::Closed`]);
//! - the contact may withdraw an upload until it is reviewed; a review and a
//!   withdrawal of one upload exclude each other (the first wins, the other is a
//!   [`UploadChange::Conflict`]);
//! - the task follows: an upload puts it in progress, an approval completes it, a
//!   rejection or a withdrawal makes it pending again (the client has to act).

use crate::clock::Timestamp;
use crate::evidence::{Decision, Evidence};
use crate::id::{ClientId, ContactId, FirmId, StaffId, TaskId, UploadId};
use crate::task::{Completion, Task, TaskStatus};

/// Where one upload stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    /// Waiting for the firm's review.
    Uploaded,
    /// Approved by the firm.
    Approved,
    /// Rejected by the firm, with notes.
    Rejected,
    /// Withdrawn by the contact before any review; its files are gone.
    Withdrawn,
}

impl UploadStatus {
    /// Stable name, for JSON and pages.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Uploaded => "uploaded",
            UploadStatus::Approved => "approved",
            UploadStatus::Rejected => "rejected",
            UploadStatus::Withdrawn => "withdrawn",
        }
    }
}

/// Where a document request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Nothing uploaded (or everything withdrawn).
    Requested,
    /// An upload waits for review.
    Uploaded,
    /// The latest upload was approved.
    Approved,
    /// The latest upload was rejected: the client uploads again.
    Rejected,
}

impl RequestStatus {
    /// The status of a request with these uploads, in any order. The rules leave at
    /// most one upload waiting for review and none after an approval, so no order is
    /// needed: an upload waiting wins, then an approval, then a rejection.
    #[must_use]
    pub fn of(uploads: &[Upload]) -> RequestStatus {
        let has = |s| uploads.iter().any(|u| u.status() == s);
        if has(UploadStatus::Uploaded) {
            RequestStatus::Uploaded
        } else if has(UploadStatus::Approved) {
            RequestStatus::Approved
        } else if has(UploadStatus::Rejected) {
            RequestStatus::Rejected
        } else {
            RequestStatus::Requested
        }
    }

    /// Stable name, for JSON and pages.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Requested => "requested",
            RequestStatus::Uploaded => "uploaded",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }
}

/// The firm's review of an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// Approved or rejected.
    pub decision: Decision,
    /// What the reviewer says: why it was rejected, what is missing.
    pub notes: Option<String>,
    /// Who reviewed it.
    pub by: StaffId,
    /// When.
    pub at: Timestamp,
}

/// One upload of files for a document request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// Its id.
    pub id: UploadId,
    /// The firm.
    pub firm_id: FirmId,
    /// The client.
    pub client_id: ClientId,
    /// The request (a task with [`Evidence::DocumentUpload`]).
    pub task_id: TaskId,
    /// The contact who uploaded it.
    pub by: ContactId,
    /// When.
    pub at: Timestamp,
    /// The firm's review, once given.
    pub review: Option<Review>,
    /// When the contact withdrew it.
    pub withdrawn_at: Option<Timestamp>,
}

/// Why an upload was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefusal {
    /// The task does not ask for documents, or was withdrawn.
    #[error("this task does not ask for documents")]
    NotRequested,
    /// An earlier upload waits for review: withdraw it to replace it.
    #[error("an upload is waiting for review; withdraw it first to replace it")]
    AwaitingReview,
    /// The request was approved: it takes no more files.
    #[error("this request is approved and takes no more files")]
    Closed,
    /// The client's files would go over the firm's limit.
    #[error("your files would exceed the storage limit")]
    OverQuota,
}

/// What adding an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a value returned once per operation and matched at once; boxing the task \
              would cost an allocation for nothing"
)]
pub enum UploadAdded {
    /// It was added: the task as it now is.
    Added(Task),
    /// It was refused, and nothing was written.
    Refused(UploadRefusal),
}

/// What reviewing or withdrawing an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a value returned once per operation and matched at once; boxing the task \
              would cost an allocation for nothing"
)]
pub enum UploadChange {
    /// It changed: the upload and its task as they now are.
    Changed(Upload, Task),
    /// It already was so (the same review again, a withdrawal again); nothing written.
    Unchanged(Upload),
    /// It was reviewed or withdrawn otherwise first; nothing written.
    Conflict(Upload),
}

impl Upload {
    /// Where it stands.
    #[must_use]
    pub fn status(&self) -> UploadStatus {
        match (&self.review, self.withdrawn_at) {
            (_, Some(_)) => UploadStatus::Withdrawn,
            (None, None) => UploadStatus::Uploaded,
            (Some(r), None) => match r.decision {
                Decision::Approved => UploadStatus::Approved,
                Decision::Rejected => UploadStatus::Rejected,
            },
        }
    }

    /// Whether an upload may be added to `task`, whose uploads are `uploads`, as every
    /// store decides it (the quota aside, which the store counts).
    pub fn may_add(task: &Task, uploads: &[Upload]) -> Result<(), UploadRefusal> {
        if task.withdrawn_at.is_some() || !matches!(task.evidence, Evidence::DocumentUpload) {
            return Err(UploadRefusal::NotRequested);
        }
        match RequestStatus::of(uploads) {
            RequestStatus::Uploaded => Err(UploadRefusal::AwaitingReview),
            RequestStatus::Approved => Err(UploadRefusal::Closed),
            RequestStatus::Requested | RequestStatus::Rejected => Ok(()),
        }
    }

    /// `task` once this upload was added to it: in progress.
    #[must_use]
    pub fn task_after_adding(&self, task: &Task) -> Task {
        Task {
            status: TaskStatus::InProgress,
            completion: None,
            updated_at: self.at,
            ..task.clone()
        }
    }

    /// What reviewing it with `review` does to it and to `task`: only an upload
    /// waiting for review takes one; the same review again is `Unchanged`.
    #[must_use]
    pub fn reviewed(&self, review: &Review, task: &Task) -> UploadChange {
        match self.status() {
            UploadStatus::Uploaded => {
                let upload = Upload {
                    review: Some(review.clone()),
                    ..self.clone()
                };
                let task = match review.decision {
                    Decision::Approved => Task {
                        status: TaskStatus::Completed,
                        completion: Some(Completion {
                            by: crate::audit::Actor::Staff(review.by.clone()),
                            at: review.at,
                            note: None,
                            ip: None,
                        }),
                        updated_at: review.at,
                        ..task.clone()
                    },
                    Decision::Rejected => pending(task, review.at),
                };
                UploadChange::Changed(upload, task)
            }
            _ if self
                .review
                .as_ref()
                .is_some_and(|r| r.decision == review.decision && r.notes == review.notes) =>
            {
                UploadChange::Unchanged(self.clone())
            }
            _ => UploadChange::Conflict(self.clone()),
        }
    }

    /// What withdrawing it at `at` does to it and to `task`: only an upload waiting
    /// for review may be withdrawn; withdrawing it again is `Unchanged`.
    #[must_use]
    pub fn withdrawn(&self, at: Timestamp, task: &Task) -> UploadChange {
        match self.status() {
            UploadStatus::Uploaded => UploadChange::Changed(
                Upload {
                    withdrawn_at: Some(at),
                    ..self.clone()
                },
                pending(task, at),
            ),
            UploadStatus::Withdrawn => UploadChange::Unchanged(self.clone()),
            UploadStatus::Approved | UploadStatus::Rejected => UploadChange::Conflict(self.clone()),
        }
    }
}

/// `task` waiting for the client again.
fn pending(task: &Task, at: Timestamp) -> Task {
    Task {
        status: TaskStatus::Pending,
        completion: None,
        updated_at: at,
        ..task.clone()
    }
}
