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
use super::responses::{DocumentRequestView, DocumentsView, FileDropView};
use super::routing::{Answer, Json, parse_id};
use super::staff_routes::Staff;
use super::strict;
use super::task_routes::CsrfOnly;
use crate::blob::BlobName;
use crate::evidence::{Decision, Evidence};
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

/// `POST {p}/api/tasks/{task}/files`: files for a document request or a file drop,
/// as `multipart/form-data`, each in a part named `file` (other text fields are
/// ignored). An API client sends its CSRF token in `X-CSRF-Token` and gets the request
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
    let mut received: Vec<ReceivedFile> = Vec::new();
    let read: Result<(), WebError> = async {
        while let Some(part) = uploads.next_part().await? {
            if let Part::File(file) = part {
                if received.len() == limits.max_files_per_upload {
                    return Err(WebError::Unprocessable(format!(
                        "files: an upload holds 1 to {} files",
                        limits.max_files_per_upload
                    )));
                }
                let stored =
                    receive_file(portal.files().as_ref(), file, limits.max_file_bytes).await?;
                received.push(stored);
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = read {
        let blobs: Vec<BlobName> = received.into_iter().map(|f| f.blob).collect();
        if let Err(cause) = delete_blobs(portal.files().as_ref(), &blobs).await {
            tracing::warn!(error = %cause, "a refused upload's files stay until the sweep");
        }
        return Err(e);
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
