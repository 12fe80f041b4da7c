//! The portal a logged-in contact uses: the page, and the client API under `/api`.

use super::errors::WebError;
use super::http::{Form, Response};
use super::json::JsonOut;
use super::strict;
use super::{Ctx, pages};
use crate::client::Client;
use crate::contact::Contact;
use crate::grant::Permissions;
use crate::id::{ClientId, TaskId};
use crate::portal::session::Authenticated;

type Answer = Result<Response, WebError>;

/// The contact behind a session, and what it may see.
struct Me {
    contact: Contact,
    clients: Vec<(Client, Permissions)>,
}

impl Me {
    fn active<'a>(&'a self, auth: &Authenticated) -> Option<&'a (Client, Permissions)> {
        self.clients
            .iter()
            .find(|(c, _)| c.id == auth.session.active_client)
    }
}

async fn me(ctx: &Ctx<'_>, auth: &Authenticated) -> Result<Me, WebError> {
    let portal = ctx.web.portal();
    let contact = portal
        .store()
        .contact(auth.session.contact_id)
        .await?
        .ok_or(WebError::Unauthenticated)?;
    let clients = portal.granted_clients(&contact).await?;
    Ok(Me { contact, clients })
}

pub(super) async fn home(ctx: &mut Ctx<'_>, segments: &[&str]) -> Answer {
    if segments != [""] {
        return Err(WebError::NotFound);
    }
    if ctx.req.method != super::Method::Get {
        return Err(WebError::MethodNotAllowed);
    }
    let Some(auth) = ctx.auth.as_ref() else {
        return Ok(Response::see_other(&format!(
            "{}/login?next={}/",
            ctx.mount(),
            ctx.mount()
        )));
    };
    let me = me(ctx, auth).await?;
    let Some((active, _)) = me.active(auth) else {
        return Err(WebError::Unauthenticated);
    };
    let tasks = match ctx.web.portal().client_tasks(auth, active.id).await {
        Ok(tasks) => Some(tasks),
        Err(crate::portal::task::TaskError::Forbidden) => None,
        Err(e) => return Err(e.into()),
    };
    let body = pages::home(&pages::Home {
        first_name: &me.contact.first_name,
        welcome: &ctx.firm.branding.welcome_message,
        active,
        clients: me.clients.iter().map(|(c, _)| c).collect(),
        tasks: tasks.as_deref(),
    });
    Ok(ctx.page(200, "Your portal", body))
}

pub(super) async fn api(ctx: &mut Ctx<'_>, segments: &[&str]) -> Answer {
    match (ctx.req.method.as_str(), segments) {
        ("GET", ["me"]) => api_me(ctx).await,
        ("POST", ["switch"]) => api_switch(ctx).await,
        ("GET", ["clients", client, "tasks"]) => {
            let client: ClientId = client.parse().map_err(|_| WebError::NotFound)?;
            let auth = ctx.require_auth()?;
            let tasks = ctx.web.portal().client_tasks(auth, client).await?;
            Ok(Response::json(200, &serde_json::json!(tasks)))
        }
        ("POST", ["tasks", task, action @ ("complete" | "uncomplete")]) => {
            // Boxed: the largest future here, and not the one most requests need.
            Box::pin(task_action(ctx, task, action)).await
        }
        (
            _,
            ["me"] | ["switch"] | ["clients", _, "tasks"] | ["tasks", _, "complete" | "uncomplete"],
        ) => Err(WebError::MethodNotAllowed),
        _ => Err(WebError::NotFound),
    }
}

/// `GET /api/me`: who is logged in, the active client, the clients it may switch to,
/// and the session's CSRF token.
async fn api_me(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let me = me(ctx, auth).await?;
    let mut out = JsonOut::with_capacity(1024);
    out.raw("{\"contact_id\":");
    out.id(me.contact.id.as_uuid());
    out.raw(",\"email\":");
    out.string(me.contact.email.as_str());
    out.raw(",\"first_name\":");
    out.string(&me.contact.first_name);
    out.raw(",\"active_client\":");
    match me.active(auth) {
        Some(active) => client_json(&mut out, active),
        None => out.raw("null"),
    }
    out.raw(",\"clients\":[");
    for (i, client) in me.clients.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        client_json(&mut out, client);
    }
    out.raw("],\"csrf_token\":");
    out.string(auth.csrf_text().as_str());
    out.raw("}");
    Ok(Response::json_bytes(200, out.into_bytes()))
}

/// A client in `GET /api/me`: `{"id", "name", "permissions"}`.
fn client_json(out: &mut JsonOut, (client, permissions): &(Client, Permissions)) {
    out.raw("{\"id\":");
    out.id(client.id.as_uuid());
    out.raw(",\"name\":");
    out.string(&client.name);
    out.raw(",\"permissions\":");
    out.permissions(*permissions);
    out.raw("}");
}

/// The fields of a client API call, from a JSON object (parsed strictly: see
/// [`strict`](super::strict)) or from a form, whose other fields are ignored (a browser
/// sends its buttons' names too). A JSON call may carry its CSRF token in the body, as
/// a form does, instead of the `X-CSRF-Token` header.
trait ApiBody: serde::de::DeserializeOwned {
    /// The fields from a form.
    fn from_form(form: &Form) -> Self;
    /// The CSRF token the body carries.
    fn csrf_token(&self) -> Option<&str>;
}

/// `POST /api/switch`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchBody {
    client_id: String,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for SwitchBody {
    fn from_form(form: &Form) -> Self {
        SwitchBody {
            client_id: form.get("client_id").unwrap_or_default().to_owned(),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST /api/tasks/{id}/complete` and `/uncomplete` (which has no use for a note).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskActionBody {
    #[serde(default, deserialize_with = "strict::present")]
    note: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for TaskActionBody {
    fn from_form(form: &Form) -> Self {
        TaskActionBody {
            note: form.get("note").map(str::to_owned),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The call's fields, and whether it came as JSON (then it is answered in JSON).
fn json_or_form<T: ApiBody>(ctx: &Ctx<'_>) -> Result<(T, bool), WebError> {
    if ctx.req.content_type().as_deref() == Some("application/json") {
        return Ok((strict::json(&ctx.req.body)?, true));
    }
    Ok((T::from_form(&ctx.form()?), false))
}

async fn task_action(ctx: &mut Ctx<'_>, task: &str, action: &str) -> Answer {
    let (fields, json) = json_or_form::<TaskActionBody>(ctx)?;
    let auth = ctx.check_csrf(fields.csrf_token())?;
    let id: TaskId = task.parse().map_err(|_| WebError::NotFound)?;
    let portal = ctx.web.portal();
    let task = if action == "complete" {
        portal
            .complete_task(auth, id, fields.note.as_deref(), ctx.info())
            .await?
    } else {
        portal.uncomplete_task(auth, id, ctx.info()).await?
    };
    if json {
        Ok(Response::json(200, &serde_json::json!(task)))
    } else {
        Ok(Response::see_other(&format!("{}/", ctx.mount())))
    }
}

async fn api_switch(ctx: &mut Ctx<'_>) -> Answer {
    let (fields, json) = json_or_form::<SwitchBody>(ctx)?;
    let auth = ctx.check_csrf(fields.csrf_token())?;
    let client: ClientId = fields.client_id.parse().map_err(|_| WebError::NotFound)?;
    let session = ctx
        .web
        .portal()
        .switch_client(auth, client, ctx.info())
        .await?;
    if json {
        Ok(Response::json(
            200,
            &serde_json::json!({ "active_client": session.active_client }),
        ))
    } else {
        Ok(Response::see_other(&format!("{}/", ctx.mount())))
    }
}
