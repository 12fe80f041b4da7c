//! axum's request and response to and from the neutral ones.

use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt as _;
use portal_core::web::{self, HeaderText, PortalWeb};

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
    if !out.is_state_changing() {
        // Portal ignores the body of GET and HEAD: do not wait for one.
        return out;
    }
    let limit = web.body_limit(&out);
    if out.declared_length().is_some_and(|n| n > limit) {
        out.oversized = true;
        return out;
    }
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

/// An axum response from a neutral one.
pub(crate) fn response(resp: web::Response) -> Response {
    let mut out = Response::new(Body::from(resp.body));
    *out.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Room for Portal's headers and the `content-length` axum adds: one allocation.
    *out.headers_mut() = HeaderMap::with_capacity(resp.headers.len() + 1);
    append_headers(out.headers_mut(), resp.headers);
    out
}

/// [`web::CommonValue::ALL`], converted once.
static COMMON_VALUES: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    web::CommonValue::ALL
        .iter()
        .map(|v| HeaderValue::from_static(v.as_str()))
        .collect()
});

/// Appends the headers of one of the portal's own responses. Names are Portal's own
/// lower-case constants; common values come converted and other constants are Portal's
/// own literals; values made for the response are checked (an invalid one is dropped,
/// never a panic).
fn append_headers(map: &mut HeaderMap, headers: Vec<(&'static str, HeaderText)>) {
    for (name, value) in headers {
        let Some(n) = header_name(name) else {
            continue;
        };
        let v = match value {
            HeaderText::Common(v) => COMMON_VALUES
                .get(v.index())
                .cloned()
                .unwrap_or_else(|| HeaderValue::from_static(v.as_str())),
            HeaderText::Static(s) => HeaderValue::from_static(s),
            HeaderText::Owned(s) => match HeaderValue::try_from(s) {
                Ok(v) => v,
                Err(_) => continue,
            },
        };
        map.append(n, v);
    }
}

/// [`web::host_security_headers`], converted once: plain http, then https.
static HOST_SECURITY_HEADERS: LazyLock<[Vec<(HeaderName, HeaderValue)>; 2]> = LazyLock::new(|| {
    [false, true].map(|https| {
        web::host_security_headers(https)
            .iter()
            .filter_map(|(n, v)| Some((header_name(n)?, HeaderValue::from_static(v.as_str()))))
            .collect()
    })
});

/// Adds the session's headers to a host's response: the renewed cookie, and the
/// security headers the host did not set itself (or that go beside its own).
pub(crate) fn append_session_headers(map: &mut HeaderMap, session: web::SessionHeaders) {
    let statics = &HOST_SECURITY_HEADERS[usize::from(session.https)];
    map.reserve(statics.len() + 1);
    if let Some(cookie) = session.cookie
        && let Ok(v) = HeaderValue::try_from(cookie)
    {
        map.append(header::SET_COOKIE, v);
    }
    for (name, value) in statics {
        if web::appended_beside_host(name.as_str()) || !map.contains_key(name) {
            map.append(name.clone(), value.clone());
        }
    }
}

/// The `HeaderName` of a name Portal sets, without parsing the common ones.
fn header_name(name: &'static str) -> Option<HeaderName> {
    Some(match name {
        "set-cookie" => header::SET_COOKIE,
        "content-type" => header::CONTENT_TYPE,
        "cache-control" => header::CACHE_CONTROL,
        "location" => header::LOCATION,
        "x-content-type-options" => header::X_CONTENT_TYPE_OPTIONS,
        "referrer-policy" => header::REFERRER_POLICY,
        "x-frame-options" => header::X_FRAME_OPTIONS,
        "content-security-policy" => header::CONTENT_SECURITY_POLICY,
        "strict-transport-security" => header::STRICT_TRANSPORT_SECURITY,
        other => HeaderName::from_bytes(other.as_bytes()).ok()?,
    })
}
