//! Portal's errors as a host's own handlers answer them: the status, message and
//! headers the portal's JSON API gives for the same error, mapped in one place
//! ([`super::errors`]), so that a host calling `Portal`'s operations can use `?` and
//! answer like the portal does.

use super::errors::{self, WebError};
use super::response::Response;
use crate::portal::InternalError;
use crate::portal::credential::CredentialError;
use crate::portal::login::LoginError;
use crate::portal::session::SessionError;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::store::StoreError;

/// An error of one of `Portal`'s operations, answered as JSON `{"error": "..."}` with
/// the status the portal's API gives it (404 for another client's task, 403 for a
/// missing permission, 503 with `Retry-After` when the store is away, 500 with the
/// cause logged and not shown). The adapters turn it into their framework's response.
///
/// ```
/// use portal_core::web::ApiError;
/// use portal_core::portal::task::TaskError;
///
/// let answer = ApiError::from(TaskError::NotFound).to_response();
/// assert_eq!(answer.status, 404);
/// ```
#[derive(Debug)]
pub struct ApiError(WebError);

impl ApiError {
    /// The status code it is answered with.
    #[must_use]
    pub fn status(&self) -> u16 {
        errors::status_and_message(&self.0).0
    }

    /// The response, its cause logged if it is the server's fault.
    #[must_use]
    pub fn to_response(&self) -> Response {
        errors::json_response(&self.0)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&errors::status_and_message(&self.0).1)
    }
}

impl std::error::Error for ApiError {}

macro_rules! from_portal_errors {
    ($($error:ty),*) => {$(
        impl From<$error> for ApiError {
            fn from(e: $error) -> Self {
                ApiError(WebError::from(e))
            }
        }
    )*};
}

from_portal_errors!(
    LoginError,
    SessionError,
    StaffError,
    TaskError,
    CredentialError,
    InternalError,
    StoreError
);
