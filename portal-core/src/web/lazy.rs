//! The session of one request as middleware and extractors share it: verified at most
//! once, and only if a handler asks.

use std::sync::{Arc, OnceLock};

use super::adapter::SessionRejection;
use super::portal_web::PortalWeb;
use super::request::Request;
use super::session::SessionHeaders;
use crate::contact::Contact;
use crate::portal::InternalError;
use crate::portal::session::Authenticated;

/// A verified session and the record of its contact: what an adapter's extractor
/// hands to the host's handler.
#[derive(Debug)]
pub struct LoggedIn {
    /// The session.
    pub session: Authenticated,
    /// Its contact (name, address), read once per request.
    pub contact: Contact,
}

/// Put in a request's extensions by an adapter's middleware; extractors call
/// [`LazySession::get`], the middleware [`LazySession::response_headers`] on the way out.
#[derive(Clone, Debug)]
pub struct LazySession {
    web: PortalWeb,
    verified: Arc<OnceLock<Option<Arc<LoggedIn>>>>,
}

impl LazySession {
    /// A session not looked at yet.
    #[must_use]
    pub fn new(web: PortalWeb) -> Self {
        LazySession {
            web,
            verified: Arc::new(OnceLock::new()),
        }
    }

    /// The request's session and contact, verified on first call from the values of
    /// its `Cookie` headers (`head`, the request's headers and peer, is built only if a
    /// renewal records them), the same answer for later extractors of the same request.
    pub async fn get<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
        head: impl FnOnce() -> Request,
    ) -> Result<Option<Arc<LoggedIn>>, InternalError> {
        if let Some(done) = self.verified.get() {
            return Ok(done.clone());
        }
        let verified = match self.web.authenticate(cookie_headers, head).await? {
            Some(session) => self
                .web
                .portal()
                .contact_of(&session)
                .await?
                .map(|contact| Arc::new(LoggedIn { session, contact })),
            None => None,
        };
        // Two extractors of one request racing: the first answer stands for both.
        Ok(self.verified.get_or_init(|| verified).clone())
    }

    /// The headers to add to the response if a handler used the session: the renewed
    /// cookie and the security headers. `None` if nobody asked.
    #[must_use]
    pub fn response_headers(&self) -> Option<SessionHeaders> {
        let verified = self.verified.get()?;
        Some(
            self.web
                .session_headers(verified.as_deref().map(|v| &v.session)),
        )
    }

    /// What an extractor that needs a contact answers when there is none; see
    /// [`PortalWeb::login_required`].
    #[must_use]
    pub fn login_required(&self, path_and_query: &str, accept: Option<&str>) -> SessionRejection {
        self.web.login_required(path_and_query, accept)
    }
}
