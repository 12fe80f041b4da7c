//! Document requests and files in the store: the way from requested to approved
//! through a rejection, withdrawal, the races between uploads, reviews and
//! withdrawals, the client's storage limit, published files and their permissions,
//! downloads in the access log, and the sweep of orphaned blobs.

use bytes::Bytes;
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};

use super::*;
use crate::document::{RequestStatus, UploadRefusal, UploadStatus};
use crate::evidence::{Decision, Evidence};
use crate::file::{FilePurpose, ReceivedFile};
use crate::file_name::DisplayName;
use crate::file_type::FileType;
use crate::id::{TaskId, UploadId};
use crate::policy::FileLimits;
use crate::portal::Portal;
use crate::portal::documents::FileError;
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::task::{NewTask, Side, TaskStatus};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/// `body` stored through `portal`'s file storage, as the web layer hands it on.
async fn received(portal: &Portal, name: &str, body: &[u8]) -> ReceivedFile {
    let name = DisplayName::from_client(name);
    let file_type = FileType::check(body, None, &name).unwrap();
    let chunks = vec![Ok(Bytes::copy_from_slice(body))];
    let blob = portal
        .files()
        .put(Box::pin(futures_util::stream::iter(chunks)))
        .await
        .unwrap();
    ReceivedFile {
        blob,
        name,
        file_type,
        size: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

async fn pdf(portal: &Portal, name: &str) -> Vec<ReceivedFile> {
    vec![received(portal, name, PDF).await]
}

async fn session(w: &World, contact: crate::id::ContactId) -> Authenticated {
    let cookie = w.login(contact).await.token.expose_secret();
    w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap()
}

async fn request(w: &World, title: &str) -> TaskId {
    let task = NewTask {
        phase: None,
        title: title.into(),
        description: "The statements of 2025".into(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::DocumentUpload,
    };
    w.a.create_task(&w.staff, w.client1.id, task)
        .await
        .unwrap()
        .id
}

async fn read_all(portal: &Portal, auth: &Authenticated, file: crate::id::FileId) -> Vec<u8> {
    let download = portal.download(auth, file, &req()).await.unwrap();
    let mut out = Vec::new();
    let mut bytes = download.bytes;
    while let Some(chunk) = bytes.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// The upload that waits for review.
fn latest(r: &crate::portal::documents::DocumentRequest) -> UploadId {
    r.uploads
        .iter()
        .find(|(u, _)| u.status() == UploadStatus::Uploaded)
        .unwrap()
        .0
        .id
}

pub async fn a_document_request_goes_from_requested_through_rejection_to_approval(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = request(&w, "Bank statements").await;
    let r = w.a.document_request(&bob, task).await.unwrap();
    assert_eq!((r.status, r.uploads.len()), (RequestStatus::Requested, 0));

    let first =
        w.a.upload_documents(&bob, task, pdf(&w.a, "jan.pdf").await, &req())
            .await
            .unwrap();
    assert_eq!(first.status, RequestStatus::Uploaded);
    assert_eq!(first.task.status, TaskStatus::InProgress);
    let (upload, files) = &first.uploads[0];
    assert_eq!((upload.by, files.len()), (w.bob.id, 1));
    assert_eq!(files[0].name.as_str(), "jan.pdf");
    assert_eq!(files[0].file_type, FileType::Pdf);
    assert_eq!(files[0].sha256, <[u8; 32]>::from(Sha256::digest(PDF)));
    assert_eq!(
        read_all(&w.b, &bob, files[0].id).await,
        PDF,
        "either instance serves it"
    );

    // One upload waits for review at a time.
    let again =
        w.b.upload_documents(&bob, task, pdf(&w.b, "feb.pdf").await, &req())
            .await;
    assert!(
        matches!(
            again,
            Err(FileError::Refused(UploadRefusal::AwaitingReview))
        ),
        "{again:?}"
    );

    let rejected =
        w.b.review_upload(
            &w.staff,
            upload.id,
            Decision::Rejected,
            Some("February is missing"),
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, RequestStatus::Rejected);
    assert_eq!(
        rejected.task.status,
        TaskStatus::Pending,
        "the client has to act"
    );
    let review = rejected.uploads[0].0.review.clone().unwrap();
    assert_eq!(review.notes.as_deref(), Some("February is missing"));
    assert_eq!(review.by, w.staff.staff);
    // The same review again changes nothing; another one is a conflict.
    w.a.review_upload(
        &w.staff,
        upload.id,
        Decision::Rejected,
        Some("February is missing"),
    )
    .await
    .unwrap();
    assert!(matches!(
        w.a.review_upload(&w.staff, upload.id, Decision::Approved, None)
            .await,
        Err(StaffError::Conflict(_))
    ));

    let second =
        w.a.upload_documents(&bob, task, pdf(&w.a, "jan-feb.pdf").await, &req())
            .await
            .unwrap();
    assert_eq!(
        (second.status, second.uploads.len()),
        (RequestStatus::Uploaded, 2)
    );
    let approved =
        w.b.review_upload(&w.staff, latest(&second), Decision::Approved, None)
            .await
            .unwrap();
    assert_eq!(approved.status, RequestStatus::Approved);
    assert_eq!(approved.task.status, TaskStatus::Completed);
    assert_eq!(
        approved.task.completion.as_ref().map(|c| c.by.clone()),
        Some(crate::audit::Actor::Staff(w.staff.staff.clone()))
    );
    let closed =
        w.a.upload_documents(&bob, task, pdf(&w.a, "mar.pdf").await, &req())
            .await;
    assert!(
        matches!(closed, Err(FileError::Refused(UploadRefusal::Closed))),
        "{closed:?}"
    );

    // Another firm's staff find nothing; the refused uploads left no file behind.
    assert!(matches!(
        w.a.review_upload(&w.other_staff, upload.id, Decision::Approved, None)
            .await,
        Err(StaffError::NotFound)
    ));
    let kept = w.a.store().client_files(w.client1.id).await.unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let names: Vec<_> = kept.iter().filter_map(|f| f.blob.clone()).collect();
    w.clock.advance(2 * crate::portal::documents::ORPHAN_AGE);
    w.a.sweep_files().await.unwrap();
    for name in &names {
        assert!(w.a.files().get(name).await.is_ok(), "a recorded blob stays");
    }
}

pub async fn files_are_read_only_by_those_the_grants_allow(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let olga = {
        let url =
            w.a.generate_magic_link(&w.other_staff, w.olga.id)
                .await
                .unwrap();
        let token = url.rsplit('/').next().unwrap().to_owned();
        let login =
            w.a.redeem_magic_link(w.other_firm.id, &token, None, None, &req())
                .await
                .unwrap();
        w.a.authenticate(w.other_firm.id, &login.token.expose_secret(), &req())
            .await
            .unwrap()
    };
    let task = request(&w, "Receipts").await;
    let r =
        w.a.upload_documents(&bob, task, pdf(&w.a, "r.pdf").await, &req())
            .await
            .unwrap();
    let file = r.uploads[0].1[0].id;
    assert!(matches!(
        w.a.download(&olga, file, &req()).await,
        Err(FileError::NotFound)
    ));

    // Jane holds client 1 too; with `documents` taken away she reads none of it.
    let jane = session(&w, w.jane.id).await;
    assert_eq!(read_all(&w.a, &jane, file).await, PDF);
    w.a.grant(&w.staff, w.jane.id, w.client1.id, Permissions::TASKS)
        .await
        .unwrap();
    let jane = session(&w, w.jane.id).await;
    assert!(matches!(
        w.a.download(&jane, file, &req()).await,
        Err(FileError::Forbidden)
    ));
    assert!(matches!(
        w.a.document_request(&jane, task).await,
        Err(FileError::Forbidden)
    ));
    let refused =
        w.a.upload_documents(&jane, task, pdf(&w.a, "x.pdf").await, &req())
            .await;
    assert!(matches!(refused, Err(FileError::Forbidden)), "{refused:?}");

    // Published: a document needs `documents`, a report `reports`.
    let doc =
        w.a.publish_file(
            &w.staff,
            w.client1.id,
            FilePurpose::Document,
            received(&w.a, "letter.pdf", PDF).await,
        )
        .await
        .unwrap();
    let report =
        w.b.publish_file(
            &w.staff,
            w.client1.id,
            FilePurpose::Report,
            received(&w.b, "q3.pdf", PDF).await,
        )
        .await
        .unwrap();
    assert!(matches!(
        w.a.publish_file(
            &w.other_staff,
            w.client1.id,
            FilePurpose::Report,
            received(&w.a, "x.pdf", PDF).await
        )
        .await,
        Err(StaffError::NotFound)
    ));
    w.a.grant(&w.staff, w.jane.id, w.client1.id, Permissions::REPORTS)
        .await
        .unwrap();
    let jane = session(&w, w.jane.id).await;
    let seen = w.a.documents(&jane, w.client1.id).await.unwrap();
    assert!(seen.requests.is_empty(), "requests need `documents`");
    assert_eq!(
        seen.published.iter().map(|f| f.id).collect::<Vec<_>>(),
        [report.id]
    );
    assert!(matches!(
        w.a.download(&jane, doc.id, &req()).await,
        Err(FileError::Forbidden)
    ));
    assert_eq!(read_all(&w.b, &jane, report.id).await, PDF);
    let all = w.a.documents(&bob, w.client1.id).await.unwrap();
    assert_eq!(
        all.requests
            .iter()
            .map(|(t, s)| (t.id, *s))
            .collect::<Vec<_>>(),
        [(task, RequestStatus::Uploaded)]
    );
    assert_eq!(all.published.len(), 2);

    // Each download is in the contact's access log.
    let log = w.a.access_log(&w.staff, w.jane.id, 50).await.unwrap();
    let downloads = log
        .iter()
        .filter(|e| e.entry.action == crate::audit::AuditAction::FileDownloaded)
        .count();
    assert_eq!(downloads, 2, "{log:?}");
}

pub async fn a_withdrawn_upload_is_gone_and_a_reviewed_one_cannot_be_withdrawn(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = request(&w, "ID").await;
    let r =
        w.a.upload_documents(&bob, task, pdf(&w.a, "id.pdf").await, &req())
            .await
            .unwrap();
    let (upload, files) = r.uploads[0].clone();
    let blob = files[0].blob.clone().unwrap();
    let after = w.b.withdraw_upload(&bob, upload.id, &req()).await.unwrap();
    assert_eq!(after.status, RequestStatus::Requested);
    assert_eq!(after.task.status, TaskStatus::Pending);
    assert_eq!(after.uploads[0].0.status(), UploadStatus::Withdrawn);
    assert!(
        after.uploads[0].1[0].blob.is_none(),
        "the row forgets its blob"
    );
    assert!(matches!(
        w.a.files().get(&blob).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    assert!(matches!(
        w.a.download(&bob, files[0].id, &req()).await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        w.a.staff_download(&w.staff, files[0].id).await,
        Err(StaffError::NotFound)
    ));
    // Again: nothing changes. A review of it now is a conflict.
    w.a.withdraw_upload(&bob, upload.id, &req()).await.unwrap();
    assert!(matches!(
        w.a.review_upload(&w.staff, upload.id, Decision::Approved, None)
            .await,
        Err(StaffError::Conflict(_))
    ));

    let r =
        w.a.upload_documents(&bob, task, pdf(&w.a, "id2.pdf").await, &req())
            .await
            .unwrap();
    let second = latest(&r);
    w.a.review_upload(&w.staff, second, Decision::Approved, None)
        .await
        .unwrap();
    assert!(matches!(
        w.b.withdraw_upload(&bob, second, &req()).await,
        Err(FileError::Conflict(UploadStatus::Approved))
    ));
    let (_, files) = r.uploads.iter().find(|(u, _)| u.id == second).unwrap();
    let staff_copy = w.a.staff_download(&w.staff, files[0].id).await.unwrap();
    assert_eq!(staff_copy.file.name.as_str(), "id2.pdf");
}

pub async fn a_review_and_a_withdrawal_racing_leave_one_standing(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    for round in 0..8 {
        let task = request(&w, &format!("Race {round}")).await;
        let r =
            w.a.upload_documents(&bob, task, pdf(&w.a, "a.pdf").await, &req())
                .await
                .unwrap();
        let upload = latest(&r);
        let (review, withdrawal) = tokio::join!(
            w.a.review_upload(&w.staff, upload, Decision::Approved, None),
            w.b.withdraw_upload(&bob, upload, &info),
        );
        let stored = w.a.store().upload(upload).await.unwrap().unwrap();
        match (review, withdrawal) {
            (Ok(_), Err(FileError::Conflict(UploadStatus::Approved))) => {
                assert_eq!(stored.status(), UploadStatus::Approved);
            }
            (Err(StaffError::Conflict(_)), Ok(_)) => {
                assert_eq!(stored.status(), UploadStatus::Withdrawn);
            }
            other => panic!("round {round}: both or neither stood: {other:?}"),
        }
    }
}

pub async fn an_upload_racing_a_review_is_taken_only_after_it(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    for round in 0..8 {
        let task = request(&w, &format!("Again {round}")).await;
        let r =
            w.a.upload_documents(&bob, task, pdf(&w.a, "a.pdf").await, &req())
                .await
                .unwrap();
        let upload = latest(&r);
        let files = pdf(&w.b, "b.pdf").await;
        let (review, again) = tokio::join!(
            w.a.review_upload(&w.staff, upload, Decision::Rejected, Some("blurred")),
            w.b.upload_documents(&bob, task, files, &info),
        );
        review.unwrap();
        let r = w.a.document_request(&bob, task).await.unwrap();
        match again {
            Ok(_) => assert_eq!((r.status, r.uploads.len()), (RequestStatus::Uploaded, 2)),
            Err(FileError::Refused(UploadRefusal::AwaitingReview)) => {
                assert_eq!((r.status, r.uploads.len()), (RequestStatus::Rejected, 1));
            }
            Err(e) => panic!("round {round}: {e:?}"),
        }
    }
}

pub async fn racing_uploads_and_the_storage_limit_admit_what_fits(f: Fixture) {
    let policy = Policy {
        files: FileLimits {
            max_file_bytes: PDF.len() as u64,
            max_files_per_upload: 2,
            max_client_bytes: (PDF.len() * 3) as u64,
        },
        ..Policy::default()
    };
    let w = World::with_policy(f, policy).await;
    let bob = session(&w, w.bob.id).await;
    // Racing uploads to one request: one is taken.
    let task = request(&w, "One").await;
    let (x, y) = tokio::join!(
        async {
            w.a.upload_documents(&bob, task, pdf(&w.a, "x.pdf").await, &req())
                .await
        },
        async {
            w.b.upload_documents(&bob, task, pdf(&w.b, "y.pdf").await, &req())
                .await
        },
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "{x:?} {y:?}"
    );
    // Three files' worth for the client: two more fit, the next one does not, however
    // the uploads race.
    let (t2, t3) = (request(&w, "Two").await, request(&w, "Three").await);
    let info = req();
    let two = vec![
        received(&w.a, "p.pdf", PDF).await,
        received(&w.a, "q.pdf", PDF).await,
    ];
    let (a, b) = tokio::join!(w.a.upload_documents(&bob, t2, two, &info), async {
        w.b.upload_documents(&bob, t3, pdf(&w.b, "z.pdf").await, &req())
            .await
    },);
    let taken: u64 =
        w.a.store()
            .client_files(w.client1.id)
            .await
            .unwrap()
            .iter()
            .map(|f| f.size)
            .sum();
    assert!(taken <= (PDF.len() * 3) as u64, "over the limit: {taken}");
    assert!(
        matches!(a, Err(FileError::Refused(UploadRefusal::OverQuota)))
            || matches!(b, Err(FileError::Refused(UploadRefusal::OverQuota))),
        "{a:?} {b:?}"
    );
    // Too many files at once, or none: refused before the store.
    let three = vec![
        received(&w.a, "1.pdf", PDF).await,
        received(&w.a, "2.pdf", PDF).await,
        received(&w.a, "3.pdf", PDF).await,
    ];
    let t4 = request(&w, "Four").await;
    assert!(matches!(
        w.a.upload_documents(&bob, t4, three, &req()).await,
        Err(FileError::FileCount { max: 2 })
    ));
    assert!(matches!(
        w.a.upload_documents(&bob, t4, Vec::new(), &req()).await,
        Err(FileError::FileCount { .. })
    ));
}

pub async fn orphaned_blobs_are_swept_and_recorded_ones_kept(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = request(&w, "Kept").await;
    let r =
        w.a.upload_documents(&bob, task, pdf(&w.a, "k.pdf").await, &req())
            .await
            .unwrap();
    let kept = r.uploads[0].1[0].blob.clone().unwrap();
    // A crash between storing bytes and recording them leaves this.
    let orphan = received(&w.a, "lost.pdf", PDF).await.blob;
    w.clock.advance(crate::portal::documents::ORPHAN_AGE / 2);
    let young = received(&w.a, "young.pdf", PDF).await.blob;
    assert_eq!(
        w.b.sweep_files().await.unwrap(),
        0,
        "nothing is old enough yet"
    );
    w.clock.advance(crate::portal::documents::ORPHAN_AGE);
    assert_eq!(w.b.sweep_files().await.unwrap(), 1);
    assert!(matches!(
        w.a.files().get(&orphan).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    assert!(w.a.files().get(&kept).await.is_ok());
    assert!(
        w.a.files().get(&young).await.is_ok(),
        "a blob being recorded is left alone"
    );
}

pub async fn a_preview_uploads_and_withdraws_nothing(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = request(&w, "Preview").await;
    let r =
        w.a.upload_documents(&bob, task, pdf(&w.a, "a.pdf").await, &req())
            .await
            .unwrap();
    let auth = super::previews::preview(&w, w.bob.id).await;
    let files = pdf(&w.a, "b.pdf").await;
    let blob = files[0].blob.clone();
    assert!(matches!(
        w.a.upload_documents(&auth, task, files, &req()).await,
        Err(FileError::ReadOnlyPreview(_))
    ));
    assert!(
        matches!(
            w.a.files().get(&blob).await,
            Err(crate::blob::BlobError::NotFound)
        ),
        "a refused upload's bytes are deleted"
    );
    assert!(matches!(
        w.a.withdraw_upload(&auth, latest(&r), &req()).await,
        Err(FileError::ReadOnlyPreview(_))
    ));
    assert_eq!(
        w.a.document_request(&auth, task).await.unwrap().status,
        RequestStatus::Uploaded
    );
}

async fn file_drop(w: &World, days: u32) -> TaskId {
    let task = NewTask {
        phase: None,
        title: "Your payroll login letter".into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::FileDrop(crate::evidence::FileDrop::new(days).unwrap()),
    };
    w.a.create_task(&w.staff, w.client1.id, task)
        .await
        .unwrap()
        .id
}

pub async fn dropped_files_expire_and_then_nobody_reads_them(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = file_drop(&w, 7).await;
    let dropped =
        w.a.drop_files(&bob, task, pdf(&w.a, "letter.pdf").await, &req())
            .await
            .unwrap();
    assert_eq!(dropped.task.status, TaskStatus::Completed);
    let file = dropped.files[0].clone();
    assert_eq!(file.purpose, FilePurpose::Drop);
    assert_eq!(file.expires_at, Some(w.a.now() + 7 * 24 * 60 * MINUTE));
    let blob = file.blob.clone().unwrap();
    assert_eq!(read_all(&w.b, &bob, file.id).await, PDF);

    // Staff download it: recorded on the file and in the audit log; the contact can no
    // longer delete it.
    let copy = w.b.staff_download(&w.staff, file.id).await.unwrap();
    assert!(copy.file.staff_downloaded_at.is_some());
    assert!(matches!(
        w.a.delete_dropped_file(&bob, file.id, &req()).await,
        Err(FileError::Downloaded)
    ));
    assert!(matches!(
        w.a.staff_download(&w.other_staff, file.id).await,
        Err(StaffError::NotFound)
    ));

    // A moment before its expiry it is there; at its expiry it is gone for everyone,
    // before any sweep ran; the sweep then deletes its bytes.
    w.clock.advance(7 * 24 * 60 * MINUTE - MINUTE);
    assert_eq!(read_all(&w.a, &bob, file.id).await, PDF);
    w.clock.advance(MINUTE);
    assert!(matches!(
        w.a.download(&bob, file.id, &req()).await,
        Err(FileError::NotFound)
    ));
    assert!(matches!(
        w.b.staff_download(&w.staff, file.id).await,
        Err(StaffError::NotFound)
    ));
    assert!(w.a.file_drop(&bob, task).await.unwrap().files.is_empty());
    let report = w.b.maintain().await.unwrap();
    assert_eq!(report.expired_files, 1);
    assert!(matches!(
        w.a.files().get(&blob).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    let row = w.a.store().file(file.id).await.unwrap().unwrap();
    assert!(row.blob.is_none() && row.removed_at.is_some(), "{row:?}");
    assert_eq!(w.a.maintain().await.unwrap().expired_files, 0, "once");
}

pub async fn a_drop_is_deleted_by_its_contact_or_downloaded_by_staff_never_both(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let task = file_drop(&w, 1).await;
    let d =
        w.a.drop_files(&bob, task, pdf(&w.a, "a.pdf").await, &req())
            .await
            .unwrap();
    let file = d.files[0].clone();
    let after =
        w.b.delete_dropped_file(&bob, file.id, &req())
            .await
            .unwrap();
    assert!(after.files.is_empty());
    assert_eq!(
        after.task.status,
        TaskStatus::Pending,
        "nothing left: to do again"
    );
    assert!(matches!(
        w.a.files().get(file.blob.as_ref().unwrap()).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    w.a.delete_dropped_file(&bob, file.id, &req())
        .await
        .unwrap();
    assert!(matches!(
        w.a.staff_download(&w.staff, file.id).await,
        Err(StaffError::NotFound)
    ));
    let info = req();
    for round in 0..8 {
        let d =
            w.a.drop_files(&bob, task, pdf(&w.a, "b.pdf").await, &info)
                .await
                .unwrap();
        let id = d.files[0].id;
        let (deleted, downloaded) = tokio::join!(
            w.a.delete_dropped_file(&bob, id, &info),
            w.b.staff_download(&w.staff, id),
        );
        match (deleted, downloaded) {
            (Ok(_), Err(StaffError::NotFound)) | (Err(FileError::Downloaded), Ok(_)) => {}
            other => panic!("round {round}: both or neither: {other:?}"),
        }
    }
    // Another contact's drop of the same client is Bob's to see but a document request
    // upload is no drop: deleting one is refused.
    let request = request(&w, "Not a drop").await;
    let r =
        w.a.upload_documents(&bob, request, pdf(&w.a, "u.pdf").await, &info)
            .await
            .unwrap();
    assert!(matches!(
        w.a.delete_dropped_file(&bob, r.uploads[0].1[0].id, &info)
            .await,
        Err(FileError::NotFound)
    ));
}

async fn signature_task(w: &World) -> TaskId {
    let task = NewTask {
        phase: None,
        title: "Sign the engagement letter".into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::Signature(crate::evidence::SignatureRequest::new(None).unwrap()),
    };
    w.a.create_task(&w.staff, w.client1.id, task)
        .await
        .unwrap()
        .id
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn typed(sha: &str) -> crate::portal::signature::SignatureInput {
    crate::portal::signature::SignatureInput {
        shown_sha256: sha.to_owned(),
        consent: true,
        mark: crate::evidence::SignatureMark::typed("Bob Builder").unwrap(),
    }
}

pub async fn a_signature_is_for_the_document_shown_and_checked_against_its_bytes(f: Fixture) {
    use crate::portal::task::TaskError;
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    let task = signature_task(&w).await;
    assert!(
        matches!(
            w.a.sign(&bob, task, typed(&sha_hex(PDF)), &info).await,
            Err(TaskError::DocumentChanged)
        ),
        "nothing to sign yet"
    );
    let v1 = b"%PDF-1.7\n% version 1\n%%EOF\n";
    let v2 = b"%PDF-1.7\n% version 2\n%%EOF\n";
    w.a.attach_signing_document(&w.staff, task, received(&w.a, "letter.pdf", v1).await)
        .await
        .unwrap();
    // Replaced after the contact read version 1: a signature of version 1 is refused.
    let t =
        w.b.attach_signing_document(&w.staff, task, received(&w.b, "letter v2.pdf", v2).await)
            .await
            .unwrap();
    let Evidence::Signature(r) = &t.evidence else {
        panic!("{t:?}")
    };
    let doc = r.document.clone().unwrap();
    assert_eq!(
        (doc.name.as_str(), doc.sha256.as_str()),
        ("letter v2.pdf", sha_hex(v2).as_str())
    );
    assert!(matches!(
        w.a.sign(&bob, task, typed(&sha_hex(v1)), &info).await,
        Err(TaskError::DocumentChanged)
    ));
    let mut no_consent = typed(&sha_hex(v2));
    no_consent.consent = false;
    assert!(matches!(
        w.a.sign(&bob, task, no_consent, &info).await,
        Err(TaskError::Invalid(_))
    ));
    assert!(
        w.a.store()
            .task(task)
            .await
            .unwrap()
            .unwrap()
            .submission
            .is_none()
    );
    // A non-PDF is no document to sign; staff cannot slip a document in by an edit.
    let png_bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    assert!(matches!(
        w.a.attach_signing_document(&w.staff, task, received(&w.a, "x.png", png_bytes).await)
            .await,
        Err(StaffError::Invalid(_))
    ));
    let forged = crate::task::TaskEdit {
        evidence: Evidence::Signature(crate::evidence::SignatureRequest {
            document: Some(crate::evidence::SigningDocument {
                sha256: sha_hex(v1),
                ..doc.clone()
            }),
            ..r.clone()
        }),
        ..crate::task::TaskEdit::from(&t)
    };
    assert!(matches!(
        w.a.edit_task(&w.staff, task, forged).await,
        Err(StaffError::Invalid(_))
    ));

    // The contact reads it, then signs what it read.
    assert_eq!(read_all(&w.a, &bob, doc.file).await, v2);
    let signed =
        w.b.sign(&bob, task, typed(&sha_hex(v2)), &info)
            .await
            .unwrap();
    assert_eq!(signed.status, TaskStatus::Completed);
    let Some(crate::evidence::Submission::Signature(s)) = &signed.submission else {
        panic!("{signed:?}")
    };
    assert_eq!(
        (s.signer_name.as_str(), s.signer_email.as_str()),
        ("Bob Builder", "bob@example.com")
    );
    assert_eq!(s.document, doc);
    assert_eq!(s.consent_text, crate::evidence::DEFAULT_CONSENT);
    assert_eq!(s.at, w.a.now());
    // Signed: the document stays, and the same signature again changes nothing.
    assert!(matches!(
        w.a.attach_signing_document(&w.staff, task, received(&w.a, "v3.pdf", PDF).await)
            .await,
        Err(StaffError::Conflict(_))
    ));
    w.a.sign(&bob, task, typed(&sha_hex(v2)), &info)
        .await
        .unwrap();

    // Verified from the stored bytes, by the contact and by staff; with the bytes gone
    // the evidence no longer matches.
    let v = w.a.verify_signature(&bob, task).await.unwrap();
    assert!(
        v.matches && v.computed.as_deref() == Some(sha_hex(v2).as_str()),
        "{v:?}"
    );
    assert!(
        w.b.staff_verify_signature(&w.staff, task)
            .await
            .unwrap()
            .matches
    );
    let blob =
        w.a.store()
            .file(doc.file)
            .await
            .unwrap()
            .unwrap()
            .blob
            .unwrap();
    w.a.files().delete(&blob).await.unwrap();
    let v = w.a.staff_verify_signature(&w.staff, task).await.unwrap();
    assert!(!v.matches && v.computed.is_none(), "{v:?}");

    // A drawn signature must be a PNG of bounded size.
    use crate::evidence::SignatureMark;
    assert!(SignatureMark::drawn(PDF).is_err());
    assert!(SignatureMark::drawn(&vec![0u8; crate::evidence::MAX_SIGNATURE_PNG + 1]).is_err());
    assert!(SignatureMark::drawn(png_bytes).is_ok());
}

pub async fn a_signature_racing_a_replaced_document_signs_only_what_was_shown(f: Fixture) {
    use crate::portal::task::TaskError;
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    for round in 0..6 {
        let task = signature_task(&w).await;
        let first = format!("%PDF-1.7\n% round {round} first\n%%EOF\n");
        let second = format!("%PDF-1.7\n% round {round} second\n%%EOF\n");
        w.a.attach_signing_document(
            &w.staff,
            task,
            received(&w.a, "a.pdf", first.as_bytes()).await,
        )
        .await
        .unwrap();
        let replacement = received(&w.b, "b.pdf", second.as_bytes()).await;
        let (signed, replaced) = tokio::join!(
            w.a.sign(&bob, task, typed(&sha_hex(first.as_bytes())), &info),
            w.b.attach_signing_document(&w.staff, task, replacement),
        );
        let now = w.a.store().task(task).await.unwrap().unwrap();
        match (signed, replaced) {
            (Ok(_), Err(StaffError::Conflict(_))) => {
                let Some(crate::evidence::Submission::Signature(s)) = &now.submission else {
                    panic!("round {round}: {now:?}")
                };
                assert_eq!(s.document.sha256, sha_hex(first.as_bytes()));
                let Evidence::Signature(r) = &now.evidence else {
                    panic!()
                };
                assert_eq!(r.document.as_ref(), Some(&s.document), "round {round}");
            }
            (Err(TaskError::DocumentChanged), Ok(_)) => assert!(now.submission.is_none()),
            other => panic!("round {round}: {other:?}"),
        }
    }
}

pub async fn a_question_is_answered_with_a_receipt_its_readers_alone_see(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    let question = NewTask {
        phase: None,
        title: "What was this payment?".into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::Question(
            crate::evidence::Question::new("Which supplier?", None).unwrap(),
        ),
    };
    let task =
        w.a.create_task(&w.staff, w.client1.id, question)
            .await
            .unwrap()
            .id;
    let receipt = received(&w.a, "receipt.pdf", PDF).await;
    let answered =
        w.b.answer_with_files(&bob, task, "Office supplies", vec![receipt], &info)
            .await
            .unwrap();
    assert_eq!(answered.status, TaskStatus::Completed);
    let files = w.a.attachments(&bob, task).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].name.as_str(), files[0].purpose),
        ("receipt.pdf", FilePurpose::Attachment)
    );
    assert_eq!(read_all(&w.a, &bob, files[0].id).await, PDF);
    // A second answer stands no more than a first one would: refused, its bytes gone.
    let late = received(&w.a, "late.pdf", PDF).await;
    let late_blob = late.blob.clone();
    assert!(matches!(
        w.a.answer_with_files(&bob, task, "Something else", vec![late], &info)
            .await,
        Err(FileError::Answered)
    ));
    assert!(matches!(
        w.a.files().get(&late_blob).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    assert_eq!(w.a.attachments(&bob, task).await.unwrap().len(), 1);
    // Without `tasks`, the receipt is not there to read.
    w.a.grant(&w.staff, w.bob.id, w.client1.id, Permissions::DOCUMENTS)
        .await
        .unwrap();
    let bob = session(&w, w.bob.id).await;
    assert!(matches!(
        w.a.download(&bob, files[0].id, &info).await,
        Err(FileError::Forbidden)
    ));
    // An answer's text is checked as any answer's: nothing stored when it is refused.
    let other = NewTask {
        phase: None,
        title: "Another payment".into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::Question(crate::evidence::Question::new("Which?", None).unwrap()),
    };
    let other =
        w.a.create_task(&w.staff, w.client1.id, other)
            .await
            .unwrap()
            .id;
    let jane = session(&w, w.jane.id).await;
    let refused = received(&w.a, "r.pdf", PDF).await;
    let refused_blob = refused.blob.clone();
    assert!(matches!(
        w.a.answer_with_files(&jane, other, "a\u{0}b", vec![refused], &info)
            .await,
        Err(FileError::Invalid(_))
    ));
    assert!(matches!(
        w.a.files().get(&refused_blob).await,
        Err(crate::blob::BlobError::NotFound)
    ));
    assert!(
        w.a.store()
            .task(other)
            .await
            .unwrap()
            .unwrap()
            .submission
            .is_none()
    );
}

pub async fn only_published_files_are_listed_as_published(f: Fixture) {
    let w = World::new(f).await;
    let bob = session(&w, w.bob.id).await;
    let info = req();
    let drop = file_drop(&w, 3).await;
    w.a.drop_files(&bob, drop, pdf(&w.a, "secret.pdf").await, &info)
        .await
        .unwrap();
    let signing = signature_task(&w).await;
    w.a.attach_signing_document(&w.staff, signing, received(&w.a, "letter.pdf", PDF).await)
        .await
        .unwrap();
    let report =
        w.a.publish_file(
            &w.staff,
            w.client1.id,
            FilePurpose::Report,
            received(&w.a, "q3.pdf", PDF).await,
        )
        .await
        .unwrap();
    let seen = w.a.documents(&bob, w.client1.id).await.unwrap();
    let ids: Vec<_> = seen.published.iter().map(|f| f.id).collect();
    assert_eq!(ids, [report.id], "{:?}", seen.published);
}
