//! The pages a contact sees: for each, the template that renders it and the values it
//! receives (listed for hosts in the module's documentation). Every piece of text goes
//! in through [`text`], escaped; every form that changes state posts to the portal
//! itself; pages carry no scripts.

use minijinja::{Value, context};

use super::response::Response;
use super::templates::{Template, Templates, text};
use crate::firm::Firm;

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
        let firm_name = firm_name(self.firm);
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

/// The name the firm shows: its branding's display name, else its name.
pub(crate) fn firm_name(firm: &Firm) -> &str {
    if firm.branding.display_name.is_empty() {
        &firm.name
    } else {
        &firm.branding.display_name
    }
}

/// One page: its template, the notice above it (if any) and its own values.
pub(crate) struct Page {
    template: Template,
    notice: Value,
    values: Value,
}

impl Page {
    pub(crate) fn new(template: Template, values: Value) -> Page {
        Page {
            template,
            notice: Value::from(()),
            values,
        }
    }

    /// The page with `more` values besides its own.
    pub(crate) fn with(mut self, more: Value) -> Page {
        self.values = context! { ..self.values, ..more };
        self
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
