//! Where file bytes live: the [`BlobStore`] trait and [`FileStorage`], its one
//! implementation, on the local filesystem, in memory, or on S3-compatible object
//! storage (the `s3` feature), chosen by a `PORTAL_FILES` value.
//!
//! A blob is stored under a [`BlobName`] that the store generates from the clock and
//! the secret source: no byte of a client-supplied file name or path ever reaches a
//! storage key, so `../`, absolute paths and control characters have nowhere to go.
//! Bytes move as streams in both directions; no file is ever held whole in memory.

use std::fmt;
use std::io;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

use crate::clock::Timestamp;
use crate::random::RandomnessUnavailable;

mod storage;

pub use crate::blob_name::{BlobName, BlobNameError};
pub use storage::{FileStorage, StorageConfig, StorageConfigError};

use crate::blob_name::PREFIX;

/// Bytes to store, as the caller reads them (an upload's body): an error ends the put
/// and nothing is stored.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A stored blob's bytes, read as they arrive from the store.
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// Where file bytes live.
///
/// Implementations keep these promises (the `testing` feature's
/// `testing::blob` cases check them): a put either stores every byte under a fresh
/// generated name or stores nothing a `get` can see; `get` of a name never stored,
/// or deleted, is [`BlobError::NotFound`]; `delete` is idempotent; a store that cannot
/// be reached answers [`BlobError::Unavailable`], never a panic.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug + 'static {
    /// Stores `body` under a new name that the store generates, and returns it.
    async fn put(&self, body: ByteStream) -> Result<BlobName, BlobError>;

    /// The bytes stored under `name`, as a stream.
    async fn get(&self, name: &BlobName) -> Result<BlobStream, BlobError>;

    /// Removes the blob stored under `name`; removing one that is not there succeeds.
    async fn delete(&self, name: &BlobName) -> Result<(), BlobError>;

    /// The names of the blobs whose put began before `before`, for the sweep that
    /// removes blobs no database row refers to. Objects under the store's prefix
    /// whose names are not generated ones are left out (they are not Portal's).
    async fn list_older_than(&self, before: Timestamp) -> Result<Vec<BlobName>, BlobError>;
}

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The store could not be reached or failed: worth retrying later (HTTP 503).
    #[error("file storage is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No blob is stored under this name.
    #[error("no such file")]
    NotFound,
    /// The store refused the operation (permissions, credentials, a limit of its
    /// own): retrying the same request will not help.
    #[error("file storage refused the request")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The bytes to store could not be read (the client's upload broke off).
    #[error("the file could not be read")]
    Body(#[source] io::Error),
}

impl From<RandomnessUnavailable> for BlobError {
    fn from(e: RandomnessUnavailable) -> Self {
        BlobError::Unavailable(Box::new(e))
    }
}
