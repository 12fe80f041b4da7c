//! Who is looking at a page of the portal: the contact, its clients, the active one
//! and the sections its grant opens. Every page of a logged-in contact starts here,
//! the task pages ([`page_routes`](super::page_routes)) as the conversation's
//! ([`conversation_pages`](super::conversation_pages)).

use super::app_routes::{Me, me};
use super::context::Ctx;
use super::errors::WebError;
use super::pages::firm_name;
use super::task_pages::{Section, Viewer};
use super::viewer::Ask;
use crate::client::Client;
use crate::grant::Permissions;
use crate::portal::session::Authenticated;
use crate::portal::task::TaskError;

/// The sections a grant with `permissions` opens: the tasks, the progress and the
/// activity with `tasks`, the approvals with `approvals`, the documents with `documents` or
/// `reports`. "Your tasks" is the home page and always
/// there, empty without `tasks`.
fn sections(permissions: Permissions) -> Vec<Section> {
    let mut out = vec![Section::Tasks];
    if permissions.contains(Permissions::TASKS) {
        out.push(Section::Progress);
        out.push(Section::Activity);
    }
    if permissions.contains(Permissions::APPROVALS) {
        out.push(Section::Approvals);
    }
    if permissions.contains(Permissions::DOCUMENTS) || permissions.contains(Permissions::REPORTS) {
        out.push(Section::Documents);
    }
    out
}

/// What a page of the portal needs of its viewer: the contact, its clients, and the
/// active one with the grant's permissions.
pub(super) struct Looking {
    pub(super) me: Me,
    pub(super) active: Client,
    permissions: Permissions,
}

pub(super) async fn looking(ctx: &Ctx<'_>, auth: &Authenticated) -> Result<Looking, WebError> {
    let me = me(ctx, auth).await?;
    let Some((active, permissions)) = me.active(auth).cloned() else {
        return Err(WebError::Unauthenticated);
    };
    Ok(Looking {
        me,
        active,
        permissions,
    })
}

impl Looking {
    pub(super) fn viewer<'a>(&'a self, ctx: &'a Ctx<'_>, current: Option<Section>) -> Viewer<'a> {
        Viewer {
            contact: self.me.contact.id,
            client_name: &self.active.name,
            sections: sections(self.permissions),
            current,
            firm_name: firm_name(&ctx.firm),
            ask: Ask::Client,
        }
    }
}

/// A section the grant does not open is a page that does not exist.
pub(super) fn hidden(e: TaskError) -> WebError {
    match e {
        TaskError::Forbidden => WebError::NotFound,
        other => other.into(),
    }
}
