use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::audit::AuditDraft;
use crate::blob::BlobName;
use crate::clock::Timestamp;
use crate::document::{Review, Upload, UploadAdded, UploadChange, UploadRefusal};
use crate::evidence::Evidence;
use crate::file::{DropDeletion, StoredFile, task_after_drop, task_after_drop_deletion};
use crate::id::{ClientId, FileId, TaskId, UploadId};
use crate::store::{FileStore, StoreError};
use crate::task::{Completion, Task};

impl State {
    fn task_uploads(&self, task: TaskId) -> Vec<Upload> {
        self.uploads
            .values()
            .filter(|u| u.task_id == task)
            .cloned()
            .collect()
    }

    /// Bytes of the client's files that can still be read.
    fn client_bytes(&self, client: ClientId) -> u64 {
        self.files
            .values()
            .filter(|f| f.client_id == client && f.readable())
            .map(|f| f.size)
            .sum()
    }

    /// Applies `decide` to an upload and its task, keeping what changed with `audit`.
    fn change_upload(
        &mut self,
        upload: UploadId,
        audit: AuditDraft,
        decide: impl FnOnce(&Upload, &Task) -> UploadChange,
    ) -> Result<Option<UploadChange>, StoreError> {
        let Some(current) = self.uploads.get(&upload) else {
            return Ok(None);
        };
        let task = self
            .tasks
            .get(&current.task_id)
            .ok_or_else(|| StoreError::Corrupt("an upload without its task".into()))?;
        let change = decide(current, task);
        if let UploadChange::Changed(u, t) = &change {
            self.uploads.insert(u.id, u.clone());
            self.tasks.insert(t.id, t.clone());
            self.append(audit);
        }
        Ok(Some(change))
    }
}

/// In the order they came, then by id.
fn in_order<T>(mut rows: Vec<T>, key: impl Fn(&T) -> (Timestamp, [u8; 16])) -> Vec<T> {
    rows.sort_by_key(|r| key(r));
    rows
}

#[async_trait]
impl FileStore for MemoryStore {
    async fn add_upload(
        &self,
        upload: &Upload,
        files: &[StoredFile],
        quota: u64,
        audit: AuditDraft,
    ) -> Result<Option<UploadAdded>, StoreError> {
        let mut state = self.lock()?;
        let Some(task) = state.tasks.get(&upload.task_id).cloned() else {
            return Ok(None);
        };
        if state.uploads.contains_key(&upload.id)
            || files.iter().any(|f| state.files.contains_key(&f.id))
        {
            return Err(StoreError::Conflict("upload or file id"));
        }
        if let Err(refusal) = Upload::may_add(&task, &state.task_uploads(task.id)) {
            return Ok(Some(UploadAdded::Refused(refusal)));
        }
        let adding: u64 = files.iter().map(|f| f.size).sum();
        if state.client_bytes(task.client_id).saturating_add(adding) > quota {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::OverQuota)));
        }
        let task = upload.task_after_adding(&task);
        state.uploads.insert(upload.id, upload.clone());
        for f in files {
            state.files.insert(f.id, f.clone());
        }
        state.tasks.insert(task.id, task.clone());
        state.append(audit);
        Ok(Some(UploadAdded::Added(task)))
    }

    async fn review_upload(
        &self,
        upload: UploadId,
        review: &Review,
        audit: AuditDraft,
    ) -> Result<Option<UploadChange>, StoreError> {
        self.lock()?
            .change_upload(upload, audit, |u, t| u.reviewed(review, t))
    }

    async fn withdraw_upload(
        &self,
        upload: UploadId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<(UploadChange, Vec<BlobName>)>, StoreError> {
        let mut state = self.lock()?;
        let Some(change) = state.change_upload(upload, audit, |u, t| u.withdrawn(at, t))? else {
            return Ok(None);
        };
        let mut blobs = Vec::new();
        if matches!(change, UploadChange::Changed(..)) {
            for f in state.files.values_mut() {
                if f.upload_id == Some(upload) {
                    f.removed_at = Some(at);
                    blobs.extend(f.blob.take());
                }
            }
        }
        Ok(Some((change, blobs)))
    }

    async fn upload(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        Ok(self.read()?.uploads.get(&id).cloned())
    }

    async fn uploads(&self, task: TaskId) -> Result<Vec<(Upload, Vec<StoredFile>)>, StoreError> {
        let state = self.read()?;
        let uploads = in_order(state.task_uploads(task), |u| (u.at, *u.id.as_bytes()));
        Ok(uploads
            .into_iter()
            .map(|u| {
                let files = state
                    .files
                    .values()
                    .filter(|f| f.upload_id == Some(u.id))
                    .cloned()
                    .collect();
                (u, in_order(files, |f| (f.added_at, *f.id.as_bytes())))
            })
            .collect())
    }

    async fn client_uploads(&self, client: ClientId) -> Result<Vec<Upload>, StoreError> {
        let state = self.read()?;
        let uploads = state
            .uploads
            .values()
            .filter(|u| u.client_id == client)
            .cloned()
            .collect();
        Ok(in_order(uploads, |u| (u.at, *u.id.as_bytes())))
    }

    async fn publish_file(&self, file: &StoredFile, audit: AuditDraft) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.files.contains_key(&file.id) {
            return Err(StoreError::Conflict("file id"));
        }
        if !state.clients.contains_key(&file.client_id) {
            return Err(StoreError::Conflict("file of an unknown client"));
        }
        state.files.insert(file.id, file.clone());
        state.append(audit);
        Ok(())
    }

    async fn file(&self, id: FileId) -> Result<Option<StoredFile>, StoreError> {
        Ok(self.read()?.files.get(&id).cloned())
    }

    async fn client_files(&self, client: ClientId) -> Result<Vec<StoredFile>, StoreError> {
        let state = self.read()?;
        let files = state
            .files
            .values()
            .filter(|f| f.client_id == client && f.removed_at.is_none())
            .cloned()
            .collect();
        Ok(in_order(files, |f| (f.added_at, *f.id.as_bytes())))
    }

    async fn add_drop_files(
        &self,
        task: TaskId,
        files: &[StoredFile],
        quota: u64,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<UploadAdded>, StoreError> {
        let mut state = self.lock()?;
        let Some(current) = state.tasks.get(&task).cloned() else {
            return Ok(None);
        };
        if files.iter().any(|f| state.files.contains_key(&f.id)) {
            return Err(StoreError::Conflict("file id"));
        }
        if current.withdrawn_at.is_some() || !matches!(current.evidence, Evidence::FileDrop(_)) {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::NotRequested)));
        }
        let adding: u64 = files.iter().map(|f| f.size).sum();
        if state.client_bytes(current.client_id).saturating_add(adding) > quota {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::OverQuota)));
        }
        let done = task_after_drop(&current, completion);
        for f in files {
            state.files.insert(f.id, f.clone());
        }
        state.tasks.insert(task, done.clone());
        state.append(audit);
        Ok(Some(UploadAdded::Added(done)))
    }

    async fn delete_drop_file(
        &self,
        file: FileId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<DropDeletion>, StoreError> {
        let mut state = self.lock()?;
        let Some(current) = state.files.get(&file) else {
            return Ok(None);
        };
        let outcome = current.deleted(at);
        if let DropDeletion::Deleted(row, _) = &outcome {
            state.files.insert(file, row.clone());
            if let Some(task_id) = row.task_id {
                let remaining = state
                    .files
                    .values()
                    .filter(|f| f.task_id == Some(task_id) && f.readable_at(at))
                    .count();
                if let Some(task) = state.tasks.get(&task_id).cloned()
                    && let Some(reopened) = task_after_drop_deletion(&task, remaining, at)
                {
                    state.tasks.insert(task_id, reopened);
                }
            }
            state.append(audit);
        }
        Ok(Some(outcome))
    }

    async fn record_staff_download(
        &self,
        file: FileId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<StoredFile>, StoreError> {
        let mut state = self.lock()?;
        let Some(f) = state.files.get_mut(&file).filter(|f| f.readable_at(at)) else {
            return Ok(None);
        };
        f.staff_downloaded_at.get_or_insert(at);
        let f = f.clone();
        state.append(audit);
        Ok(Some(f))
    }

    async fn expire_files(&self, now: Timestamp, batch: u32) -> Result<Vec<BlobName>, StoreError> {
        let mut state = self.lock()?;
        let mut gone = Vec::new();
        for f in state.files.values_mut() {
            if gone.len() >= batch as usize {
                break;
            }
            if let Some(expiry) = f.expires_at.filter(|e| *e <= now)
                && f.removed_at.is_none()
            {
                f.removed_at = Some(expiry);
                gone.extend(f.blob.take());
            }
        }
        Ok(gone)
    }

    async fn referenced_blobs(&self, names: &[BlobName]) -> Result<Vec<BlobName>, StoreError> {
        let state = self.read()?;
        let named: std::collections::HashSet<&BlobName> = state
            .files
            .values()
            .filter_map(|f| f.blob.as_ref())
            .collect();
        Ok(names
            .iter()
            .filter(|n| named.contains(n))
            .cloned()
            .collect())
    }
}
