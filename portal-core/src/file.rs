//! What the database keeps of a file whose bytes live in the blob store: a
//! [`StoredFile`] row, which names its blob, its client, and why it exists.
//!
//! The row and the blob are kept consistent by order: the blob is written first and the
//! row after it, so a crash in between leaves a blob that no row names, which nobody
//! can reach and the maintenance sweep removes (`Portal::sweep_files`). Removing goes
//! the other way: the row forgets its blob (in the same step as whatever removed it)
//! before the blob is deleted, so a crash there, too, leaves only an orphan.

use crate::audit::Actor;
use crate::blob_name::BlobName;
use crate::clock::Timestamp;
use crate::file_name::DisplayName;
use crate::file_type::FileType;
use crate::grant::Permissions;
use crate::id::{ClientId, FileId, FirmId, TaskId, UploadId};
use crate::task::{Completion, Task, TaskStatus};

/// Why a file exists, which decides who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FilePurpose {
    /// Uploaded by a contact for a document request.
    Upload,
    /// A document the firm published to the client (contacts with `documents` read it).
    Document,
    /// A report the firm published to the client (contacts with `reports` read it).
    Report,
    /// Dropped by a contact for a secure file drop: gone at its expiry.
    Drop,
    /// A document the firm attached for the client to sign (contacts with `tasks`
    /// read it).
    Signing,
    /// Attached by a contact to its answer to a question (a receipt, a statement).
    Attachment,
}

impl FilePurpose {
    /// Every purpose.
    pub const ALL: [FilePurpose; 6] = [
        FilePurpose::Upload,
        FilePurpose::Document,
        FilePurpose::Report,
        FilePurpose::Drop,
        FilePurpose::Signing,
        FilePurpose::Attachment,
    ];

    /// Stable name, for storage and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FilePurpose::Upload => "upload",
            FilePurpose::Document => "document",
            FilePurpose::Report => "report",
            FilePurpose::Drop => "drop",
            FilePurpose::Signing => "signing",
            FilePurpose::Attachment => "attachment",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<FilePurpose> {
        FilePurpose::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The permission a contact needs on the file's client to read it.
    #[must_use]
    pub const fn permission(self) -> Permissions {
        match self {
            FilePurpose::Report => Permissions::REPORTS,
            FilePurpose::Signing | FilePurpose::Attachment => Permissions::TASKS,
            FilePurpose::Upload | FilePurpose::Document | FilePurpose::Drop => {
                Permissions::DOCUMENTS
            }
        }
    }
}

/// A file's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// Its id.
    pub id: FileId,
    /// The firm.
    pub firm_id: FirmId,
    /// The client whose file it is.
    pub client_id: ClientId,
    /// The task it was given for, if any.
    pub task_id: Option<TaskId>,
    /// The upload it came in, for a document request.
    pub upload_id: Option<UploadId>,
    /// Why it exists.
    pub purpose: FilePurpose,
    /// The name shown and offered on download: display text only, never a path.
    pub name: DisplayName,
    /// What its bytes are.
    pub file_type: FileType,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes.
    pub sha256: [u8; 32],
    /// Where its bytes are; `None` once they were removed (a withdrawn upload).
    pub blob: Option<BlobName>,
    /// Who added it.
    pub added_by: Actor,
    /// When.
    pub added_at: Timestamp,
    /// When it was removed from view (its upload withdrawn, the drop deleted or
    /// expired); a removed file is kept as a record, and nobody can read its bytes.
    pub removed_at: Option<Timestamp>,
    /// When its bytes go, for a dropped file: the sweep deletes them then.
    pub expires_at: Option<Timestamp>,
    /// When a member of staff first downloaded it: a dropped file can no longer be
    /// deleted by the contact from then on.
    pub staff_downloaded_at: Option<Timestamp>,
}

impl StoredFile {
    /// Whether its bytes may still be read at `now`: not removed, and not expired
    /// (an expired file is unreadable at once, before the sweep deletes its bytes).
    #[must_use]
    pub fn readable_at(&self, now: Timestamp) -> bool {
        self.removed_at.is_none() && self.blob.is_some() && self.expires_at.is_none_or(|e| now < e)
    }

    /// Whether its bytes may still be read, expiry aside: not removed.
    #[must_use]
    pub fn readable(&self) -> bool {
        self.removed_at.is_none() && self.blob.is_some()
    }

    /// The SHA-256 in lower-case hex.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What deleting a dropped file did (see [`StoredFile::deleted`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropDeletion {
    /// It is gone: the row as it now is, and the blob it named, to delete.
    Deleted(StoredFile, Option<BlobName>),
    /// It was gone already (deleted, expired); nothing written.
    AlreadyGone(StoredFile),
    /// Staff downloaded it first, or it is no dropped file: it stays.
    Kept(StoredFile),
}

impl StoredFile {
    /// What deleting it at `at`, as its contact may, does: a dropped file nobody at
    /// the firm downloaded yet is removed and forgets its blob; any other file stays.
    #[must_use]
    pub fn deleted(&self, at: Timestamp) -> DropDeletion {
        if self.purpose != FilePurpose::Drop || self.staff_downloaded_at.is_some() {
            return DropDeletion::Kept(self.clone());
        }
        if !self.readable_at(at) {
            return DropDeletion::AlreadyGone(self.clone());
        }
        let mut gone = self.clone();
        gone.removed_at = Some(at);
        let blob = gone.blob.take();
        DropDeletion::Deleted(gone, blob)
    }
}

/// A file drop's task once files were dropped into it, as every store decides it:
/// completed (a completion it has stays).
#[must_use]
pub fn task_after_drop(task: &Task, completion: &Completion) -> Task {
    Task {
        status: TaskStatus::Completed,
        completion: task.completion.clone().or_else(|| Some(completion.clone())),
        updated_at: completion.at,
        ..task.clone()
    }
}

/// A file drop's task once a deletion left `remaining` of its files readable, as every
/// store decides it: pending again when none is left (`None`: unchanged).
#[must_use]
pub fn task_after_drop_deletion(task: &Task, remaining: usize, at: Timestamp) -> Option<Task> {
    (remaining == 0 && task.status == TaskStatus::Completed).then(|| Task {
        status: TaskStatus::Pending,
        completion: None,
        updated_at: at,
        ..task.clone()
    })
}

/// Where a new file belongs: its firm and client, and the task and upload it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePlace {
    /// The firm.
    pub firm_id: FirmId,
    /// The client whose file it is.
    pub client_id: ClientId,
    /// The task it is for, if any.
    pub task_id: Option<TaskId>,
    /// The upload it is part of, if any.
    pub upload_id: Option<UploadId>,
}

impl ReceivedFile {
    /// The row of these bytes as a new file `id` at `place`, added by `by` at `at`:
    /// readable, kept until removed, not yet downloaded by staff.
    #[must_use]
    pub fn into_stored(
        self,
        id: FileId,
        place: FilePlace,
        purpose: FilePurpose,
        by: Actor,
        at: Timestamp,
    ) -> StoredFile {
        StoredFile {
            id,
            firm_id: place.firm_id,
            client_id: place.client_id,
            task_id: place.task_id,
            upload_id: place.upload_id,
            purpose,
            name: self.name,
            file_type: self.file_type,
            size: self.size,
            sha256: self.sha256,
            blob: Some(self.blob),
            added_by: by,
            added_at: at,
            removed_at: None,
            expires_at: None,
            staff_downloaded_at: None,
        }
    }
}

/// Bytes already in the blob store, with what was learnt of them on the way in: what
/// an operation that adds a file takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedFile {
    /// The blob they were stored under.
    pub blob: BlobName,
    /// The client's name for the file, as display text.
    pub name: DisplayName,
    /// What the bytes are.
    pub file_type: FileType,
    /// How many there were.
    pub size: u64,
    /// Their SHA-256.
    pub sha256: [u8; 32],
}
