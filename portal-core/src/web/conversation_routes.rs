//! The conversation through the client API and the staff API: comments on a task
//! (both sides read and write them), questions a contact asks the firm (staff list
//! them), and each client's activity. Listed in [`routes::PORTAL`](super::routes::PORTAL)
//! and [`routes::STAFF`](super::routes::STAFF); the rules are the core's (see
//! [`crate::portal::conversation`]).
//!
//! A contact reads the firm's staff as the firm (`{"kind": "firm"}`), never by staff
//! id; staff read each other by id. A comment or a question is posted as JSON (`{"body":
//! "..."}`, answered 201 with what was stored) or from a page's form (answered `303`
//! back to the page).

use super::api_body::{ApiBody, JsonOrForm};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::response::Response;
use super::responses::{
    ActivityView, AskedView, Audience, CommentView, CommentsView, Names, QuestionsView,
};
use super::routing::{Answer, Json, parse_id};
use super::staff_routes::Staff;
use super::strict::{self, Query};
use crate::audit::Actor;
use crate::clock::Timestamp;
use crate::conversation::Comment;
use crate::id::{ClientId, ContactId, FirmId, QuestionId, TaskId};
use crate::portal::Portal;
use crate::portal::conversation::ActivityPage;
use crate::portal::task::TaskError;

/// Entries of an activity page when the call names no `limit`.
pub(super) const DEFAULT_ACTIVITY_PAGE: u32 = 50;
/// Questions of a page of the staff's list when the call names no `limit`.
const DEFAULT_QUESTIONS_PAGE: u32 = 50;

/// The contacts who wrote `comments` (a list, not an iterator: an iterator's closures
/// held across the lookups would tie the handler's future to their lifetimes).
fn authors(comments: &[Comment]) -> Vec<ContactId> {
    comments
        .iter()
        .filter_map(|c| match c.author {
            Actor::Contact(id) => Some(id),
            _ => None,
        })
        .collect()
}

/// The first names of the contacts `page` names.
pub(super) async fn activity_names(
    portal: &Portal,
    firm: FirmId,
    page: &ActivityPage,
) -> Result<Names, WebError> {
    let ids = page
        .items
        .iter()
        .filter_map(|i| match i.actor {
            crate::portal::conversation::ActivityActor::Contact(id) => Some(id),
            _ => None,
        })
        .collect();
    Ok(Names::of(portal.store().as_ref(), firm, ids).await?)
}

/// The first names of the contacts who wrote `comments`.
pub(super) async fn comment_names(
    portal: &Portal,
    firm: FirmId,
    comments: &[Comment],
) -> Result<Names, WebError> {
    Ok(Names::of(portal.store().as_ref(), firm, authors(comments)).await?)
}

/// `GET {p}/api/tasks/{task}/comments`: the comments on a task the contact may read,
/// oldest first.
pub(super) async fn comments(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let comments = portal.task_comments(auth, id).await?;
    let names = comment_names(portal, auth.session.firm_id, &comments).await?;
    Ok(Response::json(
        200,
        &CommentsView::new(&comments, &names, Audience::Contact),
    ))
}

/// `POST {p}/api/tasks/{task}/comments` (`{"body": "..."}`, or the task page's form):
/// 201 with the comment, or `303` back to the task's comments.
pub(super) async fn comment(ctx: &mut Ctx<'_>, task: &str, body: JsonOrForm<TextBody>) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let comment = match portal
        .comment_on_task(auth, id, &body.fields.body, ctx.info())
        .await
    {
        Ok(c) => c,
        Err(refused @ TaskError::Text(_)) => {
            // The text is checked before the task is looked up: another client's task
            // is not found, whatever was sent for it.
            portal.client_task(auth, id).await?;
            return Err(refused.into());
        }
        Err(e) => return Err(e.into()),
    };
    if !body.json {
        return Ok(Response::see_other(&format!(
            "{}/tasks/{id}#comments",
            ctx.mount()
        )));
    }
    let names = comment_names(portal, auth.session.firm_id, std::slice::from_ref(&comment)).await?;
    Ok(Response::json(
        201,
        &CommentView::new(&comment, &names, Audience::Contact),
    ))
}

/// `POST {p}/api/questions` (`{"body": "...", "task_id": "..."}`, the task optional,
/// or the ask page's form): 201 with its id and time, or `303` to the ask page, which
/// confirms.
pub(super) async fn ask(ctx: &mut Ctx<'_>, body: JsonOrForm<QuestionBody>) -> Answer {
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let QuestionBody {
        body: text,
        task_id,
        ..
    } = body.fields;
    let task: Option<TaskId> = match task_id.as_deref() {
        None | Some("") => None,
        Some(id) => Some(parse_id(id)?),
    };
    let question = match portal.ask_question(auth, &text, task, ctx.info()).await {
        Ok(q) => q,
        Err(refused @ TaskError::Text(_)) => {
            // As for a comment: another client's task first is not found.
            if let Some(id) = task {
                portal.client_task(auth, id).await?;
            }
            return Err(refused.into());
        }
        Err(e) => return Err(e.into()),
    };
    if !body.json {
        let about = task.map(|t| format!("&task={t}")).unwrap_or_default();
        return Ok(Response::see_other(&format!(
            "{}/ask?sent=1{about}",
            ctx.mount()
        )));
    }
    Ok(Response::json(
        201,
        &AskedView {
            at: question.at,
            id: question.id,
        },
    ))
}

/// `before` and `limit` of an activity call.
fn activity_query(query: &Query) -> Result<(Option<u64>, u32), WebError> {
    let before = query.parsed("before")?;
    let limit = query.parsed("limit")?.unwrap_or(DEFAULT_ACTIVITY_PAGE);
    Ok((before, limit))
}

/// `GET {p}/api/clients/{client}/activity?before=<seq>&limit=<n>`: a page of the
/// client's activity, newest first (at most 100 entries).
pub(super) async fn activity(ctx: &mut Ctx<'_>, client: &str) -> Answer {
    let client: ClientId = parse_id(client)?;
    let auth = ctx.require_auth()?;
    let (before, limit) = activity_query(&Query::of(ctx.req)?.only(&["before", "limit"])?)?;
    let portal = ctx.web.portal();
    let page = portal.client_activity(auth, client, before, limit).await?;
    let names = activity_names(portal, auth.session.firm_id, &page).await?;
    Ok(Response::json(200, &ActivityView::new(&page, &names)))
}

/// `GET {staff}/tasks/{task}/comments`: as the client API's, naming staff by id.
pub(super) async fn staff_comments(s: &Staff<'_>, task: &str) -> Answer {
    let comments = s
        .portal
        .staff_task_comments(&s.ctx, parse_id(task)?)
        .await?;
    let names = comment_names(s.portal, s.ctx.firm, &comments).await?;
    Ok(Response::json(
        200,
        &CommentsView::new(&comments, &names, Audience::Staff),
    ))
}

/// `POST {staff}/tasks/{task}/comments` (`{"body": "..."}`): 201 with the comment,
/// written as the staff member; the client's contacts read it as from the firm.
pub(super) async fn staff_comment(
    s: &Staff<'_>,
    task: &str,
    Json(body): Json<StaffTextBody>,
) -> Answer {
    let comment = s
        .portal
        .staff_comment(&s.ctx, parse_id(task)?, &body.body)
        .await?;
    Ok(Response::json(
        201,
        &CommentView::new(&comment, &Names::default(), Audience::Staff),
    ))
}

/// `GET {staff}/questions?client_id=&before_at=&before_id=&limit=`: the firm's
/// questions, of one client if named, newest first, strictly before the question
/// `before_at` and `before_id` name (both or neither), at most `limit` (default 50, at
/// most 200).
pub(super) async fn staff_questions(s: &Staff<'_>) -> Answer {
    let query = Query::of(s.req)?.only(&["client_id", "before_at", "before_id", "limit"])?;
    let client = query.parsed::<ClientId>("client_id")?;
    let before_at = query
        .get("before_at")?
        .map(|at| {
            Timestamp::parse_written(at).ok_or_else(|| {
                WebError::BadInput(
                    "query parameter \"before_at\" is not a time as the API writes it".into(),
                )
            })
        })
        .transpose()?;
    let before_id = query.parsed::<QuestionId>("before_id")?;
    let before = match (before_at, before_id) {
        (Some(at), Some(id)) => Some((at, id)),
        (None, None) => None,
        _ => {
            return Err(WebError::BadInput(
                "query parameters \"before_at\" and \"before_id\" go together".into(),
            ));
        }
    };
    let limit = query.parsed("limit")?.unwrap_or(DEFAULT_QUESTIONS_PAGE);
    let questions = s
        .portal
        .staff_questions(&s.ctx, client, before, limit)
        .await?;
    let names = Names::of(
        s.portal.store().as_ref(),
        s.ctx.firm,
        questions.iter().map(|q| q.contact_id).collect(),
    )
    .await?;
    Ok(Response::json(200, &QuestionsView::new(&questions, &names)))
}

/// `GET {staff}/clients/{client}/activity?before=&limit=`: as the client API's,
/// naming staff by id.
pub(super) async fn staff_activity(s: &Staff<'_>, client: &str) -> Answer {
    let (before, limit) = activity_query(&Query::of(s.req)?.only(&["before", "limit"])?)?;
    let page = s
        .portal
        .staff_client_activity(&s.ctx, parse_id(client)?, before, limit)
        .await?;
    let names = activity_names(s.portal, s.ctx.firm, &page).await?;
    Ok(Response::json(200, &ActivityView::new(&page, &names)))
}

/// A browser sends a text area's line breaks as CR LF whatever was typed: LF again
/// here, so that a comment reads back as it was typed.
fn as_typed(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// `POST {p}/api/tasks/{task}/comments`: the text, and the CSRF token if not in its
/// header.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TextBody {
    body: String,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for TextBody {
    fn from_form(form: &Form) -> Self {
        TextBody {
            body: as_typed(form.get("body").unwrap_or_default()),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }

    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST {p}/api/questions`: the text, the task it is about (if any), and the CSRF
/// token if not in its header.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionBody {
    body: String,
    #[serde(default, deserialize_with = "strict::present")]
    task_id: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for QuestionBody {
    fn from_form(form: &Form) -> Self {
        QuestionBody {
            body: as_typed(form.get("body").unwrap_or_default()),
            task_id: form.get("task_id").map(str::to_owned),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }

    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST {staff}/tasks/{task}/comments`: the text.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StaffTextBody {
    body: String,
}
