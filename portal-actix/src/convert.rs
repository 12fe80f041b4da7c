//! actix-web's request and response to and from the neutral ones.

use actix_web::http::StatusCode;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use portal_core::web::{self as neutral, HeaderText, PortalWeb};

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
    if !out.is_state_changing() {
        // Portal ignores the body of GET and HEAD: do not wait for one.
        return out;
    }
    let limit = portal_web.body_limit(&out);
    if out.declared_length().is_some_and(|n| n > limit) {
        out.oversized = true;
        return out;
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => out.body = bytes.to_vec(),
        // Too long, or a broken upload: nothing of it is used.
        Ok(Err(_)) | Err(_) => out.oversized = true,
    }
    out
}

/// An actix response from a neutral one.
pub(crate) fn response(resp: neutral::Response) -> HttpResponse {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::build(status).body(resp.body);
    append_headers(out.headers_mut(), resp.headers);
    out
}

/// [`neutral::CommonValue::ALL`], converted once.
static COMMON_VALUES: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    neutral::CommonValue::ALL
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

/// [`neutral::host_security_headers`], converted once: plain http, then https.
static HOST_SECURITY_HEADERS: LazyLock<[Vec<(HeaderName, HeaderValue)>; 2]> = LazyLock::new(|| {
    [false, true].map(|https| {
        neutral::host_security_headers(https)
            .iter()
            .filter_map(|(n, v)| Some((header_name(n)?, HeaderValue::from_static(v.as_str()))))
            .collect()
    })
});

/// Adds the session's headers to a host's response: the renewed cookie, and the
/// security headers the host did not set itself (or that go beside its own).
pub(crate) fn append_session_headers(map: &mut HeaderMap, session: neutral::SessionHeaders) {
    if let Some(cookie) = session.cookie
        && let Ok(v) = HeaderValue::try_from(cookie)
    {
        map.append(header::SET_COOKIE, v);
    }
    for (name, value) in &HOST_SECURITY_HEADERS[usize::from(session.https)] {
        if neutral::appended_beside_host(name.as_str()) || !map.contains_key(name) {
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
