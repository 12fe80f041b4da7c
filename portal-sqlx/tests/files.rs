//! Stored files in the SQL stores, beyond what the conformance suite can reach through
//! the store traits: a row whose blob name was tampered with is reported as corrupt
//! (and a withdrawal meeting it writes nothing) rather than handed on for a delete, and
//! the blobs the orphan sweep asks about arrive in full batches of names in one
//! statement on each dialect. Sweeps of expired dropped files running at once on two
//! instances remove and return each file once, and a tampered name stops the sweep
//! before it writes.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::sync::Arc;
use std::time::Duration;

use portal_core::StoreError;
use portal_core::audit::{Actor, AuditAction, AuditDraft, AuditOutcome};
use portal_core::blob::BlobName;
use portal_core::clock::{Clock as _, Timestamp};
use portal_core::document::{Upload, UploadAdded, UploadStatus};
use portal_core::evidence::{Evidence, FileDrop};
use portal_core::file::{FilePurpose, StoredFile};
use portal_core::file_name::DisplayName;
use portal_core::file_type::FileType;
use portal_core::id::{FileId, UploadId};
use portal_core::random::OsSecretSource;
use portal_core::store::Store;
use portal_core::task::{Completion, NewTask, Side};
use portal_core::testing::{Fixture, World};
use uuid::Uuid;

/// How many names the sweep asks about at once.
const BATCH: usize = 500;

async fn world(store: Arc<dyn Store>) -> World {
    World::new(Fixture::single(store)).await
}

fn audit(w: &World, action: AuditAction) -> AuditDraft {
    AuditDraft {
        firm_id: w.firm.id,
        at: w.clock.now(),
        actor: Actor::Contact(w.bob.id),
        action,
        contact_id: Some(w.bob.id),
        client_id: None,
        task_id: None,
        request: World::req(),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    }
}

fn blob_name(w: &World) -> BlobName {
    BlobName::generate(&OsSecretSource, w.clock.now()).unwrap()
}

/// A document request of client 1 with one upload of one file, added through the
/// store: the file's row names `blob`.
async fn uploaded(w: &World, n: u128, blob: BlobName) -> (Upload, StoredFile) {
    let task = NewTask {
        phase: None,
        title: format!("Statements {n}"),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::DocumentUpload,
    };
    let task = w.a.create_task(&w.staff, w.client1.id, task).await.unwrap();
    let upload = Upload {
        id: UploadId::from_uuid(Uuid::from_u128(n)),
        firm_id: w.firm.id,
        client_id: w.client1.id,
        task_id: task.id,
        by: w.bob.id,
        at: w.clock.now(),
        review: None,
        withdrawn_at: None,
    };
    let file = StoredFile {
        id: FileId::from_uuid(Uuid::from_u128(n)),
        firm_id: w.firm.id,
        client_id: w.client1.id,
        task_id: Some(task.id),
        upload_id: Some(upload.id),
        purpose: FilePurpose::Upload,
        name: DisplayName::from_client("statement.pdf"),
        file_type: FileType::Pdf,
        size: 100,
        sha256: [7; 32],
        blob: Some(blob),
        added_by: Actor::Contact(w.bob.id),
        added_at: w.clock.now(),
        removed_at: None,
        expires_at: None,
        staff_downloaded_at: None,
    };
    let added = w
        .store()
        .add_upload(
            &upload,
            std::slice::from_ref(&file),
            u64::MAX,
            audit(w, AuditAction::FilesUploaded),
        )
        .await
        .unwrap();
    assert!(matches!(added, Some(UploadAdded::Added(_))), "{added:?}");
    (upload, file)
}

/// `n` files dropped at once into a new file drop of client 1, with ids from `first`,
/// each expiring at `expires_at`.
async fn dropped(w: &World, first: u128, n: u128, expires_at: Timestamp) -> Vec<StoredFile> {
    let task = NewTask {
        phase: None,
        title: format!("Logins {first}"),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::FileDrop(FileDrop::default()),
    };
    let task = w.a.create_task(&w.staff, w.client1.id, task).await.unwrap();
    let files: Vec<StoredFile> = (first..first + n)
        .map(|i| StoredFile {
            id: FileId::from_uuid(Uuid::from_u128(i)),
            firm_id: w.firm.id,
            client_id: w.client1.id,
            task_id: Some(task.id),
            upload_id: None,
            purpose: FilePurpose::Drop,
            name: DisplayName::from_client("login.pdf"),
            file_type: FileType::Pdf,
            size: 100,
            sha256: [7; 32],
            blob: Some(blob_name(w)),
            added_by: Actor::Contact(w.bob.id),
            added_at: w.clock.now(),
            removed_at: None,
            expires_at: Some(expires_at),
            staff_downloaded_at: None,
        })
        .collect();
    let completion = Completion {
        by: Actor::Contact(w.bob.id),
        at: w.clock.now(),
        note: None,
        ip: None,
    };
    let added = w
        .store()
        .add_drop_files(
            task.id,
            &files,
            u64::MAX,
            &completion,
            audit(w, AuditAction::FilesUploaded),
        )
        .await
        .unwrap();
    assert!(matches!(added, Some(UploadAdded::Added(_))), "{added:?}");
    files
}

/// Every blob `store` sweeps at `now` in batches of `batch`, until a sweep finds none.
async fn sweep(store: Arc<dyn Store>, now: Timestamp, batch: u32) -> Vec<BlobName> {
    let mut swept = Vec::new();
    loop {
        let names = store.expire_files(now, batch).await.unwrap();
        if names.is_empty() {
            return swept;
        }
        assert!(names.len() <= batch as usize, "{} > {batch}", names.len());
        swept.extend(names);
    }
}

/// Two instances sweeping at once, in small batches: together they return the blob of
/// every file due, each once (what one returned the other never deletes again), and
/// remove each file as of its expiry; a file not due yet stays readable.
async fn racing_sweeps_expire_each_file_once(f: Fixture) {
    let (first, second) = (f.primary.clone(), f.secondary.clone());
    let w = &World::new(f).await;
    let now = w.clock.now();
    let due = dropped(w, 100, 40, now).await;
    let later = dropped(w, 200, 1, now + Duration::from_secs(60)).await;
    let (a, b) = tokio::join!(sweep(first, now, 3), sweep(second, now, 3));
    let mut swept: Vec<BlobName> = a.into_iter().chain(b).collect();
    swept.sort();
    let mut expected: Vec<BlobName> = due.iter().filter_map(|f| f.blob.clone()).collect();
    expected.sort();
    assert_eq!(swept, expected);
    let store = w.store();
    for f in &due {
        let row = store.file(f.id).await.unwrap().unwrap();
        assert_eq!((row.removed_at, row.blob), (Some(now), None), "{:?}", f.id);
    }
    assert!(store.expire_files(now, 100).await.unwrap().is_empty());
    let kept = store.file(later[0].id).await.unwrap().unwrap();
    assert!(kept.readable_at(now), "{kept:?}");
}

/// After `tamper` replaced the file row's blob name with one no blob store generates:
/// reading the file is corrupt, and so is withdrawing its upload, which then leaves
/// the upload, its task and its file as they were.
async fn a_tampered_blob_name_is_corrupt(
    w: &World,
    tamper: impl Future<Output = ()>,
) -> (Upload, StoredFile) {
    let (upload, file) = uploaded(w, 1, blob_name(w)).await;
    let store = w.store();
    let task_before = store.task(upload.task_id).await.unwrap();
    tamper.await;
    assert!(matches!(
        store.file(file.id).await,
        Err(StoreError::Corrupt(_))
    ));
    let withdrawn = store
        .withdraw_upload(
            upload.id,
            w.clock.now(),
            audit(w, AuditAction::UploadWithdrawn),
        )
        .await;
    assert!(
        matches!(withdrawn, Err(StoreError::Corrupt(_))),
        "{withdrawn:?}"
    );
    let kept = store.upload(upload.id).await.unwrap().unwrap();
    assert_eq!(kept.status(), UploadStatus::Uploaded);
    assert_eq!(store.task(upload.task_id).await.unwrap(), task_before);
    (upload, file)
}

/// The sweep's question with a full batch of names, a few of them named by rows (one
/// of those twice, one removed since): the named ones come back, each once, in the
/// order asked.
async fn a_full_batch_of_names_is_answered(w: &World) {
    let store = w.store();
    let mut names: Vec<BlobName> = (0..BATCH).map(|_| blob_name(w)).collect();
    names.sort();
    let (kept, withdrawn) = (names[3].clone(), names[BATCH - 1].clone());
    uploaded(w, 1, kept.clone()).await;
    let (upload, _) = uploaded(w, 2, withdrawn.clone()).await;
    let (_, gone) = store
        .withdraw_upload(
            upload.id,
            w.clock.now(),
            audit(w, AuditAction::UploadWithdrawn),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone, vec![withdrawn]);
    let published = StoredFile {
        id: FileId::from_uuid(Uuid::from_u128(3)),
        task_id: None,
        upload_id: None,
        purpose: FilePurpose::Document,
        blob: Some(kept.clone()),
        added_by: Actor::Staff(w.staff.staff.clone()),
        ..store
            .file(FileId::from_uuid(Uuid::from_u128(1)))
            .await
            .unwrap()
            .unwrap()
    };
    store
        .publish_file(&published, audit(w, AuditAction::FilesUploaded))
        .await
        .unwrap();
    let last = blob_name(w);
    let also = StoredFile {
        id: FileId::from_uuid(Uuid::from_u128(4)),
        blob: Some(last.clone()),
        ..published
    };
    store
        .publish_file(&also, audit(w, AuditAction::FilesUploaded))
        .await
        .unwrap();
    names[BATCH - 2] = last.clone();
    assert_eq!(
        store.referenced_blobs(&names).await.unwrap(),
        vec![kept, last]
    );
    assert!(store.referenced_blobs(&[]).await.unwrap().is_empty());
}

/// A path where a blob name belongs: what a tampered row might hold.
const TAMPERED: &str = "../../etc/passwd";

/// [`a_tampered_blob_name_is_corrupt`] on `$store` (a concrete store, whose pool the
/// tampering uses), then the row still holds what was put there.
macro_rules! tampered_case {
    ($store:expr) => {{
        let store = $store;
        let w = world(Arc::new(store.clone())).await;
        let (_, file) = a_tampered_blob_name_is_corrupt(&w, async {
            sqlx::query("UPDATE portal_files SET blob = $1")
                .bind(TAMPERED)
                .execute(store.pool())
                .await
                .unwrap();
        })
        .await;
        let (blob,): (Option<String>,) =
            sqlx::query_as("SELECT blob FROM portal_files WHERE id = $1")
                .bind(file.id.as_uuid())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(blob.as_deref(), Some(TAMPERED));
    }};
}

#[tokio::test]
async fn sqlite_a_tampered_blob_name_is_corrupt() {
    tampered_case!(common::sqlite_file_store(&common::sqlite_path()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_tampered_blob_name_is_corrupt() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_a_tampered_blob_name_is_corrupt: no DATABASE_URL");
        return;
    };
    tampered_case!(common::pg_store(&url, &common::pg_schema(&url).await).await);
}

/// [`racing_sweeps_expire_each_file_once`] on `$fixture`, two instances.
macro_rules! racing_sweeps_case {
    ($fixture:expr) => {{
        let Some(f) = $fixture else {
            eprintln!("SKIPPED racing sweeps: no DATABASE_URL");
            return;
        };
        racing_sweeps_expire_each_file_once(f).await;
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_racing_sweeps_expire_each_file_once() {
    racing_sweeps_case!(common::sqlite_file().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_racing_sweeps_expire_each_file_once() {
    racing_sweeps_case!(common::postgres().await);
}

/// A due file whose row's blob name `tamper` replaced stops the sweep as corrupt
/// before it writes: the row is still there to be swept, naming what it named.
macro_rules! tampered_sweep_case {
    ($store:expr) => {{
        let store = $store;
        let w = world(Arc::new(store.clone())).await;
        let now = w.clock.now();
        let file = dropped(&w, 1, 1, now).await.remove(0);
        sqlx::query("UPDATE portal_files SET blob = $1")
            .bind(TAMPERED)
            .execute(store.pool())
            .await
            .unwrap();
        let swept = w.store().expire_files(now, 10).await;
        assert!(matches!(swept, Err(StoreError::Corrupt(_))), "{swept:?}");
        let (blob, removed_at): (Option<String>, Option<i64>) =
            sqlx::query_as("SELECT blob, removed_at FROM portal_files WHERE id = $1")
                .bind(file.id.as_uuid())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!((blob.as_deref(), removed_at), (Some(TAMPERED), None));
    }};
}

#[tokio::test]
async fn sqlite_a_tampered_blob_name_stops_the_sweep() {
    tampered_sweep_case!(common::sqlite_file_store(&common::sqlite_path()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_tampered_blob_name_stops_the_sweep() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_a_tampered_blob_name_stops_the_sweep: no DATABASE_URL");
        return;
    };
    tampered_sweep_case!(common::pg_store(&url, &common::pg_schema(&url).await).await);
}

#[tokio::test]
async fn sqlite_a_full_batch_of_names_is_answered() {
    let store = common::sqlite_file_store(&common::sqlite_path()).await;
    a_full_batch_of_names_is_answered(&world(Arc::new(store)).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_full_batch_of_names_is_answered() {
    let Some(url) = common::database_url() else {
        eprintln!("SKIPPED postgres_a_full_batch_of_names_is_answered: no DATABASE_URL");
        return;
    };
    let store = common::pg_store(&url, &common::pg_schema(&url).await).await;
    a_full_batch_of_names_is_answered(&world(Arc::new(store)).await).await;
}
