//! The [`BlobStore`] conformance cases: every implementation runs them all, on a
//! fresh store each, with the manual clock that dates its names.
//!
//! ```ignore
//! for (name, case) in portal_core::testing::blob::cases() {
//!     let clock = Arc::new(ManualClock::new(START));
//!     let store = FileStorage::memory().with_clock(clock.clone());
//!     case(BlobFixture { store: Arc::new(store), clock }).await;
//! }
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use sha2::{Digest as _, Sha256};

use crate::blob::{BlobError, BlobName, BlobStore, ByteStream};
use crate::clock::{Clock as _, ManualClock, Timestamp};

/// A store under test and the clock its new names are dated by.
#[derive(Clone, Debug)]
pub struct BlobFixture {
    /// The store.
    pub store: Arc<dyn BlobStore>,
    /// The clock the store was given.
    pub clock: Arc<ManualClock>,
}

/// One case: takes a fresh fixture, panics on a broken promise.
pub type BlobCase = fn(BlobFixture) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every case, by the name of the rule it checks.
#[must_use]
pub fn cases() -> Vec<(&'static str, BlobCase)> {
    vec![
        ("a_5_mib_stream_round_trips", |f| {
            Box::pin(a_5_mib_stream_round_trips(f))
        }),
        ("small_and_empty_blobs_round_trip", |f| {
            Box::pin(small_and_empty_blobs_round_trip(f))
        }),
        ("a_name_never_stored_is_not_found", |f| {
            Box::pin(a_name_never_stored_is_not_found(f))
        }),
        ("delete_is_idempotent", |f| {
            Box::pin(delete_is_idempotent(f))
        }),
        ("the_sweep_lists_only_names_older_than_the_instant", |f| {
            Box::pin(the_sweep_lists_only_names_older_than_the_instant(f))
        }),
        ("a_broken_body_stores_nothing", |f| {
            Box::pin(a_broken_body_stores_nothing(f))
        }),
        ("a_name_not_generated_is_refused_when_parsed", |_| {
            Box::pin(a_name_not_generated_is_refused_when_parsed())
        }),
    ]
}

/// `len` bytes of a fixed pattern, in `chunk`-sized pieces made as they are read (so
/// the test itself never holds the whole file), ending in `error` if given.
#[must_use]
pub fn pattern_stream(len: usize, chunk: usize, error: Option<io::ErrorKind>) -> ByteStream {
    let pieces = (0..len.div_ceil(chunk)).map(move |i| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        Ok(Bytes::from(
            (start..end).map(pattern_byte).collect::<Vec<u8>>(),
        ))
    });
    let tail = error.map(|kind| Err(io::Error::new(kind, "the client went away")));
    Box::pin(stream::iter(pieces.chain(tail)))
}

fn pattern_byte(i: usize) -> u8 {
    // Not periodic in any power of two, so a misplaced part shows.
    ((i * 7 + i / 251) % 256) as u8
}

/// The SHA-256 and length of a stored blob, read as a stream.
pub async fn digest_of(
    store: &dyn BlobStore,
    name: &BlobName,
) -> Result<([u8; 32], usize), BlobError> {
    let mut body = store.get(name).await?;
    let mut hash = Sha256::new();
    let mut len = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        len += chunk.len();
        hash.update(&chunk);
    }
    Ok((hash.finalize().into(), len))
}

fn pattern_digest(len: usize) -> [u8; 32] {
    let mut hash = Sha256::new();
    for i in 0..len {
        hash.update([pattern_byte(i)]);
    }
    hash.finalize().into()
}

async fn a_5_mib_stream_round_trips(f: BlobFixture) {
    // Past one S3 part (5 MiB), in chunks that do not divide it.
    let len = 5 * 1024 * 1024 + 12_345;
    let name = f
        .store
        .put(pattern_stream(len, 64 * 1024 + 3, None))
        .await
        .unwrap();
    assert_eq!(name.as_str().parse::<BlobName>().unwrap(), name);
    assert_eq!(name.created(), f.clock.now());
    let (digest, read) = digest_of(f.store.as_ref(), &name).await.unwrap();
    assert_eq!(read, len);
    assert_eq!(digest, pattern_digest(len));
}

async fn small_and_empty_blobs_round_trip(f: BlobFixture) {
    let small = f.store.put(pattern_stream(1000, 300, None)).await.unwrap();
    let empty = f.store.put(pattern_stream(0, 1, None)).await.unwrap();
    assert_ne!(small, empty, "every put gets a new name");
    assert_eq!(
        digest_of(f.store.as_ref(), &small).await.unwrap(),
        (pattern_digest(1000), 1000)
    );
    assert_eq!(digest_of(f.store.as_ref(), &empty).await.unwrap().1, 0);
}

async fn a_name_never_stored_is_not_found(f: BlobFixture) {
    let name = BlobName::generate(&crate::random::OsSecretSource, f.clock.now()).unwrap();
    assert!(matches!(f.store.get(&name).await, Err(BlobError::NotFound)));
}

async fn delete_is_idempotent(f: BlobFixture) {
    let name = f.store.put(pattern_stream(10, 10, None)).await.unwrap();
    f.store.delete(&name).await.unwrap();
    assert!(matches!(f.store.get(&name).await, Err(BlobError::NotFound)));
    f.store.delete(&name).await.unwrap();
    let never = BlobName::generate(&crate::random::OsSecretSource, f.clock.now()).unwrap();
    f.store.delete(&never).await.unwrap();
}

async fn the_sweep_lists_only_names_older_than_the_instant(f: BlobFixture) {
    let t0 = f.clock.now();
    let old = f.store.put(pattern_stream(10, 10, None)).await.unwrap();
    f.clock.advance(Duration::from_secs(3600));
    let new = f.store.put(pattern_stream(10, 10, None)).await.unwrap();
    let t1 = f.clock.now();

    let listed = f.store.list_older_than(t0).await.unwrap();
    assert!(
        !listed.contains(&old) && !listed.contains(&new),
        "strictly older only"
    );
    let listed = f.store.list_older_than(t1).await.unwrap();
    assert!(listed.contains(&old) && !listed.contains(&new));
    let listed = f
        .store
        .list_older_than(t1 + Duration::from_millis(1))
        .await
        .unwrap();
    assert!(listed.contains(&old) && listed.contains(&new));

    f.store.delete(&old).await.unwrap();
    let listed = f
        .store
        .list_older_than(t1 + Duration::from_millis(1))
        .await
        .unwrap();
    assert!(!listed.contains(&old) && listed.contains(&new));
}

async fn a_broken_body_stores_nothing(f: BlobFixture) {
    let before = f
        .store
        .list_older_than(Timestamp::from_unix_millis(i64::MAX))
        .await
        .unwrap();
    // Broken within the first part, and after several parts (a multipart upload).
    for len in [1000, 6 * 1024 * 1024] {
        let body = pattern_stream(len, 64 * 1024, Some(io::ErrorKind::ConnectionReset));
        match f.store.put(body).await {
            Err(BlobError::Body(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("a broken body must fail as Body, got {other:?}"),
        }
    }
    let after = f
        .store
        .list_older_than(Timestamp::from_unix_millis(i64::MAX))
        .await
        .unwrap();
    assert_eq!(before, after, "nothing of a broken upload is listed");
}

async fn a_name_not_generated_is_refused_when_parsed() {
    for s in [
        "../../etc/passwd",
        "/etc/passwd",
        "blob/../../secret",
        "blob/ab/0000000000000-ab",
        "invoice.pdf",
    ] {
        assert!(s.parse::<BlobName>().is_err(), "{s}");
    }
}
