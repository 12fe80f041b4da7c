//! Real mail: each example server sends through an SMTP server the case starts
//! (aiosmtpd, `examples/tests/smtp_sink.py`), which saves what it receives or answers
//! as a failing server would. Without python3 and aiosmtpd these cases say they were
//! skipped, and fail when `PORTAL_REQUIRE_SMTP=1` (CI).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection as _;

use super::cases::{assert_status, me};
use super::server::{Db, Options, Scheme, Server, free_port, unique, wall_clock};

const JANE: &str = "jane@example.com";
/// The example firm's own address in these cases (`PORTAL_MAIL_FROM`).
const FIRM_ADDRESS: &str = "hello@acme.example";
/// How long a delivery may take before it counts as failed, in seconds.
const SMTP_TIMEOUT: u64 = 3;
/// How the login email's subject starts.
const LOGIN_SUBJECT: &str = "Your login link";
/// How the example servers log a login email they could not hand over.
const LOGIN_NOT_DELIVERED: &str = "mail not delivered kind=Login";

/// How the SMTP server answers.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// Takes every message and saves it.
    Accept,
    /// 451 to every message.
    TempFail,
    /// 451 to the first login email, every other message taken and saved.
    TempFailOnce,
    /// 554 to every message.
    PermFail,
    /// Accepts connections and never says a word.
    Silent,
}

impl Answer {
    fn arg(self) -> &'static str {
        match self {
            Answer::Accept => "accept",
            Answer::TempFail => "tempfail",
            Answer::TempFailOnce => "tempfail_once",
            Answer::PermFail => "permfail",
            Answer::Silent => "silent",
        }
    }
}

/// The SMTP server of one case, stopped (killed by its pid) when dropped.
pub struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Sink {
    /// Starts the server on a free loopback port; `None` (the case is skipped) when
    /// python3 or aiosmtpd is missing, unless `PORTAL_REQUIRE_SMTP=1`.
    pub fn start(answer: Answer, case: &str) -> Option<Sink> {
        let has_aiosmtpd = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            assert!(
                std::env::var("PORTAL_REQUIRE_SMTP").as_deref() != Ok("1"),
                "PORTAL_REQUIRE_SMTP=1 but python3 with aiosmtpd is missing: \
                 `python3 -m pip install aiosmtpd`"
            );
            eprintln!(
                "SKIPPED {case}: python3 with aiosmtpd is missing (`python3 -m pip install aiosmtpd`)"
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!("portal-smtp-{}", unique()));
        std::fs::create_dir_all(&dir).expect("the sink's folder");
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .arg(answer.arg())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink");
        let stdout = child.stdout.take().expect("the sink's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let sink = Sink { child, port, dir };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.trim() == "ready" => Some(sink),
            other => panic!("the SMTP sink did not start on port {port}: {other:?}"),
        }
    }

    /// The URL of this server as a plain local relay, with a short time bound.
    pub fn relay_url(&self) -> String {
        format!(
            "smtp://127.0.0.1:{}?tls=none&timeout={SMTP_TIMEOUT}",
            self.port
        )
    }

    /// Every message saved so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("the sink's folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                serde_json::from_str(&std::fs::read_to_string(f).expect("a message")).expect("JSON")
            })
            .collect()
    }

    /// Waits for the first message to `to` whose subject starts with `subject`, at
    /// most 20 s (the code in a login email is hashed at a low CPU priority first).
    pub fn wait_message(&self, to: &str, subject: &str) -> Value {
        for _ in 0..1_000 {
            let found = self.messages().into_iter().find(|m| {
                m["recipients"] == json!([to])
                    && header(m, "Subject").iter().any(|s| s.starts_with(subject))
            });
            if let Some(m) = found {
                return m;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{to} never got a message {subject:?} in 20 s: {:?}",
            self.messages()
        );
    }
}

/// A server with demo data on `db` sending through `smtp_url` as the firm's address.
fn server(bin: &str, db: Db, smtp_url: String) -> Server {
    let options = Options {
        env: vec![
            ("PORTAL_SMTP_URL", smtp_url),
            ("PORTAL_MAIL_FROM", FIRM_ADDRESS.to_owned()),
        ],
        ..Options::default()
    };
    Server::start_with(bin, db, Scheme::Http, &options).expect("a server")
}

/// The values of header `name` in a saved message.
fn header(message: &Value, name: &str) -> Vec<String> {
    message["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .filter(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .map(|h| h[1].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The decoded text of the part of `content_type`.
fn part(message: &Value, content_type: &str) -> String {
    message["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part: {message}"))
        .to_owned()
}

/// Waits for a log line holding `what`, at most 20 s.
fn wait_log(s: &Server, what: &str) -> String {
    for _ in 0..1_000 {
        if let Some(line) = s.log().lines().find(|l| l.contains(what)) {
            return line.to_owned();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no log line with {what:?} in 20 s: {}", s.log());
}

/// Asks for a login link for Jane and checks the answer is the usual one, given at
/// once whatever the mail server does.
fn ask_for_a_link(s: &Server) -> super::client::Browser {
    let mut b = s.browser();
    let started = wall_clock();
    let r = b.post_form("/portal/login/link", &[("email", JANE)]);
    assert_status(&r, 200, "link request");
    assert!(r.text().contains("Check your email"), "{}", r.text());
    assert!(
        started.elapsed() < Duration::from_secs(SMTP_TIMEOUT),
        "answered without waiting for the mail server"
    );
    b
}

pub fn login_mail_arrives_by_smtp_and_its_link_and_code_each_log_in(bin: &str) {
    let Some(sink) = Sink::start(Answer::Accept, "login_mail_arrives_by_smtp") else {
        return;
    };
    let s = server(bin, Db::Memory, sink.relay_url());
    assert_status(
        &s.get("/dev/outbox"),
        404,
        "no outbox when mail leaves by SMTP",
    );
    let mut b = ask_for_a_link(&s);
    let mail = &sink.wait_message(JANE, LOGIN_SUBJECT);
    assert_eq!(mail["envelope_from"], FIRM_ADDRESS);
    assert_eq!(
        header(mail, "From"),
        [format!("\"Acme Accounting\" <{FIRM_ADDRESS}>")]
    );
    assert_eq!(header(mail, "Reply-To"), [FIRM_ADDRESS]);
    assert_eq!(header(mail, "To"), [JANE]);
    let id = header(mail, "Message-ID");
    assert!(
        id.len() == 1 && id[0].starts_with('<') && id[0].ends_with("@acme.example>"),
        "{id:?}"
    );
    assert_eq!(mail["content_type"], "multipart/alternative");
    let (text, html) = (part(mail, "text/plain"), part(mail, "text/html"));
    let token = text
        .split("/portal/auth/link/")
        .nth(1)
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .expect("a link in the text");
    assert!(html.contains(&token), "the HTML part carries the same link");
    let code = portal_core::testing::code_in(&text).expect("a code in the text");

    // The link logs in the browser that asked.
    let r = b.post_form("/portal/auth/link", &[("token", &token)]);
    assert_status(&r, 303, "the emailed link");
    assert_eq!(me(&mut b).json()["email"], JANE);

    // The link is spent; its page offers the code from the same email, which logs in.
    let mut other = s.browser();
    let r = other.post_form("/portal/auth/link", &[("token", &token)]);
    assert_status(&r, 410, "the spent link");
    let page = r.text();
    let challenge = page
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the code form");
    let r = other.post_form(
        "/portal/login/code/verify",
        &[("challenge", challenge), ("code", &code)],
    );
    assert_status(&r, 303, "the emailed code");
    assert_eq!(me(&mut other).json()["email"], JANE);
    wait_log(&s, "mail delivered kind=Login");
}

/// A mail server that refuses or never answers: the failure is in the server's log
/// within seconds, and the contact got the usual answer at once.
pub fn failure_is_logged_and_the_contact_gets_the_usual_answer(bin: &str, answer: Answer) {
    let Some(sink) = Sink::start(answer, &format!("failure_is_logged ({})", answer.arg())) else {
        return;
    };
    let s = server(bin, Db::Memory, sink.relay_url());
    ask_for_a_link(&s);
    let started = wall_clock();
    let line = wait_log(&s, LOGIN_NOT_DELIVERED);
    let (why, state, outcome) = match answer {
        Answer::TempFail => ("(451)", "queued", "deferred"),
        Answer::PermFail => ("(554)", "failed", "failed"),
        Answer::Silent => ("did not finish within", "queued", "deferred"),
        Answer::Accept | Answer::TempFailOnce => panic!("a server that accepts is no failure"),
    };
    assert!(line.contains(why), "{line}");
    // Staff see the attempt beside the message, with the server's reply: a 4xx or no
    // answer is tried again later, a 5xx is given up.
    let login = wait_attempts(&s, 1);
    assert_eq!(login["state"], state, "{login}");
    assert_eq!(login["attempts"][0]["outcome"], outcome, "{login}");
    let reply = login["attempts"][0]["reply"].as_str().unwrap_or_default();
    assert!(reply.contains(why), "{login}");
    assert!(
        started.elapsed() < Duration::from_secs(SMTP_TIMEOUT + 10),
        "logged within seconds"
    );
    assert!(
        sink.messages().is_empty(),
        "nothing was taken: {:?}",
        sink.messages()
    );
    assert_status(&s.get("/healthz"), 200, "still serving");
    ask_for_a_link(&s);
}

/// Jane's newest login message as staff see it (`GET /contacts/{id}/messages`), once it
/// has at least `attempts` attempts recorded.
fn wait_attempts(s: &Server, attempts: usize) -> Value {
    let jane = s.contact_id(JANE);
    let mut last = Value::Null;
    for _ in 0..1_000 {
        let r = s.admin("GET", &format!("/contacts/{jane}/messages"), None);
        assert_status(&r, 200, "a contact's messages");
        last = r.json();
        let login = last
            .as_array()
            .and_then(|all| all.iter().find(|m| m["kind"] == "login"))
            .cloned();
        if let Some(login) = login
            && login["attempts"].as_array().map_or(0, Vec::len) >= attempts
        {
            assert!(
                !login.to_string().contains("/portal/auth/link/"),
                "no body is shown: {login}"
            );
            return login;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no login message with {attempts} attempts in 100 s: {last}");
}

/// A server that answers 451 once: the message is tried again after its back-off and
/// arrives, and staff see both attempts with the server's replies.
pub fn a_deferred_mail_is_sent_again_and_staff_see_both_attempts(bin: &str) {
    let Some(sink) = Sink::start(Answer::TempFailOnce, "a_deferred_mail_is_sent_again") else {
        return;
    };
    let s = server(bin, Db::Memory, sink.relay_url());
    ask_for_a_link(&s);
    let first = wait_attempts(&s, 1);
    assert_eq!(first["state"], "queued", "{first}");
    assert_eq!(first["attempts"][0]["outcome"], "deferred", "{first}");
    // Tried again after its back-off (30 s) at the next round of the outbox.
    let sent = wait_attempts(&s, 2);
    sink.wait_message(JANE, LOGIN_SUBJECT);
    assert_eq!(sent["state"], "sent", "{sent}");
    assert_eq!(sent["attempts"][1]["outcome"], "accepted", "{sent}");
    let reply = sent["attempts"][1]["reply"].as_str().unwrap_or_default();
    assert!(reply.starts_with("250"), "the server's own reply: {sent}");
    let logins = sink
        .messages()
        .into_iter()
        .filter(|m| {
            header(m, "Subject")
                .iter()
                .any(|s| s.starts_with(LOGIN_SUBJECT))
        })
        .count();
    assert_eq!(logins, 1, "sent once");
}

/// Waits for a message to `to` whose subject starts with `subject` and whose text holds
/// `holding`, at most 60 s.
fn wait_mail_with(sink: &Sink, to: &str, subject: &str, holding: &str) -> Value {
    for _ in 0..600 {
        let found = sink.messages().into_iter().find(|m| {
            m["recipients"] == json!([to])
                && header(m, "Subject").iter().any(|s| s.starts_with(subject))
                && part(m, "text/plain").contains(holding)
        });
        if let Some(m) = found {
            return m;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{to} never got {subject:?} holding {holding:?} in 60 s: {:?}",
        sink.messages()
    );
}

/// Notices by real mail, on short settings: a new task is announced to the client's
/// contacts and reminded of; the staff member hears at once of a contact's activity,
/// then, having chosen a digest, gets the day's digest.
pub fn announcements_reminders_and_digests_arrive_by_smtp(bin: &str) {
    let Some(sink) = Sink::start(Answer::Accept, "notices_arrive_by_smtp") else {
        return;
    };
    let now = portal_core::clock::Clock::now(&portal_core::clock::SystemClock);
    let hour = now.unix_millis().div_euclid(3_600_000).rem_euclid(24);
    let options = Options {
        env: vec![
            ("PORTAL_SMTP_URL", sink.relay_url()),
            ("PORTAL_MAIL_FROM", FIRM_ADDRESS.to_owned()),
            ("PORTAL_OUTBOX_EVERY", "1".to_owned()),
            ("PORTAL_ANNOUNCE_AFTER", "1".to_owned()),
            ("PORTAL_REMINDERS", "1".to_owned()),
            ("PORTAL_REMIND_EVERY", "2".to_owned()),
            ("PORTAL_SENDING_HOURS", "0-24".to_owned()),
            ("PORTAL_WEEKENDS", "on".to_owned()),
            ("PORTAL_STAFF_WINDOW", "1".to_owned()),
            // The digest is due from this hour on today: at the first round after the
            // staff member chose it.
            ("PORTAL_DIGEST_HOUR", hour.to_string()),
        ],
        ..Options::default()
    };
    let s = Server::start_with(bin, Db::Memory, Scheme::Http, &options).expect("a server");
    let staff = "staff@acme.example";
    let r = s.admin(
        "PUT",
        "/notifications",
        Some(&json!({"email": staff, "mode": "instant"})),
    );
    assert_status(&r, 200, "staff notifications");
    assert_eq!(r.json()["mode"], "instant");

    let clients = s.admin("GET", "/clients", None).json();
    let bakery = clients
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == "Sunrise Bakery Ltd"))
        .and_then(|c| c["id"].as_str())
        .expect("the demo bakery")
        .to_owned();
    let title = "Send the signed engagement letter";
    let created = s.admin(
        "POST",
        &format!("/clients/{bakery}/tasks"),
        Some(&json!({"title": title, "assignee": "client"})),
    );
    assert_status(&created, 201, "a task for the client");
    let task = created.json()["id"].as_str().expect("id").to_owned();

    let announced = wait_mail_with(&sink, JANE, "New tasks from", title);
    assert_eq!(
        header(&announced, "From"),
        [format!("\"Acme Accounting\" <{FIRM_ADDRESS}>")]
    );
    wait_mail_with(&sink, JANE, "Reminder:", title);

    // Jane logs in with the mailed link and completes the task.
    let mut b = ask_for_a_link(&s);
    let mail = sink.wait_message(JANE, LOGIN_SUBJECT);
    let text = part(&mail, "text/plain");
    let token = text
        .split("/portal/auth/link/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link")
        .to_owned();
    assert_status(
        &b.post_form("/portal/auth/link", &[("token", &token)]),
        303,
        "the link",
    );
    let csrf = super::cases::csrf(&mut b);
    let done = b.post_json(
        &format!("/portal/api/tasks/{task}/complete"),
        &csrf,
        &json!({}),
    );
    assert_status(&done, 200, "complete");
    let instant = wait_mail_with(&sink, staff, "Client activity at", title);
    assert!(part(&instant, "text/plain").contains("Jane"), "{instant}");

    // A digest instead: the next activity waits for it, and it comes (its hour is now).
    let r = s.admin(
        "PUT",
        "/notifications",
        Some(&json!({"email": staff, "mode": "daily"})),
    );
    assert_status(&r, 200, "daily");
    let question = "Which year's accounts do you need?";
    let asked = b.post_json("/portal/api/questions", &csrf, &json!({"body": question}));
    assert_status(&asked, 201, "a question");
    wait_mail_with(
        &sink,
        staff,
        "Today's client activity at",
        "asked a question",
    );
}

/// `smtp://` without `tls=none` requires STARTTLS: a server that does not offer it gets
/// no mail, and the log says so.
pub fn starttls_is_required_unless_the_url_names_a_plain_relay(bin: &str) {
    let Some(sink) = Sink::start(Answer::Accept, "starttls_is_required") else {
        return;
    };
    let url = format!("smtp://127.0.0.1:{}?timeout={SMTP_TIMEOUT}", sink.port);
    let s = server(bin, Db::Memory, url);
    ask_for_a_link(&s);
    let line = wait_log(&s, LOGIN_NOT_DELIVERED);
    assert!(line.to_ascii_lowercase().contains("starttls"), "{line}");
    assert!(sink.messages().is_empty(), "nothing sent in clear");
}

/// Names stored with CR/LF (written straight into the database, past the checks at
/// the portal's entrances) end up on one line: the mail has no header but its own.
pub fn line_breaks_in_stored_names_add_no_header(bin: &str) {
    let Some(sink) = Sink::start(Answer::Accept, "line_breaks_in_stored_names") else {
        return;
    };
    let s = server(bin, Db::Sqlite, sink.relay_url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!("sqlite:{}", s.sqlite_file().display());
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("the server's database");
        sqlx::query(
            "UPDATE portal_firms SET name = 'Acme' || char(13, 10) || 'Bcc: eve@evil.example'",
        )
        .execute(&mut db)
        .await
        .expect("firm name");
        sqlx::query(
            "UPDATE portal_contacts SET first_name = 'Jane' || char(13, 10) || 'X-Injected: yes' \
             WHERE email = ?",
        )
        .bind(JANE)
        .execute(&mut db)
        .await
        .expect("contact name");
    });
    ask_for_a_link(&s);
    let mail = &sink.wait_message(JANE, LOGIN_SUBJECT);
    let mut names: Vec<String> = mail["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| h[0].as_str().unwrap_or_default().to_ascii_lowercase())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "content-type",
            "date",
            "from",
            "message-id",
            "mime-version",
            "reply-to",
            "subject",
            "to"
        ],
        "{mail}"
    );
    // The firm's name is still in From (encoded, with its colon and at sign), before
    // the firm's own address.
    let from = &header(mail, "From")[0];
    assert!(from.ends_with(&format!(" <{FIRM_ADDRESS}>")), "{from}");
}
