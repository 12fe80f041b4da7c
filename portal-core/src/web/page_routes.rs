//! The pages of a logged-in contact: "Your tasks" (the home page), "Our progress",
//! "Approvals" and one task's page (the conversation's pages, "Activity" and the ask
//! page, are in [`conversation_pages`](super::conversation_pages)), each about the session's active client. Listed in
//! [`routes::PORTAL`](super::routes::PORTAL); what they show is decided by the core's
//! operations ([`crate::Portal::client_tasks`] and its kin), which a page only lays out.
//! A section the contact's grant does not open answers 404, as a missing page would.

use super::context::Ctx;
use super::conversation_pages::comments_on_page;
use super::conversation_routes::comment_names;
use super::document_pages::TaskFilesOnPage;
use super::errors::WebError;
use super::looking::{hidden, looking};
use super::response::{PAGE_CSP, Response};
use super::routing::{Answer, parse_id};
use super::task_pages::{self, Abilities, Home, Section};
use super::viewer::Ask;
use crate::evidence::Evidence;
use crate::grant::Permissions;
use crate::id::TaskId;
use crate::portal::task::{TaskError, TaskList};
use crate::task::Side;

/// `GET {p}/`: "Your tasks". A visitor without a session is sent to log in, and back
/// here after.
pub(super) async fn home(ctx: &mut Ctx<'_>) -> Answer {
    let Some(auth) = ctx.auth.as_ref() else {
        return Ok(Response::see_other(&format!(
            "{}/login?next={}/",
            ctx.mount(),
            ctx.mount()
        )));
    };
    let looking = looking(ctx, auth).await?;
    let tasks = match ctx.web.portal().client_tasks(auth, looking.active.id).await {
        Ok(tasks) => Some(tasks),
        Err(TaskError::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    let page = task_pages::home_page(
        &looking.viewer(ctx, Some(Section::Tasks)),
        ctx.mount(),
        &Home {
            first_name: &looking.me.contact.first_name,
            welcome: &ctx.firm.branding.welcome_message,
            active: looking.active.id,
            clients: looking.me.clients.iter().map(|(c, _)| c).collect(),
            tasks: tasks.as_ref(),
        },
    );
    Ok(ctx.page(200, "Your tasks", page))
}

/// `GET {p}/progress`: "Our progress", both sides' tasks by phase.
pub(super) async fn progress(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let looking = looking(ctx, auth).await?;
    let list = ctx
        .web
        .portal()
        .client_tasks(auth, looking.active.id)
        .await
        .map_err(hidden)?;
    let viewer = looking.viewer(ctx, Some(Section::Progress));
    let page = task_pages::progress_page(&viewer, ctx.mount(), &list);
    Ok(ctx.page(200, "Our progress", page))
}

/// `GET {p}/approvals`: what waits for the client's decision, and what was decided.
pub(super) async fn approvals(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let looking = looking(ctx, auth).await?;
    let list = ctx
        .web
        .portal()
        .client_approvals(auth, looking.active.id)
        .await
        .map_err(hidden)?;
    let viewer = looking.viewer(ctx, Some(Section::Approvals));
    let page = task_pages::approvals_page(&viewer, ctx.mount(), &list);
    Ok(ctx.page(200, "Approvals", page))
}

/// `GET {p}/tasks/{task}/signature`: a signed task's signature, and whether the stored
/// document still has the bytes that were signed (their hash recomputed now).
pub(super) async fn signature(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let task = portal.client_task(auth, id).await.map_err(hidden)?;
    let v = match portal.verify_signature(auth, id).await {
        Ok(v) => v,
        Err(crate::portal::documents::FileError::NotARequest) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let looking = looking(ctx, auth).await?;
    let viewer = looking.viewer(ctx, None);
    let page = super::document_pages::verification_page(&viewer, ctx.mount(), &task, &v);
    Ok(ctx.page(200, "Signature", page))
}

/// `GET {p}/documents`: the documents asked of the client and those the firm shared.
pub(super) async fn documents(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let looking = looking(ctx, auth).await?;
    let documents = match ctx.web.portal().documents(auth, looking.active.id).await {
        Ok(d) => d,
        Err(crate::portal::documents::FileError::Forbidden) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let viewer = looking.viewer(ctx, Some(Section::Documents));
    let page = super::document_pages::documents_page(&viewer, ctx.mount(), &documents);
    Ok(ctx.page(200, "Documents", page))
}

/// `GET {p}/tasks/{task}`: one task and what it asks for, as forms that post to the
/// client API. A training video's page alone lets frames come from its provider.
pub(super) async fn task(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let task = portal.client_task(auth, id).await.map_err(hidden)?;
    let looking = looking(ctx, auth).await?;
    // The task may be of another granted client than the active one: the page names
    // its own client, and what the grant there allows.
    let Some((client, permissions)) = looking
        .me
        .clients
        .iter()
        .find(|(c, _)| c.id == task.client_id)
    else {
        return Err(WebError::NotFound);
    };
    let list = TaskList {
        phases: portal.store().phases(task.client_id).await?,
        tasks: Vec::new(),
    };
    let comments = portal.task_comments(auth, id).await?;
    let names = comment_names(portal, auth.session.firm_id, &comments).await?;
    let mut viewer = looking.viewer(ctx, None);
    viewer.client_name = &client.name;
    viewer.ask = Ask::Task(id);
    let documents = permissions.contains(Permissions::DOCUMENTS);
    let request = match task.evidence {
        Evidence::DocumentUpload if documents => Some(portal.document_request(auth, id).await?),
        _ => None,
    };
    let dropped = match task.evidence {
        Evidence::FileDrop(_) if documents => Some(portal.file_drop(auth, id).await?),
        _ => None,
    };
    let attached = match task.evidence {
        Evidence::Question(_) => portal.attachments(auth, id).await?,
        _ => Vec::new(),
    };
    let credential = match task.evidence {
        Evidence::Credential(_)
            if task.assignee == Side::Client && permissions.contains(Permissions::TASKS) =>
        {
            Some(portal.credential_status(auth, id).await?)
        }
        _ => None,
    };
    let files = match (&request, &dropped) {
        (Some(r), _) => Some(TaskFilesOnPage::Request(r)),
        (_, Some(d)) => Some(TaskFilesOnPage::Drop(d)),
        _ if !attached.is_empty() => Some(TaskFilesOnPage::Attachments(&attached)),
        _ => None,
    };
    let can = Abilities {
        tasks: permissions.contains(Permissions::TASKS),
        approvals: permissions.contains(Permissions::APPROVALS),
        files,
        max_file_bytes: portal.policy(task.firm_id).files.max_file_bytes,
        credential: credential.as_ref(),
    };
    let page = task_pages::task_page(&viewer, ctx.mount(), &task, &list, can).with(
        comments_on_page(&viewer, ctx.mount(), &task, &comments, &names),
    );
    let response = ctx.page(200, &task.title, page);
    Ok(match &task.evidence {
        // The provider's player origin, and no other, may be framed here: the policy
        // every other page has, with that one source added.
        Evidence::Training(video) if response.status == 200 => response.with_header(
            "content-security-policy",
            format!("{PAGE_CSP}; frame-src {}", video.provider.player_origin()),
        ),
        // The signature pad's script, or the show and hide buttons of a credential's
        // masked fields: the portal's own and no other, on these pages only.
        Evidence::Signature(_) | Evidence::Credential(_) if response.status == 200 => response
            .with_header(
                "content-security-policy",
                format!("{PAGE_CSP}; script-src 'self'"),
            ),
        _ => response,
    })
}
