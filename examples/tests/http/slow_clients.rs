//! Slow clients: a thousand connections that send part of a request line and then
//! nothing hold no server resource a normal client needs, and are closed by the server
//! within its header timeout.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::cases::{assert_status, login};
use super::server::{Db, Options, Scheme, Server, wall_clock};

const SLOW_CONNECTIONS: usize = 1_000;
const HEADER_TIMEOUT: Duration = Duration::from_secs(4);
/// How late after its header timeout a connection may be seen closed: actix-web first
/// answers 408, then gives the client a second to close.
const CLOSE_MARGIN: Duration = Duration::from_secs(3);

/// The soft limit on open files of this process (which the server inherits).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// As many slow connections as the open file limit allows, at most a thousand (with
/// room for the tests running beside this one).
fn slow_connection_count() -> usize {
    let n = open_file_limit().map_or(SLOW_CONNECTIONS, |l| {
        SLOW_CONNECTIONS.min(l.saturating_sub(500))
    });
    if n < SLOW_CONNECTIONS {
        eprintln!("NOTE: {n} slow connections instead of {SLOW_CONNECTIONS}: raise `ulimit -n`");
    }
    n
}

/// Whether the server still holds `c` open (nothing to read yet, no end).
fn still_open(c: &TcpStream) -> bool {
    c.set_nonblocking(true).expect("nonblocking");
    let open = matches!(c.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    c.set_nonblocking(false).expect("blocking");
    open
}

pub fn slow_connections_neither_block_a_login_nor_outlive_the_header_timeout(bin: &str) {
    let options = Options {
        env: vec![(
            "PORTAL_HEADER_TIMEOUT",
            HEADER_TIMEOUT.as_secs().to_string(),
        )],
        ..Options::default()
    };
    let s = Server::start_with(bin, Db::Memory, Scheme::Http, &options).expect("memory store");
    let n = slow_connection_count();
    let mut slow = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = TcpStream::connect(s.addr).expect("connect");
        c.write_all(b"GET /portal/lo")
            .expect("a partial request line");
        slow.push((c, wall_clock()));
    }

    // A normal client logs in meanwhile, through the whole link flow.
    let mut b = login(&s, "jane@example.com");
    assert_status(&b.get("/portal/api/me"), 200, "the portal after login");
    let open = slow.iter().filter(|(c, _)| still_open(c)).count();
    assert_eq!(
        open, n,
        "the slow connections were all held during the login"
    );

    for (i, (mut c, opened)) in slow.into_iter().enumerate() {
        let deadline = opened + HEADER_TIMEOUT + CLOSE_MARGIN;
        let left = deadline.saturating_duration_since(wall_clock());
        c.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        let mut answer = Vec::new();
        match c.read_to_end(&mut answer) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!(
                "slow connection {i} still open {:?} after it was made: {e}",
                opened.elapsed()
            ),
        }
        // The server closes, or answers 408 and closes: never anything else.
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "connection {i}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    // The server is fine afterwards.
    assert_status(&b.get("/portal/api/me"), 200, "the portal afterwards");
}

/// Reads what the server sends on `c` until it closes it, at most `within`; `None` if
/// it is still open then.
fn until_closed(c: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    c.set_read_timeout(Some(within)).expect("timeout");
    let mut answer = Vec::new();
    match c.read_to_end(&mut answer) {
        Ok(_) => Some(answer),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Some(answer),
        Err(_) => None,
    }
}

/// A body sent byte by byte is cut off at the request timeout with 408, and a
/// kept-alive connection left idle is closed at the keep-alive timeout.
pub fn slow_bodies_get_408_and_idle_connections_are_closed(bin: &str) {
    let options = Options {
        env: vec![
            ("PORTAL_REQUEST_TIMEOUT", "2".to_owned()),
            ("PORTAL_KEEP_ALIVE", "2".to_owned()),
        ],
        ..Options::default()
    };
    let s = Server::start_with(bin, Db::Memory, Scheme::Http, &options).expect("memory store");

    let mut trickle = TcpStream::connect(s.addr).expect("connect");
    let head = format!(
        "POST /portal/login/link HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=",
        s.addr, s.origin
    );
    trickle.write_all(head.as_bytes()).expect("head");
    let started = wall_clock();
    let answer = until_closed(&mut trickle, Duration::from_secs(2) + CLOSE_MARGIN)
        .expect("a slow body is cut off");
    assert!(
        answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "not before its time"
    );

    let mut idle = TcpStream::connect(s.addr).expect("connect");
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    idle.write_all(request.as_bytes()).expect("request");
    let started = wall_clock();
    let answer = until_closed(&mut idle, Duration::from_secs(2) + CLOSE_MARGIN)
        .expect("an idle connection is closed");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "answered, then kept");
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "kept alive a while"
    );
}

/// With every connection slot held, a new connection waits in the backlog until the
/// server closes a slow one at its header timeout, then is served.
pub fn the_connection_limit_holds_new_connections_until_one_closes(bin: &str) {
    let options = Options {
        env: vec![
            ("PORTAL_MAX_CONNECTIONS", "20".to_owned()),
            ("PORTAL_HEADER_TIMEOUT", "3".to_owned()),
        ],
        ..Options::default()
    };
    let s = Server::start_with(bin, Db::Memory, Scheme::Http, &options).expect("memory store");
    // The readiness probe's connection may still be closing: let it go.
    std::thread::sleep(Duration::from_millis(200));
    let opened = wall_clock();
    let held: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).expect("connect");
            c.write_all(b"GET /portal/lo")
                .expect("a partial request line");
            c
        })
        .collect();
    // Let the server take all twenty before the next one comes.
    std::thread::sleep(Duration::from_millis(300));
    let resp = s.get("/healthz");
    assert_eq!(resp.status, 200);
    let waited = opened.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "served after {waited:?}: the limit did not hold"
    );
    assert!(
        waited < Duration::from_secs(3) + CLOSE_MARGIN,
        "served after {waited:?}"
    );
    drop(held);
}
