//! Stored files' rows and the uploads that answer document requests.
//!
//! The writes that decide on an upload follow the tasks' pattern: lock the task row
//! ([`Dialect::LOCK_TASK`]), read what the decision needs, let the domain decide
//! ([`Upload::may_add`], [`Upload::reviewed`], [`Upload::withdrawn`], as the memory
//! store does) and write the outcome with its audit entry in the same transaction.
//! Every write to an upload holds its task's lock, so an upload read after taking it
//! is the one the decision stands on.
//!
//! Adding an upload also counts the client's stored bytes against the quota. Uploads
//! to two tasks of one client do not share a task lock, so it first locks the client
//! row ([`Dialect::LOCK_CLIENT`]): always the client, then the task, then the audit
//! head, so that no two operations wait on each other in a cycle.
//!
//! Dropped files are decided on one by one: deleting one and recording a staff download
//! of it both lock the file's row ([`Dialect::LOCK_FILE`]), so exactly one of a racing
//! pair happens. A deletion then locks the file's task, to reopen it when no readable
//! file is left: the file, then the task, then the audit head. No operation locks a
//! dropped file after its task (dropping files inserts new rows, and a withdrawal's
//! files belong to an upload, which no dropped file does), so that order closes no
//! cycle either. The sweep of expired files locks only files and passes over those
//! held ([`Dialect::LOCK_EXPIRED_FILES`]).

use std::collections::{HashMap, HashSet};

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::blob::BlobName;
use portal_core::clock::Timestamp;
use portal_core::document::{Review, Upload, UploadAdded, UploadChange, UploadRefusal};
use portal_core::evidence::Evidence;
use portal_core::file::{DropDeletion, StoredFile, task_after_drop, task_after_drop_deletion};
use portal_core::id::{ClientId, FileId, TaskId, UploadId};
use portal_core::task::{Completion, Task};
use sqlx::Transaction;

use super::tasks::{read_task, write_task};
use super::{Engine, append_audit, commit};
use crate::columns::{file_columns, upload_columns};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows;
use crate::stmt::sql;

const INSERT_UPLOAD: &str = concat!(
    "INSERT INTO portal_uploads (",
    upload_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);

/// What a review or a withdrawal changes of an upload.
const WRITE_UPLOAD: &str = "UPDATE portal_uploads SET decision = $2, review_notes = $3, \
     reviewed_by = $4, reviewed_at = $5, withdrawn_at = $6 WHERE id = $1";

const UPLOAD: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM portal_uploads WHERE id = $1"
);

const TASK_UPLOADS: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM portal_uploads WHERE task_id = $1 ORDER BY created_at, id"
);

const CLIENT_UPLOADS: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM portal_uploads WHERE client_id = $1 ORDER BY created_at, id"
);

const INSERT_FILE: &str = concat!(
    "INSERT INTO portal_files (",
    file_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
);

const FILE: &str = concat!(
    "SELECT ",
    file_columns!(),
    " FROM portal_files WHERE id = $1"
);

const CLIENT_FILES: &str = concat!(
    "SELECT ",
    file_columns!(),
    " FROM portal_files WHERE client_id = $1 AND removed_at IS NULL ORDER BY added_at, id"
);

/// The files of a task's uploads, removed ones included.
const TASK_UPLOAD_FILES: &str = concat!(
    "SELECT ",
    file_columns!(),
    " FROM portal_files WHERE upload_id IN (SELECT id FROM portal_uploads WHERE task_id = $1) \
     ORDER BY added_at, id"
);

/// The client a task belongs to, which never changes: read before any lock is taken,
/// so that the client's lock comes first.
const TASK_CLIENT: &str = "SELECT client_id FROM portal_tasks WHERE id = $1";

/// Bytes of the client's files that can still be read (`StoredFile::readable`).
/// PostgreSQL sums a `BIGINT` column as `NUMERIC`: cast back to read it as one.
const CLIENT_BYTES: &str = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS used \
     FROM portal_files WHERE client_id = $1 AND removed_at IS NULL AND blob IS NOT NULL";

/// The blobs a withdrawal makes its upload's files forget, read before they do: an
/// `UPDATE ... RETURNING` returns the values it wrote, not those it replaced.
const UPLOAD_BLOBS: &str = "SELECT blob FROM portal_files \
     WHERE upload_id = $1 AND blob IS NOT NULL ORDER BY added_at, id";

const REMOVE_UPLOAD_FILES: &str =
    "UPDATE portal_files SET removed_at = $2, blob = NULL WHERE upload_id = $1";

/// What removing one file changes: it is no longer readable, and forgets its blob.
const REMOVE_FILE: &str = "UPDATE portal_files SET removed_at = $2, blob = NULL WHERE id = $1";

/// What expiring one file changes: removed as of its expiry, its blob forgotten.
const EXPIRE_FILE: &str =
    "UPDATE portal_files SET removed_at = expires_at, blob = NULL WHERE id = $1";

const RECORD_STAFF_DOWNLOAD: &str =
    "UPDATE portal_files SET staff_downloaded_at = $2 WHERE id = $1";

/// How many of a task's files are readable at `$2` (`StoredFile::readable_at`).
const TASK_READABLE_FILES: &str = "SELECT COUNT(*) AS remaining FROM portal_files \
     WHERE task_id = $1 AND removed_at IS NULL AND blob IS NOT NULL \
     AND (expires_at IS NULL OR expires_at > $2)";

fn size(file: &StoredFile) -> Result<i64, StoreError> {
    i64::try_from(file.size).map_err(|_| StoreError::Corrupt("file size out of range".into()))
}

/// Inserts a file's row in the caller's transaction.
async fn insert_file<DB: Dialect>(
    c: &mut DB::Connection,
    file: &StoredFile,
) -> Result<(), StoreError> {
    let added_by = file.added_by.to_stored();
    let inserted = sql::<DB>(INSERT_FILE)
        .id(file.id.as_uuid())
        .id(file.firm_id.as_uuid())
        .id(file.client_id.as_uuid())
        .opt_id(file.task_id.map(|t| t.as_uuid()))
        .opt_id(file.upload_id.map(|u| u.as_uuid()))
        .text(file.purpose.as_str())
        .text(file.name.as_str())
        .text(file.file_type.content_type())
        .int(size(file)?)
        .bytes(&file.sha256)
        .opt_text(file.blob.as_ref().map(BlobName::as_str))
        .text(&added_by)
        .ts(file.added_at)
        .opt_ts(file.removed_at)
        .opt_ts(file.expires_at)
        .opt_ts(file.staff_downloaded_at)
        .insert(c)
        .await?;
    match inserted {
        Ok(_) => Ok(()),
        Err(Violation::Unique) => Err(StoreError::Conflict("file id")),
        Err(Violation::ForeignKey) => Err(StoreError::Conflict(
            "file of an unknown client, task or upload",
        )),
    }
}

/// Locks the client a task belongs to, then the task, in the caller's transaction;
/// the task as it is under its lock, `None` if there is no such task.
async fn lock_client_then_task<DB: Dialect>(
    c: &mut DB::Connection,
    task: TaskId,
) -> Result<Option<Task>, StoreError> {
    let Some(owner) = sql::<DB>(TASK_CLIENT)
        .id(task.as_uuid())
        .optional(c)
        .await?
    else {
        return Ok(None);
    };
    sql::<DB>(DB::LOCK_CLIENT)
        .id(owner.id("client_id")?)
        .optional(c)
        .await?;
    read_task::<DB>(c, task, true).await
}

/// Whether the client's readable files with `files` stay within `quota` bytes. The
/// client's row must be locked, so that no other addition is counting at once.
async fn within_quota<DB: Dialect>(
    c: &mut DB::Connection,
    client: ClientId,
    files: &[StoredFile],
    quota: u64,
) -> Result<bool, StoreError> {
    let adding = files.iter().fold(0u64, |sum, f| sum.saturating_add(f.size));
    let used = sql::<DB>(CLIENT_BYTES)
        .id(client.as_uuid())
        .optional(c)
        .await?
        .map_or(Ok(0), |r| r.int("used"))?;
    let used = u64::try_from(used)
        .map_err(|_| StoreError::Corrupt("a client's files of negative size".into()))?;
    Ok(used.saturating_add(adding) <= quota)
}

/// A file's row, locked until the caller's transaction ends.
async fn lock_file<DB: Dialect>(
    c: &mut DB::Connection,
    id: FileId,
) -> Result<Option<StoredFile>, StoreError> {
    sql::<DB>(DB::LOCK_FILE)
        .id(id.as_uuid())
        .optional(c)
        .await?
        .map(|r| rows::stored_file(&r))
        .transpose()
}

async fn read_upload<DB: Dialect>(
    c: &mut DB::Connection,
    id: UploadId,
) -> Result<Option<Upload>, StoreError> {
    sql::<DB>(UPLOAD)
        .id(id.as_uuid())
        .optional(c)
        .await?
        .map(|r| rows::upload(&r))
        .transpose()
}

async fn read_uploads<DB: Dialect>(
    c: &mut DB::Connection,
    statement: &'static str,
    key: uuid::Uuid,
) -> Result<Vec<Upload>, StoreError> {
    sql::<DB>(statement)
        .id(key)
        .all(c)
        .await?
        .iter()
        .map(rows::upload)
        .collect()
}

/// Writes what a review or a withdrawal decided of an upload.
async fn write_upload<DB: Dialect>(
    c: &mut DB::Connection,
    upload: &Upload,
) -> Result<(), StoreError> {
    let review = upload.review.as_ref();
    sql::<DB>(WRITE_UPLOAD)
        .id(upload.id.as_uuid())
        .opt_text(review.map(|r| r.decision.as_str()))
        .opt_text(review.and_then(|r| r.notes.as_deref()))
        .opt_text(review.map(|r| r.by.as_str()))
        .opt_ts(review.map(|r| r.at))
        .opt_ts(upload.withdrawn_at)
        .run(c)
        .await?;
    Ok(())
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn add_upload(
        &self,
        upload: &Upload,
        files: &[StoredFile],
        quota: u64,
        audit: AuditDraft,
    ) -> Result<Option<UploadAdded>, StoreError> {
        let task_id = upload.task_id;
        let mut tx = self.write().await?;
        let Some(task) = lock_client_then_task::<DB>(&mut tx, task_id).await? else {
            return Ok(None);
        };
        let uploads = read_uploads::<DB>(&mut tx, TASK_UPLOADS, task_id.as_uuid()).await?;
        if let Err(refusal) = Upload::may_add(&task, &uploads) {
            return Ok(Some(UploadAdded::Refused(refusal)));
        }
        if !within_quota::<DB>(&mut tx, task.client_id, files, quota).await? {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::OverQuota)));
        }
        let next = upload.task_after_adding(&task);
        let review = upload.review.as_ref();
        let inserted = sql::<DB>(INSERT_UPLOAD)
            .id(upload.id.as_uuid())
            .id(upload.firm_id.as_uuid())
            .id(upload.client_id.as_uuid())
            .id(task_id.as_uuid())
            .id(upload.by.as_uuid())
            .ts(upload.at)
            .opt_text(review.map(|r| r.decision.as_str()))
            .opt_text(review.and_then(|r| r.notes.as_deref()))
            .opt_text(review.map(|r| r.by.as_str()))
            .opt_ts(review.map(|r| r.at))
            .opt_ts(upload.withdrawn_at)
            .insert(&mut tx)
            .await?;
        match inserted {
            Ok(_) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict("upload id")),
            // The task is locked: it cannot have gone.
            Err(Violation::ForeignKey) => return Err(StoreError::Conflict("upload's task")),
        }
        for file in files {
            insert_file::<DB>(&mut tx, file).await?;
        }
        write_task::<DB>(&mut tx, &next).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some(UploadAdded::Added(next)))
    }

    /// Locks the upload's task, lets `decide` decide on the upload and the task, and
    /// writes both when it changed them. Returns the change with the transaction still
    /// open, for the caller to finish and commit; `None` if there is no such upload.
    async fn change_upload(
        &self,
        id: UploadId,
        decide: impl FnOnce(&Upload, &Task) -> UploadChange + Send,
    ) -> Result<Option<(Transaction<'static, DB>, UploadChange)>, StoreError> {
        let mut tx = self.write().await?;
        let Some(found) = read_upload::<DB>(&mut tx, id).await? else {
            return Ok(None);
        };
        let task = read_task::<DB>(&mut tx, found.task_id, true)
            .await?
            .ok_or_else(|| StoreError::Corrupt("an upload without its task".into()))?;
        // Read again under the lock: on PostgreSQL a statement sees what was committed
        // before it began, so this one sees the review or withdrawal that held the lock.
        let current = read_upload::<DB>(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("an upload vanished while locked".into()))?;
        let change = decide(&current, &task);
        if let UploadChange::Changed(upload, task) = &change {
            write_upload::<DB>(&mut tx, upload).await?;
            write_task::<DB>(&mut tx, task).await?;
        }
        Ok(Some((tx, change)))
    }

    pub(crate) async fn review_upload(
        &self,
        upload: UploadId,
        review: &Review,
        audit: AuditDraft,
    ) -> Result<Option<UploadChange>, StoreError> {
        let Some((mut tx, change)) = self
            .change_upload(upload, |u, t| u.reviewed(review, t))
            .await?
        else {
            return Ok(None);
        };
        if matches!(change, UploadChange::Changed(..)) {
            append_audit::<DB>(&mut tx, audit).await?;
            commit::<DB>(tx).await?;
        }
        Ok(Some(change))
    }

    pub(crate) async fn withdraw_upload(
        &self,
        upload: UploadId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<(UploadChange, Vec<BlobName>)>, StoreError> {
        let Some((mut tx, change)) = self
            .change_upload(upload, |u, t| u.withdrawn(at, t))
            .await?
        else {
            return Ok(None);
        };
        let mut blobs = Vec::new();
        if matches!(change, UploadChange::Changed(..)) {
            // The files forget their blobs in the step that withdraws the upload; the
            // caller deletes the blobs after the commit.
            for r in sql::<DB>(UPLOAD_BLOBS)
                .id(upload.as_uuid())
                .all(&mut tx)
                .await?
            {
                blobs.extend(rows::blob(&r, "blob")?);
            }
            sql::<DB>(REMOVE_UPLOAD_FILES)
                .id(upload.as_uuid())
                .ts(at)
                .run(&mut tx)
                .await?;
            append_audit::<DB>(&mut tx, audit).await?;
            commit::<DB>(tx).await?;
        }
        Ok(Some((change, blobs)))
    }

    pub(crate) async fn upload(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        let mut c = self.conn().await?;
        read_upload::<DB>(&mut c, id).await
    }

    pub(crate) async fn uploads(
        &self,
        task: TaskId,
    ) -> Result<Vec<(Upload, Vec<StoredFile>)>, StoreError> {
        let mut c = self.conn().await?;
        let uploads = read_uploads::<DB>(&mut c, TASK_UPLOADS, task.as_uuid()).await?;
        let mut files: HashMap<UploadId, Vec<StoredFile>> = HashMap::new();
        for r in sql::<DB>(TASK_UPLOAD_FILES)
            .id(task.as_uuid())
            .all(&mut c)
            .await?
        {
            let file = rows::stored_file(&r)?;
            if let Some(upload) = file.upload_id {
                files.entry(upload).or_default().push(file);
            }
        }
        // An upload committed between the two reads has no place in the first: its
        // files, read by the second, are left out with it.
        Ok(uploads
            .into_iter()
            .map(|u| {
                let theirs = files.remove(&u.id).unwrap_or_default();
                (u, theirs)
            })
            .collect())
    }

    pub(crate) async fn client_uploads(&self, client: ClientId) -> Result<Vec<Upload>, StoreError> {
        let mut c = self.conn().await?;
        read_uploads::<DB>(&mut c, CLIENT_UPLOADS, client.as_uuid()).await
    }

    pub(crate) async fn publish_file(
        &self,
        file: &StoredFile,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        insert_file::<DB>(&mut tx, file).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn file(&self, id: FileId) -> Result<Option<StoredFile>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(FILE)
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::stored_file(&r))
            .transpose()
    }

    pub(crate) async fn client_files(
        &self,
        client: ClientId,
    ) -> Result<Vec<StoredFile>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CLIENT_FILES)
            .id(client.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::stored_file)
            .collect()
    }

    pub(crate) async fn add_drop_files(
        &self,
        task_id: TaskId,
        files: &[StoredFile],
        quota: u64,
        completion: &Completion,
        audit: AuditDraft,
    ) -> Result<Option<UploadAdded>, StoreError> {
        let mut tx = self.write().await?;
        let Some(task) = lock_client_then_task::<DB>(&mut tx, task_id).await? else {
            return Ok(None);
        };
        if task.withdrawn_at.is_some() || !matches!(task.evidence, Evidence::FileDrop(_)) {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::NotRequested)));
        }
        if !within_quota::<DB>(&mut tx, task.client_id, files, quota).await? {
            return Ok(Some(UploadAdded::Refused(UploadRefusal::OverQuota)));
        }
        for file in files {
            insert_file::<DB>(&mut tx, file).await?;
        }
        let done = task_after_drop(&task, completion);
        write_task::<DB>(&mut tx, &done).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some(UploadAdded::Added(done)))
    }

    pub(crate) async fn delete_drop_file(
        &self,
        id: FileId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<DropDeletion>, StoreError> {
        let mut tx = self.write().await?;
        let Some(current) = lock_file::<DB>(&mut tx, id).await? else {
            return Ok(None);
        };
        let outcome = current.deleted(at);
        let DropDeletion::Deleted(gone, _) = &outcome else {
            return Ok(Some(outcome));
        };
        sql::<DB>(REMOVE_FILE)
            .id(id.as_uuid())
            .ts(at)
            .run(&mut tx)
            .await?;
        if let Some(task_id) = gone.task_id
            && let Some(task) = read_task::<DB>(&mut tx, task_id, true).await?
        {
            // Counted under the task's lock, which every drop into the task holds: the
            // files of drops committed before are in, and none is being added.
            let remaining = sql::<DB>(TASK_READABLE_FILES)
                .id(task_id.as_uuid())
                .ts(at)
                .optional(&mut tx)
                .await?
                .map_or(Ok(0), |r| r.int("remaining"))?;
            let remaining = usize::try_from(remaining)
                .map_err(|_| StoreError::Corrupt("a negative count of files".into()))?;
            if let Some(reopened) = task_after_drop_deletion(&task, remaining, at) {
                write_task::<DB>(&mut tx, &reopened).await?;
            }
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some(outcome))
    }

    pub(crate) async fn record_staff_download(
        &self,
        id: FileId,
        at: Timestamp,
        audit: AuditDraft,
    ) -> Result<Option<StoredFile>, StoreError> {
        let mut tx = self.write().await?;
        let Some(mut file) = lock_file::<DB>(&mut tx, id)
            .await?
            .filter(|f| f.readable_at(at))
        else {
            return Ok(None);
        };
        if file.staff_downloaded_at.is_none() {
            sql::<DB>(RECORD_STAFF_DOWNLOAD)
                .id(id.as_uuid())
                .ts(at)
                .run(&mut tx)
                .await?;
            file.staff_downloaded_at = Some(at);
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(Some(file))
    }

    pub(crate) async fn expire_files(
        &self,
        now: Timestamp,
        batch: u32,
    ) -> Result<Vec<BlobName>, StoreError> {
        let mut tx = self.write().await?;
        let due = sql::<DB>(DB::LOCK_EXPIRED_FILES)
            .ts(now)
            .int(i64::from(batch))
            .all(&mut tx)
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut gone = Vec::with_capacity(due.len());
        for r in &due {
            // A malformed name fails the whole batch before the commit: no row forgets
            // a blob that nobody could then delete.
            gone.extend(rows::blob(r, "blob")?);
            sql::<DB>(EXPIRE_FILE).id(r.id("id")?).run(&mut tx).await?;
        }
        commit::<DB>(tx).await?;
        Ok(gone)
    }

    pub(crate) async fn referenced_blobs(
        &self,
        names: &[BlobName],
    ) -> Result<Vec<BlobName>, StoreError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let given: Vec<&str> = names.iter().map(BlobName::as_str).collect();
        let json = serde_json::to_string(&given)
            .map_err(|e| StoreError::Corrupt(format!("blob names not writable as JSON: {e}")))?;
        let mut c = self.conn().await?;
        let named: HashSet<String> = sql::<DB>(DB::REFERENCED_BLOBS)
            .text(&json)
            .all(&mut c)
            .await?
            .iter()
            .map(|r| r.text("blob"))
            .collect::<Result<_, _>>()?;
        // The names given, in their order, that a row names: what the row holds is
        // only compared, never used as a name.
        Ok(names
            .iter()
            .filter(|n| named.contains(n.as_str()))
            .cloned()
            .collect())
    }
}
