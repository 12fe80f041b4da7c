//! What a route's handler is given: the request, its verified session, the firm, and
//! the steps handlers share (cookies, CSRF, pages).

use std::sync::Arc;

use super::cookies::PortalCookie;
use super::errors::{self, WebError};
use super::kind::Kind;
use super::pages;
use super::portal_web::PortalWeb;
use super::request::Request;
use super::response::{HeaderText, Response};
use crate::audit::RequestInfo;
use crate::firm::Firm;
use crate::portal::session::Authenticated;

/// Per-request context handed to route handlers.
pub(super) struct Ctx<'a> {
    pub(super) web: &'a PortalWeb,
    pub(super) req: &'a Request,
    // Most requests record nothing: the user agent is copied out only when asked.
    info: std::sync::OnceLock<RequestInfo>,
    pub(super) auth: Option<Authenticated>,
    pub(super) firm: Arc<Firm>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        web: &'a PortalWeb,
        req: &'a Request,
        auth: Option<Authenticated>,
        firm: Arc<Firm>,
    ) -> Self {
        Ctx {
            web,
            req,
            info: std::sync::OnceLock::new(),
            auth,
            firm,
        }
    }
}

impl Ctx<'_> {
    /// Where the request comes from, for what it records.
    pub(super) fn info(&self) -> &RequestInfo {
        self.info.get_or_init(|| self.web.request_info(self.req))
    }

    pub(super) fn mount(&self) -> &str {
        self.web.mount_path()
    }

    /// `page` with `title` as a response with `status`; a page that fails to render
    /// is answered as the usual server error.
    pub(super) fn page(&self, status: u16, title: &str, page: pages::Page) -> Response {
        let frame = self.web.frame(&self.firm, self.auth.as_ref());
        frame
            .render(status, title, page)
            .unwrap_or_else(|e| errors::response(Kind::Page, &WebError::Render(e), &frame))
    }

    pub(super) fn cookie(&self, which: PortalCookie) -> Option<&str> {
        self.req.cookie(which.name(self.web.inner.cookies))
    }

    pub(super) fn set_cookie(
        &self,
        which: PortalCookie,
        value: &str,
        max_age: std::time::Duration,
    ) -> (&'static str, HeaderText) {
        (
            "set-cookie",
            which.set(self.web.inner.cookies, value, max_age).into(),
        )
    }

    pub(super) fn clear_cookie(&self, which: PortalCookie) -> (&'static str, HeaderText) {
        ("set-cookie", which.clear(self.web.inner.cookies).into())
    }

    /// The verified session, or 401 (API) / a redirect to the login page (pages). A
    /// route whose table entry asks for a session has had it checked already.
    pub(super) fn require_auth(&self) -> Result<&Authenticated, WebError> {
        self.auth.as_ref().ok_or(WebError::Unauthenticated)
    }

    /// Refuses a staff preview session (403): the guard of every route that changes
    /// something for the contact, after its CSRF check.
    pub(super) fn refuse_preview(auth: &Authenticated) -> Result<(), WebError> {
        if auth.is_preview() {
            Err(WebError::ReadOnlyPreview)
        } else {
            Ok(())
        }
    }

    /// The session's CSRF token from the `X-CSRF-Token` header, else from the body's
    /// `csrf_token` field (`in_body`).
    pub(super) fn check_csrf(&self, in_body: Option<&str>) -> Result<&Authenticated, WebError> {
        let auth = self.require_auth()?;
        let presented = self.req.header_value("x-csrf-token").or(in_body);
        match presented {
            Some(t) if auth.csrf_matches(t) => Ok(auth),
            _ => Err(WebError::Csrf),
        }
    }
}
