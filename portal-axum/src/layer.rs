//! The one middleware: makes the session available to extractors (verified lazily) and,
//! on the way out, adds the renewed session cookie and the security headers to
//! responses whose handler used the session.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use portal_core::web::{LazySession, PortalWeb};

/// A `tower::Layer` that wires the portal into the host's routes.
#[derive(Clone, Debug)]
pub struct PortalLayer {
    web: PortalWeb,
}

impl PortalLayer {
    /// The layer for `web`.
    #[must_use]
    pub fn new(web: PortalWeb) -> Self {
        PortalLayer { web }
    }
}

impl<S> tower_layer::Layer<S> for PortalLayer {
    type Service = PortalService<S>;
    fn layer(&self, inner: S) -> PortalService<S> {
        PortalService {
            inner,
            web: self.web.clone(),
        }
    }
}

/// The service [`PortalLayer`] produces.
#[derive(Clone, Debug)]
pub struct PortalService<S> {
    inner: S,
    web: PortalWeb,
}

impl<S> tower_service::Service<Request> for PortalService<S>
where
    S: tower_service::Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let session = LazySession::new(self.web.clone());
        req.extensions_mut().insert(session.clone());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let mut resp = fut.await?;
            if let Some(headers) = session.response_headers() {
                crate::convert::append_session_headers(resp.headers_mut(), headers);
            }
            Ok(resp)
        })
    }
}
