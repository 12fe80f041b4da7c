//! actix-web's request and response to and from the neutral ones.

use actix_web::http::StatusCode;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use portal_core::web::{self as neutral, BodyPlan, HeaderTable, PortalWeb};

/// The neutral request of `req`, without body.
pub(crate) fn head(req: &HttpRequest) -> neutral::Request {
    neutral::Request::from_parts(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query(),
        req.headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        req.peer_addr().map(|a| a.ip()),
    )
}

/// What verifying the session reads of `req`: headers and peer, no method or path.
pub(crate) fn session_head(req: &HttpRequest) -> neutral::Request {
    neutral::Request::from_parts(
        "",
        "",
        None,
        req.headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        req.peer_addr().map(|a| a.ip()),
    )
}

/// The neutral request, with at most the body limit read; a longer body is not read
/// further and marked oversized (answered 413).
pub(crate) async fn request(
    portal_web: &PortalWeb,
    req: &HttpRequest,
    payload: web::Payload,
) -> neutral::Request {
    let mut out = head(req);
    match portal_web.body_plan(&out) {
        BodyPlan::Skip => {}
        BodyPlan::TooLarge => out.oversized = true,
        BodyPlan::UpTo(limit) => match payload.to_bytes_limited(limit).await {
            Ok(Ok(bytes)) => out.body = bytes.to_vec(),
            // Too long, or a broken upload: nothing of it is used.
            Ok(Err(_)) | Err(_) => out.oversized = true,
        },
    }
    out
}

/// Portal's header names and constant values as actix-web's, converted once.
static HEADERS: LazyLock<HeaderTable<HeaderName, HeaderValue>> = LazyLock::new(|| {
    HeaderTable::new(
        |n| HeaderName::from_bytes(n.as_bytes()).ok(),
        HeaderValue::from_static,
    )
});

/// An actix response from a neutral one.
pub(crate) fn response(resp: neutral::Response) -> HttpResponse {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::build(status).body(resp.body);
    let map = out.headers_mut();
    HEADERS.convert(
        resp.headers,
        |s| HeaderValue::try_from(s).ok(),
        |n, v| map.append(n, v),
    );
    out
}

/// Adds the session's headers to a host's response: the renewed cookie, and the
/// security headers the host did not set itself (or that go beside its own).
pub(crate) fn append_session_headers(map: &mut HeaderMap, session: neutral::SessionHeaders) {
    if let Some(cookie) = session.cookie
        && let Ok(v) = HeaderValue::try_from(cookie)
    {
        map.append(header::SET_COOKIE, v);
    }
    for (name, value, beside) in HEADERS.host_headers(session.https) {
        if beside || !map.contains_key(name) {
            map.append(name.clone(), value.clone());
        }
    }
}
