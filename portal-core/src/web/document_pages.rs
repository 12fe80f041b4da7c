//! What the pages of a logged-in contact show of files: the *Documents* section (the
//! client's document requests with where each stands, and what the firm published)
//! and, on a document request's own page, its uploads and the form to upload. Values
//! only: the templates lay them out, every text escaped through [`text`].

use minijinja::{Value, context};

use super::pages::Page;
use super::templates::{Template, text};
use super::viewer::Viewer;
use crate::document::{RequestStatus, UploadStatus};
use crate::file::{FilePurpose, StoredFile};
use crate::file_type::FileType;
use crate::portal::documents::{DocumentRequest, Documents, TaskFiles};

fn request_label(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Requested => "Requested",
        RequestStatus::Uploaded => "Uploaded, waiting for review",
        RequestStatus::Approved => "Approved",
        RequestStatus::Rejected => "Rejected: please upload again",
    }
}

/// The badge class of a request's status, from the task statuses' palette.
fn request_class(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Requested => "pending",
        RequestStatus::Uploaded => "in_progress",
        RequestStatus::Approved => "completed",
        RequestStatus::Rejected => "blocked",
    }
}

fn upload_label(status: UploadStatus) -> &'static str {
    match status {
        UploadStatus::Uploaded => "Waiting for review",
        UploadStatus::Approved => "Approved",
        UploadStatus::Rejected => "Rejected",
        UploadStatus::Withdrawn => "Withdrawn",
    }
}

/// A size as people read it: bytes, KB or MB (powers of 1024, one decimal).
fn size_label(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b < KIB => format!("{b} bytes"),
        b if b < KIB * KIB => format!("{:.1} KB", b as f64 / KIB as f64),
        b => format!("{:.1} MB", b as f64 / (KIB * KIB) as f64),
    }
}

/// A file as a line: its name linking to its download, its size and when it came.
fn file_line(mount: &str, f: &StoredFile) -> Value {
    context! {
        href => text(&format!("{mount}/api/files/{}", f.id)),
        name => text(f.name.as_str()),
        size => text(&size_label(f.size)),
        at => text(&f.added_at.date_string()),
        kind => text(match f.purpose {
            FilePurpose::Report => "Report",
            _ => "Document",
        }),
    }
}

/// What the upload form accepts: every extension of the allowed kinds.
fn accept() -> String {
    FileType::ALL
        .iter()
        .flat_map(|t| t.extensions())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The files of a task whose evidence holds them, as its page shows them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TaskFilesOnPage<'a> {
    /// A document request with its uploads.
    Request(&'a DocumentRequest),
    /// A secure file drop with its readable files.
    Drop(&'a TaskFiles),
    /// The files attached to a question's answer.
    Attachments(&'a [crate::file::StoredFile]),
}

/// The evidence of a document request's or a file drop's page. `files` is `None` when
/// the grant does not open documents; `yours`: the task is the client's to do.
pub(crate) fn files_evidence(
    viewer: &Viewer<'_>,
    mount: &str,
    files: Option<TaskFilesOnPage<'_>>,
    yours: bool,
    max_file_bytes: u64,
) -> Value {
    match files {
        None => context! { type => "document_upload", allowed => false },
        Some(TaskFilesOnPage::Request(r)) => {
            request_evidence(viewer, mount, r, yours, max_file_bytes)
        }
        Some(TaskFilesOnPage::Drop(d)) => drop_evidence(mount, d, yours, max_file_bytes),
        Some(TaskFilesOnPage::Attachments(_)) => {
            context! { type => "document_upload", allowed => false }
        }
    }
}

/// The files attached to a question's answer, an image with its preview.
pub(crate) fn attachment_lines(mount: &str, files: Option<TaskFilesOnPage<'_>>) -> Vec<Value> {
    let Some(TaskFilesOnPage::Attachments(files)) = files else {
        return Vec::new();
    };
    files
        .iter()
        .map(|f| {
            context! {
                href => text(&format!("{mount}/api/files/{}", f.id)),
                name => text(f.name.as_str()),
                size => text(&size_label(f.size)),
                image => matches!(f.file_type, FileType::Png | FileType::Jpeg),
            }
        })
        .collect()
}

/// What a question's answer form accepts, and its size hint.
pub(crate) fn upload_hints(max_file_bytes: u64) -> (Value, Value) {
    (text(&accept()), text(&size_label(max_file_bytes)))
}

/// A file drop's page: its files with their expiry, a delete button on those the firm
/// has not downloaded, and the form to drop more.
fn drop_evidence(mount: &str, d: &TaskFiles, can_act: bool, max_file_bytes: u64) -> Value {
    let files: Vec<Value> = d
        .files
        .iter()
        .map(|f| {
            context! {
                href => text(&format!("{mount}/api/files/{}", f.id)),
                name => text(f.name.as_str()),
                size => text(&size_label(f.size)),
                expires => f.expires_at.map(|e| text(&e.date_string())),
                downloaded => f.staff_downloaded_at.is_some(),
                delete => (can_act && f.staff_downloaded_at.is_none())
                    .then(|| text(&format!("{mount}/api/files/{}/delete", f.id))),
            }
        })
        .collect();
    let days = match d.task.evidence {
        crate::evidence::Evidence::FileDrop(drop) => drop.expires_after_days,
        _ => 0,
    };
    context! {
        type => "file_drop",
        allowed => true,
        files,
        days,
        can_act,
        accept => text(&accept()),
        max_size => text(&size_label(max_file_bytes)),
    }
}

/// A document request's page: its uploads, the reviewer's notes, and whether the
/// contact may upload now (`can_act`: the client's side).
fn request_evidence(
    viewer: &Viewer<'_>,
    mount: &str,
    r: &DocumentRequest,
    can_act: bool,
    max_file_bytes: u64,
) -> Value {
    let uploads: Vec<Value> = r
        .uploads
        .iter()
        .rev()
        .map(|(u, files)| {
            let status = u.status();
            context! {
                id => text(&u.id.to_string()),
                status => text(upload_label(status)),
                status_class => text(match status {
                    UploadStatus::Uploaded => "in_progress",
                    UploadStatus::Approved => "completed",
                    UploadStatus::Rejected => "blocked",
                    UploadStatus::Withdrawn => "pending",
                }),
                at => text(&u.at.date_string()),
                by => viewer.who(&crate::audit::Actor::Contact(u.by)),
                files => files.iter().filter(|f| f.readable()).map(|f| file_line(mount, f)).collect::<Vec<_>>(),
                notes => u.review.as_ref().and_then(|r| r.notes.as_deref()).map(text),
                withdraw => (can_act && status == UploadStatus::Uploaded).then(|| {
                    text(&format!("{mount}/api/uploads/{}/withdraw", u.id))
                }),
            }
        })
        .collect();
    let open = matches!(r.status, RequestStatus::Requested | RequestStatus::Rejected);
    context! {
        type => "document_upload",
        allowed => true,
        status => text(request_label(r.status)),
        status_class => text(request_class(r.status)),
        uploads,
        can_act => can_act && open,
        accept => text(&accept()),
        max_size => text(&size_label(max_file_bytes)),
    }
}

/// The *Documents* section: the client's document requests, and what the firm
/// published that the grant opens.
pub(crate) fn documents_page(viewer: &Viewer<'_>, mount: &str, d: &Documents) -> Page {
    let requests: Vec<Value> = d
        .requests
        .iter()
        .map(|(t, status)| {
            context! {
                href => text(&format!("{mount}/tasks/{}", t.id)),
                title => text(&t.title),
                due => t.due_on.map(|d| text(&d.date_string())),
                status => text(request_label(*status)),
                status_class => text(request_class(*status)),
            }
        })
        .collect();
    let published: Vec<Value> = d.published.iter().map(|f| file_line(mount, f)).collect();
    viewer.page(Template::Documents, mount, context! { requests, published })
}

/// A signature and whether the document still has the bytes that were signed.
pub(crate) fn verification_page(
    viewer: &Viewer<'_>,
    mount: &str,
    t: &crate::task::Task,
    v: &crate::portal::signature::Verification,
) -> Page {
    let s = &v.signature;
    viewer.page(
        Template::Signature,
        mount,
        context! {
            title => text(&t.title),
            href => text(&format!("{mount}/tasks/{}", t.id)),
            matches => v.matches,
            signer => text(&s.signer_name),
            email => text(&s.signer_email),
            at => text(&s.at.to_rfc3339()),
            ip => s.ip.as_deref().map(text),
            how => text(match s.mark {
                crate::evidence::SignatureMark::Drawn { .. } => "Drawn",
                crate::evidence::SignatureMark::Typed { .. } => "Typed",
            }),
            consent => text(&s.consent_text),
            document => text(&s.document.name),
            signed_sha256 => text(&s.document.sha256),
            computed_sha256 => v.computed.as_deref().map(text),
        },
    )
}
