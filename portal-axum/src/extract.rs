//! Extractors for the host's handlers.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
        resp
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeContact {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let lazy = parts.extensions.get::<LazySession>().cloned().ok_or(
            SessionRejection::Misconfigured("PortalLayer is not installed on this route"),
        )?;
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
        MaybeContact::from_request_parts(parts, state)
            .await?
            .0
            .ok_or(Rejection(SessionRejection::NotLoggedIn))
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
}
