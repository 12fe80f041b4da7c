//! Document requests and files through the client API and the staff API: where a
//! request stands with its uploads, a client's documents, withdrawing an upload, and
//! the firm's review. Listed in [`routes::PORTAL`](super::routes::PORTAL) and
//! [`routes::STAFF`](super::routes::STAFF); the rules (who may read or change what, one
//! upload waiting for review at a time, a review and a withdrawal excluding each other)
//! are the core's: see [`crate::portal::documents`].

use serde::Deserialize;

use super::api_body::JsonOrForm;
use super::context::Ctx;
use super::errors::WebError;
use super::multipart::{Part, Uploads};
use super::receive::{ReceivedFile, delete_blobs, receive_file};
use super::response::Response;
use super::responses::{DocumentRequestView, DocumentsView, FileDropView, FileView};
use super::routing::{Answer, Json, parse_id};
use super::staff_routes::Staff;
use super::strict;
use super::task_routes::CsrfOnly;
use crate::blob::BlobName;
use crate::evidence::{Decision, Evidence};
use crate::file::FilePurpose;
use crate::id::{ClientId, FileId, TaskId, UploadId};
use crate::portal::documents::{DocumentRequest, TaskFiles};

/// Where a contact downloads files: `{p}/api/files`.
fn client_files(ctx: &Ctx<'_>) -> String {
    format!("{}/api/files", ctx.mount())
}

/// The request as JSON, or `303` to its task's page for a form post.
fn request_answer(ctx: &Ctx<'_>, r: &DocumentRequest, json: bool) -> Answer {
    if !json {
        return Ok(Response::see_other(&format!(
            "{}/tasks/{}",
            ctx.mount(),
            r.task.id
        )));
    }
    Ok(Response::json(
        200,
        &DocumentRequestView::new(r, &client_files(ctx), false),
    ))
}

/// `GET {p}/api/tasks/{task}/documents`: a document request, where it stands, and its
/// uploads with their files (a withdrawn upload lists none).
pub(super) async fn request(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let r = ctx.web.portal().document_request(auth, id).await?;
    request_answer(ctx, &r, true)
}

/// `GET {p}/api/clients/{client}/documents`: the client's document requests with where
/// each stands, and the documents and reports the firm published that the grant opens.
pub(super) async fn documents(ctx: &mut Ctx<'_>, client: &str) -> Answer {
    let client: ClientId = parse_id(client)?;
    let auth = ctx.require_auth()?;
    let d = ctx.web.portal().documents(auth, client).await?;
    Ok(Response::json(
        200,
        &DocumentsView::new(client, &d, &client_files(ctx)),
    ))
}

/// `POST {p}/api/uploads/{upload}/withdraw`: withdraws an upload that waits for
/// review; its files are gone. Again: the request as it is. Reviewed meanwhile: 409.
pub(super) async fn withdraw(
    ctx: &mut Ctx<'_>,
    upload: &str,
    body: JsonOrForm<CsrfOnly>,
) -> Answer {
    let id: UploadId = parse_id(upload)?;
    let auth = ctx.require_auth()?;
    let r = ctx
        .web
        .portal()
        .withdraw_upload(auth, id, ctx.info())
        .await?;
    request_answer(ctx, &r, body.json)
}

/// The drop as JSON, or `303` to its task's page for a form post.
fn drop_answer(ctx: &Ctx<'_>, d: &TaskFiles, json: bool) -> Answer {
    if !json {
        return Ok(Response::see_other(&format!(
            "{}/tasks/{}",
            ctx.mount(),
            d.task.id
        )));
    }
    Ok(Response::json(
        200,
        &FileDropView::new(d, &client_files(ctx)),
    ))
}

/// `GET {p}/api/tasks/{task}/drop`: a secure file drop's files still readable, each
/// with its expiry and whether the firm downloaded it.
pub(super) async fn file_drop(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let d = ctx.web.portal().file_drop(auth, id).await?;
    drop_answer(ctx, &d, true)
}

/// `POST {p}/api/files/{file}/delete`: deletes a dropped file until the firm
/// downloaded it (409 then). Again: the drop as it is.
pub(super) async fn delete_dropped(
    ctx: &mut Ctx<'_>,
    file: &str,
    body: JsonOrForm<CsrfOnly>,
) -> Answer {
    let id: FileId = parse_id(file)?;
    let auth = ctx.require_auth()?;
    let d = ctx
        .web
        .portal()
        .delete_dropped_file(auth, id, ctx.info())
        .await?;
    drop_answer(ctx, &d, body.json)
}

/// `POST {p}/api/tasks/{task}/files`: files for a document request, a file drop, or
/// a question's answer (its text in a field named `text`), as `multipart/form-data`,
/// each file in a part named `file` (other text fields are ignored). An API client sends its CSRF token in `X-CSRF-Token` and gets the request
/// or the drop as JSON; a page's form sends it as its first field and gets `303` to the
/// task's page. The task and the grant are checked before a byte is stored; each file
/// is checked (its name, its type from its bytes, its size) as it streams in, and a
/// refusal of any one of them deletes those already stored: an upload is kept whole or
/// not at all.
pub(super) async fn upload(ctx: &mut Ctx<'_>, task: &str, mut uploads: Uploads) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let task = portal.file_task(auth, id).await?;
    let limits = portal.policy(task.firm_id).files;
    let json = ctx.req.header_value("x-csrf-token").is_some();
    let (received, fields) = receive_all(
        portal.files().as_ref(),
        &mut uploads,
        limits.max_files_per_upload,
        limits.max_file_bytes,
    )
    .await?;
    if matches!(task.evidence, Evidence::Question(_)) {
        let text = fields
            .iter()
            .find(|(n, _)| n == "text")
            .map_or("", |(_, v)| v.as_str());
        let task = portal
            .answer_with_files(auth, id, text, received, ctx.info())
            .await?;
        return super::task_routes::task_answer(ctx, &task, json).await;
    }
    if matches!(task.evidence, Evidence::FileDrop(_)) {
        let d = portal.drop_files(auth, id, received, ctx.info()).await?;
        return drop_answer(ctx, &d, json);
    }
    let r = portal
        .upload_documents(auth, id, received, ctx.info())
        .await?;
    request_answer(ctx, &r, json)
}

/// Every file of `uploads` into `blobs` (at most `max_files`, each at most `max_bytes`),
/// with the text fields that came beside them. A refusal of any part deletes the
/// files already stored: all of them are kept, or none.
async fn receive_all(
    blobs: &dyn crate::blob::BlobStore,
    uploads: &mut Uploads,
    max_files: usize,
    max_bytes: u64,
) -> Result<(Vec<ReceivedFile>, Vec<(String, String)>), WebError> {
    let mut received: Vec<ReceivedFile> = Vec::new();
    let mut fields = Vec::new();
    let read: Result<(), WebError> = async {
        while let Some(part) = uploads.next_part().await? {
            match part {
                // A form's file input left empty: browsers send it as a part with no
                // name and no bytes.
                Part::File(file) if file.file_name().is_none_or(str::is_empty) => {}
                Part::File(file) => {
                    if received.len() == max_files {
                        return Err(WebError::Unprocessable(format!(
                            "files: an upload holds 1 to {max_files} files"
                        )));
                    }
                    received.push(receive_file(blobs, file, max_bytes).await?);
                }
                Part::Text { name, value } => fields.push((name, value)),
            }
        }
        Ok(())
    }
    .await;
    match read {
        Ok(()) => Ok((received, fields)),
        Err(e) => {
            let stored: Vec<BlobName> = received.into_iter().map(|f| f.blob).collect();
            if let Err(cause) = delete_blobs(blobs, &stored).await {
                tracing::warn!(error = %cause, "a refused upload's files stay until the sweep");
            }
            Err(e)
        }
    }
}

/// The one file of a staff upload, with its text fields.
async fn one_file(
    s: &Staff<'_>,
    uploads: &mut Uploads,
) -> Result<(ReceivedFile, Vec<(String, String)>), WebError> {
    let max = s.portal.policy(s.ctx.firm).files.max_file_bytes;
    let (mut files, fields) = receive_all(s.portal.files().as_ref(), uploads, 1, max).await?;
    match files.pop() {
        Some(file) => Ok((file, fields)),
        None => Err(WebError::Unprocessable("file: a file is required".into())),
    }
}

/// `POST {staff}/clients/{client}/files`: publishes one file to a client, as
/// `multipart/form-data` with the file in a part named `file` and, optionally, `as`:
/// `document` (the default; contacts with `documents` read it) or `report` (contacts
/// with `reports`). Answers the file (201).
pub(super) async fn publish(s: &mut Staff<'_>, client: &str, mut uploads: Uploads) -> Answer {
    let client: ClientId = parse_id(client)?;
    let (file, fields) = one_file(s, &mut uploads).await?;
    let purpose = match fields
        .iter()
        .find(|(n, _)| n == "as")
        .map(|(_, v)| v.as_str())
    {
        None | Some("document") => FilePurpose::Document,
        Some("report") => FilePurpose::Report,
        Some(_) => {
            let _ = delete_blobs(s.portal.files().as_ref(), &[file.blob]).await;
            return Err(WebError::Unprocessable("as: document or report".into()));
        }
    };
    let stored = s.portal.publish_file(&s.ctx, client, purpose, file).await?;
    Ok(Response::json(
        201,
        &FileView::new(&stored, &staff_files(s)),
    ))
}

/// `POST {staff}/tasks/{task}/document`: attaches the PDF to sign to a signature task
/// (`multipart/form-data`, the file in a part named `file`), replacing any before it
/// until the task is signed (409 then). Answers the task.
pub(super) async fn attach(s: &mut Staff<'_>, task: &str, mut uploads: Uploads) -> Answer {
    let id: TaskId = parse_id(task)?;
    let (file, _) = one_file(s, &mut uploads).await?;
    let task = s.portal.attach_signing_document(&s.ctx, id, file).await?;
    let list = crate::portal::task::TaskList {
        phases: s.portal.store().phases(task.client_id).await?,
        tasks: Vec::new(),
    };
    Ok(Response::json(
        200,
        &super::responses::TaskView::new(&task, &list),
    ))
}

/// `GET {p}/api/files/{file}`: a file the contact may read, streamed, with its name
/// as the download's (`Content-Disposition: attachment`), never sniffed; recorded in
/// the access log.
pub(super) async fn download(ctx: &mut Ctx<'_>, file: &str) -> Answer {
    let id: FileId = parse_id(file)?;
    let auth = ctx.require_auth()?;
    let d = ctx.web.portal().download(auth, id, ctx.info()).await?;
    Ok(Response::download(
        d.bytes,
        &d.file.name,
        d.file.file_type.content_type(),
        d.file.size,
    ))
}

/// `GET {staff}/files/{file}`: a file of the firm, streamed as the client API's is; the
/// download is recorded in the audit log, and on the file (a dropped file can no
/// longer be deleted by its contact then).
pub(super) async fn staff_download(s: &Staff<'_>, file: &str) -> Answer {
    let d = s.portal.staff_download(&s.ctx, parse_id(file)?).await?;
    Ok(Response::download(
        d.bytes,
        &d.file.name,
        d.file.file_type.content_type(),
        d.file.size,
    ))
}

/// Where staff download files: `{staff}/files`.
fn staff_files(s: &Staff<'_>) -> String {
    format!("{}/files", s.mount)
}

/// `GET {staff}/tasks/{task}/uploads`: a document request with every upload, who
/// reviewed each, and their files.
pub(super) async fn staff_request(s: &Staff<'_>, task: &str) -> Answer {
    let r = s
        .portal
        .staff_document_request(&s.ctx, parse_id(task)?)
        .await?;
    Ok(Response::json(
        200,
        &DocumentRequestView::new(&r, &staff_files(s), true),
    ))
}

/// `POST {staff}/uploads/{upload}/review`: `{"decision": "approved" | "rejected",
/// "notes": "..."}`. The same review again answers the request as it is; an upload
/// withdrawn or reviewed otherwise meanwhile is a 409.
pub(super) async fn review(s: &Staff<'_>, upload: &str, Json(body): Json<ReviewBody>) -> Answer {
    let id: UploadId = parse_id(upload)?;
    let r = s
        .portal
        .review_upload(&s.ctx, id, body.decision, body.notes.as_deref())
        .await?;
    Ok(Response::json(
        200,
        &DocumentRequestView::new(&r, &staff_files(s), true),
    ))
}

/// `GET {staff}/tasks/{task}/drop`: a secure file drop's readable files, with their
/// expiry and whether staff downloaded each.
pub(super) async fn staff_drop(s: &Staff<'_>, task: &str) -> Answer {
    let d = s.portal.staff_file_drop(&s.ctx, parse_id(task)?).await?;
    Ok(Response::json(200, &FileDropView::new(&d, &staff_files(s))))
}

/// A review as staff send it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReviewBody {
    decision: Decision,
    #[serde(default, deserialize_with = "strict::present")]
    notes: Option<String>,
}
