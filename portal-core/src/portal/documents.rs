//! Files as contacts and staff handle them: uploads for document requests, their
//! review and withdrawal, documents and reports the firm publishes, downloads, and the
//! sweep of blobs that no row names.
//!
//! The bytes arrive first: the web layer streams an upload into the blob store
//! ([`Portal::files`]) and hands the operations here what it learnt on the way
//! ([`ReceivedFile`]). An operation that then refuses deletes those blobs again; a
//! crash in between leaves orphans, which [`Portal::sweep_files`] removes.

use std::time::Duration;

use crate::audit::{Actor, AuditAction, AuditDraft, RequestInfo};
use crate::blob::{BlobError, BlobName, BlobStream};
use crate::document::{
    RequestStatus, Review, Upload, UploadAdded, UploadChange, UploadRefusal, UploadStatus,
};
use crate::evidence::{Decision, EvidenceKind};
use crate::file::{DropDeletion, FilePlace, FilePurpose, ReceivedFile, StoredFile};
use crate::grant::Permissions;
use crate::id::{ClientId, FileId, TaskId, UploadId};
use crate::portal::session::{Authenticated, ReadOnlyPreview};
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::task::Task;
use crate::text::{CheckedText, Lines, TextError, TextRule};

/// How old a blob no row names must be before the sweep removes it: older than any
/// upload still being recorded.
pub const ORPHAN_AGE: Duration = Duration::from_secs(60 * 60);

/// A reviewer's notes.
const REVIEW_NOTES: TextRule = TextRule {
    field: "notes",
    lines: Lines::Many,
    required: false,
    max_chars: 2_000,
};

/// A file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No such task, upload or file for this contact or firm (other clients' and
    /// firms' included, and files whose bytes are gone).
    #[error("not found")]
    NotFound,
    /// The contact's grant lacks the permission, or the task is the firm's to do.
    #[error("not allowed")]
    Forbidden,
    /// The request does not take this upload now.
    #[error(transparent)]
    Refused(#[from] UploadRefusal),
    /// An upload with no file, or more than the firm allows at once.
    #[error("an upload holds 1 to {max} files")]
    FileCount {
        /// The most files an upload may hold.
        max: usize,
    },
    /// The upload was reviewed or withdrawn otherwise first; it stands as it is.
    #[error("this upload was already {}", .0.as_str())]
    Conflict(UploadStatus),
    /// The task is not a document request (or not a file drop).
    #[error("this task does not ask for documents")]
    NotARequest,
    /// The question was answered otherwise already: the first answer stands.
    #[error("the task was already answered otherwise; the first answer stands")]
    Answered,
    /// What was sent with the files does not meet the task's definition (an answer's
    /// text); names the field.
    #[error(transparent)]
    Invalid(crate::evidence::EvidenceError),
    /// Staff downloaded the dropped file already: it stays until it expires.
    #[error("the firm has downloaded this file: it can no longer be deleted")]
    Downloaded,
    /// The reviewer's notes are too long or hold control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// The session is a staff preview, which changes nothing.
    #[error(transparent)]
    ReadOnlyPreview(#[from] ReadOnlyPreview),
    /// The file storage failed (unavailable: worth retrying).
    #[error(transparent)]
    Storage(#[from] BlobError),
    /// Something else failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for FileError {
    fn from(e: crate::store::StoreError) -> Self {
        FileError::Internal(e.into())
    }
}

impl From<TaskError> for FileError {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::NotFound => FileError::NotFound,
            // Only the conversation's operations produce TooManyMessages.
            TaskError::Forbidden | TaskError::TooManyMessages => FileError::Forbidden,
            TaskError::ReadOnlyPreview(e) => FileError::ReadOnlyPreview(e),
            TaskError::Internal(e) => FileError::Internal(e),
            TaskError::Text(e) => FileError::Text(e),
            TaskError::Conflict => FileError::Answered,
            TaskError::Invalid(e) => FileError::Invalid(e),
            TaskError::WrongType { .. } | TaskError::DocumentChanged => FileError::NotARequest,
        }
    }
}

impl From<FileError> for StaffError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::NotFound | FileError::Forbidden => StaffError::NotFound,
            FileError::Text(e) => StaffError::Text(e),
            FileError::Conflict(_) => {
                StaffError::Conflict("the upload was already reviewed or withdrawn")
            }
            FileError::Downloaded => StaffError::Conflict("the file was downloaded"),
            FileError::Answered => StaffError::Conflict("the task was answered"),
            FileError::Invalid(e) => StaffError::Evidence(e),
            FileError::NotARequest => StaffError::Invalid("the task does not ask for documents"),
            FileError::Refused(_) | FileError::FileCount { .. } | FileError::ReadOnlyPreview(_) => {
                StaffError::Invalid("not allowed")
            }
            FileError::Storage(e) => StaffError::Internal(InternalError::Files(e)),
            FileError::Internal(e) => StaffError::Internal(e),
        }
    }
}

/// A document request as its reader sees it: the task, where it stands, and its
/// uploads with their files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRequest {
    /// The task.
    pub task: Task,
    /// Where it stands.
    pub status: RequestStatus,
    /// Its uploads in the order they came, each with its files.
    pub uploads: Vec<(Upload, Vec<StoredFile>)>,
}

/// What a contact's *Documents* section shows of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Documents {
    /// The client's visible document requests, by position, with where each stands
    /// (empty without the `documents` permission).
    pub requests: Vec<(Task, RequestStatus)>,
    /// The documents and reports the firm published that the contact may read, in the
    /// order they were published.
    pub published: Vec<StoredFile>,
}

/// A task's readable files: a file drop's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFiles {
    /// The task.
    pub task: Task,
    /// Its files still readable, in the order they came.
    pub files: Vec<StoredFile>,
}

/// A file's row and its bytes, for a download.
pub struct Download {
    /// The row: name, type, size.
    pub file: StoredFile,
    /// The bytes.
    pub bytes: BlobStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl From<crate::random::RandomnessUnavailable> for FileError {
    fn from(e: crate::random::RandomnessUnavailable) -> Self {
        FileError::Internal(e.into())
    }
}

/// The blobs `files` were stored under.
pub(super) fn blobs_of(files: &[ReceivedFile]) -> Vec<BlobName> {
    files.iter().map(|f| f.blob.clone()).collect()
}

/// `files` if there are 1 to `max` of them.
fn counted(files: &[ReceivedFile], max: usize) -> Result<(), FileError> {
    if files.is_empty() || files.len() > max {
        return Err(FileError::FileCount { max });
    }
    Ok(())
}

impl Portal {
    /// `op`'s outcome, the `blobs` it was given deleted when it refused them: an
    /// operation that refuses files leaves none of their bytes behind.
    pub(super) async fn or_discard<T, E>(
        &self,
        blobs: Vec<BlobName>,
        op: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let result = op.await;
        if result.is_err() {
            self.discard(blobs).await;
        }
        result
    }

    /// Deletes blobs an operation will not record; a failure leaves them to the sweep.
    pub(super) async fn discard(&self, blobs: impl IntoIterator<Item = BlobName>) {
        for name in blobs {
            if let Err(e) = self.files().delete(&name).await {
                tracing::warn!(blob = %name, error = %e, "a discarded blob stays until the sweep");
            }
        }
    }

    /// Stores bytes a host has at hand (a report its own system made) in the file
    /// storage, checked as an upload is (its name, its type from its bytes), for
    /// [`Portal::publish_file`] or [`Portal::attach_signing_document`].
    pub async fn store_bytes(&self, name: &str, bytes: Vec<u8>) -> Result<ReceivedFile, FileError> {
        use sha2::Digest as _;
        let name = crate::file_name::DisplayName::from_upload(name).map_err(|_| {
            FileError::Invalid(crate::evidence::EvidenceError::new(
                "name",
                crate::evidence::Problem::Malformed,
            ))
        })?;
        let file_type = crate::file_type::FileType::check(&bytes, None, &name).map_err(|_| {
            FileError::Invalid(crate::evidence::EvidenceError::new(
                "file",
                crate::evidence::Problem::UnknownOption,
            ))
        })?;
        let sha256: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        let size = bytes.len() as u64;
        let body = futures_util::stream::iter([Ok(bytes::Bytes::from(bytes))]);
        let blob = self.files().put(Box::pin(body)).await?;
        Ok(ReceivedFile {
            blob,
            name,
            file_type,
            size,
            sha256,
        })
    }

    /// A document request the contact may see (its client granted with `documents`).
    async fn visible_request(&self, auth: &Authenticated, id: TaskId) -> Result<Task, FileError> {
        let (task, permissions) = self.visible_task(auth, id).await?;
        if task.evidence.kind() != EvidenceKind::DocumentUpload {
            return Err(FileError::NotARequest);
        }
        if !permissions.contains(Permissions::DOCUMENTS) {
            return Err(FileError::Forbidden);
        }
        Ok(task)
    }

    /// A task that takes files (a document request or a file drop, its client granted
    /// with `documents`; a question, with `tasks`) and that the contact may act on:
    /// what the web layer checks before it stores a byte of an upload.
    pub async fn file_task(&self, auth: &Authenticated, id: TaskId) -> Result<Task, FileError> {
        let task = match self.visible_task(auth, id).await? {
            // A question takes files with its answer, under `tasks`.
            (task, permissions) if task.evidence.kind() == EvidenceKind::Question => {
                if !permissions.contains(Permissions::TASKS) {
                    return Err(FileError::Forbidden);
                }
                task
            }
            _ => self.visible_file_task(auth, id).await?,
        };
        if task.assignee != crate::task::Side::Client {
            return Err(FileError::Forbidden);
        }
        auth.author()?;
        Ok(task)
    }

    async fn visible_file_task(&self, auth: &Authenticated, id: TaskId) -> Result<Task, FileError> {
        let (task, permissions) = self.visible_task(auth, id).await?;
        if !matches!(
            task.evidence.kind(),
            EvidenceKind::DocumentUpload | EvidenceKind::FileDrop
        ) {
            return Err(FileError::NotARequest);
        }
        if !permissions.contains(Permissions::DOCUMENTS) {
            return Err(FileError::Forbidden);
        }
        Ok(task)
    }

    async fn request_view(&self, task: Task) -> Result<DocumentRequest, FileError> {
        let uploads = self.store().uploads(task.id).await?;
        let list: Vec<Upload> = uploads.iter().map(|(u, _)| u.clone()).collect();
        Ok(DocumentRequest {
            status: RequestStatus::of(&list),
            task,
            uploads,
        })
    }

    /// A document request of a client the contact holds `documents` on, with its
    /// uploads.
    pub async fn document_request(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<DocumentRequest, FileError> {
        let task = self.visible_request(auth, id).await?;
        self.request_view(task).await
    }

    /// Records files already in the blob store as one upload for a document request
    /// of the client's side, which the contact's grant allows with `documents`. Refused
    /// (and the blobs deleted) when the request takes no upload now (one awaits review,
    /// it was approved), when `files` is empty or over the firm's count, or when the
    /// client's files would exceed its storage limit.
    pub async fn upload_documents(
        &self,
        auth: &Authenticated,
        id: TaskId,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<DocumentRequest, FileError> {
        let blobs = blobs_of(&files);
        self.or_discard(blobs, self.record_upload(auth, id, files, request))
            .await
    }

    async fn record_upload(
        &self,
        auth: &Authenticated,
        id: TaskId,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<DocumentRequest, FileError> {
        let task = self.visible_request(auth, id).await?;
        if task.assignee != crate::task::Side::Client {
            return Err(FileError::Forbidden);
        }
        let limits = self.policy(task.firm_id).files;
        counted(&files, limits.max_files_per_upload)?;
        let contact = auth.author()?;
        let now = self.now();
        let upload = Upload {
            id: UploadId::generate(self.secrets())?,
            firm_id: task.firm_id,
            client_id: task.client_id,
            task_id: id,
            by: contact,
            at: now,
            review: None,
            withdrawn_at: None,
        };
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let detail = format!(
            "task={id} upload={} files={} bytes={bytes}",
            upload.id,
            files.len()
        );
        let audit = self.task_audit(auth, &task, AuditAction::FilesUploaded, request, detail)?;
        let mut rows = Vec::with_capacity(files.len());
        for (i, f) in files.into_iter().enumerate() {
            rows.push(self.file_row(&task, Some(upload.id), FilePurpose::Upload, f, &audit, i)?);
        }
        match self
            .store()
            .add_upload(&upload, &rows, limits.max_client_bytes, audit)
            .await?
        {
            None => Err(FileError::NotFound),
            Some(UploadAdded::Refused(why)) => Err(FileError::Refused(why)),
            Some(UploadAdded::Added(task)) => self.request_view(task).await,
        }
    }

    fn file_row(
        &self,
        task: &Task,
        upload: Option<UploadId>,
        purpose: FilePurpose,
        f: ReceivedFile,
        audit: &AuditDraft,
        place: usize,
    ) -> Result<StoredFile, InternalError> {
        // The files of one request are listed in the order they came: each is stamped
        // a millisecond after the one before it, as it was received after it.
        let added_at = audit.at + std::time::Duration::from_millis(place as u64);
        let place = FilePlace {
            firm_id: task.firm_id,
            client_id: task.client_id,
            task_id: Some(task.id),
            upload_id: upload,
        };
        let id = FileId::generate(self.secrets())?;
        Ok(f.into_stored(id, place, purpose, audit.actor.clone(), added_at))
    }

    /// Withdraws an upload of the contact's client that waits for review: its files
    /// are gone, and the request waits for an upload again. Withdrawing it again
    /// changes nothing; an upload reviewed meanwhile is [`FileError::Conflict`].
    pub async fn withdraw_upload(
        &self,
        auth: &Authenticated,
        id: UploadId,
        request: &RequestInfo,
    ) -> Result<DocumentRequest, FileError> {
        let upload = self.store().upload(id).await?.ok_or(FileError::NotFound)?;
        let task = self.visible_request(auth, upload.task_id).await?;
        let detail = format!("task={} upload={id}", task.id);
        let audit = self.task_audit(auth, &task, AuditAction::UploadWithdrawn, request, detail)?;
        let Some((change, blobs)) = self.store().withdraw_upload(id, self.now(), audit).await?
        else {
            return Err(FileError::NotFound);
        };
        self.discard(blobs).await;
        match change {
            UploadChange::Conflict(u) => Err(FileError::Conflict(u.status())),
            UploadChange::Changed(_, task) => self.request_view(task).await,
            UploadChange::Unchanged(_) => self.request_view(task).await,
        }
    }

    /// What the contact's *Documents* section shows of `client`: its document
    /// requests (with `documents`), and the documents (with `documents`) and reports
    /// (with `reports`) the firm published to it. [`FileError::Forbidden`] with
    /// neither permission.
    pub async fn documents(
        &self,
        auth: &Authenticated,
        client: ClientId,
    ) -> Result<Documents, FileError> {
        let permissions = self.client_permissions(auth, client).await?;
        if !permissions.contains(Permissions::DOCUMENTS)
            && !permissions.contains(Permissions::REPORTS)
        {
            return Err(FileError::Forbidden);
        }
        let mut requests = Vec::new();
        if permissions.contains(Permissions::DOCUMENTS) {
            let uploads = self.store().client_uploads(client).await?;
            for task in self.store().tasks(client).await? {
                if task.withdrawn_at.is_some()
                    || task.evidence.kind() != EvidenceKind::DocumentUpload
                {
                    continue;
                }
                let theirs: Vec<Upload> = uploads
                    .iter()
                    .filter(|u| u.task_id == task.id)
                    .cloned()
                    .collect();
                requests.push((task, RequestStatus::of(&theirs)));
            }
        }
        let published = self
            .store()
            .client_files(client)
            .await?
            .into_iter()
            .filter(|f| {
                matches!(f.purpose, FilePurpose::Document | FilePurpose::Report)
                    && permissions.contains(f.purpose.permission())
            })
            .collect();
        Ok(Documents {
            requests,
            published,
        })
    }

    /// A file the contact may read, with its bytes: an upload of a request it sees, a
    /// published document or report its grant allows. The download is recorded in the
    /// access log. A file whose bytes are gone is [`FileError::NotFound`], as is any
    /// file of a client or firm the contact holds nothing of.
    pub async fn download(
        &self,
        auth: &Authenticated,
        id: FileId,
        request: &RequestInfo,
    ) -> Result<Download, FileError> {
        let file = self
            .store()
            .file(id)
            .await?
            .filter(|f| f.firm_id == auth.session.firm_id && f.readable_at(self.now()))
            .ok_or(FileError::NotFound)?;
        if let (FilePurpose::Signing, Some(task)) = (file.purpose, file.task_id) {
            // The document of a task the contact may read: the one it signs, or signed.
            self.client_task(auth, task).await?;
        } else if let (FilePurpose::Attachment, Some(task)) = (file.purpose, file.task_id) {
            // An attachment of an answer the contact may read, and named by it.
            let task = self.client_task(auth, task).await?;
            if !self.attachments_of(&task).await?.iter().any(|f| f.id == id) {
                return Err(FileError::NotFound);
            }
        } else if let Some(task) = file.task_id {
            self.visible_file_task(auth, task).await?;
        } else if !self
            .client_permissions(auth, file.client_id)
            .await?
            .contains(file.purpose.permission())
        {
            return Err(FileError::Forbidden);
        }
        let audit = self.audit(
            auth.session.firm_id,
            Actor::Contact(auth.session.contact_id),
            AuditAction::FileDownloaded,
            Some(auth.session.contact_id),
            request,
            format!("file={id} client={}", file.client_id),
        );
        self.open(file, audit).await
    }

    /// Records the download, then opens the bytes.
    async fn open(&self, file: StoredFile, audit: AuditDraft) -> Result<Download, FileError> {
        // Recorded before a byte leaves: a download that the log misses must not exist.
        self.store().append_audit(audit).await?;
        self.bytes_of(file).await
    }

    /// The bytes of `file`, as they stream from the blob store.
    async fn bytes_of(&self, file: StoredFile) -> Result<Download, FileError> {
        let Some(blob) = file.blob.clone() else {
            return Err(FileError::NotFound);
        };
        let bytes = match self.files().get(&blob).await {
            Ok(b) => b,
            Err(BlobError::NotFound) => return Err(FileError::NotFound),
            Err(e) => return Err(e.into()),
        };
        Ok(Download { file, bytes })
    }

    /// A document request of the staff member's firm with its uploads.
    pub async fn staff_document_request(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<DocumentRequest, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        if task.evidence.kind() != EvidenceKind::DocumentUpload {
            return Err(FileError::NotARequest.into());
        }
        Ok(self.request_view(task).await?)
    }

    /// Approves or rejects an upload that waits for review, with notes for the client
    /// (why it was rejected, what is missing). The same review again changes nothing;
    /// an upload withdrawn or reviewed otherwise meanwhile is a conflict.
    pub async fn review_upload(
        &self,
        ctx: &StaffContext,
        id: UploadId,
        decision: Decision,
        notes: Option<&str>,
    ) -> Result<DocumentRequest, StaffError> {
        let notes = CheckedText::optional(notes, REVIEW_NOTES)?.map(CheckedText::into_string);
        let upload = self
            .store()
            .upload(id)
            .await?
            .filter(|u| u.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)?;
        let review = Review {
            decision,
            notes,
            by: ctx.staff.clone(),
            at: self.now(),
        };
        let audit = self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::UploadReviewed,
            Some(upload.by),
            &ctx.request,
            format!(
                "task={} upload={id} decision={}",
                upload.task_id,
                decision.as_str()
            ),
        );
        let audit = AuditDraft {
            client_id: Some(upload.client_id),
            task_id: Some(upload.task_id),
            ..audit
        };
        match self.store().review_upload(id, &review, audit).await? {
            None => Err(StaffError::NotFound),
            Some(UploadChange::Conflict(u)) => Err(FileError::Conflict(u.status()).into()),
            Some(UploadChange::Changed(_, task)) => Ok(self.request_view(task).await?),
            Some(UploadChange::Unchanged(_)) => {
                self.staff_document_request(ctx, upload.task_id).await
            }
        }
    }

    /// Publishes a file already in the blob store to a client of the staff member's
    /// firm, as a document or a report; on refusal the blob is deleted.
    pub async fn publish_file(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        purpose: FilePurpose,
        file: ReceivedFile,
    ) -> Result<StoredFile, StaffError> {
        let blobs = vec![file.blob.clone()];
        self.or_discard(blobs, self.record_publication(ctx, client, purpose, file))
            .await
    }

    async fn record_publication(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        purpose: FilePurpose,
        file: ReceivedFile,
    ) -> Result<StoredFile, StaffError> {
        if purpose == FilePurpose::Upload {
            return Err(StaffError::Invalid("publish a document or a report"));
        }
        self.store()
            .client(client)
            .await?
            .filter(|c| c.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)?;
        let place = FilePlace {
            firm_id: ctx.firm,
            client_id: client,
            task_id: None,
            upload_id: None,
        };
        let id = FileId::generate(self.secrets())?;
        let row = file.into_stored(
            id,
            place,
            purpose,
            Actor::Staff(ctx.staff.clone()),
            self.now(),
        );
        let audit = self
            .audit(
                ctx.firm,
                Actor::Staff(ctx.staff.clone()),
                AuditAction::FilePublished,
                None,
                &ctx.request,
                format!("file={} client={client} as={}", row.id, purpose.as_str()),
            )
            .about_client(client);
        self.store().publish_file(&row, audit).await?;
        Ok(row)
    }

    /// A file of the staff member's firm, with its bytes; the download is recorded in
    /// the audit log with the staff member as its actor, and, the first time, on the
    /// file: a dropped file can no longer be deleted by its contact from then on.
    pub async fn staff_download(
        &self,
        ctx: &StaffContext,
        id: FileId,
    ) -> Result<Download, StaffError> {
        let now = self.now();
        let file = self
            .store()
            .file(id)
            .await?
            .filter(|f| f.firm_id == ctx.firm && f.readable_at(now))
            .ok_or(StaffError::NotFound)?;
        let audit = self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::FileDownloaded,
            None,
            &ctx.request,
            format!("file={id} client={}", file.client_id),
        );
        // Recorded before a byte leaves, in the step that decides the file is still
        // there: a deletion racing it either wins (nothing to download) or loses.
        let file = self
            .store()
            .record_staff_download(id, now, audit)
            .await?
            .ok_or(StaffError::NotFound)?;
        Ok(self.bytes_of(file).await?)
    }

    /// A file drop the contact may see, with its files still readable (each with its
    /// expiry, and whether the firm downloaded it).
    pub async fn file_drop(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<TaskFiles, FileError> {
        let task = self.visible_file_task(auth, id).await?;
        if task.evidence.kind() != EvidenceKind::FileDrop {
            return Err(FileError::NotARequest);
        }
        self.task_files(task).await
    }

    async fn task_files(&self, task: Task) -> Result<TaskFiles, FileError> {
        let now = self.now();
        let files = self
            .store()
            .client_files(task.client_id)
            .await?
            .into_iter()
            .filter(|f| f.task_id == Some(task.id) && f.readable_at(now))
            .collect();
        Ok(TaskFiles { task, files })
    }

    /// Records files already in the blob store as dropped into a file drop of the
    /// client's side that the contact's grant allows with `documents`: each lives the
    /// drop's days from now, then is gone. The task is completed. Refused (and the
    /// blobs deleted) as [`Portal::upload_documents`] refuses.
    pub async fn drop_files(
        &self,
        auth: &Authenticated,
        id: TaskId,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<TaskFiles, FileError> {
        let blobs = blobs_of(&files);
        self.or_discard(blobs, self.record_drop(auth, id, files, request))
            .await
    }

    async fn record_drop(
        &self,
        auth: &Authenticated,
        id: TaskId,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<TaskFiles, FileError> {
        let task = self.visible_file_task(auth, id).await?;
        let crate::evidence::Evidence::FileDrop(drop) = task.evidence else {
            return Err(FileError::NotARequest);
        };
        if task.assignee != crate::task::Side::Client {
            return Err(FileError::Forbidden);
        }
        let limits = self.policy(task.firm_id).files;
        counted(&files, limits.max_files_per_upload)?;
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let detail = format!("task={id} files={} bytes={bytes} drop=true", files.len());
        let audit = self.task_audit(auth, &task, AuditAction::FilesUploaded, request, detail)?;
        let expires = audit.at + drop.lifetime();
        let mut rows = Vec::with_capacity(files.len());
        for (i, f) in files.into_iter().enumerate() {
            let mut row = self.file_row(&task, None, FilePurpose::Drop, f, &audit, i)?;
            row.expires_at = Some(expires);
            rows.push(row);
        }
        let completion = crate::task::Completion {
            by: audit.actor.clone(),
            at: audit.at,
            note: None,
            ip: request.ip,
        };
        match self
            .store()
            .add_drop_files(id, &rows, limits.max_client_bytes, &completion, audit)
            .await?
        {
            None => Err(FileError::NotFound),
            Some(UploadAdded::Refused(why)) => Err(FileError::Refused(why)),
            Some(UploadAdded::Added(task)) => self.task_files(task).await,
        }
    }

    /// Deletes a file the contact dropped, until a member of staff downloaded it
    /// ([`FileError::Downloaded`] then). Deleting it again changes nothing.
    pub async fn delete_dropped_file(
        &self,
        auth: &Authenticated,
        id: FileId,
        request: &RequestInfo,
    ) -> Result<TaskFiles, FileError> {
        let file = self
            .store()
            .file(id)
            .await?
            .filter(|f| f.firm_id == auth.session.firm_id && f.purpose == FilePurpose::Drop)
            .ok_or(FileError::NotFound)?;
        let task_id = file.task_id.ok_or(FileError::NotFound)?;
        let task = self.visible_file_task(auth, task_id).await?;
        let detail = format!("task={task_id} file={id}");
        let audit = self.task_audit(auth, &task, AuditAction::DropDeleted, request, detail)?;
        match self.store().delete_drop_file(id, self.now(), audit).await? {
            None => Err(FileError::NotFound),
            Some(DropDeletion::Kept(_)) => Err(FileError::Downloaded),
            Some(DropDeletion::AlreadyGone(_)) => self.task_files(task).await,
            Some(DropDeletion::Deleted(_, blob)) => {
                self.discard(blob).await;
                let task = self
                    .store()
                    .task(task_id)
                    .await?
                    .ok_or(FileError::NotFound)?;
                self.task_files(task).await
            }
        }
    }

    /// A file drop of the staff member's firm with its readable files.
    pub async fn staff_file_drop(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<TaskFiles, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        if task.evidence.kind() != EvidenceKind::FileDrop {
            return Err(FileError::NotARequest.into());
        }
        Ok(self.task_files(task).await?)
    }

    /// Removes the files whose expiry passed (at most `batch`) and deletes their blobs;
    /// how many it removed. A blob whose deletion fails is left to the orphan sweep:
    /// its row no longer names it.
    pub async fn expire_files(&self, batch: u32) -> Result<usize, InternalError> {
        let gone = self.store().expire_files(self.now(), batch).await?;
        let count = gone.len();
        self.discard(gone).await;
        Ok(count)
    }

    /// Deletes the blobs older than [`ORPHAN_AGE`] that no file row names: left by a
    /// crash between storing bytes and recording them, or between forgetting a blob and
    /// deleting it. Returns how many it deleted.
    pub async fn sweep_files(&self) -> Result<usize, InternalError> {
        let before = self.now() - ORPHAN_AGE;
        let listed = self.files().list_older_than(before).await?;
        let mut deleted = 0;
        // In batches, so that one query never names an unbounded list.
        for batch in listed.chunks(500) {
            let kept = self.store().referenced_blobs(batch).await?;
            for name in batch.iter().filter(|n| !kept.contains(n)) {
                self.files().delete(name).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
