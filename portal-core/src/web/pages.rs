//! The pages a contact sees: for each, the template that renders it and the values it
//! receives (listed for hosts in the module's documentation). Every piece of text goes
//! in through [`text`], escaped; every form that changes state posts to the portal
//! itself; pages carry no scripts.

use minijinja::{Value, context};

use super::response::Response;
use super::templates::{Template, Templates, text};
use crate::client::Client;
use crate::firm::Firm;
use crate::portal::task::TaskList;
use crate::task::{Side, TaskStatus};

/// Where the portal lives, how it looks and who is logged in, for one page.
pub(crate) struct Frame<'a> {
    pub(crate) templates: &'a Templates,
    pub(crate) firm: &'a Firm,
    pub(crate) mount: &'a str,
    /// The session's CSRF token, for the header's logout form: none when logged out.
    pub(crate) csrf_token: Option<String>,
    /// Whether the session is a staff preview: every page then says so in a banner.
    pub(crate) preview: bool,
}

impl Frame<'_> {
    /// The page as a response with `status`: its values, and those every page gets.
    pub(crate) fn render(
        &self,
        status: u16,
        title: &str,
        page: Page,
    ) -> Result<Response, minijinja::Error> {
        let b = &self.firm.branding;
        let firm_name = if b.display_name.is_empty() {
            &self.firm.name
        } else {
            &b.display_name
        };
        let values = context! {
            title => text(title),
            firm_name => text(firm_name),
            logo_url => b.logo_url.as_deref().map(text),
            mount => text(self.mount),
            csrf_token => self.csrf_token.as_deref().map(text),
            preview => self.preview,
            notice => page.notice,
            ..page.values
        };
        let html = self.templates.render(page.template, values)?;
        Ok(Response::html(status, html))
    }
}

/// One page: its template, the notice above it (if any) and its own values.
pub(crate) struct Page {
    template: Template,
    notice: Value,
    values: Value,
}

impl Page {
    fn new(template: Template, values: Value) -> Page {
        Page {
            template,
            notice: Value::from(()),
            values,
        }
    }

    /// The page with a notice above it.
    pub(crate) fn with_notice(self, message: &str) -> Page {
        self.noticed(message, false)
    }

    /// The page with an error above it.
    pub(crate) fn with_error(self, message: &str) -> Page {
        self.noticed(message, true)
    }

    fn noticed(mut self, message: &str, error: bool) -> Page {
        self.notice = context! { text => text(message), error };
        self
    }
}

/// The login page; `next` (where to go once logged in) rides along with a link request.
pub(crate) fn login(next: Option<&str>) -> Page {
    Page::new(Template::Login, context! { next => next.map(text) })
}

pub(crate) fn check_email() -> Page {
    Page::new(Template::CheckEmail, context! {})
}

/// Where the code from the email is typed, for the code request `challenge`.
pub(crate) fn code(challenge: &str) -> Page {
    Page::new(Template::Code, context! { challenge => text(challenge) })
}

/// The page a magic link opens. `address` is the masked address it logs in as, when
/// the link is live; an unknown or spent link gets the same page without one.
pub(crate) fn link_confirm(token: &str, firm_legal_name: &str, address: Option<&str>) -> Page {
    Page::new(
        Template::LinkConfirm,
        context! {
            token => text(token),
            firm_legal_name => text(firm_legal_name),
            address => address.map(text),
        },
    )
}

/// The page a staff preview link opens; `address` is the masked address of the
/// contact it shows, when the link is live.
pub(crate) fn preview_confirm(token: &str, firm_legal_name: &str, address: Option<&str>) -> Page {
    Page::new(
        Template::PreviewConfirm,
        context! {
            token => text(token),
            firm_legal_name => text(firm_legal_name),
            address => address.map(text),
        },
    )
}

/// A link that did not log in: a form for a new one, after the code form when the
/// same email's code (request `challenge`) can still finish the login.
pub(crate) fn link_problem(challenge: Option<&str>) -> Page {
    Page::new(
        Template::LinkProblem,
        context! { challenge => challenge.map(text) },
    )
}

pub(crate) fn personal_link(token: &str, masked_email: &str) -> Page {
    Page::new(
        Template::PersonalLink,
        context! { token => text(token), masked_email => text(masked_email) },
    )
}

pub(crate) fn forgot_password() -> Page {
    Page::new(Template::ForgotPassword, context! {})
}

/// The form of a password link `token`, for the account `email` (a hidden field that
/// lets password managers file the new password under the right name).
pub(crate) fn set_password(token: &str, email: &str) -> Page {
    Page::new(
        Template::SetPassword,
        context! { token => text(token), email => text(email) },
    )
}

pub(crate) fn error(message: &str) -> Page {
    Page::new(Template::Error, context! { message => text(message) })
}

/// What the portal's home page shows of the logged-in contact.
pub(crate) struct Home<'a> {
    pub(crate) first_name: &'a str,
    pub(crate) welcome: &'a str,
    pub(crate) active: &'a Client,
    /// Every client the contact may switch to, the active one included.
    pub(crate) clients: Vec<&'a Client>,
    /// The active client's tasks; none when the contact may not see them.
    pub(crate) tasks: Option<&'a TaskList>,
}

pub(crate) fn home(home: &Home<'_>) -> Page {
    let clients: Value = home
        .clients
        .iter()
        .map(|c| {
            context! {
                id => text(&c.id.to_string()),
                name => text(&c.name),
                active => c.id == home.active.id,
            }
        })
        .collect();
    Page::new(
        Template::Home,
        context! {
            first_name => text(home.first_name),
            welcome => text(home.welcome),
            client_name => text(&home.active.name),
            can_switch => home.clients.len() > 1,
            clients,
            tasks => home.tasks.map(tasks),
        },
    )
}

/// "Your tasks" (the client's own, by phase) and "Our progress" (both sides' tasks
/// by phase, with each phase's status and a percentage).
fn tasks(list: &TaskList) -> Value {
    let phase_name = |name: Option<&str>| text(name.unwrap_or("General"));
    let yours: Value = list
        .tasks
        .iter()
        .filter(|t| t.assignee == Side::Client)
        .map(|t| {
            context! {
                id => text(&t.id.to_string()),
                title => text(&t.title),
                phase => phase_name(list.phase_name(t.phase_id)),
                description => text(&t.description),
                due => t.due_on.map(|d| text(&d.date_string())),
                done => t.status == TaskStatus::Completed,
            }
        })
        .collect();
    let progress = list.progress();
    let percent = progress.percent;
    let phases: Value = progress
        .phases
        .iter()
        .map(|p| {
            let status = match p.status {
                TaskStatus::Completed => "completed",
                TaskStatus::Pending => "pending",
                _ => "in progress",
            };
            context! {
                name => phase_name(p.phase.as_ref().map(|p| p.name.as_str())),
                status => text(status),
                done => p.done,
                total => p.total,
            }
        })
        .collect();
    context! { yours, phases, percent }
}
