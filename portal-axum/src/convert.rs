//! axum's request and response to and from the neutral ones.

use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::TryStreamExt;
use http_body_util::BodyExt as _;
use portal_core::web::{self, BodyPlan, HeaderTable, PortalWeb};

/// The neutral request of `parts`, without body.
pub(crate) fn head(parts: &Parts) -> web::Request {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    web::Request::from_parts(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        peer,
    )
}

/// What verifying the session reads of `parts`: headers and peer, no method or path.
pub(crate) fn session_head(parts: &Parts) -> web::Request {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    web::Request::from_parts(
        "",
        "",
        None,
        parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes())),
        peer,
    )
}

/// The neutral request, with at most the body limit read; a longer body is not read
/// further and marked oversized (answered 413).
pub(crate) async fn request(web: &PortalWeb, req: Request) -> web::Request {
    let (parts, mut body) = req.into_parts();
    let mut out = head(&parts);
    let limit = match web.body_plan(&out) {
        BodyPlan::Skip => return out,
        BodyPlan::TooLarge => {
            out.oversized = true;
            return out;
        }
        BodyPlan::UpTo(limit) => limit,
        BodyPlan::Stream { limit } => {
            let stream = TryStreamExt::map_err(body.into_data_stream(), std::io::Error::other);
            return out.with_stream(web::limit_stream(Box::pin(stream), limit));
        }
    };
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // A broken upload is not a request we can answer about its content.
            out.oversized = true;
            return out;
        };
        if let Some(data) = frame.data_ref() {
            if out.body.len() + data.len() > limit {
                out.oversized = true;
                out.body.clear();
                return out;
            }
            out.body.extend_from_slice(data);
        }
    }
    out
}

/// Portal's header names and constant values as axum's, converted once.
static HEADERS: LazyLock<HeaderTable<HeaderName, HeaderValue>> = LazyLock::new(|| {
    HeaderTable::new(
        |n| HeaderName::from_bytes(n.as_bytes()).ok(),
        HeaderValue::from_static,
    )
});

/// An axum response from a neutral one.
pub(crate) fn response(resp: web::Response) -> Response {
    // A stream's error aborts the connection: hyper sends no end of a body that did
    // not end.
    let body = match resp.stream.as_ref().and_then(web::StreamBody::take) {
        Some(stream) => Body::from_stream(stream),
        None => Body::from(resp.body),
    };
    let mut out = Response::new(body);
    *out.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Room for Portal's headers and the `content-length` axum adds: one allocation.
    let map = out.headers_mut();
    *map = HeaderMap::with_capacity(resp.headers.len() + 1);
    HEADERS.convert(
        resp.headers,
        |s| HeaderValue::try_from(s).ok(),
        |n, v| {
            map.append(n, v);
        },
    );
    out
}

/// Adds the session's headers to a host's response: the renewed cookie, and the
/// security headers the host did not set itself (or that go beside its own).
pub(crate) fn append_session_headers(map: &mut HeaderMap, session: web::SessionHeaders) {
    map.reserve(HEADERS.host_headers(session.https).count() + 1);
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
