//! The example hosts as their developers first meet them: each started as a real
//! process (SQLite in memory, a loopback port the system picks, mail written to its
//! log) and driven through HTTP only, from the staff API's first client to the
//! contact's greeting on the host's own `/dashboard`; and the README, which must show
//! each host's Portal lines as they are in its source.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code
)]

#[path = "http/client.rs"]
mod client;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use client::{Browser, Resp, send};

const ADMIN_TOKEN: &str = "hosts-admin-token-0123456789";
const ADA: &str = "ada@harbour.example";

/// A host process, killed when dropped; what it writes to stdout (its log and the
/// `listening on` line) is kept.
struct Host {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Host {
    fn start(bin: &str) -> Host {
        let mut child = Command::new(bin)
            .env("ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", "sqlite::memory:")
            .env("ADMIN_TOKEN", ADMIN_TOKEN)
            .env_remove("PUBLIC_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the host");
        let stdout = child.stdout.take().expect("stdout");
        let output = Arc::new(Mutex::new(String::new()));
        let (listening, address) = mpsc::channel();
        let kept = output.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = listening.send(addr.to_owned());
                }
                let mut kept = kept.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        let mut host = Host {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output,
        };
        let addr = address
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{bin} never said where it listens ({e}): {}", host.log()));
        host.addr = addr.parse().expect("an address");
        host
    }

    fn log(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The public origin the host gives Portal when `PUBLIC_URL` is not set.
    fn origin(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    fn staff(&self, path: &str, body: &Value) -> Resp {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        send(
            self.addr,
            "POST",
            &format!("/admin/api{path}"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }

    /// The token of the newest login link the host's log shows (`LogDelivery` writes
    /// each email there), waiting for the mail queue to get to it.
    fn logged_link_token(&self) -> String {
        const LINK: &str = "/portal/auth/link/";
        for _ in 0..600 {
            let log = self.log();
            if let Some(at) = log.rfind(LINK) {
                return log[at + LINK.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("no login link in the log: {}", self.log());
    }
}

fn expect(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {}", resp.text());
}

fn a_contact_logs_in_by_link_and_lands_on_the_hosts_dashboard(bin: &str) {
    let host = Host::start(bin);
    let home = send(host.addr, "GET", "/", &[], b"");
    expect(&home, 200, "the host's home page");
    assert!(home.text().contains("Acme Accounting"), "{}", home.text());
    expect(&send(host.addr, "GET", "/about", &[], b""), 200, "about");
    assert_eq!(send(host.addr, "GET", "/healthz", &[], b"").text(), "ok");

    let client = host.staff("/clients", &json!({"name": "Harbour Bakery"}));
    expect(&client, 201, "a client through the staff API");
    let client = client.json()["id"].as_str().expect("client id").to_owned();
    let invited = host.staff(
        "/contacts",
        &json!({"email": ADA, "first_name": "Ada", "client_ids": [client]}),
    );
    expect(&invited, 201, "an invitation through the staff API");

    let page = "text/html,application/xhtml+xml";
    let browser = send(host.addr, "GET", "/dashboard", &[("Accept", page)], b"");
    expect(&browser, 303, "a browser without a session");
    assert_eq!(
        browser.header("location"),
        Some("/portal/login?next=/dashboard")
    );
    for accept in [None, Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let api = send(host.addr, "GET", "/dashboard", &headers, b"");
        expect(&api, 401, "an API client without a session");
    }

    let mut b = Browser::new(host.addr, &host.origin());
    expect(
        &b.post_form(
            "/portal/login/link",
            &[("email", ADA), ("next", "/dashboard")],
        ),
        200,
        "a link asked for",
    );
    let token = host.logged_link_token();
    let redeemed = b.post_form("/portal/auth/link", &[("token", &token)]);
    expect(&redeemed, 303, "the link redeemed");
    assert_eq!(redeemed.header("location"), Some("/dashboard"));
    let dashboard = b.get("/dashboard");
    expect(&dashboard, 200, "the dashboard with the session");
    let text = dashboard.text();
    assert!(text.contains("Hello, Ada."), "{text}");
    assert!(text.contains(&format!("client {client}")), "{text}");
    assert!(text.contains("Acme Accounting, 1 Ledger Lane"), "{text}");
}

#[test]
fn axum_host_a_contact_logs_in_by_link_and_lands_on_the_hosts_dashboard() {
    a_contact_logs_in_by_link_and_lands_on_the_hosts_dashboard(env!("CARGO_BIN_EXE_axum-host"));
}

#[test]
fn actix_host_a_contact_logs_in_by_link_and_lands_on_the_hosts_dashboard() {
    a_contact_logs_in_by_link_and_lands_on_the_hosts_dashboard(env!("CARGO_BIN_EXE_actix-host"));
}

const BEGIN: &str = "// Portal: begin";
const END: &str = "// Portal: end";

/// The marked blocks of `source`, markers included, each without the indentation of
/// its `begin` marker (as the README shows them).
fn marked_blocks(source: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut lines = source.lines();
    while let Some(begin) = lines.find(|l| l.trim() == BEGIN) {
        let indent = begin.len() - begin.trim_start().len();
        let mut block = vec![BEGIN.to_owned()];
        for line in lines.by_ref() {
            block.push(line.get(indent..).unwrap_or(line.trim_start()).to_owned());
            if line.trim() == END {
                break;
            }
        }
        assert_eq!(block.last().map(String::as_str).map(str::trim), Some(END));
        blocks.push(block);
    }
    blocks
}

#[test]
fn the_readme_shows_each_hosts_portal_lines_and_they_are_at_most_20() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
    let readme: Vec<&str> = readme.lines().collect();
    for host in ["axum-host", "actix-host"] {
        let path = root.join(format!("src/bin/{host}.rs"));
        let source = std::fs::read_to_string(&path).expect("the host's source");
        let blocks = marked_blocks(&source);
        assert!(
            (1..=2).contains(&blocks.len()),
            "{host}: one or two marked blocks"
        );
        let added: usize = blocks.iter().map(|b| b.len() - 2).sum();
        assert!(added <= 20, "{host} adds Portal in {added} lines");
        for block in &blocks {
            assert!(
                readme.windows(block.len()).any(|w| w == block.as_slice()),
                "README.md does not show this block of {host}:\n{}",
                block.join("\n")
            );
        }
    }
}
