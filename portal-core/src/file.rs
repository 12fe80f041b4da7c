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
}

impl FilePurpose {
    /// Every purpose.
    pub const ALL: [FilePurpose; 3] = [
        FilePurpose::Upload,
        FilePurpose::Document,
        FilePurpose::Report,
    ];

    /// Stable name, for storage and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FilePurpose::Upload => "upload",
            FilePurpose::Document => "document",
            FilePurpose::Report => "report",
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
            FilePurpose::Upload | FilePurpose::Document => Permissions::DOCUMENTS,
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
    /// When it was removed from view (its upload withdrawn); a removed file is kept
    /// as a record, and nobody can read its bytes.
    pub removed_at: Option<Timestamp>,
}

impl StoredFile {
    /// Whether its bytes may still be read.
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
