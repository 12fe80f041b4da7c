//! The JSON documents of the neutral HTTP layer keep the key order they have always
//! had: alphabetical, as `serde_json` writes a `Value` (no crate here enables its
//! `preserve_order`), except `GET {p}/api/me`, whose keys come in the order a reader
//! meets them (its exact bytes are held in `login_flows`).

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::id::StaffId;
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";
const COOKIE: &str = "__Host-portal_session";

/// Whether `body` is JSON written with every object's keys in alphabetical order.
fn sorted(resp: &Response) -> bool {
    let value: Value = serde_json::from_slice(&resp.body).unwrap();
    resp.body == serde_json::to_vec(&value).unwrap()
}

#[tokio::test]
async fn every_json_document_but_me_has_its_keys_in_alphabetical_order() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let staff_token = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
    let web = PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api("/admin/api", staff_token)
        .build()
        .await
        .unwrap();
    let staff = async |method: &str, path: &str, body: Option<Value>| {
        let mut req = Request::new(method, &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"));
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = web.handle_staff(req).await;
        assert!(resp.status < 300, "{method} {path}: {}", resp.status);
        resp
    };
    let (jane, c1, c2) = (w.jane.id, w.client1.id, w.client2.id);
    let task = staff(
        "POST",
        &format!("/clients/{c1}/tasks"),
        Some(json!({"title": "Send the receipts", "phase": "Year end", "due_on": "2026-12-31"})),
    )
    .await;
    let task: Value = serde_json::from_slice(&task.body).unwrap();
    let task = task["id"].as_str().unwrap().to_owned();

    let login = w.login(jane).await;
    let cookie = format!("{COOKIE}={}", login.token.expose_secret());
    let me = web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let csrf = serde_json::from_slice::<Value>(&me.body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let portal = async |method: &str, path: &str, body: Option<Value>| {
        let mut req = Request::new(method, &format!("/portal{path}"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        web.handle(req).await
    };

    let mut documents = vec![
        portal("GET", &format!("/api/clients/{c1}/tasks"), None).await,
        portal(
            "POST",
            &format!("/api/tasks/{task}/complete"),
            Some(json!({"note": "sent"})),
        )
        .await,
        portal("GET", &format!("/api/clients/{c1}/tasks"), None).await,
        portal("POST", "/api/switch", Some(json!({"client_id": c2}))).await,
        portal("GET", "/api/nope", None).await,
    ];
    let sessions = staff("GET", &format!("/contacts/{jane}/sessions"), None).await;
    let sid = serde_json::from_slice::<Value>(&sessions.body).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    documents.push(sessions);
    for (method, path, body) in [
        ("DELETE", format!("/contacts/{jane}/sessions/{sid}"), None),
        ("GET", "/status".to_owned(), None),
        ("GET", "/contacts".to_owned(), None),
        (
            "POST",
            "/contacts".to_owned(),
            Some(json!({"email": "new@example.com", "first_name": "New", "client_ids": [c1]})),
        ),
        ("GET", format!("/contacts/{jane}"), None),
        ("GET", format!("/contacts/{jane}/access-log"), None),
        ("GET", format!("/contacts/{jane}/messages"), None),
        (
            "PUT",
            format!("/contacts/{jane}/reminders"),
            Some(json!({"paused_until": "2026-12-24"})),
        ),
        (
            "PUT",
            format!("/contacts/{jane}/grants/{c1}"),
            Some(json!({"permissions": ["tasks"]})),
        ),
        ("DELETE", format!("/contacts/{jane}/grants/{c2}"), None),
        ("POST", format!("/contacts/{jane}/magic-link"), None),
        ("POST", format!("/contacts/{jane}/personal-link"), None),
        ("POST", format!("/contacts/{jane}/login-email"), None),
        ("POST", format!("/contacts/{jane}/password-link"), None),
        ("POST", format!("/contacts/{jane}/revoke"), None),
        ("POST", format!("/contacts/{jane}/suspend"), None),
        ("POST", format!("/contacts/{jane}/unsuspend"), None),
        (
            "PUT",
            "/notifications".to_owned(),
            Some(json!({"email": "alice@acme.example", "mode": "daily"})),
        ),
        ("GET", "/notifications".to_owned(), None),
        ("GET", "/audit".to_owned(), None),
        ("GET", "/audit/verify".to_owned(), None),
        ("GET", "/clients".to_owned(), None),
        (
            "POST",
            "/clients".to_owned(),
            Some(json!({"name": "New Ltd"})),
        ),
        ("GET", format!("/clients/{c1}/tasks"), None),
        ("DELETE", format!("/contacts/{jane}"), None),
    ] {
        documents.push(staff(method, &path, body).await);
    }
    // The staff API's tasks and phases.
    let list = staff(
        "POST",
        &format!("/clients/{c1}/tasks"),
        Some(json!({"title": "Check", "assignee": "firm",
            "evidence": {"type": "checklist", "items": ["a", "b"]}})),
    )
    .await;
    let list = serde_json::from_slice::<Value>(&list.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phases = staff("GET", &format!("/clients/{c1}/phases"), None).await;
    let phase = serde_json::from_slice::<Value>(&phases.body).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    documents.push(phases);
    for (method, path, body) in [
        ("GET", format!("/tasks/{list}"), None),
        (
            "PATCH",
            format!("/tasks/{list}"),
            Some(json!({"title": "Checked"})),
        ),
        (
            "POST",
            format!("/tasks/{list}/checklist/1"),
            Some(json!({"checked": true})),
        ),
        ("POST", format!("/tasks/{list}/complete"), None),
        (
            "POST",
            format!("/tasks/{task}/status"),
            Some(json!({"status": "blocked"})),
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks/order"),
            Some(json!({"ids": [list, task]})),
        ),
        ("POST", format!("/tasks/{task}/withdraw"), None),
        (
            "POST",
            format!("/clients/{c1}/phases"),
            Some(json!({"name": "Month end"})),
        ),
        (
            "PATCH",
            format!("/phases/{phase}"),
            Some(json!({"name": "Year-end close"})),
        ),
    ] {
        let resp = staff(method, &path, body).await;
        documents.push(resp);
    }
    let phases = staff("GET", &format!("/clients/{c1}/phases"), None).await;
    let mut ids: Vec<Value> = serde_json::from_slice::<Value>(&phases.body)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    ids.reverse();
    documents.push(
        staff(
            "POST",
            &format!("/clients/{c1}/phases/order"),
            Some(json!({ "ids": ids })),
        )
        .await,
    );
    for resp in &documents {
        assert!(sorted(resp), "{}", String::from_utf8_lossy(&resp.body));
    }
    assert!(!sorted(&me), "GET /api/me keeps its own order");
}
