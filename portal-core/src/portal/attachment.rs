//! Question attachments: a receipt or a statement a contact attaches to its answer.
//!
//! The answer stands first, naming the files' ids; their rows are written once it
//! does. An answer refused (the question was answered otherwise meanwhile) writes no
//! row and its bytes are deleted; a crash between the answer and the rows leaves an
//! answer naming files nobody can read, and blobs the orphan sweep removes.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::evidence::{EvidenceKind, Submission};
use crate::file::{FilePurpose, ReceivedFile, StoredFile};
use crate::grant::Permissions;
use crate::id::{FileId, TaskId};
use crate::portal::Portal;
use crate::portal::documents::FileError;
use crate::portal::session::Authenticated;
use crate::portal::task::TaskError;
use crate::task::{Completion, Task, TaskOutcome};

impl Portal {
    /// Answers a question of the client's side that the contact's grant allows with
    /// `tasks`, with `files` (already in the blob store) attached: at most the firm's
    /// files per upload, within the client's storage limit. The first answer stands,
    /// as [`Portal::submit_task`] says; a refused answer deletes the files' bytes.
    pub async fn answer_with_files(
        &self,
        auth: &Authenticated,
        id: TaskId,
        text: &str,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<Task, FileError> {
        let blobs = super::documents::blobs_of(&files);
        self.or_discard(blobs, self.record_answer(auth, id, text, files, request))
            .await
    }

    async fn record_answer(
        &self,
        auth: &Authenticated,
        id: TaskId,
        text: &str,
        files: Vec<ReceivedFile>,
        request: &RequestInfo,
    ) -> Result<Task, FileError> {
        let task = self.actionable_task(auth, id, Permissions::TASKS).await?;
        if task.evidence.kind() != EvidenceKind::Question {
            return Err(TaskError::wrong_type(task.evidence.kind(), EvidenceKind::Question).into());
        }
        let limits = self.policy(task.firm_id).files;
        if files.len() > limits.max_files_per_upload {
            return Err(FileError::FileCount {
                max: limits.max_files_per_upload,
            });
        }
        // Checked before the answer is written, not in the same step: attachments are
        // a few receipts, and the limit's purpose, a bound on what one client stores,
        // holds within a few files.
        let adding: u64 = files.iter().map(|f| f.size).sum();
        let stored: u64 = self
            .store()
            .client_files(task.client_id)
            .await?
            .iter()
            .filter(|f| f.readable())
            .map(|f| f.size)
            .sum();
        if stored.saturating_add(adding) > limits.max_client_bytes {
            return Err(crate::document::UploadRefusal::OverQuota.into());
        }
        let ids = files
            .iter()
            .map(|_| FileId::generate(self.secrets()))
            .collect::<Result<Vec<_>, _>>()?;
        let submission = Submission::answer_with(text, ids.clone()).map_err(TaskError::from)?;
        let detail = format!("task={id} type=question attachments={}", ids.len());
        let audit = self.task_audit(auth, &task, AuditAction::TaskSubmitted, request, detail)?;
        let completion = Completion {
            by: audit.actor.clone(),
            at: audit.at,
            note: None,
            ip: request.ip,
        };
        let task = match self
            .store()
            .submit_task(id, &task.evidence, &submission, &completion, audit.clone())
            .await?
        {
            Some(TaskOutcome::Changed(task)) => task,
            Some(TaskOutcome::Unchanged(task)) if ids.is_empty() => return Ok(task),
            Some(_) => return Err(TaskError::Conflict.into()),
            None => return Err(FileError::NotFound),
        };
        for (place, (file, id)) in files.into_iter().zip(ids).enumerate() {
            let row = StoredFile {
                id,
                firm_id: task.firm_id,
                client_id: task.client_id,
                task_id: Some(task.id),
                upload_id: None,
                purpose: FilePurpose::Attachment,
                name: file.name,
                file_type: file.file_type,
                size: file.size,
                sha256: file.sha256,
                blob: Some(file.blob),
                added_by: audit.actor.clone(),
                added_at: audit.at + std::time::Duration::from_millis(place as u64),
                removed_at: None,
                expires_at: None,
                staff_downloaded_at: None,
            };
            let entry = self.audit(
                task.firm_id,
                Actor::Contact(auth.session.contact_id),
                AuditAction::FilesUploaded,
                Some(auth.session.contact_id),
                request,
                format!("task={} file={} attachment=true", task.id, row.id),
            );
            self.store().publish_file(&row, entry).await?;
        }
        Ok(task)
    }

    /// The files attached to a question's answer that the contact may read, in the
    /// order given.
    pub async fn attachments(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<Vec<StoredFile>, FileError> {
        let task = self.client_task(auth, id).await?;
        self.attachments_of(&task).await
    }

    /// The readable files `task`'s answer names.
    pub(super) async fn attachments_of(&self, task: &Task) -> Result<Vec<StoredFile>, FileError> {
        let Some(Submission::Answer { attachments, .. }) = &task.submission else {
            return Ok(Vec::new());
        };
        if attachments.is_empty() {
            return Ok(Vec::new());
        }
        let mut files: Vec<StoredFile> = self
            .store()
            .client_files(task.client_id)
            .await?
            .into_iter()
            .filter(|f| {
                f.task_id == Some(task.id)
                    && f.purpose == FilePurpose::Attachment
                    && attachments.contains(&f.id)
            })
            .collect();
        files.sort_by_key(|f| attachments.iter().position(|a| *a == f.id));
        Ok(files)
    }
}
