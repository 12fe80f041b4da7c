//! The one middleware: makes the session available to extractors (verified lazily) and,
//! on the way out, adds the renewed session cookie and the security headers to
//! responses whose handler used the session.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::HttpMessage as _;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use portal_core::web::{LazySession, PortalWeb};

/// Wraps an app (or a scope) so that [`crate::CurrentContact`] works in its handlers.
#[derive(Clone, Debug)]
pub struct PortalMiddleware {
    portal_web: PortalWeb,
}

impl PortalMiddleware {
    /// The middleware for `portal_web`.
    #[must_use]
    pub fn new(portal_web: PortalWeb) -> Self {
        PortalMiddleware { portal_web }
    }
}

impl<S, B> Transform<S, ServiceRequest> for PortalMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = PortalMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PortalMiddlewareService {
            service: Rc::new(service),
            portal_web: self.portal_web.clone(),
        }))
    }
}

/// The service [`PortalMiddleware`] produces.
#[derive(Debug)]
pub struct PortalMiddlewareService<S> {
    service: Rc<S>,
    portal_web: PortalWeb,
}

impl<S, B> Service<ServiceRequest> for PortalMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let session = LazySession::new(self.portal_web.clone());
        req.extensions_mut().insert(session.clone());
        let service = self.service.clone();
        Box::pin(async move {
            let mut resp = service.call(req).await?;
            if let Some(headers) = session.response_headers() {
                crate::convert::append_session_headers(resp.headers_mut(), headers);
            }
            Ok(resp)
        })
    }
}
