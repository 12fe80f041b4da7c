//! The framework-neutral request: what an adapter converts its framework's request to.
//! Neither `http` 0.2 (actix-web 4) nor `http` 1.x (axum 0.8) crosses this boundary.

use super::cookies::cookie_in;
use super::form::{FormError, parse_urlencoded};
use super::method::Method;
use crate::blob::ByteStream;
use crate::token::Token;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The request headers Portal reads; adapters need not convert any other.
pub const READ_HEADERS: [&str; 10] = [
    "cookie",
    "user-agent",
    "content-type",
    "content-length",
    "origin",
    "sec-fetch-site",
    "x-forwarded-for",
    "x-csrf-token",
    "authorization",
    "host",
];

/// The parts of a request the portal reads.
///
/// Its `Debug` leaves out every secret a request may carry, so that a host logging
/// one with `?req` logs none: the values of `Cookie`, `Authorization` and
/// `X-CSRF-Token`, tokens in the path, the query and the body (passwords, codes).
#[derive(Clone, Default)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, percent-encoded as received, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The headers Portal reads, in order; their values share one buffer, so that a
    /// request costs two allocations for its headers however many it has.
    headers: Headers,
    /// The TCP peer's address.
    pub peer: Option<IpAddr>,
    /// The body, already limited by [`crate::web::PortalWeb::body_limit`].
    pub body: Vec<u8>,
    /// The adapter stopped reading because the body exceeded the limit (answered 413).
    pub oversized: bool,
    /// The body as a stream, for an upload route (see [`crate::web::BodyPlan::Stream`]):
    /// then [`Request::body`] stays empty.
    stream: StreamCell,
}

/// A request body stream that one reader takes, once: clones of a request share it, so
/// that cloning a request never duplicates (or buffers) an upload.
#[derive(Clone, Default)]
struct StreamCell(Option<Arc<Mutex<Option<ByteStream>>>>);

#[derive(Clone, Debug, Default)]
struct Headers {
    text: String,
    entries: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl Headers {
    fn push(&mut self, name: &'static str, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.entries.push((name, start..self.text.len()));
    }

    fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.entries
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, r)| &self.text[r.clone()])
    }
}

/// The name of a header Portal reads, as its constant in [`READ_HEADERS`].
fn read_header(name: &str) -> Option<&'static str> {
    READ_HEADERS
        .iter()
        .find(|h| h.eq_ignore_ascii_case(name))
        .copied()
}

impl Request {
    /// Turns a HEAD into the GET it asks about (the caller then sends no body):
    /// whether it was one.
    pub(crate) fn head_as_get(&mut self) -> bool {
        let is_head = self.method == Method::Head;
        if is_head {
            self.method = Method::Get;
        }
        is_head
    }

    /// A request with method and path (and query after `?`), for tests and adapters.
    #[must_use]
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method: Method::parse(&method.to_ascii_uppercase()),
            path: path.to_owned(),
            query: query.to_owned(),
            ..Request::default()
        }
    }

    /// A request from an adapter's parts. Only the headers Portal reads are kept (see
    /// [`READ_HEADERS`]); values that are not UTF-8 are dropped (no header Portal reads
    /// may contain other bytes).
    pub fn from_parts<'a>(
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        peer: Option<IpAddr>,
    ) -> Self {
        // Enough for the usual cookie, user agent and host in one allocation.
        let mut out = Headers {
            text: String::with_capacity(256),
            entries: Vec::with_capacity(4),
        };
        for (name, value) in headers {
            if let (Some(name), Ok(value)) = (read_header(name), std::str::from_utf8(value)) {
                out.push(name, value);
            }
        }
        Request {
            method: Method::parse(method),
            path: path.to_owned(),
            query: query.unwrap_or_default().to_owned(),
            headers: out,
            peer,
            body: Vec::new(),
            oversized: false,
            stream: StreamCell::default(),
        }
    }

    /// The `Content-Length` the client declared, if any.
    #[must_use]
    pub fn declared_length(&self) -> Option<usize> {
        self.header_value("content-length")?.trim().parse().ok()
    }

    /// Adds a header (ignored unless Portal reads it: see [`READ_HEADERS`]).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Some(name) = read_header(name) {
            self.headers.push(name, value);
        }
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body as a stream, read as it arrives: what an adapter does when
    /// [`crate::web::PortalWeb::body_plan`] answers [`crate::web::BodyPlan::Stream`].
    /// The adapter limits the stream itself (see [`crate::web::limit_stream`]).
    #[must_use]
    pub fn with_stream(mut self, stream: ByteStream) -> Self {
        self.stream = StreamCell(Some(Arc::new(Mutex::new(Some(stream)))));
        self
    }

    /// Whether the request carries a streamed body not yet taken.
    #[must_use]
    pub fn has_stream(&self) -> bool {
        self.stream
            .0
            .as_ref()
            .is_some_and(|cell| match cell.lock() {
                Ok(s) => s.is_some(),
                Err(poisoned) => poisoned.into_inner().is_some(),
            })
    }

    /// The streamed body, to its one reader: `None` when there is none or it was taken.
    pub(crate) fn take_stream(&self) -> Option<ByteStream> {
        let cell = self.stream.0.as_ref()?;
        match cell.lock() {
            Ok(mut s) => s.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
    }

    /// The first value of a header (`name` lower-case).
    #[must_use]
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.all(name).next()
    }

    /// Every value of a header, in order (`name` lower-case).
    pub fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.headers.all(name)
    }

    /// A cookie's value from the `Cookie` headers; `None` when the name appears more
    /// than once (see [`cookie_in`]).
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie_in(self.header_values("cookie"), name)
    }

    /// The media type of the body (`Content-Type` without parameters), lower-case.
    #[must_use]
    pub fn content_type(&self) -> Option<String> {
        self.header_value("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Whether the method changes state.
    #[must_use]
    pub fn is_state_changing(&self) -> bool {
        !matches!(self.method, Method::Get | Method::Head | Method::Options)
    }

    /// The query's parameters, in order; an error if the query does not decode (a bad
    /// escape, text that is not UTF-8), so that a filter is never silently dropped.
    pub fn query_params(&self) -> Result<Vec<(String, String)>, FormError> {
        parse_urlencoded(self.query.as_bytes())
    }
}

/// Request headers whose values are secrets.
const SECRET_HEADERS: [&str; 3] = ["cookie", "authorization", "x-csrf-token"];

/// What `Debug` shows in place of a secret.
pub(super) const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path: Vec<&str> = self
            .path
            .split('/')
            .map(|s| if Token::parse(s).is_ok() { REDACTED } else { s })
            .collect();
        let headers: Vec<(&str, &str)> = self
            .headers
            .entries
            .iter()
            .map(|(name, range)| match SECRET_HEADERS.contains(name) {
                true => (*name, REDACTED),
                false => (*name, &self.headers.text[range.clone()]),
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &path.join("/"))
            .field("query_bytes", &self.query.len())
            .field("headers", &headers)
            .field("peer", &self.peer)
            .field("body_bytes", &self.body.len())
            .field("oversized", &self.oversized)
            .field("streamed", &self.stream.0.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret_of_a_request() {
        let token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let mut req = Request::new("POST", &format!("/portal/auth/link/{token}?next=/portal/x"))
            .header("cookie", &format!("__Host-portal_session={token}"))
            .header("authorization", "Bearer staff-secret-token")
            .header("x-csrf-token", "csrf-secret-value")
            .header("user-agent", "Mozilla/5.0");
        req.body = b"password=my-secret-password".to_vec();
        let printed = format!("{req:?}");
        for secret in [
            token,
            "staff-secret",
            "csrf-secret",
            "my-secret-password",
            "next=",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(
            printed.contains("/portal/auth/link/<redacted>") && printed.contains("Mozilla/5.0")
        );
    }

    #[test]
    fn adapters_parts_keep_the_headers_portal_reads_in_order() {
        let headers: [(&str, &[u8]); 6] = [
            ("Cookie", b"a=1"),
            ("X-Forwarded-For", b"1.2.3.4"),
            ("x-unread", b"ignored"),
            ("cookie", b"\xff\xfe"),
            ("X-FORWARDED-FOR", b"5.6.7.8"),
            ("cookie", b"b=2"),
        ];
        let r = Request::from_parts("GET", "/p", Some("q=1"), headers.into_iter(), None);
        assert_eq!(
            r.header_values("cookie").collect::<Vec<_>>(),
            ["a=1", "b=2"]
        );
        assert_eq!(
            r.header_values("x-forwarded-for").collect::<Vec<_>>(),
            ["1.2.3.4", "5.6.7.8"]
        );
        assert_eq!(r.cookie("b"), Some("2"));
        assert_eq!(r.header_value("x-unread"), None);
        assert_eq!((r.path.as_str(), r.query.as_str()), ("/p", "q=1"));
    }

    #[test]
    fn methods_are_case_sensitive_and_unknown_ones_change_state() {
        for (name, method) in [
            ("GET", Method::Get),
            ("get", Method::Other),
            ("PROPFIND", Method::Other),
            ("", Method::Other),
        ] {
            let r = Request::from_parts(name, "/", None, std::iter::empty(), None);
            assert_eq!(r.method, method, "{name}");
            assert_eq!(r.is_state_changing(), method != Method::Get, "{name}");
        }
        assert!(!Request::new("head", "/").is_state_changing());
    }
}
