//! One uploaded file into the blob store, checked and measured on the way: its type
//! from its first bytes, its size, its SHA-256. The file passes through in chunks;
//! only its first 8 KiB are held, for the type check.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use sha2::{Digest as _, Sha256};

use super::body_stream::is_too_large;
use super::errors::{STORE_RETRY_AFTER_SECS, WebError};
use super::multipart::FilePart;
use crate::blob::{BlobError, BlobName, BlobStore, ByteStream};
use crate::file_name::{DisplayName, NameRefused};
use crate::file_type::{FileType, FileTypeError, SNIFF_LEN};

pub use crate::file::ReceivedFile;

/// Why a file was not stored. Nothing of it is stored in any case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The file has no bytes (400).
    #[error("the file is empty")]
    Empty,
    /// The file's name could only come from a hostile client (400; see
    /// [`DisplayName::from_upload`]).
    #[error(transparent)]
    Name(#[from] NameRefused),
    /// The file is larger than allowed, or the whole upload is (413).
    #[error("the file is too large")]
    TooLarge,
    /// The file's bytes are not a type Portal accepts, or do not match its name or
    /// declared type. Answered 422: the request itself is a well-formed upload (its
    /// media type, multipart, is supported), what it carries is refused, and the
    /// message says why.
    #[error(transparent)]
    Type(FileTypeError),
    /// The upload broke off or is not well-formed multipart (400).
    #[error("the upload broke off")]
    Broken,
    /// The blob store failed: 503 when it is unavailable, 500 otherwise.
    #[error(transparent)]
    Storage(BlobError),
}

impl From<ReceiveError> for WebError {
    fn from(e: ReceiveError) -> Self {
        match e {
            ReceiveError::Empty => WebError::BadRequest("the file is empty"),
            ReceiveError::Name(why) => WebError::BadInput(format!("file: {why}")),
            ReceiveError::TooLarge => WebError::TooLarge,
            ReceiveError::Type(t) => WebError::Unprocessable(t.to_string()),
            ReceiveError::Broken => WebError::BadRequest("the upload broke off"),
            ReceiveError::Storage(BlobError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "file storage is unavailable");
                WebError::Unavailable {
                    retry_after_secs: STORE_RETRY_AFTER_SECS,
                    cause: None,
                }
            }
            ReceiveError::Storage(other) => WebError::Files(other),
        }
    }
}

/// Stores one uploaded file in `blobs`: reads its first 8 KiB (all of it when
/// shorter) to check its type ([`FileType::check`], with the display name's
/// extension and the declared type), then streams those bytes and the rest into
/// [`BlobStore::put`], counting them and computing their SHA-256. Past `max_bytes`,
/// or when the upload breaks off, the put's stream ends with an error, so nothing is
/// stored.
///
/// A caller storing several files deletes those already stored when a later one fails
/// (see [`delete_blobs`]).
pub async fn receive_file(
    blobs: &dyn BlobStore,
    file: FilePart,
    max_bytes: u64,
) -> Result<ReceivedFile, ReceiveError> {
    let name = DisplayName::from_upload(file.file_name().unwrap_or_default())?;
    let declared = file.declared_type().map(str::to_owned);
    let mut rest = file.into_stream();

    let mut head = Vec::with_capacity(SNIFF_LEN);
    while head.len() < SNIFF_LEN {
        match rest.next().await {
            Some(Ok(chunk)) => {
                head.extend_from_slice(&chunk);
                if head.len() as u64 > max_bytes {
                    return Err(ReceiveError::TooLarge);
                }
            }
            Some(Err(e)) => return Err(fault_of(&e)),
            None => break,
        }
    }
    if head.is_empty() {
        return Err(ReceiveError::Empty);
    }
    let file_type = FileType::check(&head, declared.as_deref(), &name).map_err(|e| match e {
        FileTypeError::Empty => ReceiveError::Empty,
        other => ReceiveError::Type(other),
    })?;

    let meter = Arc::new(Mutex::new(Meter {
        size: 0,
        max_bytes,
        fault: None,
    }));
    // The digest is computed on a blocking thread beside the request's task, fed the
    // same chunks through a short queue: hashing then overlaps reading the socket and
    // writing the store instead of adding to them.
    let (to_hasher, mut chunks) = tokio::sync::mpsc::channel::<Bytes>(HASH_QUEUE);
    let hasher = tokio::task::spawn_blocking(move || {
        let mut hasher = Sha256::new();
        while let Some(chunk) = chunks.blocking_recv() {
            hasher.update(&chunk);
        }
        <[u8; 32]>::from(hasher.finalize())
    });
    let first = futures_util::stream::iter([Ok(Bytes::from(head))]);
    let body: ByteStream = Box::pin(Metered {
        inner: Box::pin(first.chain(rest)),
        meter: meter.clone(),
        to_hasher: tokio_util::sync::PollSender::new(to_hasher),
        pending: None,
    });
    let put = blobs.put(body).await;
    let (size, fault) = match meter.lock() {
        Ok(mut m) => m.finish(),
        Err(poisoned) => poisoned.into_inner().finish(),
    };
    let sha256 = match hasher.await {
        Ok(digest) => digest,
        Err(_) => return Err(ReceiveError::Broken),
    };
    match (put, fault) {
        (Ok(blob), None) => Ok(ReceivedFile {
            blob,
            name,
            file_type,
            size,
            sha256,
        }),
        // A store that kept bytes its stream refused breaks its promise; the blob is
        // removed all the same.
        (Ok(blob), Some(fault)) => {
            let _ = delete_blobs(blobs, std::slice::from_ref(&blob)).await;
            Err(fault)
        }
        (Err(_), Some(fault)) => Err(fault),
        (Err(e), None) => Err(ReceiveError::Storage(e)),
    }
}

/// Deletes every blob of `names` (those stored for an upload that then failed),
/// trying each even when one fails: the first failure is answered. A blob already gone
/// is no failure.
pub async fn delete_blobs(blobs: &dyn BlobStore, names: &[BlobName]) -> Result<(), BlobError> {
    let mut first = Ok(());
    for name in names {
        match blobs.delete(name).await {
            Ok(()) | Err(BlobError::NotFound) => {}
            Err(e) => {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
    }
    first
}

/// What a file's bytes broke off with, as the answer to give.
fn fault_of(e: &io::Error) -> ReceiveError {
    if is_too_large(e) {
        ReceiveError::TooLarge
    } else {
        ReceiveError::Broken
    }
}

/// Chunks queued for the hasher: a few, so that a slow hasher holds the upload back
/// rather than letting memory grow.
const HASH_QUEUE: usize = 4;

/// What passed through a file's stream.
struct Meter {
    size: u64,
    max_bytes: u64,
    fault: Option<ReceiveError>,
}

impl Meter {
    fn finish(&mut self) -> (u64, Option<ReceiveError>) {
        (self.size, self.fault.take())
    }
}

/// A file's bytes on their way into the store, measured by the [`Meter`] they share
/// with [`receive_file`] and handed to the hasher; it ends with an error past the
/// file's limit. A chunk goes on to the store only once the hasher has it.
struct Metered {
    inner: ByteStream,
    meter: Arc<Mutex<Meter>>,
    to_hasher: tokio_util::sync::PollSender<Bytes>,
    /// A chunk read and counted, waiting for room in the hasher's queue.
    pending: Option<Bytes>,
}

impl Stream for Metered {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.pending.is_none() {
            let item = match self.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            let mut meter = match self.meter.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            if meter.fault.is_some() {
                return Poll::Ready(None);
            }
            match item {
                Some(Ok(chunk)) => {
                    meter.size = meter.size.saturating_add(chunk.len() as u64);
                    if meter.size > meter.max_bytes {
                        meter.fault = Some(ReceiveError::TooLarge);
                        return Poll::Ready(Some(Err(io::Error::other(ReceiveError::TooLarge))));
                    }
                    drop(meter);
                    self.pending = Some(chunk);
                }
                Some(Err(e)) => {
                    meter.fault = Some(fault_of(&e));
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    // The end: the hasher finishes once its queue is closed.
                    drop(meter);
                    self.to_hasher.close();
                    return Poll::Ready(None);
                }
            }
        }
        match self.to_hasher.poll_reserve(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(reserved) => {
                let chunk = self.pending.take().unwrap_or_default();
                if reserved.is_err() || self.to_hasher.send_item(chunk.clone()).is_err() {
                    return Poll::Ready(Some(Err(io::Error::other("the hasher stopped"))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::blob::FileStorage;
    use crate::clock::Timestamp;
    use crate::web::multipart::{Part, Uploads};

    const B: &str = "rcv-boundary";

    fn upload(file_name: &str, declared: &str, bytes: &[u8]) -> Uploads {
        let mut body = format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"{file_name}\"\r\n\
             Content-Type: {declared}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
        let pieces: Vec<io::Result<Bytes>> = body
            .chunks(3000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Uploads::new(Box::pin(futures_util::stream::iter(pieces)), B)
    }

    async fn receive(
        store: &FileStorage,
        file_name: &str,
        declared: &str,
        bytes: &[u8],
        max: u64,
    ) -> Result<ReceivedFile, ReceiveError> {
        let mut u = upload(file_name, declared, bytes);
        let Some(Part::File(file)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        receive_file(store, file, max).await
    }

    async fn stored(store: &FileStorage) -> Vec<BlobName> {
        store
            .list_older_than(Timestamp::from_unix_millis(i64::MAX / 2))
            .await
            .unwrap()
    }

    async fn bytes_of(store: &FileStorage, name: &BlobName) -> Vec<u8> {
        let mut s = store.get(name).await.unwrap();
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    /// Plain text of `len` bytes: numbered lines.
    fn text(len: usize) -> Vec<u8> {
        let mut out: Vec<u8> = (0..)
            .flat_map(|n: u32| format!("line {n:08}\n").into_bytes())
            .take(len)
            .collect();
        out.truncate(len);
        out
    }

    fn status(e: ReceiveError) -> u16 {
        super::super::errors::status_and_message(&WebError::from(e)).0
    }

    #[tokio::test]
    async fn a_file_is_stored_whole_with_its_size_type_and_hash() {
        let store = FileStorage::memory();
        for len in [5, SNIFF_LEN - 1, SNIFF_LEN, SNIFF_LEN + 1, 300_000] {
            let bytes = text(len);
            let r = receive(&store, "Bank  statement.TXT", "text/plain", &bytes, 300_000)
                .await
                .unwrap();
            assert_eq!(r.size, len as u64);
            assert_eq!(r.file_type, FileType::Text);
            assert_eq!(r.name.as_str(), "Bank statement.TXT");
            assert_eq!(r.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
            assert!(bytes_of(&store, &r.blob).await == bytes, "{len}");
        }
    }

    #[tokio::test]
    async fn a_name_only_a_hostile_client_sends_is_refused_and_nothing_stored() {
        let store = FileStorage::memory();
        for name in [
            "../Bank statement.txt",
            "/etc/passwd.txt",
            "C:\\Users\\x.txt",
            ".hidden.txt",
        ] {
            let err = receive(&store, name, "text/plain", &text(10), 100)
                .await
                .unwrap_err();
            assert!(matches!(err, ReceiveError::Name(_)), "{name}: {err:?}");
            assert_eq!(status(err), 400);
        }
        let stored = store
            .list_older_than(Timestamp::from_unix_millis(i64::MAX))
            .await
            .unwrap();
        assert!(stored.is_empty(), "{stored:?}");
    }

    #[tokio::test]
    async fn one_byte_over_the_limit_stores_nothing() {
        let store = FileStorage::memory();
        // Over the limit within the first bytes, and past them.
        for (len, max) in [(100, 99), (300_001, 300_000)] {
            let err = receive(&store, "a.txt", "text/plain", &text(len), max)
                .await
                .unwrap_err();
            assert!(matches!(err, ReceiveError::TooLarge), "{err:?}");
            assert_eq!(status(err), 413);
        }
        assert!(stored(&store).await.is_empty());
        // Exactly the limit is fine.
        let ok = receive(&store, "a.txt", "text/plain", &text(300_000), 300_000).await;
        assert_eq!(ok.unwrap().size, 300_000);
    }

    #[tokio::test]
    async fn a_file_whose_bytes_are_not_its_type_is_refused_and_not_stored() {
        let store = FileStorage::memory();
        let page = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let err = receive(&store, "invoice.pdf", "application/pdf", page, 1000)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ReceiveError::Type(FileTypeError::NotAllowed { .. })),
            "{err:?}"
        );
        assert_eq!(status(err), 422);
        let err = receive(&store, "notes.pdf", "application/pdf", &text(50), 1000)
            .await
            .unwrap_err();
        assert_eq!(status(err), 422);
        assert!(stored(&store).await.is_empty());
    }

    #[tokio::test]
    async fn an_empty_file_is_refused() {
        let store = FileStorage::memory();
        let err = receive(&store, "a.txt", "text/plain", b"", 1000)
            .await
            .unwrap_err();
        assert!(matches!(err, ReceiveError::Empty), "{err:?}");
        assert_eq!(status(err), 400);
        assert!(stored(&store).await.is_empty());
    }

    #[tokio::test]
    async fn a_cut_off_upload_stores_nothing() {
        let store = FileStorage::memory();
        let mut body = format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&text(100_000));
        let pieces: Vec<io::Result<Bytes>> = body
            .chunks(3000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let mut u = Uploads::new(Box::pin(futures_util::stream::iter(pieces)), B);
        let Some(Part::File(file)) = u.next_part().await.unwrap() else {
            panic!("a file")
        };
        let err = receive_file(&store, file, 1_000_000).await.unwrap_err();
        assert!(matches!(err, ReceiveError::Broken), "{err:?}");
        assert!(stored(&store).await.is_empty());
    }

    #[tokio::test]
    async fn blobs_of_a_failed_upload_are_deleted_and_missing_ones_ignored() {
        let store = FileStorage::memory();
        let a = receive(&store, "a.txt", "text/plain", &text(10), 100)
            .await
            .unwrap();
        let b = receive(&store, "b.txt", "text/plain", &text(10), 100)
            .await
            .unwrap();
        store.delete(&b.blob).await.unwrap();
        delete_blobs(&store, &[a.blob, b.blob]).await.unwrap();
        assert!(stored(&store).await.is_empty());
    }

    #[test]
    fn an_unavailable_store_is_503_and_a_refusing_one_500() {
        let down = ReceiveError::Storage(BlobError::Unavailable("gone".into()));
        assert_eq!(status(down), 503);
        let refused = ReceiveError::Storage(BlobError::Refused("denied".into()));
        assert_eq!(status(refused), 500);
    }
}
