//! A streamed request body's size limit, counted once for every adapter: an adapter
//! converts its framework's body into a [`ByteStream`] and wraps it in
//! [`limit_stream`], so that an upload past the limit ends in an error wherever it is
//! read, and nothing it fed is stored.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use crate::blob::ByteStream;

/// The error a limited stream ends with once more bytes than its limit arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body is larger than {limit} bytes")]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: u64,
}

/// `stream`, ending with an [`io::Error`] wrapping [`BodyTooLarge`] at the chunk that
/// takes it past `limit` bytes (that chunk is not passed on); after an error, the
/// stream ends.
#[must_use]
pub fn limit_stream(stream: ByteStream, limit: u64) -> ByteStream {
    Box::pin(Limited {
        inner: stream,
        seen: 0,
        limit,
        done: false,
    })
}

/// Whether `e` is the error of a limited stream past its limit (answered 413), rather
/// than a broken upload (400).
pub(crate) fn is_too_large(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BodyTooLarge>())
}

struct Limited {
    inner: ByteStream,
    seen: u64,
    limit: u64,
    done: bool,
}

impl Stream for Limited {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        match item {
            Some(Ok(chunk)) => {
                self.seen = self.seen.saturating_add(chunk.len() as u64);
                if self.seen > self.limit {
                    self.done = true;
                    let limit = self.limit;
                    return Poll::Ready(Some(Err(io::Error::other(BodyTooLarge { limit }))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Some(Err(e)) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use futures_util::StreamExt as _;

    fn chunks(sizes: &[usize]) -> ByteStream {
        let items: Vec<io::Result<Bytes>> = sizes
            .iter()
            .map(|n| Ok(Bytes::from(vec![b'x'; *n])))
            .collect();
        Box::pin(futures_util::stream::iter(items))
    }

    async fn collect(stream: ByteStream) -> (usize, Option<io::Error>) {
        let mut stream = stream;
        let mut total = 0;
        while let Some(item) = stream.next().await {
            match item {
                Ok(c) => total += c.len(),
                Err(e) => {
                    assert!(
                        stream.next().await.is_none(),
                        "the stream ends after an error"
                    );
                    return (total, Some(e));
                }
            }
        }
        (total, None)
    }

    #[tokio::test]
    async fn a_body_of_exactly_the_limit_passes_whole() {
        let (total, err) = collect(limit_stream(chunks(&[3, 4, 3]), 10)).await;
        assert_eq!((total, err.is_none()), (10, true));
    }

    #[tokio::test]
    async fn one_byte_past_the_limit_ends_the_stream_with_too_large() {
        let (total, err) = collect(limit_stream(chunks(&[3, 4, 4, 100]), 10)).await;
        assert_eq!(
            total, 7,
            "the chunk that crosses the limit is not passed on"
        );
        let err = err.unwrap();
        assert!(is_too_large(&err), "{err}");
    }

    #[tokio::test]
    async fn a_broken_upload_is_not_too_large() {
        let items: Vec<io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset")),
            Ok(Bytes::from_static(b"cd")),
        ];
        let (total, err) = collect(limit_stream(
            Box::pin(futures_util::stream::iter(items)),
            10,
        ))
        .await;
        assert_eq!(total, 2);
        assert!(!is_too_large(&err.unwrap()));
    }
}
