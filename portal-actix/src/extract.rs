//! Extractors for the host's handlers.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use portal_core::Authenticated;
use portal_core::InternalError;
use portal_core::web::{LazySession, SessionRejection};

/// The logged-in contact of the request (dereferences to the verified session:
/// `contact_id()`, `active_client()`, `permissions()`, `csrf_token()`); answers 401
/// when there is none.
#[derive(Clone, Debug)]
pub struct CurrentContact(Arc<Authenticated>);

impl Deref for CurrentContact {
    type Target = Authenticated;
    fn deref(&self) -> &Authenticated {
        &self.0
    }
}

/// The logged-in contact, if any.
#[derive(Clone, Debug)]
pub struct MaybeContact(pub Option<CurrentContact>);

/// Why an extractor could not answer: the adapters' common [`SessionRejection`], as an
/// actix-web error.
#[derive(Debug)]
pub struct Rejection(pub SessionRejection);

impl From<SessionRejection> for Rejection {
    fn from(r: SessionRejection) -> Self {
        Rejection(r)
    }
}

impl From<InternalError> for Rejection {
    fn from(e: InternalError) -> Self {
        Rejection(e.into())
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status_code());
        if let Some(secs) = self.0.retry_after_secs() {
            resp.insert_header((header::RETRY_AFTER, secs));
        }
        resp.body(self.0.to_string())
    }
}

impl FromRequest for MaybeContact {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lazy = req.extensions().get::<LazySession>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let lazy = lazy.ok_or(SessionRejection::Misconfigured(
                "PortalMiddleware is not installed on this route",
            ))?;
            let cookies = req
                .headers()
                .get_all(header::COOKIE)
                .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok());
            let session = lazy
                .get(cookies, || crate::convert::session_head(&req))
                .await?;
            Ok(MaybeContact(session.map(CurrentContact)))
        })
    }
}

impl FromRequest for CurrentContact {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeContact::from_request(req, payload);
        Box::pin(async move {
            maybe
                .await?
                .0
                .ok_or(Rejection(SessionRejection::NotLoggedIn))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use actix_web::http::header;
    use actix_web::{App, test, web};
    use portal_core::MemoryStore;
    use portal_core::testing::{Fixture, World};

    use super::CurrentContact;
    use crate::PortalMiddleware;

    #[test]
    fn two_session_cookies_are_no_contact() {
        actix_web::rt::System::new().block_on(async {
            let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
            let portal_web = w.web().await;
            let name = portal_web.session_cookie_name();
            let jane = format!("{name}={}", w.login(w.jane.id).await.token.expose_secret());
            let bob = format!("{name}={}", w.login(w.bob.id).await.token.expose_secret());
            let app = test::init_service(App::new().wrap(PortalMiddleware::new(portal_web)).route(
                "/me",
                web::get().to(|c: CurrentContact| async move { c.contact_id().to_string() }),
            ))
            .await;
            let status = |cookies: &[&str]| {
                let req = cookies
                    .iter()
                    .fold(test::TestRequest::get().uri("/me"), |r, c| {
                        r.append_header((header::COOKIE, *c))
                    });
                test::call_service(&app, req.to_request())
            };
            assert_eq!(status(&[&jane]).await.status(), 200);
            assert_eq!(status(&[&format!("{bob}; {jane}")]).await.status(), 401);
            assert_eq!(status(&[&bob, &jane]).await.status(), 401, "in two headers");
        });
    }
}
