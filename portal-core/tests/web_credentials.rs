//! Credential handoff through the real `PortalWeb` on the memory store: the client's
//! routes (status, hand over and replace, as JSON and from the task's page), the staff
//! API's (status, reveal, purge, rotation), what each answers to whom, and that no
//! answer a contact gets, no refusal and no audit entry holds a value handed over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use base64::Engine as _;
use portal_core::id::{ContactId, StaffId};
use portal_core::policy::Policy;
use portal_core::task::{NewTask, Side};
use portal_core::testing::{Fixture, World};
use portal_core::vault::Vault;
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use portal_core::{MemoryStore, Portal};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";
const COOKIE: &str = "__Host-portal_session";

/// What a contact hands over in these tests: distinctive, so that a leak is found.
const USER: &str = "admin-Zq7vK2";
const PASSWORD: &str = "Pw-9f3Kx!q\"<&>";
const NOTES: &str = "Recovery codes: 8841-XQ\n9902-LM";

/// A vault key, `id:base64` of 32 bytes of `byte`.
fn key(id: &str, byte: u8) -> String {
    format!(
        "{id}:{}",
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    )
}

struct Harness {
    w: World,
    /// The portal with the vault (on the world's store and clock).
    portal: Portal,
    web: PortalWeb,
}

struct Caller {
    cookie: String,
    csrf: String,
}

struct Got {
    status: u16,
    body: Value,
    text: String,
    resp: Response,
}

fn got(resp: Response) -> Got {
    let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    Got {
        status: resp.status,
        body,
        text: String::from_utf8_lossy(&resp.body).into_owned(),
        resp,
    }
}

/// A portal on `w`'s store with `vault` (none: without one) and `policy`, and its web.
async fn portal_on(w: &World, vault: Option<&str>, policy: Policy) -> (Portal, PortalWeb) {
    let mut builder = Portal::builder_shared(w.store().clone())
        .clock(w.clock.clone())
        .delivery(w.outbox.clone())
        .policy(policy);
    if let Some(keys) = vault {
        builder = builder.vault(Vault::from_config(keys).unwrap());
    }
    let portal = builder.build().unwrap();
    let web = PortalWeb::builder(portal.clone(), w.firm.id)
        .staff_api(
            "/admin/api",
            BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap(),
        )
        .build()
        .await
        .unwrap();
    (portal, web)
}

impl Harness {
    async fn new() -> Harness {
        Self::with_policy(Policy::default()).await
    }

    async fn with_policy(policy: Policy) -> Harness {
        let w = World::with_policy(
            Fixture::single(Arc::new(MemoryStore::new())),
            policy.clone(),
        )
        .await;
        let (portal, web) = portal_on(&w, Some(&key("k1", 1)), policy).await;
        Harness { w, portal, web }
    }

    async fn staff_on(web: &PortalWeb, method: &str, path: &str, body: Option<Value>) -> Got {
        let mut req = Request::new(method, &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"));
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        got(web.handle_staff(req).await)
    }

    async fn staff(&self, method: &str, path: &str, body: Option<Value>) -> Got {
        Self::staff_on(&self.web, method, path, body).await
    }

    /// A credential task of `client` asking for `evidence`, made through the staff API.
    async fn task(&self, client: impl std::fmt::Display, evidence: Value) -> String {
        let r = self
            .staff(
                "POST",
                &format!("/clients/{client}/tasks"),
                Some(json!({"title": "Hand over the <b>accounts</b> login", "evidence": evidence})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn caller(&self, contact: ContactId) -> Caller {
        let login = self.w.login(contact).await;
        let cookie = format!("{COOKIE}={}", login.token.expose_secret());
        let me = self
            .web
            .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
            .await;
        let csrf = serde_json::from_slice::<Value>(&me.body).unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
        Caller { cookie, csrf }
    }

    async fn get(&self, c: &Caller, path: &str) -> Got {
        let req = Request::new("GET", &format!("/portal{path}")).header("cookie", &c.cookie);
        got(self.web.handle(req).await)
    }

    async fn post_raw(&self, c: &Caller, path: &str, body: String) -> Got {
        let req = Request::new("POST", &format!("/portal{path}"))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .header("content-type", "application/json")
            .body(body);
        got(self.web.handle(req).await)
    }

    async fn post(&self, c: &Caller, path: &str, body: Value) -> Got {
        self.post_raw(c, path, body.to_string()).await
    }

    async fn post_form(&self, c: &Caller, path: &str, fields: &[(&str, &str)]) -> Got {
        let mut body = vec![format!("csrf_token={}", enc(&c.csrf))];
        body.extend(fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))));
        let req = Request::new("POST", &format!("/portal{path}"))
            .header("cookie", &c.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"));
        got(self.web.handle(req).await)
    }

    /// The audit log as staff read it.
    async fn audit(&self) -> Vec<Value> {
        let r = self.staff("GET", "/audit", None).await;
        assert_eq!(r.status, 200);
        r.body.as_array().unwrap().clone()
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `text` holds any of the values handed over, or a telling part of one.
fn leaks(text: &str) -> Option<&'static str> {
    [
        USER,
        PASSWORD,
        NOTES,
        "Zq7vK2",
        "9f3Kx",
        "8841-XQ",
        "9902-LM",
        "v2-secret",
    ]
    .into_iter()
    .find(|s| text.contains(s))
}

/// Whether the JSON document was written with its keys in alphabetical order, as every
/// document of the API but `/api/me`.
fn sorted(g: &Got) -> bool {
    g.resp.body == serde_json::to_vec(&g.body).unwrap()
}

fn login_values() -> Value {
    json!({"values": {"username": USER, "password": PASSWORD, "notes": NOTES}})
}

#[tokio::test]
async fn a_contact_hands_over_and_replaces_and_no_client_route_ever_shows_a_value() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let task = h.task(c1, json!({"type": "credential"})).await;
    let jane = h.caller(h.w.jane.id).await;
    let path = format!("/api/tasks/{task}/credential");

    let before = h.get(&jane, &path).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(sorted(&before));
    assert_eq!(
        before.body,
        json!({
            "fields": [
                {"filled": false, "kind": "username", "label": "Username", "name": "username", "required": true},
                {"filled": false, "kind": "password", "label": "Password", "name": "password", "required": true},
                {"filled": false, "kind": "url", "label": "Sign-in address", "name": "url", "required": false},
                {"filled": false, "kind": "notes", "label": "Notes", "name": "notes", "required": false},
            ],
            "handed_over": null,
            "replaceable": true,
            "task_id": task,
        })
    );

    let first = h.post(&jane, &path, login_values()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(sorted(&first));
    let filled: Vec<_> = first.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["filled"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        filled,
        [
            ("username", true),
            ("password", true),
            ("url", false),
            ("notes", true)
        ]
    );
    let handed = &first.body["handed_over"];
    assert_eq!(handed["version"], 1);
    assert_eq!(handed["submitted_by"], h.w.jane.id.to_string());
    assert!(handed["submitted_at"].is_string());
    assert_eq!(
        (&handed["revealed_at"], &handed["purged_at"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(first.body["replaceable"], true);

    // Every route a contact reaches, JSON and pages.
    for route in [
        path.clone(),
        format!("/api/tasks/{task}"),
        format!("/api/clients/{c1}/tasks"),
        format!("/api/clients/{c1}/phases"),
        format!("/tasks/{task}"),
        "/".to_owned(),
        "/progress".to_owned(),
        "/api/me".to_owned(),
    ] {
        let r = h.get(&jane, &route).await;
        assert_eq!(r.status, 200, "{route}");
        assert_eq!(leaks(&r.text), None, "{route}: {}", r.text);
    }
    let listed = h.get(&jane, &format!("/api/tasks/{task}")).await;
    assert_eq!(listed.body["status"], "completed");
    assert_eq!(listed.body["submission"], Value::Null);

    // Replaced from the page's form: back to the page, a new version.
    let replaced = h
        .post_form(
            &jane,
            &path,
            &[
                ("username", USER),
                ("password", "v2-secret password"),
                ("url", ""),
                // As a browser sends a text area's line breaks.
                ("notes", "v2-secret first\r\nsecond"),
            ],
        )
        .await;
    assert_eq!(replaced.status, 303, "{}", replaced.text);
    assert_eq!(
        replaced.resp.header("location"),
        Some(format!("/portal/tasks/{task}").as_str())
    );
    let now = h.get(&jane, &path).await;
    assert_eq!(now.body["handed_over"]["version"], 2);
    assert_eq!(
        now.body["fields"][2]["filled"], false,
        "the address left empty"
    );

    // Staff read the latest version, with a reason.
    let revealed = h
        .staff(
            "POST",
            &format!("/tasks/{task}/credential/reveal"),
            Some(json!({"reason": "Set up the bank feed"})),
        )
        .await;
    assert_eq!(revealed.status, 200, "{}", revealed.body);
    assert!(sorted(&revealed));
    assert_eq!(revealed.resp.header("cache-control"), Some("no-store"));
    assert_eq!(revealed.resp.header("pragma"), Some("no-cache"));
    assert_eq!(
        revealed.body["values"],
        json!([
            {"kind": "username", "label": "Username", "name": "username", "value": USER},
            {"kind": "password", "label": "Password", "name": "password", "value": "v2-secret password"},
            {"kind": "notes", "label": "Notes", "name": "notes", "value": "v2-secret first\nsecond"},
        ])
    );
    assert_eq!(revealed.body["replaceable"], false);
    assert!(revealed.body["handed_over"]["revealed_at"].is_string());

    // Once read, it stands: a replacement is refused and stores nothing.
    let late = h.post(&jane, &path, login_values()).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(leaks(&late.text), None);
    let after = h.get(&jane, &path).await;
    assert_eq!(after.body["handed_over"]["version"], 2);
    assert_eq!(after.body["replaceable"], false);

    // The audit log names the fields and the reason, never a value.
    let audit = h.audit().await;
    let reveal = audit
        .iter()
        .find(|e| e["action"] == "credential.revealed")
        .expect("the reveal is audited");
    let detail = reveal["detail"].as_str().unwrap();
    assert!(
        detail.contains("fields=username,password,notes")
            && detail.contains("Set up the bank feed"),
        "{detail}"
    );
    assert_eq!(reveal["actor"], "staff:staff");
    let submitted = audit
        .iter()
        .filter(|e| e["action"] == "credential.submitted")
        .count();
    assert_eq!(submitted, 2);
    assert_eq!(leaks(&Value::Array(audit).to_string()), None);

    // Purged: the record stays, nothing can be read or replaced.
    let purged = h
        .staff("POST", &format!("/tasks/{task}/credential/purge"), None)
        .await;
    assert_eq!(purged.status, 200, "{}", purged.body);
    assert!(purged.body["handed_over"]["purged_at"].is_string());
    assert_eq!(
        purged.body["fields"][0]["filled"], true,
        "what was filled stays known"
    );
    let again = h
        .staff(
            "POST",
            &format!("/tasks/{task}/credential/reveal"),
            Some(json!({"reason": "Again"})),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["error"], "This credential was deleted");
    let status = h
        .staff("GET", &format!("/tasks/{task}/credential"), None)
        .await;
    assert_eq!(status.status, 200);
    assert!(status.body["handed_over"]["purged_at"].is_string());
    assert_eq!(h.post(&jane, &path, login_values()).await.status, 409);
}

#[tokio::test]
async fn others_get_404_a_firm_task_403_and_a_task_of_another_type_422() {
    let h = Harness::new().await;
    let (c1, c2) = (h.w.client1.id, h.w.client2.id);
    let janes_only = h.task(c2, json!({"type": "credential"})).await;
    let bob = h.caller(h.w.bob.id).await;
    let path = format!("/api/tasks/{janes_only}/credential");
    assert_eq!(h.get(&bob, &path).await.status, 404);
    assert_eq!(h.post(&bob, &path, login_values()).await.status, 404);
    // Whatever is sent: a body refused on its own is still not found first.
    let odd = h
        .post(&bob, &path, json!({"values": {"password": 4711}}))
        .await;
    assert_eq!(odd.status, 404, "{}", odd.body);
    assert_eq!(
        h.post_form(&bob, &path, &[("password", PASSWORD)])
            .await
            .status,
        404
    );

    // Another firm's credential task: not found for this firm's contacts and staff.
    let foreign = h
        .portal
        .create_task(
            &h.w.other_staff,
            h.w.other_client.id,
            NewTask {
                phase: None,
                title: "Elsewhere".into(),
                description: String::new(),
                due_on: None,
                assignee: Side::Client,
                evidence: portal_core::task::Evidence::Credential(
                    portal_core::evidence::CredentialRequest::login(),
                ),
            },
        )
        .await
        .unwrap();
    let jane = h.caller(h.w.jane.id).await;
    let foreign_path = format!("/api/tasks/{}/credential", foreign.id);
    assert_eq!(h.get(&jane, &foreign_path).await.status, 404);
    assert_eq!(
        h.post(&jane, &foreign_path, login_values()).await.status,
        404
    );
    for (method, route, body) in [
        ("GET", format!("/tasks/{}/credential", foreign.id), None),
        (
            "POST",
            format!("/tasks/{}/credential/reveal", foreign.id),
            Some(json!({"reason": "Curious"})),
        ),
        (
            "POST",
            format!("/tasks/{}/credential/purge", foreign.id),
            None,
        ),
    ] {
        assert_eq!(h.staff(method, &route, body).await.status, 404, "{route}");
    }

    // Nothing handed over yet: nothing to reveal or purge.
    let fresh = h.task(c1, json!({"type": "credential"})).await;
    for (route, body) in [
        (
            format!("/tasks/{fresh}/credential/reveal"),
            Some(json!({"reason": "Setup"})),
        ),
        (format!("/tasks/{fresh}/credential/purge"), None),
    ] {
        assert_eq!(h.staff("POST", &route, body).await.status, 404, "{route}");
    }

    // The firm's own credential task: the contact reads it, but does not hand it over.
    let firms = h
        .staff(
            "POST",
            &format!("/clients/{c1}/tasks"),
            Some(json!({"title": "Ours", "assignee": "firm", "evidence": {"type": "credential"}})),
        )
        .await;
    let firms = firms.body["id"].as_str().unwrap().to_owned();
    let firms_path = format!("/api/tasks/{firms}/credential");
    assert_eq!(h.post(&jane, &firms_path, login_values()).await.status, 403);
    let page = h.get(&jane, &format!("/tasks/{firms}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("type=\"password\""), "no form");

    // A task of another type has no credential.
    let standard = h.task(c1, json!({"type": "standard"})).await;
    let wrong = h
        .post(
            &jane,
            &format!("/api/tasks/{standard}/credential"),
            login_values(),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(wrong.body["error"], "this task asks for no credential");
    assert_eq!(
        h.staff("GET", &format!("/tasks/{standard}/credential"), None)
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn only_staff_reveal_and_only_with_a_reason() {
    let h = Harness::new().await;
    let task = h.task(h.w.client1.id, json!({"type": "credential"})).await;
    let jane = h.caller(h.w.jane.id).await;
    let path = format!("/api/tasks/{task}/credential");
    assert_eq!(h.post(&jane, &path, login_values()).await.status, 200);
    let reveal = format!("/admin/api/tasks/{task}/credential/reveal");
    let body = json!({"reason": "Setup"}).to_string();
    for authorization in [
        None,
        Some("Bearer a-staff-token-of-some-lengtH".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
    ] {
        let mut req = Request::new("POST", &reveal)
            .header("content-type", "application/json")
            .header("cookie", &jane.cookie)
            .header("x-csrf-token", &jane.csrf)
            .body(body.clone());
        if let Some(a) = &authorization {
            req = req.header("authorization", a);
        }
        let r = got(h.web.handle_staff(req).await);
        assert_eq!(r.status, 401, "{authorization:?}");
        assert_eq!(leaks(&r.text), None);
    }
    // The portal has no reveal of its own, whatever a contact tries.
    for route in [
        format!("{path}/reveal"),
        format!("/api/tasks/{task}/reveal"),
    ] {
        let r = h.post(&jane, &route, json!({"reason": "Mine"})).await;
        assert_eq!(r.status, 404, "{route}");
    }
    for bad in [
        json!({}),
        json!({"reason": ""}),
        json!({"reason": "   "}),
        json!({"reason": "a\u{7}b"}),
        json!({"reason": "x".repeat(501)}),
        json!({"reason": null}),
        json!({"reason": "Setup", "staff": "someone-else"}),
    ] {
        let r = h
            .staff(
                "POST",
                &format!("/tasks/{task}/credential/reveal"),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(leaks(&r.text), None);
    }
    let status = h.get(&jane, &path).await;
    assert_eq!(status.body["replaceable"], true, "nothing was revealed");
    assert!(
        h.audit()
            .await
            .iter()
            .all(|e| e["action"] != "credential.revealed")
    );
}

#[tokio::test]
async fn bad_values_are_refused_with_a_short_message_and_nothing_stored() {
    let h = Harness::new().await;
    let task = h.task(h.w.client1.id, json!({"type": "credential"})).await;
    let jane = h.caller(h.w.jane.id).await;
    let path = format!("/api/tasks/{task}/credential");
    let long = format!("v2-secret{}", "x".repeat(5_000));
    let many: serde_json::Map<String, Value> = (0..1_000)
        .map(|i| (format!("f{i}"), json!(format!("v2-secret{i}"))))
        .collect();
    let cases: Vec<(String, u16, &str)> = vec![
        (
            json!({"values": {"username": USER, "password": long}}).to_string(),
            422,
            "password has at most 4096 characters",
        ),
        (
            json!({"values": many}).to_string(),
            400,
            "values: a credential has at most 20 fields",
        ),
        (
            json!({"values": {"username": USER, "password": "v2-secret\u{7}"}}).to_string(),
            422,
            "password holds a control character",
        ),
        (
            json!({"values": {"username": "v2-secret\nsecond line", "password": PASSWORD}})
                .to_string(),
            422,
            "username holds a control character",
        ),
        (
            format!(r#"{{"values": {{"username": "{USER}", "password": 90210}}}}"#),
            400,
            "values.password: must be text",
        ),
        (
            json!({"values": {"username": USER, "password": ["v2-secret"]}}).to_string(),
            400,
            "values.password: must be text",
        ),
        (
            json!({"values": {"username": USER}}).to_string(),
            422,
            "password is required",
        ),
        (
            json!({"values": {"username": USER, "password": PASSWORD, "pin": "v2-secret"}})
                .to_string(),
            422,
            "pin is not a field of this task",
        ),
        (
            json!({"values": {"username": USER, "password": PASSWORD}, "version": 7}).to_string(),
            400,
            "unknown field `version`, expected `values` or `csrf_token`",
        ),
        (json!({"values": "v2-secret"}).to_string(), 400, ""),
        (
            format!(
                r#"{{"values": {{"username": "{USER}", "password": "{}"}}}}"#,
                "v2-secret".repeat(120_000)
            ),
            413,
            "Request body too large",
        ),
    ];
    for round in ["before any", "after one"] {
        for (body, status, message) in &cases {
            let r = h.post_raw(&jane, &path, body.clone()).await;
            assert_eq!(r.status, *status, "{round}: {body:.100}: {}", r.text);
            let error = r.body["error"].as_str().unwrap();
            if !message.is_empty() {
                assert_eq!(error, *message, "{round}: {body:.100}");
            }
            assert!(error.len() < 100, "{error}");
            assert_eq!(leaks(error), None, "{error}");
            let now = h.get(&jane, &path).await;
            match round {
                "before any" => assert_eq!(now.body["handed_over"], Value::Null),
                _ => assert_eq!(now.body["handed_over"]["version"], 1),
            }
        }
        if round == "before any" {
            assert_eq!(h.post(&jane, &path, login_values()).await.status, 200);
        }
    }
    // From the page, a refusal is a page naming the field.
    let page = h
        .post_form(&jane, &path, &[("username", USER), ("password", &long)])
        .await;
    assert_eq!(page.status, 422);
    assert!(page.text.contains("password has at most 4096 characters"));
    assert_eq!(leaks(&page.text), None);
    assert_eq!(h.get(&jane, &path).await.body["handed_over"]["version"], 1);
    assert_eq!(leaks(&Value::Array(h.audit().await).to_string()), None);
}

#[tokio::test]
async fn a_staff_member_reveals_at_most_the_policys_number_an_hour() {
    let mut policy = Policy::default();
    policy.credentials.reveals_per_staff_hour = Some(2);
    let h = Harness::with_policy(policy).await;
    let task = h.task(h.w.client1.id, json!({"type": "credential"})).await;
    let jane = h.caller(h.w.jane.id).await;
    let path = format!("/api/tasks/{task}/credential");
    assert_eq!(h.post(&jane, &path, login_values()).await.status, 200);
    let reveal = async || {
        h.staff(
            "POST",
            &format!("/tasks/{task}/credential/reveal"),
            Some(json!({"reason": "Setup"})),
        )
        .await
    };
    assert_eq!(reveal().await.status, 200);
    assert_eq!(reveal().await.status, 200);
    let third = reveal().await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert_eq!(leaks(&third.text), None);
    assert!(
        h.audit()
            .await
            .iter()
            .any(|e| e["action"] == "credential.reveal_refused")
    );
    h.w.clock.advance(std::time::Duration::from_secs(3_601));
    assert_eq!(reveal().await.status, 200, "the window slid on");
}

#[tokio::test]
async fn without_a_vault_credential_tasks_are_refused_and_handing_over_is_503() {
    let h = Harness::new().await;
    let (_, plain) = portal_on(&h.w, None, Policy::default()).await;
    let c1 = h.w.client1.id;
    let refused = Harness::staff_on(
        &plain,
        "POST",
        &format!("/clients/{c1}/tasks"),
        Some(json!({"title": "Login", "evidence": {"type": "credential"}})),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(
        refused.body["error"],
        "this portal has no vault key configured: it cannot ask for credentials"
    );
    // A task made by an instance with a vault, reached through one without.
    let task = h.task(c1, json!({"type": "credential"})).await;
    let login = h.w.login(h.w.jane.id).await;
    let cookie = format!("{COOKIE}={}", login.token.expose_secret());
    let me = plain
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let csrf = serde_json::from_slice::<Value>(&me.body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let submit = got(plain
        .handle(
            Request::new("POST", &format!("/portal/api/tasks/{task}/credential"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .header("content-type", "application/json")
                .body(login_values().to_string()),
        )
        .await);
    assert_eq!(submit.status, 503, "{}", submit.body);
    assert_eq!(
        submit.body["error"],
        "this portal has no vault key configured: it cannot accept credentials"
    );
    assert_eq!(submit.resp.header("retry-after"), None, "no retry helps");
    let rotate = Harness::staff_on(&plain, "POST", "/vault/rotate", None).await;
    assert_eq!(rotate.status, 503);
    let jane = h.caller(h.w.jane.id).await;
    let status = h.get(&jane, &format!("/api/tasks/{task}/credential")).await;
    assert_eq!(status.body["handed_over"], Value::Null, "nothing stored");
}

#[tokio::test]
async fn rotation_reseals_under_the_active_key_and_reports_what_it_cannot_open() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let task = h.task(c1, json!({"type": "credential"})).await;
        let path = format!("/api/tasks/{task}/credential");
        assert_eq!(h.post(&jane, &path, login_values()).await.status, 200);
        tasks.push(task);
    }
    // A new active key, the old one kept to open what it sealed.
    let (_, rotating) = portal_on(
        &h.w,
        Some(&format!("{},{}", key("k2", 2), key("k1", 1))),
        Policy::default(),
    )
    .await;
    for bad in [
        json!({"batch": 0}),
        json!({"batch": 10_001}),
        json!({"batch": "5"}),
    ] {
        let r = Harness::staff_on(&rotating, "POST", "/vault/rotate", Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    // Without a key of its own, a vault with only the new key cannot open them.
    let (_, new_only) = portal_on(&h.w, Some(&key("k2", 2)), Policy::default()).await;
    let report = Harness::staff_on(&new_only, "POST", "/vault/rotate", None).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(sorted(&report));
    assert_eq!(
        (&report.body["rotated"], &report.body["left"]),
        (&json!(0), &json!(3))
    );
    let unreadable = report.body["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 3);
    assert_eq!(
        unreadable[0],
        json!({"key_id": "k1", "reason": "missing_key", "task_id": unreadable[0]["task_id"]})
    );
    let r = Harness::staff_on(
        &new_only,
        "POST",
        &format!("/tasks/{}/credential/reveal", tasks[0]),
        Some(json!({"reason": "Setup"})),
    )
    .await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "the credential cannot be opened (its key is missing or it was altered)"
    );

    let report = Harness::staff_on(
        &rotating,
        "POST",
        "/vault/rotate",
        Some(json!({"batch": 2})),
    )
    .await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        report.body,
        json!({"left": 0, "rotated": 3, "superseded": 0, "unreadable": []})
    );
    // Now the new key alone opens them, and the contact saw no change.
    let r = Harness::staff_on(
        &new_only,
        "POST",
        &format!("/tasks/{}/credential/reveal", tasks[1]),
        Some(json!({"reason": "Setup"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["values"][1]["value"], PASSWORD);
    assert_eq!(r.body["handed_over"]["version"], 1);
}

#[tokio::test]
async fn staff_give_a_login_by_its_type_alone_or_fields_by_their_kinds() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let custom = h
        .staff(
            "POST",
            &format!("/clients/{c1}/tasks"),
            Some(
                json!({"title": "API access", "evidence": {"type": "credential", "fields": [
                    {"kind": "api_key"},
                    {"kind": "text", "name": "tenant", "label": "Tenant ID", "required": false},
                    {"kind": "url"},
                ]}}),
            ),
        )
        .await;
    assert_eq!(custom.status, 201, "{}", custom.body);
    assert_eq!(
        custom.body["evidence"],
        json!({"type": "credential", "fields": [
            {"kind": "api_key", "label": "API key", "name": "api_key", "required": true},
            {"kind": "text", "label": "Tenant ID", "name": "tenant", "required": false},
            {"kind": "url", "label": "Sign-in address", "name": "url", "required": false},
        ]})
    );
    // The stored form is accepted as it is shown.
    let again = h
        .staff(
            "POST",
            &format!("/clients/{c1}/tasks"),
            Some(json!({"title": "Same", "evidence": custom.body["evidence"].clone()})),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    for (evidence, status, error) in [
        (
            json!({"type": "credential", "fields": []}),
            422,
            "fields is required",
        ),
        (
            json!({"type": "credential", "fields": [{"kind": "password"}, {"kind": "password"}]}),
            422,
            "password holds at most 1 distinct items",
        ),
        (
            json!({"type": "credential", "fields": [{"kind": "text", "name": "csrf_token"}]}),
            422,
            "fields.name is reserved",
        ),
        (
            json!({"type": "credential", "fields": [{"kind": "pin"}]}),
            400,
            "",
        ),
        (
            json!({"type": "credential", "fields": [{"kind": "text", "value": "x"}]}),
            400,
            "",
        ),
        (json!({"type": "credential", "secret": "x"}), 400, ""),
    ] {
        let r = h
            .staff(
                "POST",
                &format!("/clients/{c1}/tasks"),
                Some(json!({"title": "Bad", "evidence": evidence.clone()})),
            )
            .await;
        assert_eq!(r.status, status, "{evidence}: {}", r.body);
        if !error.is_empty() {
            assert_eq!(r.body["error"], error, "{evidence}");
        }
    }
    // Edited into a credential task while nothing was given for it.
    let task = h.task(c1, json!({"type": "standard"})).await;
    let edited = h
        .staff(
            "PATCH",
            &format!("/tasks/{task}"),
            Some(json!({"evidence": {"type": "credential"}})),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(
        edited.body["evidence"]["fields"].as_array().unwrap().len(),
        4
    );
}

#[tokio::test]
async fn the_page_asks_for_each_field_labelled_and_masked_and_is_never_filled_in() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let task = h
        .task(
            c1,
            json!({"type": "credential", "fields": [
                {"kind": "username"},
                {"kind": "password", "label": "Password <b>now</b>"},
                {"kind": "api_key", "required": false},
                {"kind": "notes"},
            ]}),
        )
        .await;
    let jane = h.caller(h.w.jane.id).await;
    let page = h.get(&jane, &format!("/tasks/{task}")).await;
    assert_eq!(page.status, 200);
    let html = &page.text;
    for expected in [
        format!("action=\"/portal/api/tasks/{task}/credential\""),
        "<label for=\"c-username\">Username <span aria-hidden=\"true\">*</span></label>".into(),
        "<input id=\"c-username\" type=\"text\" name=\"username\" maxlength=\"4096\" autocomplete=\"off\"".into(),
        "<input id=\"c-password\" type=\"password\" name=\"password\" maxlength=\"4096\" autocomplete=\"new-password\"".into(),
        "<label for=\"c-password\">Password &lt;b&gt;now&lt;/b&gt; <span".into(),
        "data-toggle-secret=\"c-password\" aria-controls=\"c-password\" aria-pressed=\"false\" hidden>Show<span class=\"visually-hidden\"> Password &lt;b&gt;now&lt;/b&gt;</span></button>".into(),
        "<label for=\"c-api_key\">API key</label>".into(),
        "<input id=\"c-api_key\" type=\"password\" name=\"api_key\" maxlength=\"4096\" autocomplete=\"new-password\" autocapitalize=\"off\" spellcheck=\"false\">".into(),
        "<textarea id=\"c-notes\" name=\"notes\" rows=\"4\" maxlength=\"10000\" autocomplete=\"off\" spellcheck=\"false\"></textarea>".into(),
        "<script src=\"/portal/assets/credential.js\"></script>".into(),
        ">Hand over</button>".into(),
    ] {
        assert!(html.contains(&expected), "{expected}\n{html}");
    }
    assert!(!html.contains("<b>now"), "escaped");
    let csp = page.resp.header("content-security-policy").unwrap();
    assert!(csp.ends_with("; script-src 'self'"), "{csp}");
    let script = h.get(&jane, "/assets/credential.js").await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.resp.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.text.contains("aria-pressed"));

    let path = format!("/api/tasks/{task}/credential");
    let values = json!({"values": {"username": USER, "password": PASSWORD, "notes": NOTES}});
    assert_eq!(h.post(&jane, &path, values).await.status, 200);
    let page = h.get(&jane, &format!("/tasks/{task}")).await;
    assert_eq!(leaks(&page.text), None, "{}", page.text);
    assert!(
        page.text
            .contains("<span class=\"badge status-completed\">Handed over</span>")
    );
    assert!(
        page.text
            .contains("<tr><th scope=\"row\">Username</th><td>Filled in</td></tr>")
    );
    assert!(
        page.text
            .contains("<tr><th scope=\"row\">API key</th><td>Left empty</td></tr>")
    );
    assert!(page.text.contains(">Replace what I handed over</button>"));
    for input in page.text.split("<input ").skip(1) {
        let input = input.split('>').next().unwrap();
        if input.contains("name=\"csrf_token\"") {
            continue;
        }
        assert!(!input.contains("value="), "an input is filled in: {input}");
    }

    h.staff(
        "POST",
        &format!("/tasks/{task}/credential/reveal"),
        Some(json!({"reason": "Setup"})),
    )
    .await;
    let page = h.get(&jane, &format!("/tasks/{task}")).await;
    assert!(
        page.text.contains("The firm has received it"),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("type=\"password\""),
        "no form once read"
    );
    assert_eq!(leaks(&page.text), None);

    h.staff("POST", &format!("/tasks/{task}/credential/purge"), None)
        .await;
    let page = h.get(&jane, &format!("/tasks/{task}")).await;
    assert!(
        page.text.contains("<span class=\"badge\">Deleted</span>"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("type=\"password\""));

    // Other pages keep their policy without scripts.
    let home = h.get(&jane, "/").await;
    assert!(
        !home
            .resp
            .header("content-security-policy")
            .unwrap()
            .contains("script-src")
    );
}

#[tokio::test]
async fn a_staff_preview_sees_the_form_but_cannot_hand_over() {
    let h = Harness::new().await;
    let task = h.task(h.w.client1.id, json!({"type": "credential"})).await;
    let link = h
        .portal
        .issue_preview_link(&h.w.staff, h.w.jane.id)
        .await
        .unwrap();
    let token = link.url.rsplit('/').next().unwrap().to_owned();
    let started = h
        .web
        .handle(
            Request::new("POST", "/portal/preview")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={token}")),
        )
        .await;
    assert_eq!(started.status, 303);
    let cookie = started
        .headers
        .iter()
        .find(|(n, v)| *n == "set-cookie" && v.as_str().starts_with(COOKIE))
        .map(|(_, v)| v.as_str().split(';').next().unwrap().to_owned())
        .unwrap();
    let me = h
        .web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let csrf = serde_json::from_slice::<Value>(&me.body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let preview = Caller { cookie, csrf };
    let r = h
        .post(
            &preview,
            &format!("/api/tasks/{task}/credential"),
            login_values(),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Read-only preview: nothing can be changed");
    let status = h
        .get(&preview, &format!("/api/tasks/{task}/credential"))
        .await;
    assert_eq!(status.body["handed_over"], Value::Null);
}
