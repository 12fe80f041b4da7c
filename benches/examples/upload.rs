//! Uploads through the axum example server, as a real process on loopback with its
//! files on the local filesystem: the time of one 25 MiB upload against writing the
//! same bytes to a file in the same folder (interleaved rounds, one run), and the
//! server's resident memory while 16 such uploads stream in at once, against its idle
//! figure.
//!
//! Build the server first, then run (both in release):
//!
//! ```sh
//! cargo build --release -p portal-examples --bin axum-portal
//! cargo run --release -p portal-benches --example upload
//! ```
//!
//! `UPLOAD_ROUNDS` (default 15) sets the rounds of the time comparison.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]
// A benchmark measures the wall clock.
#![allow(clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "a-benchmark-admin-token-of-some-length";
const BOUNDARY: &str = "portal-bench-boundary-9f8e7d6c";
const MIB: usize = 1024 * 1024;
const FILE_BYTES: usize = 25 * MIB;
const CONCURRENT: usize = 16;

struct Server {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request on a fresh connection; the status and the body.
fn send(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(head.as_bytes()).expect("head");
    s.write_all(body).expect("body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |p| p + 4);
    (status, raw[at..].to_vec())
}

fn head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    len: usize,
) -> String {
    let mut h = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        h.push_str(&format!("{n}: {v}\r\n"));
    }
    h.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    h
}

fn admin(s: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = format!("Bearer {ADMIN}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    let h = head(
        s.addr,
        method,
        &format!("/admin/api{path}"),
        &headers,
        body.len(),
    );
    let (status, out) = send(s.addr, &h, body.as_bytes());
    assert!(
        status < 300,
        "{method} {path}: {status} {}",
        String::from_utf8_lossy(&out)
    );
    serde_json::from_slice(&out).unwrap_or(Value::Null)
}

fn start(bin: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let dir = std::env::temp_dir().join(format!("portal-upload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let child = Command::new(bin)
        .current_dir(&dir)
        .env("PORTAL_ADDR", addr.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite:{}", dir.join("portal.db").display()),
        )
        .env("PORTAL_PUBLIC_URL", format!("http://{addr}"))
        .env("PORTAL_ADMIN_TOKEN", ADMIN)
        .env("PORTAL_DEMO", "1")
        .env("PORTAL_REQUEST_TIMEOUT", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the axum example server");
    let server = Server { child, addr, dir };
    for _ in 0..1_500 {
        if TcpStream::connect(addr).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the server did not start");
}

/// Resident memory of `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let exe = std::env::current_exe().expect("exe");
    let bin = exe
        .ancestors()
        .nth(2)
        .expect("target/release")
        .join("axum-portal");
    assert!(
        bin.exists(),
        "build the server first: cargo build --release -p portal-examples --bin axum-portal"
    );
    let rounds: usize = std::env::var("UPLOAD_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let s = start(&bin);
    let origin = format!("http://{}", s.addr);

    // A client, a contact and a secure file drop of its own; the contact logged in.
    let client = admin(&s, "POST", "/clients", Some(json!({"name": "Bench Ltd"})));
    let client = client["id"].as_str().unwrap().to_owned();
    let contact = admin(
        &s,
        "POST",
        "/contacts",
        Some(json!({"email": "bench@example.com", "first_name": "Bea", "client_ids": [client]})),
    );
    let contact = contact["id"].as_str().unwrap().to_owned();
    let task = admin(
        &s,
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(
            json!({"title": "Statements", "evidence": {"type": "file_drop", "expires_after_days": 1}}),
        ),
    );
    let task = task["id"].as_str().unwrap().to_owned();
    let link = admin(&s, "POST", &format!("/contacts/{contact}/magic-link"), None);
    let token = link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let form = format!("token={token}");
    let h = head(
        s.addr,
        "POST",
        "/portal/auth/link",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
        ],
        form.len(),
    );
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream.write_all(h.as_bytes()).unwrap();
    stream.write_all(form.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let cookie = raw
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let h = head(s.addr, "GET", "/portal/api/me", &[("Cookie", &cookie)], 0);
    let me: Value = serde_json::from_slice(&send(s.addr, &h, b"").1).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();

    // The file: a PDF's first line, then 25 MiB in all.
    let mut file = b"%PDF-1.7\n".to_vec();
    file.resize(FILE_BYTES, b'x');
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"statement.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let body = Arc::new(body);
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let upload_head = Arc::new(head(
        s.addr,
        "POST",
        &format!("/portal/api/tasks/{task}/files"),
        &[
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("X-CSRF-Token", &csrf),
            ("Content-Type", &content_type),
        ],
        body.len(),
    ));
    let upload = {
        let (addr, head, body) = (s.addr, upload_head.clone(), body.clone());
        move || {
            let (status, out) = send(addr, &head, &body);
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&out));
        }
    };
    upload(); // warm up

    // Time: interleaved rounds of one upload and one plain file write.
    let (mut up, mut write, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let t = Instant::now();
        upload();
        let u = t.elapsed().as_secs_f64();
        let path = s.dir.join(format!("baseline-{round}"));
        let t = Instant::now();
        std::fs::write(&path, &file).expect("write");
        let w = t.elapsed().as_secs_f64();
        std::fs::remove_file(&path).expect("remove");
        up.push(u);
        write.push(w);
        ratios.push(u / w);
    }
    let (u, w) = (median(&mut up), median(&mut write));
    println!(
        "25 MiB: upload through the axum example server median {:.1} ms ({:.0} MiB/s); \
         writing the same bytes to a file median {:.1} ms; ratio of the medians {:.2}; \
         median of the per-round ratios {:.2} ({rounds} rounds)",
        u * 1e3,
        25.0 / u,
        w * 1e3,
        u / w,
        median(&mut ratios)
    );

    // Memory: 16 uploads at once, resident memory sampled every 2 ms.
    std::thread::sleep(Duration::from_millis(500));
    let pid = s.child.id();
    let idle = rss(pid);
    let peak = Arc::new(AtomicU64::new(idle));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let t = Instant::now();
    let handles: Vec<_> = (0..CONCURRENT)
        .map(|_| std::thread::spawn(upload.clone()))
        .collect();
    for h in handles {
        h.join().expect("an upload");
    }
    let all = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "{CONCURRENT} concurrent 25 MiB uploads in {:.2} s: resident memory idle {:.1} MiB, \
         peak {:.1} MiB, peak above idle {:.1} MiB",
        all,
        idle as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        (peak - idle) as f64 / MIB as f64
    );
}
