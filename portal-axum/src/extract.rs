//! Extractors for the host's handlers.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId};
use portal_core::session::Authenticated;

use crate::layer::Slot;

/// The logged-in contact of the request; answers 401 when there is none.
#[derive(Clone, Debug)]
pub struct CurrentContact(Arc<Authenticated>);

impl CurrentContact {
    /// The contact.
    #[must_use]
    pub fn contact_id(&self) -> ContactId {
        self.0.session.contact_id
    }

    /// The client it is looking at.
    #[must_use]
    pub fn active_client(&self) -> ClientId {
        self.0.session.active_client
    }

    /// Its permissions on the active client.
    #[must_use]
    pub fn permissions(&self) -> Permissions {
        self.0.session.permissions
    }

    /// The CSRF token its forms and JSON calls must carry.
    #[must_use]
    pub fn csrf_token(&self) -> String {
        self.0.csrf_token()
    }

    /// The whole verified session.
    #[must_use]
    pub fn session(&self) -> &Authenticated {
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
    /// [`crate::PortalLayer`] is not installed, or the store failed: 500.
    Misconfigured(&'static str),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::NotLoggedIn => (StatusCode::UNAUTHORIZED, "Not logged in").into_response(),
            Rejection::Misconfigured(why) => {
                (StatusCode::INTERNAL_SERVER_ERROR, why).into_response()
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeContact {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let slot = parts
            .extensions
            .get::<Slot>()
            .cloned()
            .ok_or(Rejection::Misconfigured(
                "PortalLayer is not installed on this route",
            ))?;
        let cached = slot.session.lock().ok().and_then(|s| s.clone());
        let session = match cached {
            Some(s) => s,
            None => {
                let head = crate::convert::head(parts);
                let verified = slot
                    .web
                    .authenticate(&head)
                    .await
                    .map_err(|_| Rejection::Misconfigured("the session store failed"))?
                    .map(Arc::new);
                if let Ok(mut s) = slot.session.lock() {
                    *s = Some(verified.clone());
                }
                verified
            }
        };
        Ok(MaybeContact(session.map(CurrentContact)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentContact {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        MaybeContact::from_request_parts(parts, state)
            .await?
            .0
            .ok_or(Rejection::NotLoggedIn)
    }
}
