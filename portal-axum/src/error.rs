//! Portal's errors as axum responses, for the host's own handlers.

use axum::response::{IntoResponse, Response};
use portal_core::web::ApiError;

/// Any error of `Portal`'s operations, answered as the portal's own API answers it
/// (see [`ApiError`]): return `Result<_, PortalError>` from a handler and use `?`.
///
/// ```
/// use portal_axum::{CurrentContact, PortalError};
/// use portal_core::id::TaskId;
/// use portal_core::{Portal, RequestInfo};
///
/// async fn complete(
///     portal: Portal,
///     me: CurrentContact,
///     task: TaskId,
/// ) -> Result<&'static str, PortalError> {
///     // Another client's task is 404, a missing permission 403, as in the portal.
///     portal.complete_task(&me, task, None, &RequestInfo::default()).await?;
///     Ok("done")
/// }
/// ```
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

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        crate::convert::response(self.0.to_response())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::response::IntoResponse;
    use portal_core::portal::task::TaskError;
    use portal_core::store::StoreError;

    use super::PortalError;

    #[tokio::test]
    async fn portal_errors_answer_as_the_portals_api_does() {
        let resp = PortalError::from(TaskError::NotFound).into_response();
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"Not found"}"#);
        let away = PortalError::from(StoreError::Unavailable("gone".into())).into_response();
        assert_eq!(away.status(), 503);
        assert!(away.headers().contains_key("retry-after"));
    }
}
