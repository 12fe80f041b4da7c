//! The framework-neutral response: what an adapter converts to its framework's
//! response, with the header values most responses share named once.

use std::sync::{Arc, Mutex};

use super::request::REDACTED;
use crate::blob::BlobStream;
use crate::file_name::DisplayName;

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
    /// A body sent as it is read (a download), in place of [`Response::body`].
    pub stream: Option<StreamBody>,
}

/// A response body read as it is sent, which the adapter takes once
/// ([`StreamBody::take`]). Clones of a response share it: equal when they share it.
/// An error while it is read aborts the connection, so a client never takes a cut-off
/// file for a whole one.
#[derive(Clone)]
pub struct StreamBody {
    stream: Arc<Mutex<Option<BlobStream>>>,
    len: Option<u64>,
}

impl StreamBody {
    /// A body that sends `stream`, of `len` bytes when known (a stream that ends
    /// sooner or later than that fails the response).
    #[must_use]
    pub fn new(stream: BlobStream, len: Option<u64>) -> Self {
        StreamBody {
            stream: Arc::new(Mutex::new(Some(stream))),
            len,
        }
    }

    /// Its length in bytes, when known.
    #[must_use]
    pub fn known_len(&self) -> Option<u64> {
        self.len
    }

    /// The stream, to the one adapter that sends it: `None` once taken.
    #[must_use]
    pub fn take(&self) -> Option<BlobStream> {
        match self.stream.lock() {
            Ok(mut s) => s.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
    }
}

impl PartialEq for StreamBody {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.stream, &other.stream)
    }
}

impl Eq for StreamBody {}

impl std::fmt::Debug for StreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamBody")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The `Content-Security-Policy` of a download: should a browser render it after all,
/// it runs in a sandbox that may load nothing.
const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// The `Content-Disposition` of a download named `name` (RFC 6266): `filename` with
/// an ASCII stand-in for old clients (each character that is not printable ASCII, and
/// `"` and `\`, which would end or escape the quoted string, becomes `_`), and
/// `filename*` with the name itself, UTF-8 percent-encoded (RFC 5987), which clients
/// that know it prefer.
fn content_disposition(name: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(32 + 4 * name.len());
    out.push_str("attachment; filename=\"");
    out.extend(name.chars().map(|c| match c {
        ' '..='~' if c != '"' && c != '\\' => c,
        _ => '_',
    }));
    out.push_str("\"; filename*=UTF-8''");
    for b in name.bytes() {
        // RFC 5987's attr-char: sent as is; every other byte percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Response {
    /// A response with a status and no body.
    #[must_use]
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::with_capacity(8),
            body: Vec::new(),
            stream: None,
        }
    }

    /// A file to download, its bytes sent as `stream` reads them: `200` with the
    /// type, the length and the name to save it as, never cached, never sniffed into
    /// another type, and sandboxed should a browser render it.
    #[must_use]
    pub fn download(
        stream: BlobStream,
        display_name: &DisplayName,
        content_type: &str,
        size: u64,
    ) -> Self {
        let mut resp = Response::new(200)
            .with_header("content-type", content_type.to_owned())
            .with_header("content-length", size.to_string())
            .with_header(
                "content-disposition",
                content_disposition(display_name.as_str()),
            )
            .with_header("x-content-type-options", CommonValue::Nosniff)
            .with_header("cache-control", CommonValue::NoStore)
            .with_header("content-security-policy", DOWNLOAD_CSP);
        resp.stream = Some(StreamBody::new(stream, Some(size)));
        resp
    }

    /// Drops the body, streamed or not: the answer to a HEAD.
    pub(crate) fn drop_body(&mut self) {
        self.body.clear();
        self.stream = None;
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

/// Whether a session header is added to a host's response even where the host set the
/// same header: `set-cookie` (one more cookie) and `content-security-policy` (a second
/// policy, which browsers intersect with the host's, only tightens it). Adapters keep
/// the host's value of any other.
#[must_use]
pub fn appended_beside_host(name: &str) -> bool {
    matches!(name, "set-cookie" | "content-security-policy")
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
            .field("streamed", &self.stream.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_neither_cookies_set_nor_the_body() {
        let token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let resp = Response::html(200, format!("<input value=\"{token}\">")).with_header(
            "set-cookie",
            format!("__Host-portal_session={token}; Path=/"),
        );
        let printed = format!("{resp:?}");
        assert!(!printed.contains(token), "{printed}");
        assert!(printed.contains("text/html"), "{printed}");
    }

    fn disposition_of(sent: &str) -> String {
        content_disposition(DisplayName::from_client(sent).as_str())
    }

    #[test]
    fn a_download_names_its_file_safely_in_both_forms() {
        // The quote and backslash could end or escape the quoted name.
        assert_eq!(
            content_disposition("../evil\\\".pdf"),
            "attachment; filename=\"../evil__.pdf\"; filename*=UTF-8''..%2Fevil%5C%22.pdf"
        );
        // A client's name: only the last segment is kept, the rest is encoded.
        assert_eq!(
            disposition_of("../evil\\\".pdf"),
            "attachment; filename=\"_.pdf\"; filename*=UTF-8''%22.pdf"
        );
        assert_eq!(
            disposition_of("Kontoauszug März.pdf"),
            "attachment; filename=\"Kontoauszug M_rz.pdf\"; \
             filename*=UTF-8''Kontoauszug%20M%C3%A4rz.pdf"
        );
        // A right-to-left override never reaches the header, in either form.
        let raw = content_disposition("invoice\u{202E}fdp.exe");
        assert_eq!(
            raw,
            "attachment; filename=\"invoice_fdp.exe\"; \
             filename*=UTF-8''invoice%E2%80%AEfdp.exe"
        );
        assert!(!disposition_of("invoice\u{202E}fdp.exe").contains("%E2%80%AE"));
        // Control characters and line breaks cannot split the header.
        let raw = content_disposition("a\r\nSet-Cookie: x=1\u{0}.pdf");
        assert!(!raw.contains(['\r', '\n', '\u{0}']), "{raw}");
        // A 300-character name is cut to a display name's length, extension kept.
        let long = format!("{}.pdf", "é".repeat(296));
        let d = disposition_of(&long);
        assert!(d.is_ascii() && d.ends_with(".pdf"), "{d}");
        assert!(d.len() < 120 * 7 + 64, "{}", d.len());
    }

    #[test]
    fn a_download_carries_its_headers_and_a_stream_that_is_taken_once() {
        let stream: BlobStream = Box::pin(futures_util::stream::iter([Ok(
            bytes::Bytes::from_static(b"%PDF-secret"),
        )]));
        let resp = Response::download(
            stream,
            &DisplayName::from_client("a.pdf"),
            "application/pdf",
            11,
        );
        for (name, value) in [
            ("content-type", "application/pdf"),
            ("content-length", "11"),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
            ("content-security-policy", "sandbox; default-src 'none'"),
        ] {
            assert_eq!(resp.header(name), Some(value), "{name}");
        }
        let copy = resp.clone();
        assert_eq!(copy, resp, "clones share the stream");
        assert!(!format!("{resp:?}").contains("secret"));
        let body = resp.stream.as_ref().unwrap();
        assert_eq!(body.known_len(), Some(11));
        assert!(body.take().is_some());
        assert!(copy.stream.as_ref().unwrap().take().is_none(), "taken once");
        let mut head = copy;
        head.drop_body();
        assert!(head.stream.is_none() && head.body.is_empty());
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
}
