//! Graceful shutdown: on SIGTERM the server stops accepting, answers every request in
//! flight as it would have, hands over the mail it queued (a login link asked for a
//! moment before), and exits 0.
//!
//! The mail's delivery is proven without any link in the log: the example servers log
//! each delivery with the message's kind and contact id only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::cases::assert_status;
use super::client::form;
use super::server::{Db, Scheme, Server, wall_clock};

const IN_FLIGHT: usize = 50;

/// A link request on its own connection whose head the server has read (it answered
/// `100 Continue`) but whose body is not sent yet: a request in flight.
struct InFlight {
    stream: TcpStream,
    body: Vec<u8>,
}

impl InFlight {
    fn start(s: &Server, email: &str) -> InFlight {
        let body = form(&[("email", email)]);
        let mut stream = TcpStream::connect(s.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let head = format!(
            "POST /portal/login/link HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            s.addr,
            s.origin,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("head");
        let interim = read_head(&mut stream);
        assert!(
            interim.starts_with("HTTP/1.1 100"),
            "the server reads the body: {interim}"
        );
        InFlight { stream, body }
    }

    /// Sends the body and reads the answer's status line.
    fn finish(mut self) -> String {
        self.stream.write_all(&self.body).expect("body");
        let mut answer = Vec::new();
        self.stream.read_to_end(&mut answer).expect("the answer");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    }
}

/// Reads up to the end of one response head.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!(
                "no response head ({other:?}): {}",
                String::from_utf8_lossy(&head)
            ),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Whether the log says a `kind` message to `contact` was delivered.
fn delivered(log: &str, kind: &str, contact: &str) -> bool {
    log.lines().any(|l| {
        l.contains("mail delivered") && l.contains(&format!("kind={kind}")) && l.contains(contact)
    })
}

pub fn sigterm_answers_requests_in_flight_and_delivers_queued_mail_then_exits_0(bin: &str) {
    let mut s = Server::start(bin, Db::Sqlite, Scheme::Http).expect("sqlite");
    let jane = s.contact_id("jane@example.com");
    let bob = s.contact_id("bob@example.com");
    // Jane's request is the last of those in flight to finish: the server has nothing
    // left to answer once its mail is queued, and must wait for the mail before it exits.
    let in_flight: Vec<InFlight> = (1..=IN_FLIGHT)
        .map(|i| match i {
            IN_FLIGHT => InFlight::start(&s, "jane@example.com"),
            _ => InFlight::start(&s, &format!("nobody{i}@example.com")),
        })
        .collect();
    // Bob asks for a link a moment before the stop.
    let r = s
        .browser()
        .post_form("/portal/login/link", &[("email", "bob@example.com")]);
    assert_status(&r, 200, "bob's link request");

    s.terminate();
    let stopped = wall_clock();
    while TcpStream::connect(s.addr).is_ok() {
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "the server still accepts connections after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for (i, request) in in_flight.into_iter().enumerate() {
        let status = request.finish();
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "request {i} in flight: {status}"
        );
    }
    let exit = s.wait_exit(Duration::from_secs(20));
    let log = s.log();
    assert!(exit.success(), "exit status {exit}: {log}");
    assert!(
        delivered(&log, "Login", &jane) && delivered(&log, "Login", &bob),
        "both login mails were handed over before the exit: {log}"
    );
    assert!(!log.contains("/auth/link/"), "no link in the log: {log}");
}
