//! Hostile input to the neutral HTTP layer: JSON bodies that do not match their route
//! (wrong types, `null`, duplicate and unknown keys, ids and statuses slipped in), query
//! strings that do not decode. Each is a 400 naming what is wrong, and nothing is
//! stored. (On every store, through real servers: `examples/tests/http/hostile.rs`.)

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::id::StaffId;
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";

struct Setup {
    w: World,
    web: PortalWeb,
}

impl Setup {
    async fn new() -> Setup {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let staff = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
        let web = PortalWeb::builder(w.a.clone(), w.firm.id)
            .staff_api("/admin/api", staff)
            .build()
            .await
            .unwrap();
        Setup { w, web }
    }

    async fn staff(&self, method: &str, path: &str, body: &str) -> Response {
        let req = Request::new(method, &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec());
        self.web.handle_staff(req).await
    }

    /// Everything a refused request could have left behind.
    async fn stored(&self) -> (usize, usize, usize, u64) {
        let store = self.w.store();
        let audit = store.audit_head(self.w.firm.id).await.unwrap().unwrap();
        (
            store.contacts(self.w.firm.id).await.unwrap().len(),
            store.clients(self.w.firm.id).await.unwrap().len(),
            store.tasks(self.w.client1.id).await.unwrap().len(),
            audit.seq,
        )
    }
}

fn error(resp: &Response) -> String {
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn staff_json_names_the_field_it_refuses_and_stores_nothing() {
    let s = Setup::new().await;
    let (c1, bob) = (s.w.client1.id, s.w.bob.id);
    let before = s.stored().await;
    let cases: Vec<(&str, String, String, &str)> = vec![
        // A number where a date string belongs.
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "due_on": 20_261_231}).to_string(),
            "due_on",
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "due_on": "31/12/2026"}).to_string(),
            "due_on",
        ),
        // `null` where a value belongs, required or not.
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": null}).to_string(),
            "title",
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "assignee": null}).to_string(),
            "assignee",
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "assignee": "staff"}).to_string(),
            "assignee",
        ),
        (
            "POST",
            "/contacts".into(),
            json!({"email": "n@example.com", "first_name": "N", "client_ids": [c1], "permissions": null}).to_string(),
            "permissions",
        ),
        (
            "POST",
            "/contacts".into(),
            json!({"email": "n@example.com", "first_name": 7, "client_ids": [c1]}).to_string(),
            "first_name",
        ),
        (
            "POST",
            "/contacts".into(),
            json!({"email": "n@example.com", "first_name": "N", "client_ids": [c1], "permissions": ["admin"]}).to_string(),
            "permissions",
        ),
        // A key given twice: neither value is taken.
        (
            "POST",
            "/contacts".into(),
            format!(
                r#"{{"email":"n@example.com","first_name":"N","client_ids":["{c1}"],"email":"o@example.com"}}"#
            ),
            "email",
        ),
        (
            "POST",
            "/clients".into(),
            r#"{"name":"A","name":"B"}"#.into(),
            "name",
        ),
        // A key the route does not know: mass assignment of ids, firms, roles, statuses.
        (
            "POST",
            "/contacts".into(),
            json!({"email": "n@example.com", "first_name": "N", "client_ids": [c1], "role": "admin"}).to_string(),
            "role",
        ),
        (
            "POST",
            "/contacts".into(),
            json!({"email": "n@example.com", "first_name": "N", "client_ids": [c1], "status": "active", "id": bob}).to_string(),
            "unknown field `id`",
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "status": "completed"}).to_string(),
            "status",
        ),
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "client_id": s.w.other_client.id}).to_string(),
            "client_id",
        ),
        (
            "POST",
            "/clients".into(),
            json!({"name": "N", "firm_id": s.w.other_firm.id}).to_string(),
            "firm_id",
        ),
        (
            "PUT",
            format!("/contacts/{bob}/grants/{c1}"),
            json!({"permissions": ["tasks"], "contact_id": s.w.jane.id}).to_string(),
            "contact_id",
        ),
        // Text the domain refuses: the field is named as well.
        (
            "POST",
            format!("/clients/{c1}/tasks"),
            json!({"title": "T", "description": "a\u{0}b"}).to_string(),
            "description",
        ),
    ];
    for (method, path, body, field) in cases {
        let resp = s.staff(method, &path, &body).await;
        let message = error(&resp);
        assert_eq!(resp.status, 400, "{body}: {message}");
        assert!(message.contains(field), "{body}: {message}");
    }
    assert_eq!(s.stored().await, before, "nothing stored, nothing audited");
    let bob_now = s.w.store().grants(bob).await.unwrap();
    assert!(
        bob_now
            .iter()
            .all(|g| g.permissions == portal_core::grant::Permissions::ALL)
    );
    // The same bodies without the offending key are accepted.
    let ok = s
        .staff(
            "POST",
            &format!("/clients/{c1}/tasks"),
            &json!({"title": "T", "due_on": "2026-12-31", "assignee": "firm"}).to_string(),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", String::from_utf8_lossy(&ok.body));
}

#[tokio::test]
async fn client_json_is_as_strict_and_forms_ignore_what_they_do_not_read() {
    let s = Setup::new().await;
    let task =
        s.w.a
            .create_task(
                &s.w.staff,
                s.w.client1.id,
                portal_core::task::NewTask {
                    phase: None,
                    title: "Sign".into(),
                    description: String::new(),
                    due_on: None,
                    assignee: portal_core::task::Side::Client,
                    evidence: portal_core::task::Evidence::Standard,
                },
            )
            .await
            .unwrap();
    let token = s.w.login(s.w.bob.id).await.token.expose_secret();
    let cookie = format!("{}={token}", s.web.session_cookie_name());
    let me = s
        .web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let me: Value = serde_json::from_slice(&me.body).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let post = |path: String, ct: &str, body: String| {
        Request::new("POST", &path)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", ct)
            .body(body.into_bytes())
    };
    let complete = format!("/portal/api/tasks/{}/complete", task.id);
    for (body, field) in [
        (json!({"note": 5}), "note"),
        (json!({"note": null}), "note"),
        (
            json!({"note": "x", "completed_by": "staff:alice"}),
            "completed_by",
        ),
        (json!({"status": "completed"}), "status"),
        (json!({"contact_id": s.w.jane.id}), "contact_id"),
    ] {
        let resp = s
            .web
            .handle(post(complete.clone(), "application/json", body.to_string()))
            .await;
        assert_eq!(resp.status, 400, "{body}");
        assert!(error(&resp).contains(field), "{body}: {}", error(&resp));
    }
    let resp = s
        .web
        .handle(post(
            "/portal/api/switch".into(),
            "application/json",
            json!({"client_id": s.w.client1.id, "firm_id": s.w.other_firm.id}).to_string(),
        ))
        .await;
    assert_eq!(resp.status, 400);
    assert!(error(&resp).contains("firm_id"));
    let stored = s.w.store().task(task.id).await.unwrap().unwrap();
    assert!(stored.completion.is_none(), "nothing applied");
    // A form's other fields are ignored: the task is completed by bob, on its client,
    // with the note given, whatever else the form says.
    let jane_task = s.w.client2.id;
    let form = format!(
        "note=done&status=pending&client_id={jane_task}&completed_by=staff%3Aalice&contact_id={}",
        s.w.jane.id
    );
    let resp = s
        .web
        .handle(post(
            complete.clone(),
            "application/x-www-form-urlencoded",
            form,
        ))
        .await;
    assert_eq!(resp.status, 303);
    let stored = s.w.store().task(task.id).await.unwrap().unwrap();
    assert_eq!(stored.client_id, s.w.client1.id);
    let completion = stored.completion.unwrap();
    assert_eq!(
        completion.by,
        portal_core::audit::Actor::Contact(s.w.bob.id)
    );
    assert_eq!(completion.note.as_deref(), Some("done"));
}

#[tokio::test]
async fn malformed_ambiguous_or_unknown_queries_answer_400_never_a_dropped_filter() {
    let s = Setup::new().await;
    let jane = s.w.jane.id;
    for (query, names) in [
        ("contact_id=%ZZ", "malformed"),
        ("contact_id=%ff%fe", "malformed"),
        ("contact_id=not-an-id", "contact_id"),
        ("contact_id=", "contact_id"),
        ("after=x", "after"),
        ("limit=-1", "limit"),
        (
            &format!("contact_id={jane}&contact_id={jane}"),
            "contact_id",
        ),
        (&format!("contactid={jane}"), "contactid"),
        (&format!("contact={jane}"), "contact"),
    ] {
        let resp = s.staff("GET", &format!("/audit?{query}"), "").await;
        assert_eq!(resp.status, 400, "{query}");
        assert!(error(&resp).contains(names), "{query}: {}", error(&resp));
    }
    let resp = s
        .staff("GET", &format!("/audit?contact_id={jane}"), "")
        .await;
    assert_eq!(resp.status, 200);
    let entries: Value = serde_json::from_slice(&resp.body).unwrap();
    let jane_text = jane.to_string();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["contact_id"] == jane_text.as_str()),
        "the filter holds"
    );
    let other = s
        .staff("GET", &format!("/audit?contact_id={}", s.w.olga.id), "")
        .await;
    assert_eq!(other.status, 404, "another firm's contact");
    for (query, status) in [
        ("next=%ZZ", 400),
        ("next=/portal/&next=/portal/x", 400),
        ("next=/portal/&utm_source=mail", 200),
    ] {
        let resp = s
            .web
            .handle(Request::new("GET", &format!("/portal/login?{query}")))
            .await;
        assert_eq!(resp.status, status, "{query}");
    }
}
