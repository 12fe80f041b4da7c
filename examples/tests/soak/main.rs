//! A soak: the axum example server on PostgreSQL under mixed traffic for minutes on
//! end (logins through staff-issued links, `GET /portal/api/me`, task completions and
//! reopenings, wrong passwords), checking every status and sampling the server's
//! resident memory and open file descriptors.
//!
//! Outside the default test run: it does nothing unless `PORTAL_SOAK_MINUTES` is set.
//! The documented command (figures in `benches/RESULTS.md`):
//!
//! ```sh
//! PORTAL_SOAK_MINUTES=10 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo test --release -p portal-examples --test soak -- --nocapture
//! ```
//!
//! What must hold: no unexpected status, the audit chain intact; after the first fifth
//! of the run (warm-up), memory and descriptors stay flat (the last fifth's baseline
//! within 16 MiB and 16 descriptors of the second fifth's).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code,
    // Durations of a real run, on the wall clock.
    clippy::disallowed_methods
)]

#[path = "../http/client.rs"]
mod client;
#[path = "../http/postgres.rs"]
mod postgres;
#[path = "../http/server.rs"]
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use client::{Browser, form};
use server::{Db, Scheme, Server, token_of};

/// Contacts of the soak, one per worker (a new link of a contact kills its older one,
/// so two workers must not share one), invited to every demo client.
fn invite_contacts(s: &Server, n: usize) -> Vec<String> {
    let clients: Vec<serde_json::Value> = s
        .admin("GET", "/clients", None)
        .json()
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    (0..n)
        .map(|i| {
            let email = format!("soak{i}@example.com");
            let body = json!({"email": email, "first_name": "Soak", "client_ids": clients});
            let r = s.admin("POST", "/contacts", Some(&body));
            assert_eq!(r.status, 201, "{}", r.text());
            email
        })
        .collect()
}

/// Resident memory (KiB) and open descriptors of a process.
fn sample(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .count();
    (rss, fds)
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    logins: AtomicU64,
    completions: AtomicU64,
    unexpected: AtomicU64,
}

impl Tally {
    fn expect(&self, what: &str, got: u16, want: &[u16]) -> bool {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if want.contains(&got) {
            return true;
        }
        self.unexpected.fetch_add(1, Ordering::Relaxed);
        eprintln!("UNEXPECTED {what}: {got}");
        false
    }
}

fn log_in(s: &Server, email: &str, tally: &Tally) -> Option<Browser> {
    let id = s.contact_id(email);
    let link = s.admin("POST", &format!("/contacts/{id}/magic-link"), None);
    if !tally.expect("staff link", link.status, &[200]) {
        return None;
    }
    let url = link.json()["url"].as_str()?.to_owned();
    let mut b = s.browser();
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&url))]);
    tally.logins.fetch_add(1, Ordering::Relaxed);
    tally.expect("redeem", r.status, &[303]).then_some(b)
}

/// One simulated contact: logs in now and then, reads `/api/me`, completes and reopens
/// its tasks, until `stop`.
fn contact_loop(s: &Server, email: &str, tally: &Tally, stop: &AtomicBool) {
    let mut round = 0u64;
    let mut browser: Option<Browser> = None;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        if browser.is_none() || round.is_multiple_of(200) {
            browser = log_in(s, email, tally);
        }
        let Some(b) = browser.as_mut() else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        let me = b.get("/portal/api/me");
        if !tally.expect("me", me.status, &[200]) {
            browser = None;
            continue;
        }
        let me = me.json();
        let csrf = me["csrf_token"].as_str().unwrap_or_default().to_owned();
        let client = me["active_client"]["id"].as_str().unwrap_or_default();
        let tasks = b.get(&format!("/portal/api/clients/{client}/tasks"));
        if !tally.expect("tasks", tasks.status, &[200]) {
            continue;
        }
        let tasks = tasks.json();
        let mine = tasks
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["assignee"] == "client")
            .filter_map(|t| t["id"].as_str())
            .nth(usize::try_from(round).unwrap_or(0) % 2)
            .map(str::to_owned);
        if let Some(task) = mine {
            let (verb, body) = if round.is_multiple_of(2) {
                ("complete", json!({"note": format!("soak round {round}")}))
            } else {
                ("uncomplete", json!({}))
            };
            let r = b.post_json(&format!("/portal/api/tasks/{task}/{verb}"), &csrf, &body);
            if tally.expect(verb, r.status, &[200]) {
                tally.completions.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Wrong passwords for an address nobody has, one every few seconds: well under the
/// per-IP limit, each a real argon2 verification.
fn guesser_loop(s: &Server, tally: &Tally, stop: &AtomicBool) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let mut b = s.browser();
        let r = b.request(
            "POST",
            "/portal/login/password",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form(&[
                ("email", "nobody@nowhere.example"),
                ("password", &format!("guess number {n}")),
            ]),
        );
        tally.expect("wrong password", r.status, &[401]);
        std::thread::sleep(Duration::from_secs(10));
    }
}

#[test]
fn soak() {
    let Some(minutes) = std::env::var("PORTAL_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse::<u64>().ok())
    else {
        eprintln!("SKIPPED soak: set PORTAL_SOAK_MINUTES (outside the default test run)");
        return;
    };
    let Some(s) = Server::start(
        env!("CARGO_BIN_EXE_axum-portal"),
        Db::Postgres,
        Scheme::Http,
    ) else {
        panic!("the soak runs on PostgreSQL: set DATABASE_URL");
    };
    let s = Arc::new(s);
    let run = Duration::from_secs(minutes * 60);
    let (tally, stop) = (Arc::new(Tally::default()), Arc::new(AtomicBool::new(false)));
    let mut workers = Vec::new();
    for email in invite_contacts(&s, 4) {
        let (s, tally, stop) = (s.clone(), tally.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            contact_loop(&s, &email, &tally, &stop);
        }));
    }
    {
        let (s, tally, stop) = (s.clone(), tally.clone(), stop.clone());
        workers.push(std::thread::spawn(move || guesser_loop(&s, &tally, &stop)));
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < run {
        std::thread::sleep(Duration::from_secs(10));
        let (rss, fds) = sample(s.pid());
        let at = started.elapsed().as_secs();
        eprintln!(
            "{at:>4} s: {rss} KiB resident, {fds} descriptors, {} requests, {} unexpected",
            tally.requests.load(Ordering::Relaxed),
            tally.unexpected.load(Ordering::Relaxed)
        );
        samples.push((at, rss, fds));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let audit = s.admin("GET", "/audit/verify", None);
    assert_eq!(audit.status, 200);
    assert_eq!(audit.json()["intact"], true, "the audit chain verifies");
    let secs = started.elapsed().as_secs_f64();
    let requests = tally.requests.load(Ordering::Relaxed);
    eprintln!(
        "soak: {minutes} min, {requests} requests ({:.0}/s), {} logins, {} completions, {} unexpected",
        requests as f64 / secs,
        tally.logins.load(Ordering::Relaxed),
        tally.completions.load(Ordering::Relaxed),
        tally.unexpected.load(Ordering::Relaxed)
    );
    assert_eq!(tally.unexpected.load(Ordering::Relaxed), 0);
    // Baselines: the least memory and most descriptors of the fifth after warm-up and
    // of the last fifth (a sample may fall on an argon2 computation, which holds its
    // buffer for a second; a leak raises the floor).
    let fifth = run.as_secs() / 5;
    let window = |from: u64, to: u64| {
        let inside: Vec<_> = samples
            .iter()
            .filter(|(at, _, _)| (from..to).contains(at))
            .collect();
        assert!(!inside.is_empty(), "samples between {from} s and {to} s");
        let rss = inside.iter().map(|s| s.1).min().unwrap_or_default();
        let fds = inside.iter().map(|s| s.2).max().unwrap_or_default();
        (rss, fds)
    };
    let warm = window(fifth, 2 * fifth);
    let end = window(run.as_secs() - fifth, u64::MAX);
    let peak_rss = samples.iter().map(|s| s.1).max().unwrap_or_default();
    eprintln!(
        "soak: after warm-up {} KiB / {} fds; at the end {} KiB / {} fds; peak {peak_rss} KiB",
        warm.0, warm.1, end.0, end.1
    );
    assert!(
        end.0 <= warm.0 + 16 * 1024,
        "memory grew: {warm:?} -> {end:?}"
    );
    assert!(
        end.1 <= warm.1 + 16,
        "descriptors grew: {warm:?} -> {end:?}"
    );
}
