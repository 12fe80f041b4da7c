//! Credential handoff over HTTP, on both servers and every store: staff ask for a
//! login, the contact hands it over and replaces it, staff reveal it with a reason and
//! purge it. No route a contact reaches, no refusal, no audit entry and no line the
//! server writes holds a value handed over; another client's task and a forged id are
//! not found; hostile values are refused with a short message and store nothing. And
//! the vault's configuration: a malformed key stops the server at start, no key outside
//! demo mode refuses credential tasks, and demo mode's own key lives in a file beside
//! the database that a restart reads again.

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login};
use super::client::{Browser, Resp};
use super::hostile::refused_at_start;
use super::server::{ADMIN_TOKEN, Db, Options, Scheme, Server, unique};

const JANE: &str = "jane@example.com";
const BOB: &str = "bob@example.com";
/// An id of nothing (the example server holds one firm: another firm's objects are
/// forged ids like this one).
const FORGED: &str = "00000000-0000-4000-8000-000000000000";

/// Values a contact hands over, distinctive enough that any copy of them is found:
/// each holds a marker no other text of the run has.
struct Secrets {
    marker: String,
    username: String,
    password: String,
    notes: String,
}

impl Secrets {
    fn new() -> Secrets {
        let marker = format!("Qx{}", unique().replace('_', "Z"));
        Secrets {
            username: format!("admin-{marker}-u"),
            password: format!("pw {marker} \u{e9}\"<&>'\\"),
            notes: format!("codes {marker}\n8841-9902"),
            marker,
        }
    }

    fn json(&self) -> Value {
        json!({"values": {"username": self.username, "password": self.password, "notes": self.notes}})
    }

    /// Whether `text` holds a value, or its marker alone (an escaped or cut copy).
    fn leaked_in(&self, text: &str) -> bool {
        text.contains(&self.marker)
    }
}

fn client_named(s: &Server, name: &str) -> String {
    s.admin("GET", "/clients", None)
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no client {name}"))
        .to_owned()
}

/// Bob's one client (Jane holds it too), and Jane's other.
fn clients(s: &Server) -> (String, String) {
    (
        client_named(s, "Northside Garage LLC"),
        client_named(s, "Sunrise Bakery Ltd"),
    )
}

/// A credential task of `client` made by staff with `evidence`.
fn credential_task(s: &Server, client: &str, evidence: Value) -> String {
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(
            &json!({"title": "Hand over the payroll login", "phase": "Access",
                     "evidence": evidence}),
        ),
    );
    assert_status(&r, 201, "credential task");
    assert_eq!(r.json()["evidence"]["type"], "credential");
    r.json()["id"].as_str().expect("id").to_owned()
}

fn status(b: &mut Browser, task: &str) -> Value {
    let r = b.get(&format!("/portal/api/tasks/{task}/credential"));
    assert_status(&r, 200, "credential status");
    r.json()
}

fn reveal(s: &Server, task: &str, reason: &str) -> Resp {
    s.admin(
        "POST",
        &format!("/tasks/{task}/credential/reveal"),
        Some(&json!({"reason": reason})),
    )
}

/// The value of field `name` in a reveal's answer.
fn revealed<'a>(r: &'a Value, name: &str) -> &'a str {
    r["values"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == name)
        .and_then(|v| v["value"].as_str())
        .unwrap_or_else(|| panic!("no value {name} in {r}"))
}

/// The server's output holds none of the values.
fn assert_not_logged(s: &Server, secrets: &[&Secrets]) {
    let output = s.output();
    assert!(!output.is_empty(), "the server's output is captured");
    for secret in secrets {
        assert!(
            !secret.leaked_in(&output),
            "a value reached the log: {output}"
        );
    }
}

pub fn credentials_are_handed_over_revealed_and_purged_and_never_shown_to_clients(s: &Server) {
    let (garage, _) = clients(s);
    let seeded = s
        .admin("GET", &format!("/clients/{garage}/tasks"), None)
        .json();
    let seeded = seeded
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["title"] == "Hand over the accounting software's admin login")
        .expect("the demo asks for a login");
    assert_eq!(
        seeded["evidence"]["fields"].as_array().map(Vec::len),
        Some(4)
    );

    let task = credential_task(s, &garage, json!({"type": "credential"}));
    let first = Secrets::new();
    let second = Secrets::new();
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    let before = status(&mut bob, &task);
    assert_eq!(before["handed_over"], Value::Null);
    assert_eq!(before["replaceable"], true);
    let path = format!("/portal/api/tasks/{task}/credential");
    let r = bob.post_json(&path, &token, &first.json());
    assert_status(&r, 200, "hand over");
    assert_eq!(r.json()["handed_over"]["version"], 1);
    assert!(!first.leaked_in(&r.text()));

    // Every route a contact reaches, JSON and pages, for both contacts of the client.
    let mut jane = login(s, JANE);
    let switch = csrf(&mut jane);
    let r = jane.post_json("/portal/api/switch", &switch, &json!({"client_id": garage}));
    assert_status(&r, 200, "switch");
    for b in [&mut bob, &mut jane] {
        for route in [
            path.clone(),
            format!("/portal/api/tasks/{task}"),
            format!("/portal/api/clients/{garage}/tasks"),
            format!("/portal/api/clients/{garage}/phases"),
            format!("/portal/tasks/{task}"),
            "/portal/".to_owned(),
            "/portal/progress".to_owned(),
            "/portal/api/me".to_owned(),
        ] {
            let r = b.get(&route);
            assert_status(&r, 200, &route);
            assert!(!first.leaked_in(&r.text()), "{route}: {}", r.text());
        }
    }
    assert_eq!(
        jane.get(&format!("/portal/api/tasks/{task}")).json()["status"],
        "completed"
    );

    // Replaced from the page's form, before staff read it.
    let page = bob.get(&format!("/portal/tasks/{task}"));
    assert!(page.text().contains("type=\"password\""), "{}", page.text());
    let r = bob.post_form(
        &path,
        &[
            ("csrf_token", &token),
            ("username", &second.username),
            ("password", &second.password),
            ("url", ""),
            ("notes", &second.notes),
        ],
    );
    assert_status(&r, 303, "replace from the page");
    assert_eq!(
        r.header("location"),
        Some(format!("/portal/tasks/{task}").as_str())
    );
    let now = status(&mut jane, &task);
    assert_eq!(now["handed_over"]["version"], 2);
    assert_eq!(now["handed_over"]["submitted_by"], s.contact_id(BOB));
    let page = bob.get(&format!("/portal/tasks/{task}"));
    assert!(!second.leaked_in(&page.text()) && !first.leaked_in(&page.text()));

    // Only staff reveal: not without the bearer token, not with another, not with a
    // contact's session and CSRF token.
    let reveal_path = format!("/admin/api/tasks/{task}/credential/reveal");
    let body = json!({"reason": "Set up payroll"}).to_string();
    let cookie = format!("{}={}", s.session_cookie(), bob.jar[s.session_cookie()]);
    let wrong = format!("Bearer {ADMIN_TOKEN}x");
    for headers in [
        vec![("Content-Type", "application/json")],
        vec![
            ("Content-Type", "application/json"),
            ("Authorization", wrong.as_str()),
        ],
        vec![
            ("Content-Type", "application/json"),
            ("Cookie", cookie.as_str()),
            ("X-CSRF-Token", token.as_str()),
        ],
    ] {
        let r = super::client::send(s.addr, "POST", &reveal_path, &headers, body.as_bytes());
        assert_eq!(r.status, 401, "{headers:?}: {}", r.text());
        assert!(!second.leaked_in(&r.text()));
    }
    let r = bob.post_json(
        &format!("{path}/reveal"),
        &token,
        &json!({"reason": "Mine"}),
    );
    assert_status(&r, 404, "no reveal in the client API");
    for bad in [json!({}), json!({"reason": ""}), json!({"reason": 42})] {
        let r = s.admin(
            "POST",
            &format!("/tasks/{task}/credential/reveal"),
            Some(&bad),
        );
        assert_status(&r, 400, &format!("reveal with {bad}"));
        assert!(!second.leaked_in(&r.text()));
    }
    assert_eq!(status(&mut bob, &task)["replaceable"], true, "not revealed");

    let r = reveal(s, &task, "Set up payroll");
    assert_status(&r, 200, "reveal");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    // The detector finds a value where there is one.
    assert!(second.leaked_in(&r.text()));
    let values = r.json();
    assert_eq!(revealed(&values, "username"), second.username);
    assert_eq!(revealed(&values, "password"), second.password);
    assert_eq!(revealed(&values, "notes"), second.notes);
    assert_eq!(
        values["values"].as_array().map(Vec::len),
        Some(3),
        "url left empty"
    );

    // Read once, it stands.
    let r = bob.post_json(&path, &token, &first.json());
    assert_status(&r, 409, "replace after the reveal");
    assert!(!first.leaked_in(&r.text()));
    let now = status(&mut bob, &task);
    assert_eq!(now["handed_over"]["version"], 2);
    assert!(now["handed_over"]["revealed_at"].is_string());
    let page = bob.get(&format!("/portal/tasks/{task}"));
    assert!(page.text().contains("The firm has received it"));

    // The audit log names the fields and the reason, never a value.
    let audit = s.admin("GET", "/audit", None);
    assert_status(&audit, 200, "audit");
    let entry = audit
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "credential.revealed")
        .cloned()
        .expect("the reveal is audited");
    let detail = entry["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("fields=username,password,notes") && detail.contains("Set up payroll"),
        "{detail}"
    );
    assert!(!first.leaked_in(&audit.text()) && !second.leaked_in(&audit.text()));

    // Purged: nothing left to reveal, and the contact sees it.
    let r = s.admin("POST", &format!("/tasks/{task}/credential/purge"), None);
    assert_status(&r, 200, "purge");
    assert!(r.json()["handed_over"]["purged_at"].is_string());
    let r = reveal(s, &task, "Again");
    assert_status(&r, 409, "reveal after the purge");
    assert!(status(&mut bob, &task)["handed_over"]["purged_at"].is_string());
    let staff_view = s.admin("GET", &format!("/tasks/{task}/credential"), None);
    assert_status(&staff_view, 200, "staff status");
    assert!(staff_view.json()["handed_over"]["purged_at"].is_string());
    assert!(
        bob.get(&format!("/portal/tasks/{task}"))
            .text()
            .contains("Deleted")
    );

    assert_not_logged(s, &[&first, &second]);
}

pub fn credentials_of_other_clients_and_forged_ids_are_not_found(s: &Server) {
    let (garage, bakery) = clients(s);
    let janes_only = credential_task(s, &bakery, json!({"type": "credential"}));
    let secrets = Secrets::new();
    let mut jane = login(s, JANE);
    let jane_token = csrf(&mut jane);
    let janes_path = format!("/portal/api/tasks/{janes_only}/credential");
    assert_status(
        &jane.post_json(&janes_path, &jane_token, &secrets.json()),
        200,
        "jane hands over",
    );
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    for task in [janes_only.as_str(), FORGED] {
        let path = format!("/portal/api/tasks/{task}/credential");
        assert_status(&bob.get(&path), 404, &format!("GET {task}"));
        let r = bob.post_json(&path, &token, &secrets.json());
        assert_status(&r, 404, &format!("POST {task}"));
        // A body refused on its own is still not found first.
        let r = bob.post_json(&path, &token, &json!({"values": {"password": 7}}));
        assert_status(&r, 404, &format!("odd POST {task}"));
        let r = bob.post_form(&path, &[("csrf_token", &token), ("password", "x")]);
        assert_status(&r, 404, &format!("form POST {task}"));
        assert_status(&bob.get(&format!("/portal/tasks/{task}")), 404, "page");
    }
    assert_eq!(
        status(&mut jane, &janes_only)["handed_over"]["version"],
        1,
        "untouched"
    );
    for (method, path, body) in [
        ("GET", format!("/tasks/{FORGED}/credential"), None),
        (
            "POST",
            format!("/tasks/{FORGED}/credential/reveal"),
            Some(json!({"reason": "x"})),
        ),
        ("POST", format!("/tasks/{FORGED}/credential/purge"), None),
    ] {
        assert_status(&s.admin(method, &path, body.as_ref()), 404, &path);
    }
    // Bob's own client's task works for him; the firm's own is not his to hand over.
    let firms = s.admin(
        "POST",
        &format!("/clients/{garage}/tasks"),
        Some(&json!({"title": "Ours", "assignee": "firm", "evidence": {"type": "credential"}})),
    );
    assert_status(&firms, 201, "firm's credential task");
    let firms = firms.json()["id"].as_str().expect("id").to_owned();
    let r = bob.post_json(
        &format!("/portal/api/tasks/{firms}/credential"),
        &token,
        &secrets.json(),
    );
    assert_status(&r, 403, "the firm's task");
    assert_not_logged(s, &[&secrets]);
}

pub fn hostile_credential_input_is_refused_with_nothing_stored(s: &Server) {
    let (garage, _) = clients(s);
    let task = credential_task(s, &garage, json!({"type": "credential"}));
    let secrets = Secrets::new();
    let m = &secrets.marker;
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    let path = format!("/portal/api/tasks/{task}/credential");
    let many: serde_json::Map<String, Value> = (0..1_000)
        .map(|i| (format!("f{i}"), json!(format!("{m}-{i}"))))
        .collect();
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "5,000 characters",
            json!({"values": {"username": m, "password": format!("{m}{}", "x".repeat(5_000))}})
                .to_string(),
            422,
        ),
        ("1,000 fields", json!({"values": many}).to_string(), 400),
        (
            "a control character",
            json!({"values": {"username": m, "password": format!("{m}\u{1b}[31m")}}).to_string(),
            422,
        ),
        (
            "a number",
            format!(r#"{{"values": {{"username": "{m}", "password": 1234567}}}}"#),
            400,
        ),
        (
            "a list",
            json!({"values": {"username": m, "password": [m]}}).to_string(),
            400,
        ),
        ("text for values", json!({"values": m}).to_string(), 400),
        (
            "a key slipped in",
            json!({"values": {"username": m, "password": m}, "version": 9}).to_string(),
            400,
        ),
        (
            "over the JSON limit",
            json!({"values": {"username": m, "password": m.repeat(1 + (1 << 20) / m.len())}})
                .to_string(),
            413,
        ),
    ];
    for round in ["nothing handed over", "one handed over"] {
        for (what, body, expected) in &cases {
            let r = bob.request(
                "POST",
                &path,
                &[
                    ("Content-Type", "application/json"),
                    ("X-CSRF-Token", &token),
                ],
                body.as_bytes(),
            );
            assert_eq!(r.status, *expected, "{round}, {what}: {}", r.text());
            // A short message: JSON `{"error": ...}`, or whatever an adapter says of a
            // body it would not read.
            assert!(
                !r.body.is_empty() && r.body.len() < 150,
                "{what}: {}",
                r.text()
            );
            assert!(!secrets.leaked_in(&r.text()), "{what}: {}", r.text());
            assert!(!r.text().contains("1234567"), "{what}: {}", r.text());
            let now = status(&mut bob, &task);
            match round {
                "nothing handed over" => assert_eq!(now["handed_over"], Value::Null, "{what}"),
                _ => assert_eq!(now["handed_over"]["version"], 1, "{what}"),
            }
        }
        if round == "nothing handed over" {
            let good = json!({"values": {"username": "ada", "password": "correct horse"}});
            assert_status(&bob.post_json(&path, &token, &good), 200, "a good one");
        }
    }
    let r = reveal(s, &task, "Check");
    assert_status(&r, 200, "reveal");
    assert_eq!(revealed(&r.json(), "password"), "correct horse");
    assert_not_logged(s, &[&secrets]);
}

/// Outside demo mode a server without `PORTAL_VAULT_KEYS` has no vault: staff cannot
/// ask for a credential, and say so; a rotation has nothing to rotate with.
pub fn without_vault_keys_outside_demo_mode_credential_tasks_are_refused(bin: &str) {
    let options = Options {
        env: vec![
            ("PORTAL_DEMO", "0".to_owned()),
            // A relay nobody listens on: mail fails, and this case sends none.
            ("PORTAL_SMTP_URL", "smtp://127.0.0.1:9?tls=none".to_owned()),
            ("PORTAL_VAULT_KEYS", String::new()),
        ],
        ..Options::default()
    };
    let s = Server::start_with(bin, Db::Memory, Scheme::Http, &options).expect("server");
    let client = s.admin("POST", "/clients", Some(&json!({"name": "Harbour Ltd"})));
    assert_status(&client, 201, "client");
    let client = client.json()["id"].as_str().expect("id").to_owned();
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(&json!({"title": "Login", "evidence": {"type": "credential"}})),
    );
    assert_status(&r, 400, "a credential task without a vault");
    assert_eq!(
        r.json()["error"],
        "this portal has no vault key configured: it cannot ask for credentials"
    );
    assert_status(&s.admin("POST", "/vault/rotate", None), 503, "rotation");
    assert!(
        s.log().contains("PORTAL_VAULT_KEYS is not set"),
        "{}",
        s.log()
    );
}

/// A malformed or short key stops the server before it listens, naming the variable
/// and the key's id, never the key.
pub fn a_malformed_vault_key_stops_the_server_at_start(bin: &str) {
    for (keys, says) in [
        ("k1:short", "vault key k1 is not base64"),
        ("k1:c2hvcnQ=", "vault key k1 has 5 bytes; a key has 32"),
        ("k1", "vault key 1 is not of the form id:base64key"),
    ] {
        let stderr = refused_at_start(bin, &[("PORTAL_VAULT_KEYS", keys)]);
        assert!(
            stderr.contains("PORTAL_VAULT_KEYS") && stderr.contains(says),
            "{keys}: {stderr}"
        );
        assert!(
            !stderr.contains("c2hvcnQ") && !stderr.contains("short"),
            "{stderr}"
        );
    }
}

/// Demo mode without `PORTAL_VAULT_KEYS` seals with a key it keeps beside its SQLite
/// file, readable by its owner alone, says so, and reads it again after a restart.
pub fn demo_mode_keeps_its_own_key_beside_the_database(bin: &str) {
    let options = Options {
        env: vec![("PORTAL_VAULT_KEYS", String::new())],
        ..Options::default()
    };
    let mut s = Server::start_with(bin, Db::Sqlite, Scheme::Http, &options).expect("server");
    let file = s.dir().join("portal-vault.key");
    let text = std::fs::read_to_string(&file).expect("the demo key file");
    assert!(
        text.starts_with("demo:"),
        "the form PORTAL_VAULT_KEYS takes"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert!(s.log().contains("for demos only"), "{}", s.log());
    let (garage, _) = clients(&s);
    let task = credential_task(&s, &garage, json!({"type": "credential"}));
    let secrets = Secrets::new();
    let mut bob = login(&s, BOB);
    let token = csrf(&mut bob);
    let path = format!("/portal/api/tasks/{task}/credential");
    assert_status(
        &bob.post_json(&path, &token, &secrets.json()),
        200,
        "hand over",
    );
    s.restart();
    assert_eq!(
        std::fs::read_to_string(&file).expect("kept"),
        text,
        "the same key"
    );
    let r = reveal(&s, &task, "After a restart");
    assert_status(&r, 200, "reveal after the restart");
    assert_eq!(revealed(&r.json(), "password"), secrets.password);
    assert!(
        !s.output().contains(text.trim()),
        "the key itself is never logged"
    );
    assert_not_logged(&s, &[&secrets]);
}
