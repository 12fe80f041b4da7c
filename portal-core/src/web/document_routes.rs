//! Document requests and files through the client API and the staff API: where a
//! request stands with its uploads, a client's documents, withdrawing an upload, and
//! the firm's review. Listed in [`routes::PORTAL`](super::routes::PORTAL) and
//! [`routes::STAFF`](super::routes::STAFF); the rules (who may read or change what, one
//! upload waiting for review at a time, a review and a withdrawal excluding each other)
//! are the core's: see [`crate::portal::documents`].

use serde::Deserialize;

use super::api_body::JsonOrForm;
use super::context::Ctx;
use super::response::Response;
use super::responses::{DocumentRequestView, DocumentsView, FileDropView};
use super::routing::{Answer, Json, parse_id};
use super::staff_routes::Staff;
use super::strict;
use super::task_routes::CsrfOnly;
use crate::evidence::Decision;
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
