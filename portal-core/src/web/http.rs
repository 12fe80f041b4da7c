//! The framework-neutral request and response: what an adapter converts to and from,
//! in one small module each. Neither `http` 0.2 (actix-web 4) nor `http` 1.x (axum 0.8)
//! crosses this boundary.

use super::cookies::cookie_in;
use crate::token::Token;
use std::net::IpAddr;

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

/// An HTTP method, as far as Portal tells them apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    #[default]
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// Any other (Portal answers it 405 or 404).
    Other,
}

impl Method {
    /// The method named `name` (methods are case-sensitive).
    #[must_use]
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    /// Its name (`OTHER` for any other).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// Whether a session header is added to a host's response even where the host set the
/// same header: `set-cookie` (one more cookie) and `content-security-policy` (a second
/// policy, which browsers intersect with the host's, only tightens it). Adapters keep
/// the host's value of any other.
#[must_use]
pub fn appended_beside_host(name: &str) -> bool {
    matches!(name, "set-cookie" | "content-security-policy")
}

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
}

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

/// The `/`-separated segments of a path below a mount point, without a heap
/// allocation: no route of Portal's has more than [`Segments::MAX`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segments<'a> {
    parts: [&'a str; Segments::MAX],
    len: usize,
}

impl<'a> Segments<'a> {
    /// More segments than any route has: such a path is not found.
    pub(crate) const MAX: usize = 8;

    /// The segments of `rest` (after its one leading `/`); `None` if there are too
    /// many. An empty segment stays one: `//api` is `["", "api"]`, which no route has,
    /// so a doubled slash is not found rather than read as a single one.
    pub(crate) fn of(rest: &'a str) -> Option<Self> {
        let mut out = Segments {
            parts: [""; Segments::MAX],
            len: 0,
        };
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        // A byte loop rather than `split`: `/` is ASCII, so every cut is a char boundary.
        let mut start = 0;
        for (i, b) in rest.bytes().enumerate() {
            if b == b'/' {
                out.push(&rest[start..i])?;
                start = i + 1;
            }
        }
        out.push(&rest[start..])?;
        Some(out)
    }

    fn push(&mut self, part: &'a str) -> Option<()> {
        *self.parts.get_mut(self.len)? = part;
        self.len += 1;
        Some(())
    }
}

impl<'a> std::ops::Deref for Segments<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        &self.parts[..self.len]
    }
}

/// A value that most of the portal's responses carry. Adapters convert each one to
/// their framework's type once, instead of checking its bytes on every response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommonValue {
    /// `application/json`.
    Json,
    /// `text/html; charset=utf-8`.
    Html,
    /// `text/plain; charset=utf-8`.
    Text,
    /// `no-store`, for `Cache-Control`.
    NoStore,
    /// `nosniff`, for `X-Content-Type-Options`.
    Nosniff,
    /// `no-referrer`, for `Referrer-Policy`.
    NoReferrer,
    /// `DENY`, for `X-Frame-Options`.
    Deny,
    /// The `Content-Security-Policy` of HTML pages.
    PageCsp,
    /// The `Content-Security-Policy` of everything else.
    DataCsp,
    /// The `Content-Security-Policy` added to a host's response: no framing.
    FrameAncestorsCsp,
    /// One year, for `Strict-Transport-Security`.
    Hsts,
}

impl CommonValue {
    /// Every value, each at its [`CommonValue::index`].
    pub const ALL: [CommonValue; 11] = [
        CommonValue::Json,
        CommonValue::Html,
        CommonValue::Text,
        CommonValue::NoStore,
        CommonValue::Nosniff,
        CommonValue::NoReferrer,
        CommonValue::Deny,
        CommonValue::PageCsp,
        CommonValue::DataCsp,
        CommonValue::FrameAncestorsCsp,
        CommonValue::Hsts,
    ];

    /// Its place in [`CommonValue::ALL`], for an adapter's table of converted values.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CommonValue::Json => "application/json",
            CommonValue::Html => "text/html; charset=utf-8",
            CommonValue::Text => "text/plain; charset=utf-8",
            CommonValue::NoStore => "no-store",
            CommonValue::Nosniff => "nosniff",
            CommonValue::NoReferrer => "no-referrer",
            CommonValue::Deny => "DENY",
            CommonValue::PageCsp => PAGE_CSP,
            CommonValue::DataCsp => DATA_CSP,
            CommonValue::FrameAncestorsCsp => "frame-ancestors 'none'",
            CommonValue::Hsts => "max-age=31536000",
        }
    }
}

/// The Content-Security-Policy of every portal page: nothing but the portal's own
/// stylesheets, images from https, forms to itself, no framing, no scripts.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// For everything that is not an HTML page (JSON, CSS, redirects): nothing may load,
/// nothing may frame it. `X-Frame-Options` is only needed by browsers too old for
/// `frame-ancestors`, and only on pages.
pub(crate) const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// A response header's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderText {
    /// One of the values most responses carry.
    Common(CommonValue),
    /// Another constant.
    Static(&'static str),
    /// A value made for this response: a cookie, a location.
    Owned(String),
}

impl HeaderText {
    /// The value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            HeaderText::Common(v) => v.as_str(),
            HeaderText::Static(s) => s,
            HeaderText::Owned(s) => s,
        }
    }
}

impl From<CommonValue> for HeaderText {
    fn from(v: CommonValue) -> Self {
        HeaderText::Common(v)
    }
}

impl From<&'static str> for HeaderText {
    fn from(s: &'static str) -> Self {
        HeaderText::Static(s)
    }
}

impl From<String> for HeaderText {
    fn from(s: String) -> Self {
        HeaderText::Owned(s)
    }
}

/// A response.
///
/// Its `Debug` leaves out the values of `Set-Cookie` (session tokens) and the body
/// (pages and documents carry CSRF and link tokens).
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in order, names lower-case; `set-cookie` may repeat.
    pub headers: Vec<(&'static str, HeaderText)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a status and no body.
    #[must_use]
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::with_capacity(8),
            body: Vec::new(),
        }
    }

    /// An HTML page.
    #[must_use]
    pub fn html(status: u16, body: String) -> Self {
        Response::new(status)
            .with_header("content-type", CommonValue::Html)
            .with_body(body.into_bytes())
    }

    /// A JSON document, serialised straight from `value`.
    #[must_use]
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Self {
        // Portal's documents are small: one allocation instead of a doubling series.
        let mut body = Vec::with_capacity(1024);
        match serde_json::to_writer(&mut body, value) {
            Ok(()) => Response::json_bytes(status, body),
            Err(_) => Response::new(500),
        }
    }

    /// A JSON document written already.
    #[must_use]
    pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Self {
        Response::new(status)
            .with_header("content-type", CommonValue::Json)
            .with_body(body)
    }

    /// Plain text.
    #[must_use]
    pub fn text(status: u16, text: &str) -> Self {
        Response::new(status)
            .with_header("content-type", CommonValue::Text)
            .with_body(text.as_bytes().to_vec())
    }

    /// `303 See Other` to a path of this site.
    #[must_use]
    pub fn see_other(location: &str) -> Self {
        Response::new(303).with_header("location", location.to_owned())
    }

    /// Adds a header (`name` lower-case).
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<HeaderText>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets a header unless already present (`name` lower-case).
    pub fn set_default_header(&mut self, name: &'static str, value: CommonValue) {
        if !self.headers.iter().any(|(n, _)| *n == name) {
            self.headers.push((name, HeaderText::Common(value)));
        }
    }

    /// Replaces the body.
    #[must_use]
    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// The first value of a header (case-insensitive name).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A body or query that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed form data")]
pub struct FormError;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one component (`+` is a space); invalid escapes or UTF-8 are errors.
pub(crate) fn percent_decode(s: &[u8], plus_is_space: bool) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex).ok_or(FormError)?;
                let lo = s.get(i + 2).copied().and_then(hex).ok_or(FormError)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormError)
}

/// Parses `application/x-www-form-urlencoded` into pairs, in order.
pub(crate) fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = percent_decode(it.next().unwrap_or_default(), true)?;
            let v = percent_decode(it.next().unwrap_or_default(), true)?;
            Ok((k, v))
        })
        .collect()
}

/// A parsed form: the first value of each field. Its `Debug` shows the field names
/// only (forms carry passwords, codes and tokens).
#[derive(Default)]
pub struct Form(Vec<(String, String)>);

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Form {
    /// Parses a form body.
    pub fn parse(body: &[u8]) -> Result<Form, FormError> {
        parse_urlencoded(body).map(Form)
    }

    /// A field's first value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Request headers whose values are secrets.
const SECRET_HEADERS: [&str; 3] = ["cookie", "authorization", "x-csrf-token"];

/// What `Debug` shows in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

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
            .finish()
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| match *name {
                "set-cookie" => (*name, REDACTED),
                _ => (*name, value.as_str()),
            })
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret_of_a_request_or_a_response() {
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
        let resp = Response::html(200, format!("<input value=\"{token}\">")).with_header(
            "set-cookie",
            format!("__Host-portal_session={token}; Path=/"),
        );
        let printed = format!("{resp:?}");
        assert!(!printed.contains(token), "{printed}");
        assert!(printed.contains("text/html"), "{printed}");
        let form = Form::parse(b"email=a%40example.com&password=my-secret-password").unwrap();
        let printed = format!("{form:?}");
        assert!(
            !printed.contains("my-secret") && printed.contains("password"),
            "{printed}"
        );
    }

    #[test]
    fn common_values_sit_at_their_index_and_are_valid_header_text() {
        for (i, v) in CommonValue::ALL.into_iter().enumerate() {
            assert_eq!(v.index(), i, "{v:?}");
            assert!(
                v.as_str().bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{v:?}"
            );
        }
        // The last variant ends `ALL`. A variant added later but left out of `ALL`
        // still converts (adapters then convert it on each response), only slower.
        assert_eq!(CommonValue::ALL.last(), Some(&CommonValue::Hsts));
    }

    #[test]
    fn forms_decode_strictly() {
        let f = Form::parse(b"email=jane%40example.com&next=%2Fportal%2Fx&a+b=c+d").unwrap();
        assert_eq!(f.get("email"), Some("jane@example.com"));
        assert_eq!(f.get("next"), Some("/portal/x"));
        assert_eq!(f.get("a b"), Some("c d"));
        assert!(Form::parse(b"x=%zz").is_err());
        assert!(Form::parse(b"x=%ff%fe").is_err(), "not UTF-8");
        assert!(Form::parse(b"x=%4").is_err());
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

    #[test]
    fn paths_split_into_at_most_eight_segments() {
        assert_eq!(&*Segments::of("/api/me").unwrap(), ["api", "me"]);
        assert_eq!(&*Segments::of("/").unwrap(), [""]);
        assert_eq!(Segments::of("/a/b/c/d/e/f/g/h").unwrap().len(), 8);
        assert!(Segments::of("/a/b/c/d/e/f/g/h/i").is_none());
        assert_eq!(&*Segments::of("//api/me").unwrap(), ["", "api", "me"]);
        assert_eq!(&*Segments::of("").unwrap(), [""]);
    }

    proptest::proptest! {
        #[test]
        fn segments_are_the_parts_between_slashes(path in "[/aé]{0,24}") {
            let want: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
            match Segments::of(&path) {
                Some(s) => proptest::prop_assert_eq!(&*s, &want[..]),
                None => proptest::prop_assert!(want.len() > Segments::MAX),
            }
        }
    }
}

/// The methods a path has routes for, for the `Allow` header of a 405.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Allow(u8);

impl Allow {
    /// In the order they are listed.
    const METHODS: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    pub(super) fn add(&mut self, method: Method) {
        // A HEAD is answered wherever a GET is.
        if method == Method::Get {
            self.add(Method::Head);
        }
        if let Some(i) = Self::METHODS.iter().position(|m| *m == method) {
            self.0 |= 1 << i;
        }
    }
}

impl std::fmt::Display for Allow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names = Self::METHODS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, m)| m.as_str());
        if let Some(first) = names.next() {
            f.write_str(first)?;
        }
        names.try_for_each(|name| write!(f, ", {name}"))
    }
}
