//! Every error of the HTTP layer mapped to a status and a short public message, once.
//! Server-side failures become an opaque 500; their cause goes to the log, never to
//! the client.

use super::Kind;
use super::html::html;
use super::http::Response;
use super::pages;
use crate::firm::Firm;
use crate::login::{LinkProblem, LoginError};
use crate::portal::InternalError;
use crate::session::SessionError;
use crate::staff::StaffError;

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum WebError {
    NotFound,
    Forbidden,
    MethodNotAllowed,
    CrossSite,
    Csrf,
    Unauthenticated,
    TooLarge,
    UnsupportedMediaType,
    BadRequest(&'static str),
    /// A 400 whose message names the field or parameter at fault.
    BadInput(String),
    Login(LoginError),
    Staff(StaffError),
    Internal(InternalError),
}

impl From<LoginError> for WebError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Internal(i) => WebError::Internal(i),
            other => WebError::Login(other),
        }
    }
}

impl From<SessionError> for WebError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotLoggedIn => WebError::Unauthenticated,
            SessionError::NotFound => WebError::NotFound,
            SessionError::Internal(i) => WebError::Internal(i),
        }
    }
}

impl From<StaffError> for WebError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::NotFound => WebError::NotFound,
            StaffError::Internal(i) => WebError::Internal(i),
            other => WebError::Staff(other),
        }
    }
}

impl From<crate::task::TaskError> for WebError {
    fn from(e: crate::task::TaskError) -> Self {
        use crate::task::TaskError;
        match e {
            TaskError::NotFound => WebError::NotFound,
            TaskError::Forbidden => WebError::Forbidden,
            TaskError::Text(t) => WebError::BadInput(t.to_string()),
            TaskError::Internal(i) => WebError::Internal(i),
        }
    }
}

impl From<InternalError> for WebError {
    fn from(e: InternalError) -> Self {
        WebError::Internal(e)
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> Self {
        WebError::Internal(e.into())
    }
}

/// The status and public message of an error.
pub(crate) fn status_and_message(e: &WebError) -> (u16, String) {
    let (status, msg): (u16, &str) = match e {
        WebError::NotFound => (404, "Not found"),
        WebError::Forbidden => (403, "Not allowed"),
        WebError::MethodNotAllowed => (405, "Method not allowed"),
        WebError::CrossSite => (403, "Cross-site request refused"),
        WebError::Csrf => (403, "Invalid or missing CSRF token"),
        WebError::Unauthenticated => (401, "Not logged in"),
        WebError::TooLarge => (413, "Request body too large"),
        WebError::UnsupportedMediaType => (415, "Unsupported content type"),
        WebError::BadRequest(m) => (400, m),
        WebError::BadInput(_) => (400, ""),
        WebError::Login(l) => match l {
            LoginError::InvalidEmail(_) => (400, "Enter a valid email address"),
            LoginError::Link(LinkProblem::Unknown) => (404, "This login link is not valid"),
            LoginError::Link(LinkProblem::AlreadyUsed) => (410, "This login link was already used"),
            LoginError::Link(LinkProblem::Expired) => (410, "This login link has expired"),
            LoginError::Link(LinkProblem::Superseded) => {
                (410, "A newer login link was sent; use the latest email")
            }
            LoginError::Link(LinkProblem::ContactUnavailable) => {
                (403, "This account cannot log in; contact the firm")
            }
            LoginError::Link(LinkProblem::NeedsCode) => (
                401,
                "Enter the code from the same email to finish logging in",
            ),
            LoginError::InvalidCode => (
                401,
                "That code is not valid. A code stops working after five wrong tries and \
                 when it expires: ask for a new one, or use the link in the email",
            ),
            LoginError::LockedOut => (
                429,
                "Too many attempts from your network; use the link in your email or try later",
            ),
            LoginError::InvalidCredentials => (401, "Email or password is not valid"),
            LoginError::PasswordLinkInvalid => {
                (410, "This password link cannot be used; ask for a new one")
            }
            LoginError::Password(_) => (400, "Choose another password"),
            LoginError::Internal(_) => (500, "Something went wrong"),
        },
        WebError::Staff(s) => match s {
            StaffError::NotFound => (404, "Not found"),
            StaffError::ContactInactive => (409, "The contact is suspended or revoked"),
            StaffError::Suspended => (409, "The contact is suspended"),
            StaffError::Email(_) => (400, "Invalid email address"),
            StaffError::Text(_) => (400, ""),
            StaffError::Invalid(m) => (400, m),
            StaffError::Internal(_) => (500, "Something went wrong"),
        },
        WebError::Internal(_) => (500, "Something went wrong"),
    };
    let msg = match e {
        WebError::Login(LoginError::Password(p)) => p.to_string(),
        WebError::Staff(StaffError::Text(t)) => t.to_string(),
        WebError::BadInput(m) => m.clone(),
        _ => msg.to_owned(),
    };
    (status, msg)
}

/// Context for error pages.
pub(crate) struct PageFrame {
    pub(crate) firm: std::sync::Arc<Firm>,
    pub(crate) mount: String,
}

/// The response for an error: JSON `{"error": ...}` for the API, a page otherwise;
/// a page that needs a login sends the browser to the login page instead.
pub(crate) fn response(kind: Kind, e: &WebError, frame: &PageFrame) -> Response {
    if let WebError::Internal(cause) = e {
        tracing::error!(error = %cause, "request failed");
    }
    let (status, message) = status_and_message(e);
    match kind {
        Kind::Api => Response::json(status, &serde_json::json!({ "error": message })),
        Kind::Page if matches!(e, WebError::Unauthenticated) => {
            Response::see_other(&format!("{}/login", frame.mount))
        }
        Kind::Page => {
            let f = pages::Frame {
                firm: &frame.firm,
                mount: &frame.mount,
            };
            let body = html!("{}", pages::error(&message, &frame.mount));
            Response::html(status, f.page(&message, html!(""), body))
        }
    }
}
