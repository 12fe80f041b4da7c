//! What the pages show of the conversation: a task's comments and the form that adds
//! one (on the task's page), the ask page, where a contact asks the firm a question
//! (about the task whose page it came from, if any), and "Activity", what happened on
//! the active client's work, newest first. Values only, every text through [`text`];
//! the rules are the core's (see [`crate::portal::conversation`]).

use minijinja::{Value, context};

use super::context::Ctx;
use super::conversation_routes::activity_names;
use super::looking::{hidden, looking};
use super::responses::Names;
use super::routing::{Answer, parse_id};
use super::strict::Query;
use super::templates::{Template, text};
use super::viewer::{Ask, Section, Viewer};
use crate::audit::Actor;
use crate::clock::Timestamp;
use crate::conversation::Comment;
use crate::id::{ContactId, TaskId};
use crate::portal::conversation::{ActivityActor, ActivityItem, ActivityKind};
use crate::task::Task;

/// Entries an activity page shows.
const ACTIVITY_PAGE: u32 = 25;

/// A time as a page shows it, `YYYY-MM-DD HH:MM UTC`, and as its `<time>` element's
/// `datetime`.
fn when(at: Timestamp) -> (Value, Value) {
    let written = at.to_rfc3339();
    let shown = format!(
        "{} {} UTC",
        written.get(..10).unwrap_or_default(),
        written.get(11..16).unwrap_or_default()
    );
    (text(&shown), text(&written))
}

/// A contact as the viewer reads it: "You", a colleague's first name, or "A
/// colleague" when the name is not known.
fn contact_name(viewer: &Viewer<'_>, names: &Names, id: ContactId) -> Value {
    if id == viewer.contact {
        return text("You");
    }
    text(names.get(id).unwrap_or("A colleague"))
}

/// The values the task page's comments section gets: `comments` (oldest first, each
/// with `author`, `mine`, `at`, `datetime`, `body`) and `comment_action`, where its
/// form posts.
pub(crate) fn comments_on_page(
    viewer: &Viewer<'_>,
    mount: &str,
    task: &Task,
    comments: &[Comment],
    names: &Names,
) -> Value {
    let comments: Vec<Value> = comments
        .iter()
        .map(|c| {
            let (at, datetime) = when(c.at);
            let author = match &c.author {
                Actor::Contact(id) => contact_name(viewer, names, *id),
                // The firm's staff are the firm to a contact, never named.
                Actor::Staff(_) | Actor::System => text(viewer.firm_name),
            };
            context! {
                author,
                mine => c.author == Actor::Contact(viewer.contact),
                firm => matches!(c.author, Actor::Staff(_) | Actor::System),
                at,
                datetime,
                body => text(&c.body),
            }
        })
        .collect();
    context! {
        comments,
        comment_action => text(&format!("{mount}/api/tasks/{}/comments", task.id)),
    }
}

/// What an activity entry says happened, after who did it.
fn what(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::TaskCreated => "added the task",
        ActivityKind::TaskCompleted => "completed",
        ActivityKind::TaskReopened => "reopened",
        ActivityKind::StatusChanged => "changed the status of",
        ActivityKind::Submitted => "sent what was asked for",
        ActivityKind::FilesUploaded => "uploaded files for",
        ActivityKind::UploadReviewed => "reviewed an upload for",
        ActivityKind::DocumentPublished => "shared a document",
        ActivityKind::Commented => "commented on",
        ActivityKind::Asked => "asked a question",
    }
}

fn activity_line(viewer: &Viewer<'_>, mount: &str, names: &Names, item: &ActivityItem) -> Value {
    let (at, datetime) = when(item.at);
    let who = match item.actor {
        ActivityActor::Contact(id) => contact_name(viewer, names, id),
        ActivityActor::Staff(_) | ActivityActor::Firm => text(viewer.firm_name),
    };
    let task = match (item.task_id, &item.task_title) {
        (Some(id), Some(title)) => Some(context! {
            href => text(&format!("{mount}/tasks/{id}")),
            title => text(title),
        }),
        _ => None,
    };
    context! {
        kind => item.kind.as_str(),
        who,
        what => text(what(item.kind)),
        // "asked a question about" the task, where the others name it directly.
        about => item.kind == ActivityKind::Asked && task.is_some(),
        task,
        at,
        datetime,
    }
}

/// `GET {p}/activity?before=<seq>`: the active client's activity, newest first, a page
/// at a time, with a link to the older entries. A grant without `tasks` has no such
/// page (404), as the other sections it does not open.
pub(super) async fn activity(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let before: Option<u64> = Query::of(ctx.req)?.only(&["before"])?.parsed("before")?;
    let looking = looking(ctx, auth).await?;
    let portal = ctx.web.portal();
    let page = portal
        .client_activity(auth, looking.active.id, before, ACTIVITY_PAGE)
        .await
        .map_err(hidden)?;
    let names = activity_names(portal, auth.session.firm_id, &page).await?;
    let viewer = looking.viewer(ctx, Some(Section::Activity));
    let mount = ctx.mount();
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|i| activity_line(&viewer, mount, &names, i))
        .collect();
    let older = page
        .before
        .map(|seq| text(&format!("{mount}/activity?before={seq}")));
    let values = context! { items, older, first_page => before.is_none() };
    let page = viewer.page(Template::Activity, mount, values);
    Ok(ctx.page(200, "Activity", page))
}

/// `GET {p}/ask?task=<id>&sent=1`: the form that asks the firm a question, about the
/// task named if the contact may read it (another's is not found). After a question
/// was sent (`sent`), the page says so above a fresh form.
pub(super) async fn ask(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let query = Query::of(ctx.req)?.only(&["task", "sent"])?;
    let sent = query.get("sent")?.is_some();
    let task = match query.get("task")? {
        Some(id) => {
            let id: TaskId = parse_id(id)?;
            Some(
                ctx.web
                    .portal()
                    .client_task(auth, id)
                    .await
                    .map_err(hidden)?,
            )
        }
        None => None,
    };
    let looking = looking(ctx, auth).await?;
    let mut viewer = looking.viewer(ctx, None);
    viewer.ask = Ask::Here;
    let mount = ctx.mount();
    let about = task.as_ref().map(|t| {
        context! {
            id => text(&t.id.to_string()),
            title => text(&t.title),
            href => text(&format!("{mount}/tasks/{}", t.id)),
        }
    });
    let values = context! {
        about,
        action => text(&format!("{mount}/api/questions")),
    };
    let mut page = viewer.page(Template::Ask, mount, values);
    if sent {
        page = page.with_notice(&format!("Your question was sent to {}.", viewer.firm_name));
    }
    Ok(ctx.page(200, "Ask a question", page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_to_the_minute_in_utc() {
        let (shown, written) = when(Timestamp::from_unix_millis(1_767_225_600_000 + 754_321));
        assert_eq!(shown.as_str(), Some("2026-01-01 00:12 UTC"));
        assert_eq!(written.as_str(), Some("2026-01-01T00:12:34.321Z"));
    }
}
