//! Hostile input through real sockets, on both servers and every store: text that one
//! store refuses and another keeps, JSON that does not match its route, ids and
//! statuses slipped into bodies, queries that do not decode, doubled slashes, text
//! that would forge log lines or audit entries. Each case checks the status it expects
//! and that nothing was stored.

use std::time::Duration;

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login, me, request_link};
use super::client::{Resp, send};
use super::server::{ADMIN_TOKEN, Server};

const JANE: &str = "jane@example.com";
const BOB: &str = "bob@example.com";

fn error_of(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_owned()
}

/// A 400 whose message names `field`.
fn assert_refused(r: &Resp, field: &str, what: &str) {
    assert_status(r, 400, what);
    assert!(error_of(r).contains(field), "{what}: {}", r.text());
}

/// Each contact's id, address, name, status and grants (what a refused request must
/// not have changed; a login changes when it was last seen).
fn contacts(s: &Server) -> Vec<Value> {
    let list = s.admin("GET", "/contacts", None).json();
    list.as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!([
                c["id"],
                c["email"],
                c["first_name"],
                c["status"],
                c["grants"]
            ])
        })
        .collect()
}

/// The first client's id and its tasks, as staff see them.
fn first_client_tasks(s: &Server) -> (String, Vec<Value>) {
    let clients = s.admin("GET", "/clients", None).json();
    let client = clients[0]["id"].as_str().expect("client").to_owned();
    let tasks = s
        .admin("GET", &format!("/clients/{client}/tasks"), None)
        .json();
    (client, tasks.as_array().cloned().unwrap_or_default())
}

pub fn hostile_text_is_refused_with_nothing_stored(s: &Server) {
    let (client, tasks_before) = first_client_tasks(s);
    let contacts_before = contacts(s);
    let tasks = format!("/clients/{client}/tasks");
    for (body, field) in [
        (
            json!({"title": "T", "description": "a\u{0}b"}),
            "description",
        ),
        (json!({"title": "T\u{1b}[2J"}), "title"),
        (json!({"title": "T", "phase": "P\r\nQ"}), "phase"),
    ] {
        assert_refused(
            &s.admin("POST", &tasks, Some(&body)),
            field,
            &body.to_string(),
        );
    }
    for name in [
        "Ja\u{0}ne",
        "Jane\r\nBcc: x@evil.example",
        "\u{1b}]0;x\u{7}",
    ] {
        let body = json!({"email": "new@example.com", "first_name": name, "client_ids": [client]});
        assert_refused(
            &s.admin("POST", "/contacts", Some(&body)),
            "first_name",
            name,
        );
    }
    assert_refused(
        &s.admin("POST", "/clients", Some(&json!({"name": "N\u{0}"}))),
        "name",
        "client name",
    );
    // The client route: a note with NUL, as JSON and as a form.
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    let client_of_bob = me(&mut bob).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let mine = bob
        .get(&format!("/portal/api/clients/{client_of_bob}/tasks"))
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["assignee"] == "client")
        .and_then(|t| t["id"].as_str())
        .expect("a client task")
        .to_owned();
    let complete = format!("/portal/api/tasks/{mine}/complete");
    let r = bob.post_json(&complete, &token, &json!({"note": "sent\u{0}"}));
    assert_refused(&r, "note", "JSON note");
    let r = bob.request(
        "POST",
        &complete,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("note=sent%00&csrf_token={token}").as_bytes(),
    );
    assert_status(&r, 400, "form note");
    assert!(r.text().contains("note"), "{}", r.text());
    // Nothing of it is stored.
    assert_eq!(first_client_tasks(s).1, tasks_before);
    assert_eq!(contacts(s), contacts_before);
    let after = bob
        .get(&format!("/portal/api/clients/{client_of_bob}/tasks"))
        .json();
    let task = after
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == mine.as_str())
        .expect("the task");
    assert_eq!(task["status"], "pending", "not completed");
    // A note over several lines is kept, its CR LF a line feed.
    let r = bob.post_json(&complete, &token, &json!({"note": "paid\r\n\tby post"}));
    assert_status(&r, 200, "multi-line note");
    assert_eq!(r.json()["note"], "paid\n\tby post");
}

pub fn staff_json_is_strict_and_names_the_field(s: &Server) {
    let (client, tasks_before) = first_client_tasks(s);
    let tasks = format!("/clients/{client}/tasks");
    for (body, field) in [
        (r#"{"title":"T","due_on":20261231}"#.to_owned(), "due_on"),
        (r#"{"title":null}"#.to_owned(), "title"),
        (r#"{"title":"T","assignee":null}"#.to_owned(), "assignee"),
        (r#"{"title":"T","title":"U"}"#.to_owned(), "title"),
        (r#"{"title":"T","colour":"red"}"#.to_owned(), "colour"),
    ] {
        let r = raw_admin(s, "POST", &tasks, &body);
        assert_refused(&r, field, &body);
    }
    let r = raw_admin(
        s,
        "POST",
        "/contacts",
        &format!(
            r#"{{"email":"a@example.com","email":"b@example.com","first_name":"A","client_ids":["{client}"]}}"#
        ),
    );
    assert_refused(&r, "email", "duplicate key");
    assert_eq!(first_client_tasks(s).1, tasks_before, "nothing stored");
    assert!(s.mail("a@example.com", "invitation").is_empty());
    assert!(s.mail("b@example.com", "invitation").is_empty());
}

/// A staff call with a body sent exactly as given (duplicate keys survive).
fn raw_admin(s: &Server, method: &str, path: &str, body: &str) -> Resp {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    send(
        s.addr,
        method,
        &format!("/admin/api{path}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
}

pub fn mass_assignment_is_refused_or_ignored(s: &Server) {
    let (client, tasks_before) = first_client_tasks(s);
    let bob = s.contact_id(BOB);
    let jane = s.contact_id(JANE);
    let contacts_before = contacts(s);
    for (path, method, body, field) in [
        (
            "/contacts".to_owned(),
            "POST",
            json!({"email": "x@example.com", "first_name": "X", "client_ids": [client], "role": "admin"}),
            "role",
        ),
        (
            "/contacts".to_owned(),
            "POST",
            json!({"email": "x@example.com", "first_name": "X", "client_ids": [client], "status": "suspended"}),
            "status",
        ),
        (
            format!("/clients/{client}/tasks"),
            "POST",
            json!({"title": "T", "status": "completed"}),
            "status",
        ),
        (
            format!("/clients/{client}/tasks"),
            "POST",
            json!({"title": "T", "position": -1}),
            "position",
        ),
        (
            "/clients".to_owned(),
            "POST",
            json!({"name": "N", "firm_id": "00000000-0000-4000-8000-000000000000"}),
            "firm_id",
        ),
        (
            format!("/contacts/{bob}/grants/{client}"),
            "PUT",
            json!({"permissions": ["tasks"], "contact_id": jane}),
            "contact_id",
        ),
    ] {
        let r = s.admin(method, &path, Some(&body));
        assert_refused(&r, field, &body.to_string());
    }
    assert_eq!(first_client_tasks(s).1, tasks_before);
    assert_eq!(contacts(s), contacts_before);
    // The client API: JSON refuses, a form ignores.
    let mut b = login(s, BOB);
    let token = csrf(&mut b);
    let active = me(&mut b).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let r = b.post_json(
        "/portal/api/switch",
        &token,
        &json!({"client_id": active, "contact_id": jane}),
    );
    assert_refused(&r, "contact_id", "switch");
    let task = b
        .get(&format!("/portal/api/clients/{active}/tasks"))
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["assignee"] == "client")
        .and_then(|t| t["id"].as_str())
        .expect("a task")
        .to_owned();
    let r = b.post_json(
        &format!("/portal/api/tasks/{task}/complete"),
        &token,
        &json!({"completed_by": format!("contact:{jane}")}),
    );
    assert_refused(&r, "completed_by", "completion");
    let r = b.request(
        "POST",
        &format!("/portal/api/tasks/{task}/complete"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!(
            "csrf_token={token}&completed_by=contact%3A{jane}&status=blocked&client_id={client}"
        )
        .as_bytes(),
    );
    assert_status(&r, 303, "a form's other fields are ignored");
    let done = b
        .get(&format!("/portal/api/clients/{active}/tasks"))
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == task.as_str())
        .cloned()
        .expect("the task");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["completed_by"], format!("contact:{bob}").as_str());
    assert_eq!(done["client_id"], active.as_str());
}

pub fn malformed_queries_and_doubled_slashes_are_refused(s: &Server) {
    let jane = s.contact_id(JANE);
    for query in [
        "contact_id=%ZZ".to_owned(),
        "contact_id=not-an-id".to_owned(),
        "after=x".to_owned(),
        format!("contact_id={jane}&contact_id={jane}"),
        format!("contactid={jane}"),
    ] {
        let r = s.admin("GET", &format!("/audit?{query}"), None);
        assert_status(&r, 400, &query);
        assert!(r.json()["error"].is_string(), "{query}");
    }
    let r = s.admin("GET", &format!("/audit?contact_id={jane}"), None);
    assert_status(&r, 200, "a well-formed filter");
    assert!(
        r.json()
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["contact_id"] == jane.as_str())
    );
    assert_status(&s.get("/portal/login?next=%ZZ"), 400, "login page query");
    assert_status(
        &s.get("/portal/login?utm_source=mail"),
        200,
        "a campaign tag",
    );
    let auth = format!("Bearer {ADMIN_TOKEN}");
    for path in [
        "/admin/api//contacts",
        "/admin/api/contacts//",
        "/admin//api/contacts",
    ] {
        let r = send(s.addr, "GET", path, &[("Authorization", &auth)], b"");
        assert_status(&r, 404, path);
    }
    let mut b = login(s, JANE);
    for path in ["/portal//api/me", "/portal/api//me", "//portal/api/me"] {
        let r = b.get(path);
        assert_status(&r, 404, path);
        assert!(!r.text().contains("csrf_token"), "{path}");
    }
    assert_status(&me(&mut b), 200, "the single slash");
}

pub fn link_confirmation_names_the_masked_address(s: &Server) {
    let mut b = s.browser();
    let link = request_link(s, &mut b, JANE);
    let page = b.get(&link);
    assert_status(&page, 200, "confirmation page");
    assert!(page.text().contains("j***@example.com"), "{}", page.text());
    assert!(!page.text().contains(JANE), "masked");
    let unknown = b.get("/portal/auth/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_status(&unknown, 200, "the ordinary page");
    assert!(!unknown.text().contains("***@"), "no address");
    assert_status(
        &b.post_form(
            "/portal/auth/link",
            &[("token", super::server::token_of(&link).as_str())],
        ),
        303,
        "looking spent nothing",
    );
    let used = b.get(&link);
    assert!(!used.text().contains("***@"), "a used link names nobody");
}

pub fn log_and_audit_injection_stays_data(s: &Server) {
    // Raw bytes a client could put in a header: the HTTP server refuses control
    // characters (400) or the portal records the value without them.
    let agent = "Mozilla \u{1b}[31mred \",\"action\":\"forged\"} \u{7f}";
    let body = super::client::form(&[("email", JANE)]);
    let r = send(
        s.addr,
        "POST",
        "/portal/login/link",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", agent),
        ],
        &body,
    );
    assert!(matches!(r.status, 200 | 400), "{}", r.status);
    // A name that is every quoting problem at once is data.
    let (client, _) = first_client_tasks(s);
    let name = "Robert \"}]}\\ '); DROP TABLE portal_contacts;-- </script>";
    let r = s.admin(
        "POST",
        "/contacts",
        Some(&json!({"email": "robert@example.com", "first_name": name, "client_ids": [client]})),
    );
    assert_status(&r, 201, "invite");
    let audit = s.admin("GET", "/audit?limit=1000", None);
    assert_status(&audit, 200, "export");
    let entries = audit.json();
    for e in entries.as_array().expect("a list") {
        assert_ne!(e["action"], "forged");
        let ua = e["user_agent"].as_str().unwrap_or_default();
        assert!(!ua.contains(char::is_control), "{ua:?}");
    }
    assert_eq!(s.admin("GET", "/audit/verify", None).json()["intact"], true);
    let contacts = s.admin("GET", "/contacts", None).json();
    assert!(
        contacts
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["first_name"] == name)
    );
    // The server's own log stays one event per line: no escape reached it.
    let log = s.log();
    assert!(!log.contains('\u{1b}') && !log.contains('\r'), "{log}");
}

/// Starts `bin` with `env` (on the memory store, any free port) and expects it to stop
/// before it listens, unsuccessfully: its standard error, which says why.
pub fn refused_at_start(bin: &str, env: &[(&str, &str)]) -> String {
    let mut child = std::process::Command::new(bin)
        .env("DATABASE_URL", "memory:")
        .env("PORTAL_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the example server");
    // 1,000 looks 20 ms apart: about 20 s.
    let exited = (0..1_000).find_map(|_| {
        let status = child.try_wait().expect("wait");
        if status.is_none() {
            std::thread::sleep(Duration::from_millis(20));
        }
        status
    });
    let Some(status) = exited else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{env:?} was accepted: the server kept running");
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read as _;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!status.success(), "{env:?}");
    stderr
}

/// `PORTAL_DEMO` with a value that is neither on nor off stops the server at start,
/// saying why, before it listens.
pub fn unknown_demo_switch_is_refused(bin: &str) {
    for value in ["maybe", "disabled", "2"] {
        let stderr = refused_at_start(bin, &[("PORTAL_DEMO", value)]);
        assert!(stderr.contains("PORTAL_DEMO"), "{value}: {stderr}");
    }
}

/// Outside demo mode a server without an SMTP server stops at start, saying why:
/// no login email would reach anyone, and nothing would say so to the contacts.
pub fn without_smtp_or_demo_mode_the_server_refuses_to_start(bin: &str) {
    let stderr = refused_at_start(bin, &[("PORTAL_DEMO", "0")]);
    assert!(stderr.contains("PORTAL_SMTP_URL"), "{stderr}");
}
