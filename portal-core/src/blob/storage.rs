//! [`FileStorage`]: the [`BlobStore`] on the `object_store` crate, and the
//! `PORTAL_FILES` values that choose its backend.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};

use super::{BlobError, BlobName, BlobStore, BlobStream, ByteStream, PREFIX};
use crate::clock::{Clock, SystemClock, Timestamp};
use crate::random::{OsSecretSource, SecretSource};

/// Part size on the local filesystem and in memory: small, since each part in flight
/// is held in memory until written.
const LOCAL_PART: usize = 256 * 1024;
/// Part size on S3, whose multipart uploads refuse smaller parts (but the last).
#[cfg(feature = "s3")]
const S3_PART: usize = 5 * 1024 * 1024;
/// Parts written at once: bounds an upload's memory to about this many parts plus
/// the one being filled.
const PARTS_IN_FLIGHT: usize = 2;

/// Where files live, as a `PORTAL_FILES` value says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageConfig {
    /// `file:PATH`: a folder on the local filesystem (created when missing).
    File(PathBuf),
    /// `memory:`: in memory, lost at exit (tests and demos).
    Memory,
    /// `s3://BUCKET`: an S3-compatible bucket. The endpoint, region and keys come
    /// from the usual `AWS_*` variables when the storage is opened.
    S3 {
        /// The bucket's name.
        bucket: String,
    },
}

/// A `PORTAL_FILES` value, or the S3 settings beside it, that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageConfigError {
    /// Not one of `file:PATH`, `memory:`, `s3://BUCKET`.
    #[error("PORTAL_FILES must be file:PATH, memory: or s3://BUCKET")]
    Malformed,
    /// An S3 bucket name outside S3's rules (3 to 63 of `[a-z0-9.-]`).
    #[error("malformed S3 bucket name")]
    Bucket,
    /// `s3://` without the `s3` feature compiled in.
    #[error("this build has no S3 support (the `s3` feature of portal-core)")]
    NoS3Support,
    /// A required `AWS_*` variable is missing.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// The endpoint is not an `https://` URL, nor `http://` to a loopback address.
    #[error("AWS_ENDPOINT_URL must be https://, or http:// to a loopback address")]
    Endpoint,
    /// The folder could not be created or opened.
    #[error("the files folder cannot be used: {0}")]
    Folder(String),
}

impl std::str::FromStr for StorageConfig {
    type Err = StorageConfigError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value == "memory:" {
            return Ok(StorageConfig::Memory);
        }
        if let Some(path) = value.strip_prefix("file:") {
            if path.is_empty() || path.contains('\0') {
                return Err(StorageConfigError::Malformed);
            }
            return Ok(StorageConfig::File(PathBuf::from(path)));
        }
        if let Some(bucket) = value.strip_prefix("s3://") {
            let bucket = bucket.strip_suffix('/').unwrap_or(bucket);
            let allowed = |b: u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-');
            if !(3..=63).contains(&bucket.len()) || !bucket.bytes().all(allowed) {
                return Err(StorageConfigError::Bucket);
            }
            return Ok(StorageConfig::S3 {
                bucket: bucket.to_owned(),
            });
        }
        Err(StorageConfigError::Malformed)
    }
}

/// The [`BlobStore`] on an `object_store` backend: the local filesystem, memory, or
/// S3-compatible object storage.
#[derive(Clone)]
pub struct FileStorage {
    store: Arc<dyn ObjectStore>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretSource>,
    part_size: usize,
}

impl std::fmt::Debug for FileStorage {
    /// The backend and its place only (`AmazonS3(bucket)`, `LocalFileSystem(file:///…)`):
    /// never the client's settings, which hold the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FileStorage")
            .field(&format_args!("{}", self.store))
            .finish()
    }
}

impl FileStorage {
    /// Blobs in memory.
    #[must_use]
    pub fn memory() -> Self {
        Self::on(Arc::new(object_store::memory::InMemory::new()), LOCAL_PART)
    }

    /// Blobs in the folder `path`, created when missing.
    pub fn folder(path: impl Into<PathBuf>) -> Result<Self, StorageConfigError> {
        let path = path.into();
        std::fs::create_dir_all(&path).map_err(|e| StorageConfigError::Folder(e.to_string()))?;
        let local = object_store::local::LocalFileSystem::new_with_prefix(&path)
            .map_err(|e| StorageConfigError::Folder(e.to_string()))?
            // Deleting the last blob of a fan-out folder removes the folder too.
            .with_automatic_cleanup(true);
        Ok(Self::on(Arc::new(local), LOCAL_PART))
    }

    /// Opens the storage `config` names; `env` reads the `AWS_*` variables of S3
    /// (pass `|k| std::env::var(k).ok()` in a server).
    ///
    /// For S3: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are required
    /// (`AWS_SESSION_TOKEN` optional), `AWS_REGION` or `AWS_DEFAULT_REGION` default to
    /// `us-east-1`, and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`) names an S3-compatible
    /// server, addressed path-style (`https://host/bucket/key`).
    ///
    /// # Warning
    /// Plain `http://` endpoints are accepted only on a loopback address: anywhere
    /// else the keys' signatures and every file would cross the network in clear.
    pub fn open(
        config: &StorageConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StorageConfigError> {
        match config {
            StorageConfig::Memory => Ok(Self::memory()),
            StorageConfig::File(path) => Self::folder(path.clone()),
            StorageConfig::S3 { bucket } => s3(bucket, &env),
        }
    }

    fn on(store: Arc<dyn ObjectStore>, part_size: usize) -> Self {
        FileStorage {
            store,
            clock: Arc::new(SystemClock),
            secrets: Arc::new(OsSecretSource),
            part_size,
        }
    }

    /// The clock that dates new names (tests pass a manual one).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The source of the names' random part (tests pass a seeded one).
    #[must_use]
    pub fn with_secrets(mut self, secrets: impl SecretSource) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    /// Stores the rest of `body` after the first `buffered` bytes, part by part.
    async fn put_parts(
        &self,
        path: &Path,
        buffered: Vec<Bytes>,
        mut body: ByteStream,
    ) -> Result<(), BlobError> {
        let upload = self.store.put_multipart(path).await.map_err(classify)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        for chunk in buffered {
            writer.put(chunk);
        }
        loop {
            let next = match body.next().await {
                None => break,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    // Nothing of a broken upload stays behind.
                    let _ = writer.abort().await;
                    return Err(BlobError::Body(e));
                }
            };
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(classify(e));
            }
            writer.put(next);
        }
        writer.finish().await.map_err(classify)?;
        Ok(())
    }
}

#[cfg(feature = "s3")]
fn s3(
    bucket: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<FileStorage, StorageConfigError> {
    use object_store::aws::AmazonS3Builder;
    use object_store::{BackoffConfig, ClientOptions, RetryConfig};
    use std::time::Duration;

    let var = |k: &'static str| env(k).filter(|v| !v.is_empty());
    let key = var("AWS_ACCESS_KEY_ID").ok_or(StorageConfigError::Missing("AWS_ACCESS_KEY_ID"))?;
    let secret =
        var("AWS_SECRET_ACCESS_KEY").ok_or(StorageConfigError::Missing("AWS_SECRET_ACCESS_KEY"))?;
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    // reqwest is built without a default crypto provider (its own would be aws-lc):
    // install rustls's ring one unless the host already chose one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A stopped server must surface as `Unavailable` within seconds, not after the
    // default three minutes of retries.
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(15),
    };
    let mut options = ClientOptions::new().with_connect_timeout(Duration::from_secs(5));
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_access_key_id(key)
        .with_secret_access_key(secret)
        .with_virtual_hosted_style_request(false)
        .with_retry(retry);
    if let Some(token) = var("AWS_SESSION_TOKEN") {
        builder = builder.with_token(token);
    }
    if let Some(endpoint) = var("AWS_ENDPOINT_URL").or_else(|| var("AWS_ENDPOINT")) {
        let url = url::Url::parse(&endpoint).map_err(|_| StorageConfigError::Endpoint)?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => options = options.with_allow_http(true),
            _ => return Err(StorageConfigError::Endpoint),
        }
        builder = builder.with_endpoint(endpoint);
    }
    let store = builder
        .with_client_options(options)
        .build()
        .map_err(|e| StorageConfigError::Folder(e.to_string()))?;
    Ok(FileStorage::on(Arc::new(store), S3_PART))
}

#[cfg(feature = "s3")]
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(not(feature = "s3"))]
fn s3(
    _bucket: &str,
    _env: &dyn Fn(&str) -> Option<String>,
) -> Result<FileStorage, StorageConfigError> {
    Err(StorageConfigError::NoS3Support)
}

/// Maps `object_store`'s errors onto the three answers callers act on.
fn classify(e: object_store::Error) -> BlobError {
    use object_store::Error as E;
    match e {
        E::NotFound { .. } => BlobError::NotFound,
        E::PermissionDenied { .. }
        | E::Unauthenticated { .. }
        | E::InvalidPath { .. }
        | E::AlreadyExists { .. }
        | E::Precondition { .. }
        | E::NotSupported { .. }
        | E::NotImplemented { .. } => BlobError::Refused(Box::new(e)),
        other => BlobError::Unavailable(Box::new(other)),
    }
}

#[async_trait]
impl BlobStore for FileStorage {
    async fn put(&self, mut body: ByteStream) -> Result<BlobName, BlobError> {
        let name = BlobName::generate(self.secrets.as_ref(), self.clock.now())?;
        let path = Path::from(name.as_str());
        // Up to one part is gathered first: a small file is then one plain put (one
        // request on S3) instead of a three-request multipart upload.
        let mut buffered = Vec::new();
        let mut size = 0;
        while size < self.part_size {
            match body.next().await {
                None => {
                    let payload = PutPayload::from_iter(buffered);
                    self.store.put(&path, payload).await.map_err(classify)?;
                    return Ok(name);
                }
                Some(Ok(chunk)) => {
                    size += chunk.len();
                    buffered.push(chunk);
                }
                Some(Err(e)) => return Err(BlobError::Body(e)),
            }
        }
        self.put_parts(&path, buffered, body).await?;
        Ok(name)
    }

    async fn get(&self, name: &BlobName) -> Result<BlobStream, BlobError> {
        let path = Path::from(name.as_str());
        let found = self.store.get(&path).await.map_err(classify)?;
        Ok(Box::pin(found.into_stream().map_err(classify)))
    }

    async fn delete(&self, name: &BlobName) -> Result<(), BlobError> {
        let path = Path::from(name.as_str());
        match self.store.delete(&path).await.map_err(classify) {
            Err(BlobError::NotFound) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn list_older_than(&self, before: Timestamp) -> Result<Vec<BlobName>, BlobError> {
        let prefix = Path::from(PREFIX);
        let mut listing = self.store.list(Some(&prefix));
        let mut names = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(classify)?;
            // Objects whose names Portal did not generate are not Portal's to sweep.
            if let Ok(name) = meta.location.as_ref().parse::<BlobName>()
                && name.created() < before
            {
                names.push(name);
            }
        }
        Ok(names)
    }
}
