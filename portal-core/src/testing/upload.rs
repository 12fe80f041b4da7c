//! Uploads through a real server, for the adapters' tests: a `multipart/form-data`
//! body, and a plain HTTP/1.1 client that streams it to the `testing` feature's upload
//! probe (`POST {mount}/api/__test/upload`, which answers the last file back as a
//! download) and checks what comes back.

#![allow(clippy::expect_used, clippy::panic)] // test support: a failure is the test's

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::portal::login::LoginSuccess;
use crate::web::PortalWeb;

/// The boundary of the bodies [`multipart`] builds.
pub const BOUNDARY: &str = "portal-test-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub enum TestPart<'a> {
    /// A text field: name, value.
    Text(&'a str, &'a str),
    /// A file: field name, file name, declared content type, bytes.
    File(&'a str, &'a str, &'a str, &'a [u8]),
}

/// A `multipart/form-data` body of `parts`, separated by [`BOUNDARY`].
#[must_use]
pub fn multipart(parts: &[TestPart<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            TestPart::Text(name, value) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            TestPart::File(name, file_name, content_type, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; \
                         filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The `Content-Type` of the bodies [`multipart`] builds.
#[must_use]
pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The session cookie (`name=value`) and CSRF token of a login, as a browser of
/// `web` would send them.
#[must_use]
pub fn session_of(web: &PortalWeb, login: &LoginSuccess) -> (String, String) {
    let cookie = format!(
        "{}={}",
        web.session_cookie_name(),
        login.token.expose_secret()
    );
    let csrf = login.token.derive("portal-csrf").expose_secret();
    (cookie, csrf)
}

/// A response as [`send`] read it.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (chunked transfer decoded).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of header `name` (lower-case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `POST path` to `addr` with `headers` and `body`, written in chunks of
/// `chunk` bytes as a client streaming a file does, and reads the whole response
/// (the connection closes after it).
///
/// # Panics
///
/// When the server cannot be reached or its answer is not HTTP/1.1.
pub async fn send(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    chunk: usize,
) -> RawResponse {
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).await.expect("write head");
    for piece in body.chunks(chunk.max(1)) {
        // A server that answered early (413, 403) may close before the body is sent.
        if conn.write_all(piece).await.is_err() {
            break;
        }
    }
    let mut raw = Vec::new();
    // As above: a reset after an early answer still leaves that answer read.
    let _ = conn.read_to_end(&mut raw).await;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> RawResponse {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = std::str::from_utf8(&raw[..end]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

/// A text file of `len` bytes that [`crate::file_type::FileType::check`] takes for
/// plain text: numbered lines.
#[must_use]
pub fn text_file(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut n = 0u64;
    while out.len() < len {
        out.extend_from_slice(format!("line {n:08} of a statement\n").as_bytes());
        n += 1;
    }
    out.truncate(len);
    out
}

/// Streams a multi-MiB file (and a text field, the CSRF token as the first part) to
/// the upload probe of the server at `addr` serving `web` under its mount path, and
/// checks that the download it answers is that file, with the download's headers.
///
/// # Panics
///
/// When anything differs.
pub async fn upload_round_trip(addr: SocketAddr, web: &PortalWeb, login: &LoginSuccess) {
    let (cookie, csrf) = session_of(web, login);
    let file = text_file(3 * 1024 * 1024 + 17);
    let body = multipart(&[
        TestPart::Text("csrf_token", &csrf),
        TestPart::Text("note", "statements for March"),
        TestPart::File("file", "Kontoauszug März.txt", "text/plain", &file),
    ]);
    let path = format!("{}/api/__test/upload", web.mount_path());
    let content_type = multipart_content_type();
    let resp = send(
        addr,
        &path,
        &[("cookie", &cookie), ("content-type", &content_type)],
        &body,
        64 * 1024,
    )
    .await;
    assert_eq!(
        resp.status,
        200,
        "{:?} {}",
        resp.headers,
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(resp.body.len(), file.len(), "the whole file came back");
    assert!(resp.body == file, "the same bytes came back");
    assert_eq!(resp.header("content-type"), Some("text/plain"));
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert_eq!(
        resp.header("content-disposition"),
        Some(
            "attachment; filename=\"Kontoauszug M_rz.txt\"; \
             filename*=UTF-8''Kontoauszug%20M%C3%A4rz.txt"
        ),
    );
    assert!(
        resp.headers
            .iter()
            .any(|(n, v)| n == "content-security-policy" && v == "sandbox; default-src 'none'"),
        "{:?}",
        resp.headers
    );

    // Without the token the same upload is refused before any file is read.
    let no_token = multipart(&[TestPart::File("file", "a.txt", "text/plain", &file)]);
    let resp = send(
        addr,
        &path,
        &[("cookie", &cookie), ("content-type", &content_type)],
        &no_token,
        64 * 1024,
    )
    .await;
    assert_eq!(resp.status, 403);

    // A declared length over the upload limit is refused before the body is read.
    let huge = (crate::web::BodyLimits::default().upload + 1).to_string();
    let resp = send_head_only(addr, &path, &cookie, &content_type, &huge).await;
    assert_eq!(resp.status, 413);
}

/// A request head that declares a body it never sends: the server must answer it
/// from the head alone.
async fn send_head_only(
    addr: SocketAddr,
    path: &str,
    cookie: &str,
    content_type: &str,
    length: &str,
) -> RawResponse {
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncookie: {cookie}\r\n\
         content-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.expect("write head");
    let mut raw = vec![0u8; 64 * 1024];
    let mut read = 0;
    // Up to the end of the head and its (short, fixed-length) body.
    loop {
        let n = conn.read(&mut raw[read..]).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        read += n;
        let parsed = raw[..read].windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = parsed {
            let resp = parse_response(&raw[..read]);
            let want = resp
                .header("content-length")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(0);
            if read >= end + 4 + want {
                break;
            }
        }
    }
    parse_response(&raw[..read])
}
