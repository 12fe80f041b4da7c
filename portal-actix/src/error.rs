//! Portal's errors as actix-web responses, for the host's own handlers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use portal_core::web::ApiError;

/// Any error of `Portal`'s operations, answered as the portal's own API answers it
/// (see [`ApiError`]): return `Result<_, PortalError>` from a handler and use `?`.
#[derive(Debug)]
pub struct PortalError(pub ApiError);

impl<E> From<E> for PortalError
where
    ApiError: From<E>,
{
    fn from(e: E) -> Self {
        PortalError(ApiError::from(e))
    }
}

impl std::fmt::Display for PortalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        crate::convert::response(self.0.to_response())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use actix_web::ResponseError;
    use actix_web::body::MessageBody;
    use portal_core::portal::task::TaskError;
    use portal_core::store::StoreError;

    use super::PortalError;

    #[test]
    fn portal_errors_answer_as_the_portals_api_does() {
        let resp = PortalError::from(TaskError::NotFound).error_response();
        assert_eq!(resp.status(), 404);
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/json"
        );
        let body = resp.into_body().try_into_bytes().unwrap();
        assert_eq!(&body[..], br#"{"error":"Not found"}"#);
        let away = PortalError::from(StoreError::Unavailable("gone".into())).error_response();
        assert_eq!(away.status(), 503);
        assert!(away.headers().contains_key("retry-after"));
    }
}
