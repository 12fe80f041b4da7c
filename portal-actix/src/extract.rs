//! Extractors for the host's handlers.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use portal_core::contact::Contact;
use portal_core::web::{LazySession, LoggedIn, SessionRejection};
use portal_core::{Authenticated, InternalError};

/// The logged-in contact of the request: its record ([`CurrentContact::contact`]: name,
/// address) and, by dereference, the verified session (`contact_id()`,
/// `active_client()`, `permissions()`, `csrf_token()`). Without one, a browser is sent
/// to the login page and back, an API client gets 401.
// Each adapter has its own (a framework's extractor trait can only be implemented on
// a type of the adapter's crate); what it holds and answers comes from portal-core.
#[derive(Clone, Debug)]
pub struct CurrentContact(Arc<LoggedIn>);

impl CurrentContact {
    /// The contact's record: first name, email address, status.
    #[must_use]
    pub fn contact(&self) -> &Contact {
        &self.0.contact
    }
}

impl Deref for CurrentContact {
    type Target = Authenticated;
    fn deref(&self) -> &Authenticated {
        &self.0.session
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
        if let Some(location) = self.0.location() {
            resp.insert_header((header::LOCATION, location));
        }
        resp.body(self.0.to_string())
    }
}

/// The session of the request, as the middleware left it.
fn lazy_session(req: &HttpRequest) -> Result<LazySession, Rejection> {
    req.extensions()
        .get::<LazySession>()
        .cloned()
        .ok_or(Rejection(SessionRejection::Misconfigured(
            "PortalMiddleware is not installed on this route",
        )))
}

impl FromRequest for MaybeContact {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lazy = lazy_session(req);
        let req = req.clone();
        Box::pin(async move {
            let lazy = lazy?;
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
        let req = req.clone();
        Box::pin(async move {
            if let Some(contact) = maybe.await?.0 {
                return Ok(contact);
            }
            let target = req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path(), |p| p.as_str());
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            Err(Rejection(
                lazy_session(&req)?.login_required(target, accept),
            ))
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

    #[test]
    fn the_contact_is_named_and_a_browser_without_one_goes_to_the_login_page() {
        actix_web::rt::System::new().block_on(async {
            let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
            let portal_web = w.web().await;
            let name = portal_web.session_cookie_name();
            let jane = format!("{name}={}", w.login(w.jane.id).await.token.expose_secret());
            let app = test::init_service(App::new().wrap(PortalMiddleware::new(portal_web)).route(
                "/me",
                web::get().to(|c: CurrentContact| async move {
                    format!("{} <{}>", c.contact().first_name, c.contact().email)
                }),
            ))
            .await;
            let req = test::TestRequest::get()
                .uri("/me")
                .append_header((header::COOKIE, jane));
            let body = test::call_and_read_body(&app, req.to_request()).await;
            assert_eq!(
                std::str::from_utf8(&body).unwrap(),
                format!("{} <{}>", w.jane.first_name, w.jane.email)
            );
            let browser = test::TestRequest::get()
                .uri("/me?x=1")
                .append_header((header::ACCEPT, "text/html,application/xhtml+xml"));
            let resp = test::call_service(&app, browser.to_request()).await;
            assert_eq!(resp.status(), 303);
            // `/me` is not a page the host allowed as a login target: no way back.
            assert_eq!(
                resp.headers().get(header::LOCATION).unwrap(),
                "/portal/login"
            );
            let api = test::TestRequest::get()
                .uri("/me")
                .append_header((header::ACCEPT, "application/json"));
            assert_eq!(
                test::call_service(&app, api.to_request()).await.status(),
                401
            );
        });
    }
}
