//! actix-web's request and response to and from the neutral ones.

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use std::io;
use std::sync::LazyLock;

use bytes::Bytes;
use futures_util::StreamExt as _;
use portal_core::blob::ByteStream;

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
        BodyPlan::Stream { limit } => {
            out = out.with_stream(neutral::limit_stream(bridge(payload), limit));
        }
    }
    out
}

/// `payload` as a stream that may cross threads: actix's payload may not, so a task
/// on this worker reads it into a channel of one chunk. The task reads no further
/// than the channel has room for (the upload waits for its reader), and stops when the
/// reader is gone.
fn bridge(mut payload: web::Payload) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(1);
    actix_web::rt::spawn(async move {
        while let Some(item) = payload.next().await {
            let failed = item.is_err();
            if tx.send(item.map_err(io::Error::other)).await.is_err() || failed {
                break;
            }
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
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
    let mut builder = HttpResponse::build(status);
    // A stream's error, or one that ends before its length, aborts the connection.
    let mut out = match resp.stream.as_ref().map(|s| (s.take(), s.known_len())) {
        Some((Some(stream), Some(len))) => builder.body(SizedStream::new(len, stream)),
        Some((Some(stream), None)) => builder.streaming(stream),
        Some((None, _)) | None => builder.body(resp.body),
    };
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
