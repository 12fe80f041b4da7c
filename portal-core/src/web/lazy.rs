//! The session of one request as middleware and extractors share it: verified at most
//! once, and only if a handler asks.

use std::sync::{Arc, OnceLock};

use super::{PortalWeb, Request, SessionHeaders};
use crate::portal::InternalError;
use crate::portal::session::Authenticated;

/// Put in a request's extensions by an adapter's middleware; extractors call
/// [`LazySession::get`], the middleware [`LazySession::response_headers`] on the way out.
#[derive(Clone, Debug)]
pub struct LazySession {
    web: PortalWeb,
    verified: Arc<OnceLock<Option<Arc<Authenticated>>>>,
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

    /// The request's session, verified on first call from the values of its `Cookie`
    /// headers (`head`, the request's headers and peer, is built only if a renewal
    /// records them), the same answer for later extractors of the same request.
    pub async fn get<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
        head: impl FnOnce() -> Request,
    ) -> Result<Option<Arc<Authenticated>>, InternalError> {
        if let Some(done) = self.verified.get() {
            return Ok(done.clone());
        }
        let verified = self
            .web
            .authenticate(cookie_headers, head)
            .await?
            .map(Arc::new);
        // Two extractors of one request racing: the first answer stands for both.
        Ok(self.verified.get_or_init(|| verified).clone())
    }

    /// The headers to add to the response if a handler used the session: the renewed
    /// cookie and the security headers. `None` if nobody asked.
    #[must_use]
    pub fn response_headers(&self) -> Option<SessionHeaders> {
        let verified = self.verified.get()?;
        Some(self.web.session_headers(verified.as_deref()))
    }
}
