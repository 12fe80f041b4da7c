//! Extractors for the host's handlers.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
/// axum response.
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

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, self.0.to_string()).into_response();
        if let Some(secs) = self.0.retry_after_secs() {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(location) = self
            .0
            .location()
            .and_then(|l| HeaderValue::try_from(l).ok())
        {
            resp.headers_mut().insert(header::LOCATION, location);
        }
        resp
    }
}

/// The session of the request, as the layer left it.
fn lazy_session(parts: &Parts) -> Result<LazySession, Rejection> {
    parts
        .extensions
        .get::<LazySession>()
        .cloned()
        .ok_or(Rejection(SessionRejection::Misconfigured(
            "PortalLayer is not installed on this route",
        )))
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeContact {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let lazy = lazy_session(parts)?;
        let cookies = parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok());
        let session = lazy
            .get(cookies, || crate::convert::session_head(parts))
            .await?;
        Ok(MaybeContact(session.map(CurrentContact)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentContact {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        if let Some(contact) = MaybeContact::from_request_parts(parts, state).await?.0 {
            return Ok(contact);
        }
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |p| p.as_str());
        let accept = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        Err(Rejection(
            lazy_session(parts)?.login_required(target, accept),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::get;
    use portal_core::MemoryStore;
    use portal_core::testing::{Fixture, World};
    use tower_service::Service as _;

    use super::CurrentContact;
    use crate::PortalLayer;

    #[tokio::test]
    async fn two_session_cookies_are_no_contact() {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let web = w.web().await;
        let name = web.session_cookie_name();
        let jane = format!("{name}={}", w.login(w.jane.id).await.token.expose_secret());
        let bob = format!("{name}={}", w.login(w.bob.id).await.token.expose_secret());
        let app = Router::new()
            .route(
                "/me",
                get(|c: CurrentContact| async move { c.contact_id().to_string() }),
            )
            .layer(PortalLayer::new(web));
        let status = |cookies: Vec<String>| {
            let mut req = Request::get("/me");
            for c in cookies {
                req = req.header(header::COOKIE, c);
            }
            let mut app = app.clone();
            async move {
                app.call(req.body(Body::empty()).unwrap())
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(status(vec![jane.clone()]).await, 200);
        assert_eq!(status(vec![format!("{bob}; {jane}")]).await, 401);
        assert_eq!(status(vec![bob, jane]).await, 401, "in two headers");
    }

    #[tokio::test]
    async fn the_contact_is_named_and_a_browser_without_one_goes_to_the_login_page() {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let web = w.web().await;
        let name = web.session_cookie_name();
        let jane = format!("{name}={}", w.login(w.jane.id).await.token.expose_secret());
        let mut app = Router::new()
            .route(
                "/me",
                get(|c: CurrentContact| async move {
                    format!("{} <{}>", c.contact().first_name, c.contact().email)
                }),
            )
            .layer(PortalLayer::new(web));
        let req = Request::get("/me")
            .header(header::COOKIE, jane)
            .body(Body::empty())
            .unwrap();
        let resp = app.call(req).await.unwrap();
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            format!("{} <{}>", w.jane.first_name, w.jane.email)
        );
        let browser = Request::get("/me?x=1")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .body(Body::empty())
            .unwrap();
        let resp = app.call(browser).await.unwrap();
        assert_eq!(resp.status(), 303);
        // `/me` is not a page the host allowed as a login target: no way back.
        assert_eq!(resp.headers()[header::LOCATION], "/portal/login");
        let api = Request::get("/me")
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.call(api).await.unwrap().status(), 401);
    }
}
