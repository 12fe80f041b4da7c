//! An upload route's `multipart/form-data` body, read part by part as it arrives (on
//! `multer`), within bounds that hold whatever a client sends: a few parts, short text
//! fields, short part headers, and never more than a chunk or two of the body in
//! memory. Files are handed over as streams (see [`super::receive_file`]).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use super::body_stream::is_too_large;
use super::errors::WebError;
use super::request::Request;
use crate::blob::ByteStream;

/// The most parts an upload may have, its CSRF field included: ten files and a few
/// text fields. A body with more is refused at the first part too many (413), without
/// reading the rest.
pub const MAX_PARTS: usize = 16;

/// The most bytes of a text field's value (64 KiB, the limit of a whole form post).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The most body bytes read while looking for a part's headers (the boundary, the
/// headers themselves, any preamble before the first part): 16 KiB.
pub const MAX_PART_HEAD_BYTES: u64 = 16 * 1024;

/// The name of the text field that carries the CSRF token of an upload sent without
/// the `X-CSRF-Token` header; it must be the body's first part.
const CSRF_FIELD: &str = "csrf_token";

/// Why an upload's body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The body is not `multipart/form-data` (415).
    #[error("an upload is sent as multipart/form-data")]
    NotMultipart,
    /// The body does not parse as multipart, or broke off (400).
    #[error("malformed multipart body")]
    Malformed,
    /// Too many parts, a text field or part headers too long, or the body past its
    /// limit (413).
    #[error("the upload is too large")]
    TooLarge,
    /// The CSRF token was missing, wrong, or not the first part (403).
    #[error("invalid or missing CSRF token")]
    Csrf,
}

impl From<UploadError> for WebError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::NotMultipart => WebError::UnsupportedMediaType,
            UploadError::Malformed => WebError::BadRequest("malformed multipart body"),
            UploadError::TooLarge => WebError::TooLarge,
            UploadError::Csrf => WebError::Csrf,
        }
    }
}

impl From<multer::Error> for UploadError {
    fn from(e: multer::Error) -> Self {
        match e {
            multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
                UploadError::TooLarge
            }
            multer::Error::StreamReadFailed(cause) => match cause.downcast_ref::<io::Error>() {
                Some(io) if is_too_large(io) => UploadError::TooLarge,
                _ => UploadError::Malformed,
            },
            _ => UploadError::Malformed,
        }
    }
}

/// One part of an upload, as [`Uploads::next_part`] yields it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Part {
    /// A text field.
    Text {
        /// The field's name.
        name: String,
        /// Its value, at most [`MAX_TEXT_BYTES`] of UTF-8.
        value: String,
    },
    /// A file, its bytes still to read.
    File(FilePart),
}

/// The field being read, shared between [`Uploads`] (which drains what the handler
/// left unread before the next part) and the [`FilePart`] handed out.
type Slot = Arc<Mutex<Option<multer::Field<'static>>>>;

/// The most bytes that may follow an upload's last part (its epilogue, which no client
/// needs to send).
const MAX_EPILOGUE: usize = 4 * 1024;

/// The parts of an upload, read in order. Only an upload route's handler gets one,
/// after its guard and CSRF check.
pub struct Uploads {
    multipart: multer::Multipart<'static>,
    /// The request's body, which multer reads through [`Paced`].
    body: Arc<Mutex<ByteStream>>,
    /// Body bytes pulled from the request so far, to bound what a part's headers take.
    pulled: Arc<AtomicU64>,
    parts: usize,
    current: Option<Slot>,
    /// The first error, answered again to every later call: a refused upload stays
    /// refused.
    failed: Option<UploadError>,
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads")
            .field("parts", &self.parts)
            .field("pulled", &self.pulled.load(Ordering::Relaxed))
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Uploads {
    /// The upload of `req`: its streamed body (or, for a request built with its body
    /// in memory, that body) and the boundary of its `Content-Type`.
    pub(crate) fn of_request(req: &Request) -> Result<Self, UploadError> {
        if req.content_type().as_deref() != Some("multipart/form-data") {
            return Err(UploadError::NotMultipart);
        }
        let content_type = req.header_value("content-type").unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(|_| UploadError::Malformed)?;
        let stream = match req.take_stream() {
            Some(stream) => stream,
            None => {
                let body = Bytes::from(req.body.clone());
                Box::pin(futures_util::stream::iter([Ok(body)])) as ByteStream
            }
        };
        Ok(Uploads::new(stream, &boundary))
    }

    /// The upload carried by `stream`, whose parts `boundary` separates.
    pub(crate) fn new(stream: ByteStream, boundary: &str) -> Self {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Arc::new(Mutex::new(stream));
        let paced = Paced {
            inner: body.clone(),
            pulled: pulled.clone(),
            yielded: false,
        };
        Uploads {
            multipart: multer::Multipart::new(paced, boundary),
            body,
            pulled,
            parts: 0,
            current: None,
            failed: None,
        }
    }

    /// The first part's value, which must be the `csrf_token` text field: anything
    /// else refuses the whole upload (403) before any file is read. The caller compares
    /// the value with the session's token.
    pub(crate) async fn csrf_field(&mut self) -> Result<String, UploadError> {
        let Some(field) = self.next_field().await? else {
            return self.fail(UploadError::Csrf);
        };
        if field.name() != Some(CSRF_FIELD) || field.file_name().is_some() {
            return self.fail(UploadError::Csrf);
        }
        self.read_text(field).await
    }

    /// The next part, `None` after the last. A `csrf_token` text field is not yielded
    /// (the guard has read the token already). Whatever the handler left unread of the
    /// previous file is skipped.
    pub async fn next_part(&mut self) -> Result<Option<Part>, UploadError> {
        loop {
            let Some(field) = self.next_field().await? else {
                return Ok(None);
            };
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let file_name = field.file_name().map(str::to_owned);
                let declared_type = field.content_type().map(ToString::to_string);
                let slot: Slot = Arc::new(Mutex::new(Some(field)));
                self.current = Some(slot.clone());
                return Ok(Some(Part::File(FilePart {
                    field_name: name,
                    file_name,
                    declared_type,
                    slot,
                })));
            }
            let value = self.read_text(field).await?;
            if name != CSRF_FIELD {
                return Ok(Some(Part::Text { name, value }));
            }
        }
    }

    /// The next field from multer, counted and bounded.
    async fn next_field(&mut self) -> Result<Option<multer::Field<'static>>, UploadError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.drain_current().await?;
        let start = self.pulled.load(Ordering::Relaxed);
        let pulled = self.pulled.clone();
        let multipart = &mut self.multipart;
        let next = std::future::poll_fn(|cx| match multipart.poll_next_field(cx) {
            // Still looking for the end of the headers: `Paced` hands multer one chunk
            // per poll, so this stops it before it buffers much past the bound.
            Poll::Pending
                if pulled.load(Ordering::Relaxed).saturating_sub(start) > MAX_PART_HEAD_BYTES =>
            {
                Poll::Ready(Err(UploadError::TooLarge))
            }
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => Poll::Ready(r.map_err(UploadError::from)),
        })
        .await;
        match next {
            Ok(Some(field)) => {
                self.parts += 1;
                if self.parts > MAX_PARTS {
                    return self.fail(UploadError::TooLarge);
                }
                Ok(Some(field))
            }
            Ok(None) => match self.read_to_end().await {
                Ok(()) => Ok(None),
                Err(e) => self.fail(e),
            },
            Err(e) => self.fail(e),
        }
    }

    /// Reads the body past the last part to its end: an upload is whole only when its
    /// body is, so a body that ends short of its `Content-Length` (it broke off, or it
    /// lied) is refused here, after its files were read but before any is recorded. At
    /// most [`MAX_EPILOGUE`] bytes may follow the last part.
    async fn read_to_end(&mut self) -> Result<(), UploadError> {
        let body = self.body.clone();
        let mut left = MAX_EPILOGUE;
        loop {
            let next = std::future::poll_fn(|cx| {
                let mut body = match body.lock() {
                    Ok(g) => g,
                    Err(poisoned) => poisoned.into_inner(),
                };
                body.as_mut().poll_next(cx)
            })
            .await;
            match next {
                None => return Ok(()),
                Some(Ok(chunk)) => {
                    left = left
                        .checked_sub(chunk.len())
                        .ok_or(UploadError::Malformed)?;
                }
                Some(Err(e)) if super::body_stream::is_too_large(&e) => {
                    return Err(UploadError::TooLarge);
                }
                Some(Err(_)) => return Err(UploadError::Malformed),
            }
        }
    }

    /// Skips what is left of the file handed out last, so that looking for the next
    /// part's headers reads only those.
    async fn drain_current(&mut self) -> Result<(), UploadError> {
        let Some(slot) = self.current.take() else {
            return Ok(());
        };
        let field = match slot.lock() {
            Ok(mut f) => f.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(mut field) = field {
            loop {
                match field.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return self.fail(e.into()),
                }
            }
        }
        Ok(())
    }

    /// A text field's value: at most [`MAX_TEXT_BYTES`] of UTF-8.
    async fn read_text(
        &mut self,
        mut field: multer::Field<'static>,
    ) -> Result<String, UploadError> {
        let mut value = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if value.len() + chunk.len() > MAX_TEXT_BYTES {
                        return self.fail(UploadError::TooLarge);
                    }
                    value.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return self.fail(e.into()),
            }
        }
        match String::from_utf8(value) {
            Ok(v) => Ok(v),
            Err(_) => self.fail(UploadError::Malformed),
        }
    }

    fn fail<T>(&mut self, e: UploadError) -> Result<T, UploadError> {
        self.failed = Some(e);
        Err(e)
    }
}

/// A file part of an upload: what the client said about it, and its bytes to read
/// (see [`FilePart::into_stream`]).
pub struct FilePart {
    field_name: String,
    file_name: Option<String>,
    declared_type: Option<String>,
    slot: Slot,
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("field_name", &self.field_name)
            .field("declared_type", &self.declared_type)
            .finish_non_exhaustive()
    }
}

impl FilePart {
    /// The form field's name.
    #[must_use]
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// The file's name as the client sent it: a display name only after
    /// [`crate::file_name::DisplayName::from_client`].
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The content type the client declared, unchecked.
    #[must_use]
    pub fn declared_type(&self) -> Option<&str> {
        self.declared_type.as_deref()
    }

    /// The file's bytes as they arrive. It ends with an error when the upload breaks
    /// off or passes its limit (see [`crate::web::BodyTooLarge`]), and once the
    /// [`Uploads`] it came from moved on to the next part.
    #[must_use]
    pub fn into_stream(self) -> ByteStream {
        Box::pin(FileBytes {
            slot: self.slot,
            ended: false,
        })
    }
}

struct FileBytes {
    slot: Slot,
    /// It ended (its last chunk, or an error, was passed on).
    ended: bool,
}

impl Stream for FileBytes {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let slot = self.slot.clone();
        let mut guard = match slot.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Some(field) = guard.as_mut() else {
            self.ended = true;
            return Poll::Ready(Some(Err(io::Error::other(
                "the upload moved on to its next part",
            ))));
        };
        let item = match Pin::new(field).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        match item {
            Some(Ok(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Some(Err(e)) => {
                *guard = None;
                self.ended = true;
                Poll::Ready(Some(Err(field_error(e))))
            }
            None => {
                *guard = None;
                self.ended = true;
                Poll::Ready(None)
            }
        }
    }
}

/// A multer error while reading a file, as the I/O error a blob store's put ends with;
/// a body past its limit stays recognisable (see [`is_too_large`]).
fn field_error(e: multer::Error) -> io::Error {
    match e {
        multer::Error::StreamReadFailed(cause) => match cause.downcast::<io::Error>() {
            Ok(io) => *io,
            Err(other) => io::Error::other(other),
        },
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

/// The request body as multer reads it: one chunk per poll. multer pulls every chunk
/// that is ready into its buffer before it parses any; pausing after each one (and
/// asking to be polled again at once) keeps that buffer to about one chunk while a
/// file is read, and lets [`Uploads`] count what a part's headers have taken after
/// every chunk. (multer still pulls a chunk on each poll, so a body of many tiny parts
/// is read a chunk or two ahead per part: bounded by [`MAX_PARTS`].)
struct Paced {
    /// Shared with [`Uploads`], which reads what multer leaves after the last part.
    inner: Arc<Mutex<ByteStream>>,
    pulled: Arc<AtomicU64>,
    yielded: bool,
}

impl Stream for Paced {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.yielded {
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let item = {
            let mut inner = match self.inner.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            match inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            }
        };
        if let Some(Ok(chunk)) = &item {
            self.pulled.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            self.yielded = true;
        }
        Poll::Ready(item)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use futures_util::StreamExt as _;

    const B: &str = "XyZ-boundary";

    /// A multipart body of `parts` (name, file name if a file, value).
    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, value) in parts {
            out.extend_from_slice(format!("--{B}\r\n").as_bytes());
            let disposition = match file {
                Some(f) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: text/plain\r\n\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            out.extend_from_slice(disposition.as_bytes());
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        out
    }

    /// `bytes` as a stream of `chunk`-byte pieces, and how many bytes were pulled.
    fn stream(bytes: Vec<u8>, chunk: usize) -> (ByteStream, Arc<AtomicU64>) {
        let read = Arc::new(AtomicU64::new(0));
        let counter = read.clone();
        let pieces: Vec<Bytes> = bytes.chunks(chunk).map(Bytes::copy_from_slice).collect();
        let s = futures_util::stream::iter(pieces).map(move |c| {
            counter.fetch_add(c.len() as u64, Ordering::Relaxed);
            Ok(c)
        });
        (Box::pin(s), read)
    }

    fn uploads(bytes: Vec<u8>, chunk: usize) -> (Uploads, Arc<AtomicU64>) {
        let (s, read) = stream(bytes, chunk);
        (Uploads::new(s, B), read)
    }

    async fn read_all(file: FilePart) -> Vec<u8> {
        let mut s = file.into_stream();
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn text_fields_and_files_come_in_order_and_the_csrf_field_is_not_yielded() {
        let file: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut u, _) = uploads(
            body(&[
                ("csrf_token", None, b"tok"),
                ("note", None, "grüße".as_bytes()),
                ("doc", Some("a.pdf"), &file),
                ("skipped", Some("b.pdf"), b"never read"),
                ("after", None, b"x"),
            ]),
            4096,
        );
        match u.next_part().await.unwrap() {
            Some(Part::Text { name, value }) => assert_eq!((&*name, &*value), ("note", "grüße")),
            other => panic!("{other:?}"),
        }
        let Some(Part::File(f)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        assert_eq!(
            (f.field_name(), f.file_name(), f.declared_type()),
            ("doc", Some("a.pdf"), Some("text/plain"))
        );
        assert!(read_all(f).await == file);
        // A file the handler drops unread is skipped.
        let Some(Part::File(_)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        match u.next_part().await.unwrap() {
            Some(Part::Text { name, .. }) => assert_eq!(name, "after"),
            other => panic!("{other:?}"),
        }
        assert!(u.next_part().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_body_of_a_thousand_parts_is_refused_without_reading_it_to_the_end() {
        let value = [b'v'; 100];
        let parts: Vec<(&str, Option<&str>, &[u8])> =
            (0..1000).map(|_| ("f", None, &value[..])).collect();
        let bytes = body(&parts);
        let total = bytes.len() as u64;
        let (mut u, read) = uploads(bytes, 512);
        let mut seen = 0;
        let err = loop {
            match u.next_part().await {
                Ok(Some(_)) => seen += 1,
                Ok(None) => panic!("read to the end"),
                Err(e) => break e,
            }
        };
        assert_eq!((seen, err), (MAX_PARTS, UploadError::TooLarge));
        assert!(
            read.load(Ordering::Relaxed) < total / 4,
            "{} of {total}",
            read.load(Ordering::Relaxed)
        );
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::TooLarge);
        assert_eq!(
            super::super::errors::status_and_message(&WebError::from(err)).0,
            413
        );
    }

    #[tokio::test]
    async fn a_text_field_over_64_kib_is_refused() {
        let long = vec![b'a'; MAX_TEXT_BYTES + 1];
        let (mut u, _) = uploads(body(&[("note", None, &long)]), 8192);
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::TooLarge);
        let exact = vec![b'a'; MAX_TEXT_BYTES];
        let (mut u, _) = uploads(body(&[("note", None, &exact)]), 8192);
        assert!(matches!(u.next_part().await, Ok(Some(Part::Text { .. }))));
    }

    #[tokio::test]
    async fn endless_part_headers_are_refused_after_a_bounded_read() {
        let mut bytes =
            format!("--{B}\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ").into_bytes();
        bytes.extend(std::iter::repeat_n(b'p', 4 * 1024 * 1024));
        let (mut u, read) = uploads(bytes, 1024);
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::TooLarge);
        assert!(read.load(Ordering::Relaxed) <= MAX_PART_HEAD_BYTES + 2048);
        // The same for a preamble that never reaches a boundary.
        let (mut u, read) = uploads(vec![b'z'; 4 * 1024 * 1024], 1024);
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::TooLarge);
        assert!(read.load(Ordering::Relaxed) <= MAX_PART_HEAD_BYTES + 2048);
    }

    #[tokio::test]
    async fn a_cut_off_or_garbled_body_is_malformed() {
        let mut bytes = body(&[("doc", Some("a.txt"), b"hello world")]);
        bytes.truncate(bytes.len() - 20);
        let (mut u, _) = uploads(bytes, 64);
        let Some(Part::File(f)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        let mut s = f.into_stream();
        let mut failed = false;
        while let Some(c) = s.next().await {
            failed |= c.is_err();
        }
        assert!(failed, "a file cut off ends in an error");
        let (mut u, _) = uploads(b"--XyZ-boundary\r\n\x00\x01garbage\r\n\r\n".to_vec(), 64);
        assert!(u.next_part().await.is_err());
    }

    #[tokio::test]
    async fn a_body_past_the_request_limit_is_too_large_not_malformed() {
        let file = vec![b'x'; 100_000];
        let (s, _) = stream(body(&[("note", None, &file[..50_000])]), 1000);
        let mut u = Uploads::new(crate::web::limit_stream(s, 10_000), B);
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::TooLarge);
        let (s, _) = stream(body(&[("doc", Some("a.txt"), &file)]), 1000);
        let mut u = Uploads::new(crate::web::limit_stream(s, 10_000), B);
        let Some(Part::File(f)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        let mut s = f.into_stream();
        let mut last = None;
        while let Some(c) = s.next().await {
            if let Err(e) = c {
                last = Some(e);
            }
        }
        assert!(is_too_large(&last.unwrap()));
    }

    #[tokio::test]
    async fn the_csrf_field_must_come_first_before_any_file() {
        let (mut u, _) = uploads(
            body(&[("csrf_token", None, b"tok"), ("doc", Some("a.txt"), b"hi")]),
            64,
        );
        assert_eq!(u.csrf_field().await.unwrap(), "tok");
        assert!(matches!(u.next_part().await, Ok(Some(Part::File(_)))));

        // A file first: refused, and no later call hands that file (or any) out.
        let (mut u, _) = uploads(
            body(&[("doc", Some("a.txt"), b"hi"), ("csrf_token", None, b"tok")]),
            64,
        );
        assert_eq!(u.csrf_field().await.unwrap_err(), UploadError::Csrf);
        assert_eq!(u.next_part().await.unwrap_err(), UploadError::Csrf);
        assert_eq!(
            super::super::errors::status_and_message(&WebError::from(UploadError::Csrf)).0,
            403
        );

        // Another text field first, or a file part named like the token: refused.
        for first in [
            body(&[("note", None, b"x"), ("csrf_token", None, b"tok")]),
            body(&[("csrf_token", Some("tok.txt"), b"tok")]),
            body(&[]),
        ] {
            let (mut u, _) = uploads(first, 64);
            assert_eq!(u.csrf_field().await.unwrap_err(), UploadError::Csrf);
        }
    }
}
