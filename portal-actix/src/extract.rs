//! Extractors for the host's handlers.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use portal_core::Authenticated;
use portal_core::InternalError;
use portal_core::web::{LazySession, retry_after_secs};

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

/// Why an extractor could not answer.
#[derive(Debug)]
pub enum Rejection {
    /// No valid session: 401.
    NotLoggedIn,
    /// [`crate::PortalMiddleware`] is not installed, or the store failed: 500.
    Misconfigured(&'static str),
    /// The store is unavailable for a moment: 503 with `Retry-After` (seconds).
    Unavailable {
        /// The seconds a client should wait before trying again.
        retry_after_secs: u32,
    },
}

impl From<InternalError> for Rejection {
    fn from(e: InternalError) -> Self {
        match retry_after_secs(&e) {
            Some(retry_after_secs) => Rejection::Unavailable { retry_after_secs },
            None => Rejection::Misconfigured("the session store failed"),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::NotLoggedIn => f.write_str("Not logged in"),
            Rejection::Misconfigured(why) => f.write_str(why),
            Rejection::Unavailable { .. } => f.write_str("Temporarily unavailable"),
        }
    }
}

impl ResponseError for Rejection {
    fn error_response(&self) -> HttpResponse {
        match self {
            Rejection::NotLoggedIn => HttpResponse::Unauthorized().body("Not logged in"),
            Rejection::Misconfigured(why) => HttpResponse::InternalServerError().body(*why),
            Rejection::Unavailable { retry_after_secs } => HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, retry_after_secs.to_string()))
                .body("Temporarily unavailable"),
        }
    }
}

impl FromRequest for MaybeContact {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lazy = req.extensions().get::<LazySession>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let lazy = lazy.ok_or(Rejection::Misconfigured(
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
        Box::pin(async move { maybe.await?.0.ok_or(Rejection::NotLoggedIn) })
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
