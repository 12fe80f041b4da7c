//! Floods of login attempts against each example server, as the open internet sends
//! them: 2,000 concurrent password and code attempts from 200 addresses, then 1,000
//! from one, all on loopback (clients bind source addresses across 127.0.0.0/8 so that
//! the server sees many IPs). Meanwhile a logged-in contact keeps asking for
//! `GET /portal/api/me` from another address.
//!
//! What must hold: the server's resident memory peaks at most 256 MiB above idle and
//! comes back within 64 MiB of it; the single address is refused after its limit with
//! no hashing (the staff API's hashing counters); `/api/me` keeps answering; no 5xx but
//! the documented 503 (with `Retry-After`).
//!
//! A test binary of its own, so that no other test's servers share the two cores while
//! it measures. The latencies are printed, not asserted (they are figures of the
//! machine): `benches/RESULTS.md` records them from release builds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code,
    // Latencies of a real server, measured on the wall clock.
    clippy::disallowed_methods
)]

#[path = "../http/client.rs"]
mod client;
#[path = "../http/postgres.rs"]
mod postgres;
#[path = "../http/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use client::{Browser, encode};
use server::token_of;
use server::{Db, Scheme, Server};

/// The 200 addresses of the distributed flood: 127.0.1.1 to 127.0.1.200.
fn crowd(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 1, u8::try_from(i % 200 + 1).unwrap()))
}

/// The one address of the concentrated flood.
const LONE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 2, 1));

/// One request on a fresh connection from `from`; the response's status and body.
async fn exchange(from: IpAddr, to: SocketAddr, request: Arc<Vec<u8>>) -> (u16, String) {
    let attempt = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        let mut stream = socket.connect(to).await?;
        stream.write_all(&request).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(120), attempt)
        .await
        .expect("an answer within two minutes")
        .expect("a connection");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    (status, text)
}

fn post(s: &Server, path: &str, body: &str) -> Arc<Vec<u8>> {
    Arc::new(
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            s.addr,
            s.origin,
            body.len()
        )
        .into_bytes(),
    )
}

/// Resident memory of the server process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// argon2 computations the server has made so far.
fn computed(s: &Server) -> u64 {
    s.admin("GET", "/status", None).json()["hashing"]["computed"]
        .as_u64()
        .expect("hashing counters")
}

/// A logged-in contact asking for `/portal/api/me` on one kept-alive connection.
struct Prober {
    stream: TcpStream,
    request: Vec<u8>,
}

impl Prober {
    async fn new(s: &Server) -> Prober {
        let mut b = Browser::new(s.addr, &s.origin);
        let id = s.contact_id("jane@example.com");
        let url = s
            .admin("POST", &format!("/contacts/{id}/magic-link"), None)
            .json()["url"]
            .as_str()
            .expect("a link")
            .to_owned();
        let r = b.post_form("/portal/auth/link", &[("token", &token_of(&url))]);
        assert_eq!(r.status, 303, "login: {}", r.text());
        let cookie = format!("{}={}", s.session_cookie(), b.jar[s.session_cookie()]);
        let request = format!(
            "GET /portal/api/me HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\r\n",
            s.addr
        )
        .into_bytes();
        let stream = TcpStream::connect(s.addr).await.expect("prober connects");
        Prober { stream, request }
    }

    /// One request; how long its answer took.
    async fn probe(&mut self) -> Duration {
        let started = Instant::now();
        self.stream.write_all(&self.request).await.expect("write");
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = self.stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "the server closed the prober's connection");
            raw.extend_from_slice(&buf[..n]);
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "{head}");
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("content-length");
            if raw.len() >= end + 4 + length {
                return started.elapsed();
            }
        }
    }

    /// The 99th percentile of `n` requests in a row.
    async fn p99(&mut self, n: usize) -> Duration {
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            all.push(self.probe().await);
        }
        percentile(&mut all, 99)
    }
}

fn percentile(all: &mut [Duration], p: usize) -> Duration {
    all.sort_unstable();
    all[(all.len() * p / 100).min(all.len() - 1)]
}

/// Runs `requests` all at once while the prober and a memory sampler run; returns the
/// statuses with counts, the prober's latencies and the peak memory seen.
async fn flood(
    s: &Server,
    prober: &mut Prober,
    requests: Vec<(IpAddr, Arc<Vec<u8>>)>,
) -> (BTreeMap<u16, usize>, Vec<Duration>, u64) {
    let (pid, addr) = (s.pid(), s.addr);
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        })
    };
    let attempts: Vec<_> = requests
        .into_iter()
        .map(|(from, req)| tokio::spawn(exchange(from, addr, req)))
        .collect();
    let all_sent = async {
        let mut statuses = BTreeMap::new();
        for a in attempts {
            let (status, text) = a.await.unwrap();
            if status == 503 {
                assert!(
                    text.to_ascii_lowercase().contains("\r\nretry-after: "),
                    "a 503 says when to retry: {text}"
                );
            }
            *statuses.entry(status).or_insert(0) += 1;
        }
        statuses
    };
    let probing = async {
        let mut latencies = Vec::new();
        while !done.load(Ordering::Relaxed) {
            latencies.push(prober.probe().await);
        }
        latencies
    };
    let (statuses, latencies) = tokio::join!(
        async {
            let statuses = all_sent.await;
            done.store(true, Ordering::Relaxed);
            statuses
        },
        probing
    );
    let peak = sampler.await.unwrap();
    (statuses, latencies, peak)
}

/// The server binary: the test build's, or the one of the same name in
/// `FLOOD_SERVER_DIR` (for the figures: `FLOOD_SERVER_DIR=target/release`).
fn server_binary(built: &str) -> String {
    match std::env::var("FLOOD_SERVER_DIR") {
        Ok(dir) => {
            // Relative to the workspace's root, where the command is typed.
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let name = std::path::Path::new(built)
                .file_name()
                .expect("a file name");
            root.join(dir).join(name).display().to_string()
        }
        Err(_) => built.to_owned(),
    }
}

/// One flood at a time: each measures the machine's two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn holds_up_under_a_flood(bin: &str) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let s = Server::start(bin, Db::Memory, Scheme::Http).expect("server");
    let mut prober = Prober::new(&s).await;
    // Idle: warm the paths, then measure.
    for _ in 0..200 {
        prober.probe().await;
    }
    let idle_p99 = prober.p99(1000).await;
    let idle_rss = rss_kib(s.pid());

    // Each of the 200 addresses asks for a code for an address nobody has, for the
    // challenge its code attempts will name.
    let mut challenges = Vec::new();
    for i in 0..200 {
        let body = format!("email={}", encode(&format!("flood{i}@nowhere.example")));
        let (status, page) =
            exchange(crowd(i), s.addr, post(&s, "/portal/login/code", &body)).await;
        assert_eq!(status, 200, "{page}");
        let challenge = page
            .split("name=\"challenge\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the challenge field")
            .to_owned();
        challenges.push(challenge);
    }

    // 2,000 at once from 200 addresses: half passwords, half codes.
    let mut requests = Vec::new();
    for n in 0..2000 {
        let i = n % 200;
        let req = if n % 2 == 0 {
            let body = format!(
                "email={}&password=guess+number+{n}",
                encode(&format!("someone{n}@nowhere.example"))
            );
            post(&s, "/portal/login/password", &body)
        } else {
            let body = format!("challenge={}&code={:06}", challenges[i], n);
            post(&s, "/portal/login/code/verify", &body)
        };
        requests.push((crowd(i), req));
    }
    let (statuses, mut latencies, peak) = flood(&s, &mut prober, requests).await;
    eprintln!("{bin}: 200 addresses: {statuses:?}; peak {peak} KiB (idle {idle_rss} KiB)");
    assert!(
        statuses.keys().all(|s| matches!(s, 401 | 429 | 503)),
        "only refusals and the documented 503: {statuses:?}"
    );
    assert!(
        statuses.contains_key(&401),
        "some were checked: {statuses:?}"
    );
    let mut peaks = vec![peak];

    // 1,000 at once from one address: its limit (100 per 15 minutes, 11 spent above)
    // lets 89 through; the rest are refused before any hashing.
    let before = computed(&s);
    let requests = (0..1000)
        .map(|n| {
            let body = format!("email=jane%40example.com&password=guess+number+{n}");
            (LONE, post(&s, "/portal/login/password", &body))
        })
        .collect();
    let (statuses, lone_latencies, peak) = flood(&s, &mut prober, requests).await;
    let hashed = computed(&s) - before;
    eprintln!("{bin}: one address: {statuses:?}; {hashed} hashed; peak {peak} KiB");
    assert!(
        statuses.keys().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    assert!(
        hashed <= 100,
        "past its limit nothing is hashed: {hashed} computations"
    );
    latencies.extend(lone_latencies);
    peaks.push(peak);

    let peak = peaks.into_iter().max().unwrap_or_default();
    assert!(
        peak <= idle_rss + 256 * 1024,
        "peak {peak} KiB, idle {idle_rss} KiB"
    );
    let flood_p99 = percentile(&mut latencies, 99);
    eprintln!(
        "{bin}: /api/me p99 idle {idle_p99:?}, under the floods {flood_p99:?} ({} requests)",
        latencies.len()
    );
    // Back down once it is over: workers give their buffers back after a second idle.
    let over = Instant::now();
    let mut after = rss_kib(s.pid());
    while after > idle_rss + 64 * 1024 && over.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = rss_kib(s.pid());
    }
    eprintln!(
        "{bin}: resident {after} KiB {:?} after the floods",
        over.elapsed()
    );
    assert!(
        after <= idle_rss + 64 * 1024,
        "after {after} KiB, idle {idle_rss} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_holds_up_under_a_flood() {
    holds_up_under_a_flood(&server_binary(env!("CARGO_BIN_EXE_axum-portal"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_holds_up_under_a_flood() {
    holds_up_under_a_flood(&server_binary(env!("CARGO_BIN_EXE_actix-portal"))).await;
}
