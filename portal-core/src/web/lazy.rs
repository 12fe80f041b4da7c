//! The session of one request as middleware and extractors share it: verified at most
//! once, and only if a handler asks.

use std::sync::{Arc, Mutex};

use super::{PortalWeb, Request};
use crate::portal::InternalError;
use crate::session::Authenticated;

/// Put in a request's extensions by an adapter's middleware; extractors call
/// [`LazySession::get`], the middleware [`LazySession::response_headers`] on the way out.
#[derive(Clone, Debug)]
pub struct LazySession {
    web: PortalWeb,
    verified: Arc<Mutex<Option<Option<Arc<Authenticated>>>>>,
}

impl LazySession {
    /// A session not looked at yet.
    #[must_use]
    pub fn new(web: PortalWeb) -> Self {
        LazySession {
            web,
            verified: Arc::new(Mutex::new(None)),
        }
    }

    /// The request's session, verified on first call (`head` needs headers and peer
    /// only), cached for later extractors of the same request.
    pub async fn get(&self, head: &Request) -> Result<Option<Arc<Authenticated>>, InternalError> {
        if let Some(done) = self.verified.lock().ok().and_then(|v| v.clone()) {
            return Ok(done);
        }
        let verified = self.web.authenticate(head).await?.map(Arc::new);
        if let Ok(mut v) = self.verified.lock() {
            *v = Some(verified.clone());
        }
        Ok(verified)
    }

    /// The headers to add to the response if a handler used the session: the renewed
    /// cookie and the security headers. `None` if nobody asked.
    #[must_use]
    pub fn response_headers(&self) -> Option<Vec<(&'static str, super::HeaderText)>> {
        let verified = self.verified.lock().ok()?.clone()?;
        Some(self.web.session_headers(verified.as_deref()))
    }
}
