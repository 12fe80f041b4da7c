//! The client's task API through the real `PortalWeb` on the memory store: phases with
//! progress, one task, a submission route per evidence type (JSON and HTML forms), the
//! meeting's invitation; what each answers for another firm's, another client's and a
//! withdrawn task, and without the permission it needs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use portal_core::MemoryStore;
use portal_core::id::{StaffId, TaskId};
use portal_core::task::{NewTask, Side, TaskEdit};
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";
const COOKIE: &str = "__Host-portal_session";

struct Harness {
    w: World,
    web: PortalWeb,
}

/// A contact's session in the harness.
struct Caller {
    cookie: String,
    csrf: String,
}

struct Got {
    status: u16,
    body: Value,
    resp: Response,
}

fn got(resp: Response) -> Got {
    let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    Got {
        status: resp.status,
        body,
        resp,
    }
}

impl Harness {
    async fn new() -> Harness {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let staff_token = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
        let web = PortalWeb::builder(w.a.clone(), w.firm.id)
            .staff_api("/admin/api", staff_token)
            .build()
            .await
            .unwrap();
        Harness { w, web }
    }

    async fn staff(&self, method: &str, path: &str, body: Option<Value>) -> Got {
        let mut req = Request::new(method, &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"));
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        got(self.web.handle_staff(req).await)
    }

    /// A task of `client` made through the staff API with `evidence`.
    async fn task(&self, client: impl std::fmt::Display, title: &str, evidence: Value) -> String {
        let r = self
            .staff(
                "POST",
                &format!("/clients/{client}/tasks"),
                Some(json!({"title": title, "phase": "Year end", "evidence": evidence})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn caller(&self, contact: portal_core::id::ContactId) -> Caller {
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

    async fn post(&self, c: &Caller, path: &str, body: Value) -> Got {
        let req = Request::new("POST", &format!("/portal{path}"))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .header("content-type", "application/json")
            .body(body.to_string());
        got(self.web.handle(req).await)
    }

    async fn post_form(&self, c: &Caller, path: &str, fields: &[(&str, &str)]) -> Got {
        let mut body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        body.push(format!("csrf_token={}", enc(&c.csrf)));
        let req = Request::new("POST", &format!("/portal{path}"))
            .header("cookie", &c.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"));
        got(self.web.handle(req).await)
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

fn form_definition() -> Value {
    json!({"type": "form", "fields": [
        {"name": "company", "label": "Company", "kind": "short_text", "max_chars": 50, "required": true},
        {"name": "notes", "label": "Notes", "kind": "long_text", "max_chars": 500, "required": false},
        {"name": "size", "label": "Size", "kind": "single_select", "options": ["small", "large"], "required": true},
        {"name": "services", "label": "Services", "kind": "multiple_select", "options": ["payroll", "tax", "audit"], "required": false},
        {"name": "satisfaction", "label": "How satisfied", "kind": "rating", "required": false}
    ]})
}

fn meeting_definition() -> Value {
    json!({"type": "meeting", "starts_at": "2026-12-10T13:00:00.000Z", "utc_offset_minutes": 60,
           "time_zone": "Europe/Vienna", "duration_minutes": 45,
           "join_link": "https://meet.example.com/abc-defg"})
}

fn error(g: &Got) -> &str {
    g.body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn each_type_is_submitted_over_json_once_and_a_repeat_changes_nothing() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;

    let q = h
        .task(
            c1,
            "Payment",
            json!({"type": "question", "question": "What was this?"}),
        )
        .await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": " Office <b>chairs</b> "}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "completed");
    assert_eq!(
        r.body["submission"],
        json!({"type": "answer", "text": "Office <b>chairs</b>"})
    );
    let again = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": "Office <b>chairs</b>"}),
        )
        .await;
    assert_eq!((again.status, &again.body), (200, &r.body), "idempotent");
    let other = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": "Desks"}),
        )
        .await;
    assert_eq!(other.status, 409, "the first answer stands");

    let f = h.task(c1, "About you", form_definition()).await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{f}/form"),
            json!({"answers": {"company": "Acme", "size": "large", "services": ["audit", "tax"], "satisfaction": 5}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["submission"]["answers"],
        json!({"company": "Acme", "services": ["tax", "audit"], "size": "large", "satisfaction": 5})
    );

    let a = h
        .task(
            c1,
            "Accounts",
            json!({"type": "approval", "text": "Approve the draft"}),
        )
        .await;
    let path = format!("/api/tasks/{a}/decision");
    let r = h
        .post(
            &jane,
            &path,
            json!({"decision": "approved", "comment": "Fine"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["submission"]["decision"], "approved");
    let same = h
        .post(
            &jane,
            &path,
            json!({"decision": "approved", "comment": "Fine"}),
        )
        .await;
    assert_eq!((same.status, &same.body), (200, &r.body));
    let other = h.post(&jane, &path, json!({"decision": "rejected"})).await;
    assert_eq!(other.status, 409, "a decision is final");

    let t = h
        .task(
            c1,
            "Watch",
            json!({"type": "training", "provider": "youtube", "video_id": "dQw4w9WgXcQ"}),
        )
        .await;
    let r = h
        .post(&jane, &format!("/api/tasks/{t}/watched"), json!({}))
        .await;
    assert_eq!((r.status, &r.body["status"]), (200, &json!("completed")));
    let again = h
        .post(&jane, &format!("/api/tasks/{t}/watched"), json!({}))
        .await;
    assert_eq!(again.body, r.body);

    let c = h
        .task(
            c1,
            "Send",
            json!({"type": "checklist", "items": ["Bank", "Payroll"]}),
        )
        .await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/1"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress");
    assert_eq!(r.body["checklist"][1]["checked"], true);
    assert_eq!(r.body["checklist"][0]["checked"], false);
    let again = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/1"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!(again.body, r.body, "the first check stands");
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/0"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!(r.body["status"], "completed");
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/1"),
            json!({"checked": false}),
        )
        .await;
    assert_eq!(r.body["status"], "in_progress");

    let one = h.get(&jane, &format!("/api/tasks/{q}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["phase"], "Year end");
    assert_eq!(one.body["submission"]["text"], "Office <b>chairs</b>");
}

#[tokio::test]
async fn html_forms_submit_and_are_sent_to_the_task_page() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;
    let q = h
        .task(
            c1,
            "Payment",
            json!({"type": "question", "question": "What was this?"}),
        )
        .await;
    let f = h.task(c1, "About you", form_definition()).await;
    let a = h
        .task(
            c1,
            "Accounts",
            json!({"type": "approval", "text": "Approve"}),
        )
        .await;
    let t = h
        .task(
            c1,
            "Watch",
            json!({"type": "training", "provider": "vimeo", "video_id": "76979871"}),
        )
        .await;
    let c = h
        .task(c1, "Send", json!({"type": "checklist", "items": ["Bank"]}))
        .await;
    for (id, path, fields) in [
        (&q, "answer", vec![("text", "Chairs\r\nand desks")]),
        (
            &f,
            "form",
            vec![
                ("company", "Acme"),
                ("size", "small"),
                ("services", "payroll"),
                ("services", "audit"),
                ("satisfaction", "4"),
                ("notes", ""),
            ],
        ),
        (
            &a,
            "decision",
            vec![("decision", "rejected"), ("comment", "Not yet")],
        ),
        (&t, "watched", vec![]),
        (&c, "checklist/0", vec![("checked", "true")]),
    ] {
        let r = h
            .post_form(&jane, &format!("/api/tasks/{id}/{path}"), &fields)
            .await;
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        assert_eq!(
            r.resp.header("location"),
            Some(format!("/portal/tasks/{id}").as_str())
        );
        let task = h.get(&jane, &format!("/api/tasks/{id}")).await;
        assert_eq!(task.body["status"], "completed", "{path}");
    }
    let form = h.get(&jane, &format!("/api/tasks/{f}")).await;
    assert_eq!(
        form.body["submission"]["answers"],
        json!({"company": "Acme", "satisfaction": 4, "services": ["payroll", "audit"], "size": "small"})
    );
    let q = h.get(&jane, &format!("/api/tasks/{q}")).await;
    assert_eq!(q.body["submission"]["text"], "Chairs\nand desks");
    // An HTML form's error is an error page for the person who sent it, with the
    // API's status, and stores nothing.
    let f2 = h.task(c1, "Again", form_definition()).await;
    let r = h
        .post_form(
            &jane,
            &format!("/api/tasks/{f2}/form"),
            &[("size", "medium")],
        )
        .await;
    assert_eq!(r.status, 422);
    let html = r.resp.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("content-type") && v.as_str().starts_with("text/html")
    });
    assert!(html, "{:?}", r.resp.headers);
    assert_eq!(
        h.get(&jane, &format!("/api/tasks/{f2}")).await.body["submission"],
        Value::Null
    );
    // Without the token, nothing.
    let req = Request::new("POST", &format!("/portal/api/tasks/{f2}/watched"))
        .header("cookie", &jane.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    assert_eq!(h.web.handle(req).await.status, 403);
}

#[tokio::test]
async fn bad_submissions_are_refused_naming_the_field_and_store_nothing() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;
    let f = h.task(c1, "About you", form_definition()).await;
    let path = format!("/api/tasks/{f}/form");
    for (answers, field) in [
        (json!({"size": "small"}), "company"),
        (json!({"company": "A", "size": "medium"}), "size"),
        (
            json!({"company": "A", "size": "small", "services": ["tax", "bookkeeping"]}),
            "services",
        ),
        (
            json!({"company": "A", "size": "small", "satisfaction": 0}),
            "satisfaction",
        ),
        (
            json!({"company": "A", "size": "small", "satisfaction": 6}),
            "satisfaction",
        ),
        (
            json!({"company": "A", "size": "small", "satisfaction": 4.5}),
            "satisfaction",
        ),
        (
            json!({"company": "A", "size": "small", "satisfaction": 300}),
            "satisfaction",
        ),
        (
            json!({"company": "x".repeat(51), "size": "small"}),
            "company",
        ),
        (
            json!({"company": "A", "size": "small", "password": "x"}),
            "password",
        ),
    ] {
        let r = h.post(&jane, &path, json!({"answers": answers})).await;
        assert_eq!(r.status, 422, "{answers}: {}", r.body);
        assert!(error(&r).starts_with(field), "{answers}: {}", r.body);
    }
    for body in [
        json!({"answers": {"company": null}}),
        json!({"answers": {"company": "A"}, "status": "completed"}),
        json!({"answers": [["company", "A"]]}),
    ] {
        let r = h.post(&jane, &path, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    let dup = Request::new("POST", &format!("/portal{path}"))
        .header("cookie", &jane.cookie)
        .header("x-csrf-token", &jane.csrf)
        .header("content-type", "application/json")
        .body(r#"{"answers": {"company": "A", "company": "B", "size": "small"}}"#);
    assert_eq!(h.web.handle(dup).await.status, 400, "a key given twice");

    let q = h
        .task(
            c1,
            "Payment",
            json!({"type": "question", "question": "What?"}),
        )
        .await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": "  "}),
        )
        .await;
    assert_eq!((r.status, error(&r)), (422, "text is required"));
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": "x".repeat(10_001)}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/answer"),
            json!({"text": "a\u{0}b"}),
        )
        .await;
    assert_eq!(r.status, 422);
    // The wrong type for the task: 422, naming both.
    let r = h
        .post(&jane, &format!("/api/tasks/{q}/watched"), json!({}))
        .await;
    assert_eq!(
        (r.status, error(&r)),
        (422, "this task asks for question, not training")
    );
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{q}/checklist/0"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!(r.status, 422);
    let a = h
        .task(
            c1,
            "Accounts",
            json!({"type": "approval", "text": "Approve"}),
        )
        .await;
    let d = format!("/api/tasks/{a}/decision");
    let r = h.post(&jane, &d, json!({"decision": "maybe"})).await;
    assert_eq!(
        (r.status, error(&r)),
        (422, "decision is not one of the choices offered")
    );
    let r = h.post(&jane, &d, json!({})).await;
    assert_eq!((r.status, error(&r)), (422, "decision is required"));
    let r = h
        .post(
            &jane,
            &d,
            json!({"decision": "approved", "comment": "x".repeat(2_001)}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(error(&r).starts_with("comment"), "{}", r.body);
    let c = h
        .task(c1, "Send", json!({"type": "checklist", "items": ["Bank"]}))
        .await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/1"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!((r.status, error(&r)), (422, "item must be from 0 to 0"));
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/x"),
            json!({"checked": true}),
        )
        .await;
    assert_eq!(r.status, 404, "no such item");
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{c}/checklist/0"),
            json!({"checked": "yes"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = h
        .post_form(
            &jane,
            &format!("/api/tasks/{c}/checklist/0"),
            &[("checked", "on")],
        )
        .await;
    assert_eq!(r.status, 400);
    for id in [&f, &q, &a, &c] {
        let t = h.get(&jane, &format!("/api/tasks/{id}")).await;
        assert_eq!(t.body["status"], "pending", "nothing stored: {}", t.body);
        assert_eq!(t.body["submission"], Value::Null);
    }
}

#[tokio::test]
async fn a_form_definition_may_not_name_a_field_like_the_csrf_token() {
    let h = Harness::new().await;
    let r = h
        .staff(
            "POST",
            &format!("/clients/{}/tasks", h.w.client1.id),
            Some(
                json!({"title": "F", "evidence": {"type": "form", "fields": [
                    {"name": "csrf_token", "label": "Token", "kind": "rating", "required": false}
                ]}}),
            ),
        )
        .await;
    assert_eq!((r.status, error(&r)), (422, "fields.name is reserved"));
}

#[tokio::test]
async fn phases_list_progress_and_their_tasks_in_order() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;
    let mk = async |title: &str, phase: Option<&str>, evidence: Value| {
        let mut body = json!({"title": title, "evidence": evidence});
        if let Some(p) = phase {
            body["phase"] = json!(p);
        }
        let r = h
            .staff("POST", &format!("/clients/{c1}/tasks"), Some(body))
            .await;
        assert_eq!(r.status, 201);
        r.body["id"].as_str().unwrap().to_owned()
    };
    let s1 = mk("Sign", Some("Onboarding"), json!({"type": "standard"})).await;
    let c = mk(
        "Send",
        Some("Onboarding"),
        json!({"type": "checklist", "items": ["a", "b", "c"]}),
    )
    .await;
    let s2 = mk("Review", Some("Year end"), json!({"type": "standard"})).await;
    let loose = mk("Loose", None, json!({"type": "standard"})).await;
    let gone = mk("Gone", Some("Year end"), json!({"type": "standard"})).await;
    h.w.a
        .withdraw_task(&h.w.staff, gone.parse::<TaskId>().unwrap())
        .await
        .unwrap();
    h.post(&jane, &format!("/api/tasks/{s1}/complete"), json!({}))
        .await;
    h.post(
        &jane,
        &format!("/api/tasks/{c}/checklist/2"),
        json!({"checked": true}),
    )
    .await;

    let r = h.get(&jane, &format!("/api/clients/{c1}/phases")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["client_id"], c1.to_string());
    assert_eq!(b["progress"], json!({"done": 2, "percent": 33, "total": 6}));
    let phases = b["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    assert_eq!(phases[0]["name"], "Onboarding");
    assert_eq!(phases[0]["status"], "in_progress");
    assert_eq!(
        phases[0]["progress"],
        json!({"done": 2, "percent": 50, "total": 4})
    );
    assert_eq!(phases[0]["task_ids"], json!([s1, c]));
    assert_eq!(phases[1]["name"], "Year end");
    assert_eq!(phases[1]["status"], "pending");
    assert_eq!(
        phases[1]["task_ids"],
        json!([s2]),
        "the withdrawn task is gone"
    );
    assert!(phases[0]["position"].as_i64() < phases[1]["position"].as_i64());
    assert!(phases[0]["id"].is_string());
    assert_eq!(b["without_phase"]["task_ids"], json!([loose]));
    assert_eq!(
        b["without_phase"]["progress"],
        json!({"done": 0, "percent": 0, "total": 1})
    );
    // The document's keys are in alphabetical order, as every document's but /api/me.
    assert_eq!(r.resp.body, serde_json::to_vec(&r.body).unwrap());
    // A client without tasks: no phase, nothing without one, nothing done.
    let r = h
        .get(&jane, &format!("/api/clients/{}/phases", h.w.client2.id))
        .await;
    assert_eq!(
        r.body,
        json!({"client_id": h.w.client2.id.to_string(), "phases": [],
               "progress": {"done": 0, "percent": 0, "total": 0}, "without_phase": null})
    );
}

#[tokio::test]
async fn other_firms_other_clients_and_withdrawn_tasks_answer_404_and_permissions_403() {
    let h = Harness::new().await;
    let (c1, c2) = (h.w.client1.id, h.w.client2.id);
    let foreign =
        h.w.a
            .create_task(
                &h.w.other_staff,
                h.w.other_client.id,
                NewTask {
                    phase: None,
                    title: "Foreign".into(),
                    description: String::new(),
                    due_on: None,
                    assignee: Side::Client,
                    evidence: portal_core::task::Evidence::Standard,
                },
            )
            .await
            .unwrap()
            .id
            .to_string();
    let jane_only = h
        .task(c2, "Jane's", json!({"type": "approval", "text": "Approve"}))
        .await;
    let withdrawn = h
        .task(c1, "Gone", json!({"type": "question", "question": "Q?"}))
        .await;
    h.w.a
        .withdraw_task(&h.w.staff, withdrawn.parse().unwrap())
        .await
        .unwrap();
    let meeting = h.task(c1, "Call", meeting_definition()).await;
    let approval = h
        .task(
            c1,
            "Approve",
            json!({"type": "approval", "text": "Approve"}),
        )
        .await;
    let question = h
        .task(c1, "Q", json!({"type": "question", "question": "Q?"}))
        .await;
    let bob = h.caller(h.w.bob.id).await;
    let missing = "00000000-0000-4000-8000-000000000000";
    for id in [
        foreign.as_str(),
        jane_only.as_str(),
        withdrawn.as_str(),
        missing,
    ] {
        for path in ["", "/invite.ics"] {
            let r = h.get(&bob, &format!("/api/tasks/{id}{path}")).await;
            assert_eq!(r.status, 404, "GET {id}{path}");
        }
        for (path, body) in [
            ("answer", json!({"text": "x"})),
            ("form", json!({"answers": {}})),
            ("decision", json!({"decision": "approved"})),
            ("watched", json!({})),
            ("checklist/0", json!({"checked": true})),
        ] {
            let r = h.post(&bob, &format!("/api/tasks/{id}/{path}"), body).await;
            assert_eq!((r.status, error(&r)), (404, "Not found"), "{id}/{path}");
        }
    }
    for client in [
        h.w.other_client.id.to_string(),
        c2.to_string(),
        missing.into(),
    ] {
        let r = h.get(&bob, &format!("/api/clients/{client}/phases")).await;
        assert_eq!(r.status, 404, "{client}");
    }
    assert_eq!(h.get(&bob, "/api/clients/nope/phases").await.status, 404);
    assert_eq!(h.get(&bob, "/api/tasks/nope").await.status, 404);

    // A contact of the other firm, logged in there: its session means nothing here,
    // neither for this firm's tasks nor for its own.
    let url =
        h.w.a
            .generate_magic_link(&h.w.other_staff, h.w.olga.id)
            .await
            .unwrap();
    let login =
        h.w.a
            .redeem_magic_link(
                h.w.other_firm.id,
                url.rsplit('/').next().unwrap(),
                None,
                None,
                &World::req(),
            )
            .await
            .unwrap();
    let olga = Caller {
        cookie: format!("{COOKIE}={}", login.token.expose_secret()),
        csrf: "forged".into(),
    };
    for id in [foreign.as_str(), question.as_str(), meeting.as_str()] {
        assert_eq!(h.get(&olga, &format!("/api/tasks/{id}")).await.status, 401);
        assert_eq!(
            h.get(&olga, &format!("/api/tasks/{id}/invite.ics"))
                .await
                .status,
            401
        );
        let r = h
            .post(
                &olga,
                &format!("/api/tasks/{id}/answer"),
                json!({"text": "x"}),
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    for client in [c1.to_string(), h.w.other_client.id.to_string()] {
        let r = h.get(&olga, &format!("/api/clients/{client}/phases")).await;
        assert_eq!(r.status, 401);
    }

    // Bob with `tasks` only: no decision; the rest as before.
    let grant = h
        .staff(
            "PUT",
            &format!("/contacts/{}/grants/{c1}", h.w.bob.id),
            Some(json!({"permissions": ["tasks"]})),
        )
        .await;
    assert_eq!(grant.status, 200);
    let bob = h.caller(h.w.bob.id).await;
    let r = h
        .post(
            &bob,
            &format!("/api/tasks/{approval}/decision"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        h.get(&bob, &format!("/api/tasks/{meeting}/invite.ics"))
            .await
            .status,
        200
    );
    // Bob with `approvals` only: decisions, nothing else.
    h.staff(
        "PUT",
        &format!("/contacts/{}/grants/{c1}", h.w.bob.id),
        Some(json!({"permissions": ["approvals"]})),
    )
    .await;
    let bob = h.caller(h.w.bob.id).await;
    assert_eq!(
        h.get(&bob, &format!("/api/clients/{c1}/phases"))
            .await
            .status,
        403
    );
    assert_eq!(
        h.get(&bob, &format!("/api/tasks/{meeting}")).await.status,
        403
    );
    assert_eq!(
        h.get(&bob, &format!("/api/tasks/{meeting}/invite.ics"))
            .await
            .status,
        403
    );
    let r = h
        .post(
            &bob,
            &format!("/api/tasks/{question}/answer"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = h
        .post(
            &bob,
            &format!("/api/tasks/{approval}/decision"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn the_invitation_keeps_its_uid_and_grows_its_sequence_with_each_edit() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let jane = h.caller(h.w.jane.id).await;
    let body = json!({"title": "Year-end review; Q4, all \\ done", "description": "Bring <script>x</script>\nthe numbers",
                      "evidence": meeting_definition()});
    let r = h
        .staff("POST", &format!("/clients/{c1}/tasks"), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/tasks/{id}/invite.ics");
    let first = h.get(&jane, &path).await.resp;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(
        first.header("content-disposition"),
        Some("attachment; filename=\"year-end-review-q4-all-done.ics\"")
    );
    let text = String::from_utf8(first.body.clone()).unwrap();
    let unfolded = text.replace("\r\n ", "");
    let uid = format!("UID:{id}@portal.acme.example\r\n");
    assert!(unfolded.contains(&uid), "{unfolded}");
    assert!(unfolded.contains("SEQUENCE:0\r\n"), "{unfolded}");
    assert!(
        unfolded.contains("DTSTAMP:20260101T000000Z\r\n"),
        "{unfolded}"
    );
    assert!(unfolded.contains("SUMMARY:Year-end review\\; Q4\\, all \\\\ done\r\n"));
    assert!(unfolded.contains("DESCRIPTION:Bring <script>x</script>\\nthe numbers"));
    assert!(unfolded.contains("DTSTART:20261210T130000Z\r\n"));
    let again = h.get(&jane, &path).await.resp;
    assert_eq!(again.body, first.body, "the same on every download");

    // Staff move the meeting an hour later, a minute on.
    h.w.advance(Duration::from_secs(61));
    let task = h.w.a.staff_tasks(&h.w.staff, c1).await.unwrap().tasks;
    let task = task.iter().find(|t| t.id.to_string() == id).unwrap();
    let mut edit = TaskEdit::from(task);
    let portal_core::task::Evidence::Meeting(m) = &task.evidence else {
        panic!("a meeting");
    };
    let mut later = m.clone();
    later.starts_at =
        portal_core::clock::Timestamp::from_unix_millis(m.starts_at.unix_millis() + 3_600_000);
    edit.evidence = portal_core::task::Evidence::Meeting(later);
    h.w.a
        .edit_task(&h.w.staff, task.id, edit.clone())
        .await
        .unwrap();
    let moved = String::from_utf8(h.get(&jane, &path).await.resp.body)
        .unwrap()
        .replace("\r\n ", "");
    assert!(moved.contains(&uid), "the same event");
    assert!(moved.contains("SEQUENCE:61\r\n"), "{moved}");
    assert!(moved.contains("DTSTAMP:20260101T000101Z\r\n"), "{moved}");
    assert!(moved.contains("DTSTART:20261210T140000Z\r\n"));
    h.w.advance(Duration::from_secs(5));
    edit.title = "Year-end call".into();
    h.w.a.edit_task(&h.w.staff, task.id, edit).await.unwrap();
    let renamed = String::from_utf8(h.get(&jane, &path).await.resp.body).unwrap();
    assert!(renamed.contains("SEQUENCE:66\r\n"), "{renamed}");

    // Not a meeting: no invitation.
    let q = h
        .task(c1, "Q", json!({"type": "question", "question": "Q?"}))
        .await;
    assert_eq!(
        h.get(&jane, &format!("/api/tasks/{q}/invite.ics"))
            .await
            .status,
        404
    );
    // Withdrawn: gone.
    h.w.a.withdraw_task(&h.w.staff, task.id).await.unwrap();
    assert_eq!(h.get(&jane, &path).await.status, 404);
}

#[tokio::test]
async fn staff_give_a_video_by_its_address_and_a_meeting_by_its_local_time() {
    let h = Harness::new().await;
    let client = h.w.client1.id;
    let video = h
        .task(
            client,
            "Watch this",
            json!({"type": "training", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}),
        )
        .await;
    let meeting = h
        .task(
            client,
            "Call",
            json!({"type": "meeting", "starts": "2026-12-10T14:00+01:00",
                   "time_zone": "Europe/Vienna", "duration_minutes": 45,
                   "join_link": "https://meet.example.com/abc-defg"}),
        )
        .await;
    let r = h.staff("GET", &format!("/tasks/{video}"), None).await;
    assert_eq!(
        (
            &r.body["evidence"]["provider"],
            &r.body["evidence"]["video_id"]
        ),
        (&json!("youtube"), &json!("dQw4w9WgXcQ"))
    );
    // Stored as the stored form says, whichever form staff typed.
    let r = h.staff("GET", &format!("/tasks/{meeting}"), None).await;
    let mut stored = meeting_definition();
    stored["type"] = json!("meeting");
    assert_eq!(r.body["evidence"], stored);

    // Each typed form is checked as the stored one is, and refused naming its field;
    // nothing is made.
    let before = h
        .staff("GET", &format!("/clients/{client}/tasks"), None)
        .await;
    for (evidence, status, field) in [
        (
            json!({"type": "training", "url": "https://evil.example/watch?v=x"}),
            422,
            "video_url",
        ),
        (
            json!({"type": "training", "url": "javascript:alert(1)"}),
            422,
            "video_url",
        ),
        (
            json!({"type": "meeting", "starts": "tomorrow", "time_zone": "UTC",
                   "duration_minutes": 30, "join_link": "https://meet.example.com/x"}),
            422,
            "starts_at",
        ),
        (
            json!({"type": "training", "url": "https://youtu.be/dQw4w9WgXcQ", "extra": 1}),
            400,
            "extra",
        ),
    ] {
        let r = h
            .staff(
                "POST",
                &format!("/clients/{client}/tasks"),
                Some(json!({"title": "Bad", "evidence": evidence})),
            )
            .await;
        assert_eq!(r.status, status, "{evidence}: {}", r.body);
        assert!(error(&r).contains(field), "{evidence}: {}", r.body);
    }
    let after = h
        .staff("GET", &format!("/clients/{client}/tasks"), None)
        .await;
    assert_eq!(before.body, after.body);
}
