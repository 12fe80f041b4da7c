//! Every error of the HTTP layer mapped to a status and a short public message, once.
//! Server-side failures become an opaque 500, or a 503 with `Retry-After` when they
//! will likely pass by themselves (the store is away for a moment); their cause goes
//! to the log, never to the client.

use super::kind::Kind;
use super::method::Allow;
use super::pages;
use super::response::Response;
use super::responses::Failure;
use crate::magic_link::LinkProblem;
use crate::portal::InternalError;
use crate::portal::login::LoginError;
use crate::portal::session::SessionError;
use crate::portal::staff::StaffError;
use crate::store::StoreError;

/// What a client is asked to wait (`Retry-After`, in seconds) when the store is
/// unavailable: about as long as the store's pool waits for a connection before it
/// gives up again, so a retry after it meets a database that had time to come back.
pub(crate) const STORE_RETRY_AFTER_SECS: u32 = 5;

/// If `e` means "temporarily unavailable, try again later" rather than a fault, how
/// many seconds a client should wait before trying again: the web layer answers such
/// errors 503 with `Retry-After`, and an adapter's extractors should too.
#[must_use]
pub(crate) fn retry_after_secs(e: &InternalError) -> Option<u32> {
    match e {
        InternalError::Store(StoreError::Unavailable(_))
        | InternalError::Files(crate::blob::BlobError::Unavailable(_)) => {
            Some(STORE_RETRY_AFTER_SECS)
        }
        _ => None,
    }
}

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum WebError {
    NotFound,
    Forbidden,
    /// The path has routes, none for this method: the methods they have.
    MethodNotAllowed(Allow),
    CrossSite,
    Csrf,
    /// A staff preview session asked to change something: 403.
    ReadOnlyPreview,
    Unauthenticated,
    TooLarge,
    UnsupportedMediaType,
    BadRequest(&'static str),
    /// A 400 whose message names the field or parameter at fault.
    BadInput(String),
    /// A 409: the request collides with what is stored.
    Conflict(&'static str),
    /// A 413: the client's files would exceed the firm's storage limit.
    OverQuota,
    /// A 422: a well-formed request whose content is refused; the message names the
    /// field.
    Unprocessable(String),
    Login(LoginError),
    Staff(StaffError),
    /// Nothing is wrong with the request, but it cannot be served now: 503, with the
    /// seconds to wait in `Retry-After`. `cause` (if any) is logged.
    Unavailable {
        retry_after_secs: u32,
        cause: Option<InternalError>,
    },
    Internal(InternalError),
    /// The blob store refused or failed (its unavailability is
    /// [`WebError::Unavailable`]): 500, the cause logged.
    Files(crate::blob::BlobError),
    /// A page's template failed to render (a host's template, most likely): 500, the
    /// cause logged.
    Render(minijinja::Error),
    /// The host has not configured what the request needs (a vault key for a
    /// credential): 503 with the message, which says what is missing. No retry helps,
    /// so no `Retry-After`.
    NotConfigured(String),
    /// A 429: too many of something within a window; the message says what.
    TooManyRequests(&'static str),
    /// A credential that will not open (its key is missing, or it was altered): 500
    /// with a short message of its own. The audit log has the entry and the log the
    /// cause; neither holds a value.
    Unreadable,
}

/// What a credential that will not open is answered with.
pub(crate) const UNREADABLE: &str =
    "the credential cannot be opened (its key is missing or it was altered)";

impl WebError {
    /// Whether the server, not the request, is at fault (answered 5xx, cause logged).
    pub(crate) fn is_server_side(&self) -> bool {
        matches!(
            self,
            WebError::Internal(_)
                | WebError::Unavailable { .. }
                | WebError::Render(_)
                | WebError::Files(_)
                | WebError::NotConfigured(_)
                | WebError::Unreadable
        )
    }
}

impl From<LoginError> for WebError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Internal(i) => WebError::from(i),
            // The same answer for every address: nothing about it was looked at.
            LoginError::Busy { retry_after } => WebError::Unavailable {
                retry_after_secs: u32::try_from(retry_after.as_secs().max(1)).unwrap_or(60),
                cause: None,
            },
            other => WebError::Login(other),
        }
    }
}

impl From<SessionError> for WebError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotLoggedIn => WebError::Unauthenticated,
            SessionError::NotFound => WebError::NotFound,
            SessionError::Internal(i) => WebError::from(i),
        }
    }
}

impl From<StaffError> for WebError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::NotFound => WebError::NotFound,
            StaffError::Internal(i) => WebError::from(i),
            StaffError::Evidence(e) => WebError::Unprocessable(e.to_string()),
            StaffError::Phone(e) => WebError::Unprocessable(e.to_string()),
            StaffError::Conflict(m) => WebError::Conflict(m),
            other => WebError::Staff(other),
        }
    }
}

impl From<crate::portal::task::TaskError> for WebError {
    fn from(e: crate::portal::task::TaskError) -> Self {
        use crate::portal::task::TaskError;
        match e {
            TaskError::NotFound => WebError::NotFound,
            TaskError::Forbidden => WebError::Forbidden,
            TaskError::Text(t) => WebError::BadInput(t.to_string()),
            TaskError::Invalid(e) => WebError::Unprocessable(e.to_string()),
            e @ TaskError::WrongType { .. } => WebError::Unprocessable(e.to_string()),
            TaskError::Conflict => WebError::Conflict(
                "The task was already answered otherwise; the first answer stands",
            ),
            TaskError::DocumentChanged => WebError::Conflict(
                "The document changed after you read it: read it again before signing",
            ),
            TaskError::ReadOnlyPreview(_) => WebError::ReadOnlyPreview,
            TaskError::TooManyMessages => {
                WebError::TooManyRequests("too many messages: wait a few minutes")
            }
            TaskError::Internal(i) => WebError::from(i),
        }
    }
}

impl From<crate::portal::credential::CredentialError> for WebError {
    fn from(e: crate::portal::credential::CredentialError) -> Self {
        use crate::credential::CredentialRefusal;
        use crate::portal::credential::CredentialError;
        // No arm repeats a value: the core's errors name fields, never what they held.
        match e {
            CredentialError::NotFound => WebError::NotFound,
            CredentialError::Forbidden => WebError::Forbidden,
            // As a submission of the wrong type for any other task is answered.
            e @ CredentialError::NotACredentialTask => WebError::Unprocessable(e.to_string()),
            e @ CredentialError::NoVault => WebError::NotConfigured(e.to_string()),
            CredentialError::Invalid(e) => WebError::Unprocessable(e.to_string()),
            CredentialError::Reason(t) => WebError::BadInput(t.to_string()),
            CredentialError::Refused(CredentialRefusal::NotRequested) => {
                WebError::Conflict("The task no longer asks for this credential")
            }
            CredentialError::Refused(CredentialRefusal::Revealed) => WebError::Conflict(
                "The firm has read this credential: it can no longer be replaced",
            ),
            CredentialError::Refused(CredentialRefusal::Purged) => {
                WebError::Conflict("This credential was deleted")
            }
            CredentialError::TooManyReveals => WebError::TooManyRequests(
                "Too many credentials revealed in the last hour; try again later",
            ),
            CredentialError::ReadOnlyPreview(_) => WebError::ReadOnlyPreview,
            CredentialError::Unreadable(_) => WebError::Unreadable,
            CredentialError::Internal(i) => WebError::from(i),
        }
    }
}

impl From<crate::portal::documents::FileError> for WebError {
    fn from(e: crate::portal::documents::FileError) -> Self {
        use crate::document::UploadRefusal;
        use crate::portal::documents::FileError;
        match e {
            FileError::NotFound => WebError::NotFound,
            FileError::Forbidden => WebError::Forbidden,
            FileError::Refused(UploadRefusal::OverQuota) => WebError::OverQuota,
            FileError::Refused(UploadRefusal::AwaitingReview) => WebError::Conflict(
                "An upload is waiting for review; withdraw it first to replace it",
            ),
            FileError::Refused(UploadRefusal::Closed) => {
                WebError::Conflict("This request is approved and takes no more files")
            }
            FileError::Refused(UploadRefusal::NotRequested) | FileError::NotARequest => {
                WebError::Unprocessable("this task does not ask for documents".into())
            }
            e @ FileError::FileCount { .. } => WebError::Unprocessable(format!("files: {e}")),
            FileError::Conflict(_) => {
                WebError::Conflict("This upload was already reviewed or withdrawn")
            }
            FileError::Answered => WebError::Conflict(
                "The task was already answered otherwise; the first answer stands",
            ),
            FileError::Invalid(e) => WebError::Unprocessable(e.to_string()),
            FileError::Downloaded => {
                WebError::Conflict("The firm has downloaded this file: it can no longer be deleted")
            }
            FileError::Text(t) => WebError::BadInput(t.to_string()),
            FileError::ReadOnlyPreview(_) => WebError::ReadOnlyPreview,
            FileError::Storage(e) => WebError::from(InternalError::Files(e)),
            FileError::Internal(i) => WebError::from(i),
        }
    }
}

impl From<InternalError> for WebError {
    fn from(e: InternalError) -> Self {
        match retry_after_secs(&e) {
            Some(retry_after_secs) => WebError::Unavailable {
                retry_after_secs,
                cause: Some(e),
            },
            None => WebError::Internal(e),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::from(InternalError::from(e))
    }
}

/// The status and public message of an error.
pub(crate) fn status_and_message(e: &WebError) -> (u16, String) {
    let (status, msg): (u16, &str) = match e {
        WebError::NotFound => (404, "Not found"),
        WebError::Forbidden => (403, "Not allowed"),
        WebError::MethodNotAllowed(_) => (405, "Method not allowed"),
        WebError::CrossSite => (403, "Cross-site request refused"),
        WebError::Csrf => (403, "Invalid or missing CSRF token"),
        WebError::ReadOnlyPreview => (403, "Read-only preview: nothing can be changed"),
        WebError::Unauthenticated => (401, "Not logged in"),
        WebError::TooLarge => (413, "Request body too large"),
        WebError::UnsupportedMediaType => (415, "Unsupported content type"),
        WebError::BadRequest(m) => (400, m),
        WebError::BadInput(_) => (400, ""),
        WebError::Conflict(m) => (409, m),
        WebError::OverQuota => (413, "Your files would exceed the storage limit"),
        WebError::Unprocessable(_) => (422, ""),
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
            // Both answered as `WebError::Unavailable` and `WebError::Internal`.
            LoginError::Busy { .. } | LoginError::Internal(_) => (500, "Something went wrong"),
        },
        WebError::Staff(s) => match s {
            StaffError::NotFound => (404, "Not found"),
            StaffError::ContactInactive => (409, "The contact is suspended or revoked"),
            StaffError::Suspended => (409, "The contact is suspended"),
            StaffError::Email(_) => (400, "Invalid email address"),
            // Answered as `WebError::Unprocessable` and `WebError::Conflict`.
            StaffError::Evidence(_) | StaffError::Phone(_) => (422, ""),
            StaffError::Conflict(m) => (409, m),
            StaffError::Text(_) => (400, ""),
            StaffError::Invalid(m) => (400, m),
            StaffError::Internal(_) => (500, "Something went wrong"),
        },
        WebError::Unavailable { .. } => (
            503,
            "The service is temporarily unavailable; try again in a few seconds",
        ),
        WebError::Internal(_) | WebError::Render(_) | WebError::Files(_) => {
            (500, "Something went wrong")
        }
        WebError::NotConfigured(_) => (503, ""),
        WebError::TooManyRequests(m) => (429, m),
        WebError::Unreadable => (500, UNREADABLE),
    };
    let msg = match e {
        WebError::Login(LoginError::Password(p)) => p.to_string(),
        WebError::Staff(StaffError::Text(t)) => t.to_string(),
        WebError::BadInput(m) | WebError::Unprocessable(m) | WebError::NotConfigured(m) => {
            m.clone()
        }
        _ => msg.to_owned(),
    };
    (status, msg)
}

/// Logs the cause of a server-side failure: never sent to the client.
fn log(e: &WebError) {
    match e {
        WebError::Internal(cause) => tracing::error!(error = %cause, "request failed"),
        WebError::Unavailable {
            cause: Some(cause), ..
        } => tracing::warn!(error = %cause, "request refused: temporarily unavailable"),
        WebError::Render(cause) => tracing::error!(error = %cause, "a page failed to render"),
        WebError::Files(cause) => tracing::error!(error = %cause, "file storage failed"),
        WebError::NotConfigured(what) => tracing::warn!(problem = %what, "request refused"),
        // A credential that will not open: the operation logged why (a key id, never a
        // value) and audited the refusal.
        _ => {}
    }
}

/// Adds what the error's status asks of the response: `Retry-After` on a 503, `Allow`
/// on a 405.
fn with_error_headers(resp: Response, e: &WebError) -> Response {
    match e {
        WebError::Unavailable {
            retry_after_secs, ..
        } => resp.with_header("retry-after", retry_after_secs.to_string()),
        WebError::MethodNotAllowed(allow) => resp.with_header("allow", allow.to_string()),
        _ => resp,
    }
}

/// The JSON response for an error: `{"error": ...}`, its cause logged.
pub(crate) fn json_response(e: &WebError) -> Response {
    log(e);
    let (status, message) = status_and_message(e);
    with_error_headers(Response::json(status, &Failure { error: &message }), e)
}

/// The error page when the error template itself fails to render (a host's broken
/// `error.html` or `layout.html`): a server error, said without a template.
const UNRENDERABLE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>Something went wrong</title></head><body><h1>Something went wrong</h1></body></html>";

/// The response for an error: JSON `{"error": ...}` for the API, a page otherwise;
/// a page that needs a login sends the browser to the login page instead.
pub(crate) fn response(kind: Kind, e: &WebError, frame: &pages::Frame<'_>) -> Response {
    match kind {
        Kind::Api => json_response(e),
        Kind::Page if matches!(e, WebError::Unauthenticated) => {
            Response::see_other(&format!("{}/login", frame.mount))
        }
        Kind::Page | Kind::Asset => {
            log(e);
            let (status, message) = status_and_message(e);
            let page = frame
                .render(status, &message, pages::error(&message))
                .unwrap_or_else(|cause| {
                    log(&WebError::Render(cause));
                    Response::html(500, UNRENDERABLE.to_owned())
                });
            with_error_headers(page, e)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn unavailable_store() -> InternalError {
        InternalError::Store(StoreError::Unavailable("connection refused".into()))
    }

    fn retry_after(resp: &Response) -> Option<String> {
        resp.headers
            .iter()
            .find(|(n, _)| *n == "retry-after")
            .map(|(_, v)| v.as_str().to_owned())
    }

    #[test]
    fn an_unavailable_store_is_503_with_retry_after_wherever_it_surfaces() {
        let through = [
            WebError::from(unavailable_store()),
            WebError::from(LoginError::Internal(unavailable_store())),
            WebError::from(SessionError::Internal(unavailable_store())),
            WebError::from(StaffError::Internal(unavailable_store())),
            WebError::from(crate::portal::task::TaskError::Internal(unavailable_store())),
            WebError::from(StoreError::Unavailable("pool timed out".into())),
        ];
        for e in through {
            assert!(e.is_server_side());
            let resp = json_response(&e);
            assert_eq!(resp.status, 503, "{e:?}");
            assert_eq!(retry_after(&resp).as_deref(), Some("5"), "{e:?}");
            let body = String::from_utf8(resp.body).unwrap();
            assert!(
                !body.contains("connection refused") && !body.contains("pool"),
                "the cause stays in the log: {body}"
            );
        }
    }

    #[test]
    fn a_refused_or_corrupt_store_stays_an_opaque_500_without_retry_after() {
        for store in [
            StoreError::Refused("invalid byte sequence".into()),
            StoreError::Corrupt("column status".into()),
        ] {
            let e = WebError::from(store);
            let resp = json_response(&e);
            assert_eq!(resp.status, 500);
            assert_eq!(retry_after(&resp), None);
            assert!(!String::from_utf8(resp.body).unwrap().contains("column"));
        }
    }

    #[test]
    fn a_busy_hashing_pool_is_503_with_its_retry_after() {
        let e = WebError::from(LoginError::Busy {
            retry_after: std::time::Duration::from_secs(2),
        });
        assert!(e.is_server_side());
        let resp = json_response(&e);
        assert_eq!(resp.status, 503);
        assert_eq!(retry_after(&resp).as_deref(), Some("2"));
    }

    #[test]
    fn credential_errors_say_what_is_wrong_and_never_what_was_handed_over() {
        use crate::credential::CredentialRefusal;
        use crate::evidence::{EvidenceError, Problem};
        use crate::portal::credential::CredentialError;
        use crate::vault::VaultError;
        let answer = |e: CredentialError| {
            let e = WebError::from(e);
            let resp = json_response(&e);
            let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
            let error = body["error"].as_str().unwrap().to_owned();
            (resp.status, error, retry_after(&resp))
        };
        assert_eq!(answer(CredentialError::NotFound).0, 404);
        assert_eq!(answer(CredentialError::Forbidden).0, 403);
        assert_eq!(answer(CredentialError::NotACredentialTask).0, 422);
        let (status, message, retry) = answer(CredentialError::NoVault);
        assert_eq!((status, retry), (503, None));
        assert!(message.contains("no vault key"), "{message}");
        let invalid = EvidenceError::new("password", Problem::TooLong { max_chars: 4096 });
        assert_eq!(
            answer(CredentialError::Invalid(invalid)).1,
            "password has at most 4096 characters"
        );
        for (refusal, status) in [
            (CredentialRefusal::NotRequested, 409),
            (CredentialRefusal::Revealed, 409),
            (CredentialRefusal::Purged, 409),
        ] {
            assert_eq!(answer(CredentialError::Refused(refusal)).0, status);
        }
        assert_eq!(answer(CredentialError::TooManyReveals).0, 429);
        let unreadable = answer(CredentialError::Unreadable(VaultError::Tampered));
        assert_eq!((unreadable.0, unreadable.1.as_str()), (500, UNREADABLE));
        let away = answer(CredentialError::Internal(unavailable_store()));
        assert_eq!((away.0, away.2.as_deref()), (503, Some("5")));
    }

    #[test]
    fn refused_evidence_is_422_naming_its_field_and_a_second_answer_409() {
        use crate::evidence::{EvidenceError, EvidenceKind, Problem};
        use crate::portal::task::TaskError;
        let body = |e: WebError| {
            let resp = json_response(&e);
            (resp.status, String::from_utf8(resp.body).unwrap())
        };
        let invalid = TaskError::Invalid(EvidenceError::new("answer", Problem::Required));
        assert_eq!(
            body(invalid.into()),
            (422, r#"{"error":"answer is required"}"#.to_owned())
        );
        let wrong = TaskError::wrong_type(EvidenceKind::Form, EvidenceKind::Approval);
        assert_eq!(
            body(wrong.into()),
            (
                422,
                r#"{"error":"this task asks for form, not approval"}"#.to_owned()
            )
        );
        assert_eq!(body(TaskError::Conflict.into()).0, 409);
        assert_eq!(body(TaskError::TooManyMessages.into()).0, 429);
        let staff = StaffError::Evidence(EvidenceError::new("items", Problem::Required));
        assert_eq!(
            body(staff.into()),
            (422, r#"{"error":"items is required"}"#.to_owned())
        );
        assert_eq!(body(StaffError::Conflict("taken").into()).0, 409);
    }
}
