//! Verifying a request's session, for the portal's own routes and for a host's, and
//! the cookie and headers a response that used it carries.

use super::cookies::PortalCookie;
use super::cookies::cookie_in;
use super::guard;
use super::portal_web::PortalWeb;
use super::request::{REDACTED, Request};
use super::response::Response;
use crate::audit::RequestInfo;
use crate::firm::Firm;
use crate::portal::InternalError;
use crate::portal::session::Authenticated;
use crate::session::time_left;

/// What a host's response that used the session gets (see
/// [`PortalWeb::session_headers`]). Its `Debug` leaves the cookie's value out.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionHeaders {
    /// The session's `Set-Cookie` value, when this request renewed the session.
    pub cookie: Option<String>,
    /// Which set of [`host_security_headers`](super::host_security_headers) applies: the public URL is https.
    pub https: bool,
}

impl std::fmt::Debug for SessionHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHeaders")
            .field("cookie", &self.cookie.as_ref().map(|_| REDACTED))
            .field("https", &self.https)
            .finish()
    }
}

impl PortalWeb {
    /// Verifies a request's session, if it has one, from the values of its `Cookie`
    /// headers: the one way to do it, which the adapters' extractors use and a host
    /// without an adapter calls itself. `head` (the request's headers and peer) is built
    /// only if a renewal records where the request came from, so that verifying copies
    /// nothing out of the framework's request. A host's response that used the session
    /// then carries [`PortalWeb::session_headers`].
    pub async fn authenticate<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
        head: impl FnOnce() -> Request,
    ) -> Result<Option<Authenticated>, InternalError> {
        let cookie = cookie_in(cookie_headers, self.session_cookie_name());
        self.verify(cookie, || self.request_info(&head())).await
    }

    /// [`PortalWeb::authenticate`] for one of the portal's own requests.
    pub(super) async fn authenticate_request(
        &self,
        req: &Request,
    ) -> Result<Option<Authenticated>, InternalError> {
        self.verify(req.cookie(self.session_cookie_name()), || {
            self.request_info(req)
        })
        .await
    }

    async fn verify(
        &self,
        cookie: Option<&str>,
        info: impl FnOnce() -> RequestInfo,
    ) -> Result<Option<Authenticated>, InternalError> {
        let Some(cookie) = cookie else {
            return Ok(None);
        };
        match self
            .inner
            .portal
            .authenticate_with(self.inner.firm_id, cookie, info)
            .await
        {
            Ok(auth) => Ok(Some(auth)),
            Err(crate::portal::session::SessionError::Internal(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// The headers a host response that used the session must carry: the session
    /// cookie again when the session was renewed (so the cookie never outlives the
    /// session, nor dies before it), and the constant [`host_security_headers`](super::host_security_headers).
    #[must_use]
    pub fn session_headers(&self, auth: Option<&Authenticated>) -> SessionHeaders {
        SessionHeaders {
            cookie: self.renewal_cookie(auth),
            https: self.firm().public_url.is_https(),
        }
    }

    fn renewal_cookie(&self, auth: Option<&Authenticated>) -> Option<String> {
        let a = auth.filter(|a| a.renewed)?;
        let max_age = time_left(a.session.expires_at(), self.inner.portal.now());
        Some(PortalCookie::Session.set(self.inner.cookies, &a.token().expose_secret(), max_age))
    }

    /// Finishes one of the portal's own responses: the renewed session's cookie and the
    /// portal's security headers (headers it already has are kept).
    pub(super) fn finish_for(
        &self,
        firm: &Firm,
        resp: &mut Response,
        auth: Option<&Authenticated>,
    ) {
        if let Some(cookie) = self.renewal_cookie(auth) {
            resp.headers.push(("set-cookie", cookie.into()));
        }
        guard::apply_security_headers(resp, true, firm.public_url.is_https());
    }
}
