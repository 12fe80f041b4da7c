//! The client API a logged-in contact uses, under `/api` (its pages are in
//! [`page_routes`](super::page_routes)).
//! Listed in [`routes::PORTAL`](super::routes::PORTAL).

use super::api_body::{ApiBody, JsonOrForm};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::response::Response;
use super::responses::{self, GrantedClient, Switched};
use super::routing::{Answer, parse_id};
use super::strict;
use super::task_routes;
use crate::client::Client;
use crate::contact::Contact;
use crate::grant::Permissions;
use crate::id::{ClientId, TaskId};
use crate::portal::session::Authenticated;

/// The contact behind a session, and what it may see.
pub(super) struct Me {
    pub(super) contact: Contact,
    pub(super) clients: Vec<(Client, Permissions)>,
}

impl Me {
    pub(super) fn active<'a>(&'a self, auth: &Authenticated) -> Option<&'a (Client, Permissions)> {
        self.clients
            .iter()
            .find(|(c, _)| c.id == auth.session.active_client)
    }
}

pub(super) async fn me(ctx: &Ctx<'_>, auth: &Authenticated) -> Result<Me, WebError> {
    let portal = ctx.web.portal();
    let contact = portal
        .store()
        .contact(auth.session.contact_id)
        .await?
        .ok_or(WebError::Unauthenticated)?;
    let clients = portal.granted_clients(&contact).await?;
    Ok(Me { contact, clients })
}

/// `GET {p}/api/me`: who is logged in, the active client, the clients it may switch to,
/// and the session's CSRF token.
pub(super) async fn api_me(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    let me = me(ctx, auth).await?;
    let csrf = auth.csrf_text();
    let document = responses::Me {
        contact_id: me.contact.id,
        email: me.contact.email.as_str(),
        first_name: &me.contact.first_name,
        active_client: me.active(auth).map(GrantedClient::from),
        clients: me.clients.iter().map(GrantedClient::from).collect(),
        csrf_token: csrf.as_str(),
    };
    Ok(Response::json_bytes(200, document.to_json()))
}

/// `GET {p}/api/clients/{client}/tasks`: the client's tasks the contact may see.
pub(super) async fn client_tasks(ctx: &mut Ctx<'_>, client: &str) -> Answer {
    let client: ClientId = parse_id(client)?;
    let auth = ctx.require_auth()?;
    let tasks = ctx.web.portal().client_tasks(auth, client).await?;
    Ok(Response::json(200, &responses::tasks(&tasks)))
}

/// `POST /api/switch`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SwitchBody {
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
pub(super) struct TaskActionBody {
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

/// What `POST {p}/api/tasks/{task}/...` does to the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TaskAction {
    /// Marks it completed, with the note if any.
    Complete,
    /// Makes it pending again.
    Uncomplete,
}

/// `POST {p}/api/tasks/{task}/complete` and `/uncomplete`: the task as it now is, or back
/// to the portal page for a form.
pub(super) async fn task_action(
    ctx: &mut Ctx<'_>,
    task: &str,
    action: TaskAction,
    body: JsonOrForm<TaskActionBody>,
) -> Answer {
    let auth = ctx.require_auth()?;
    let id: TaskId = parse_id(task)?;
    let portal = ctx.web.portal();
    let task = match action {
        TaskAction::Complete => {
            portal
                .complete_task(auth, id, body.fields.note.as_deref(), ctx.info())
                .await?
        }
        TaskAction::Uncomplete => portal.uncomplete_task(auth, id, ctx.info()).await?,
    };
    if body.json {
        task_routes::task_answer(ctx, &task, true).await
    } else {
        Ok(Response::see_other(&format!("{}/", ctx.mount())))
    }
}

/// `POST {p}/api/switch`: the client now active, or back to the portal page for a form.
pub(super) async fn api_switch(ctx: &mut Ctx<'_>, body: JsonOrForm<SwitchBody>) -> Answer {
    let auth = ctx.require_auth()?;
    let client: ClientId = parse_id(&body.fields.client_id)?;
    let session = ctx
        .web
        .portal()
        .switch_client(auth, client, ctx.info())
        .await?;
    if body.json {
        let switched = Switched {
            active_client: session.active_client,
        };
        Ok(Response::json(200, &switched))
    } else {
        Ok(Response::see_other(&format!("{}/", ctx.mount())))
    }
}
