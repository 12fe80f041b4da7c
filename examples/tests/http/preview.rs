//! Staff preview the portal as one contact sees it: a single-use link from the staff
//! API opens a read-only session that sees the contact's clients and tasks, refuses
//! every change with 403, ends at logout, and is no login of the contact.

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login, me};
use super::server::{Server, path_of, token_of};

const JANE: &str = "jane@example.com";

/// The tasks of a list answer, whether it is the list itself or holds it.
fn tasks_of(list: &Value) -> Vec<Value> {
    list.as_array()
        .or_else(|| list["tasks"].as_array())
        .cloned()
        .unwrap_or_default()
}

fn issue(s: &Server, contact: &str) -> String {
    let r = s.admin("POST", &format!("/contacts/{contact}/preview"), None);
    assert_status(&r, 200, "preview link");
    let body = r.json();
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["expires_at", "url"]);
    assert!(body["expires_at"].is_string() || body["expires_at"].is_number());
    let url = body["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("{}/portal/preview/", s.origin)),
        "{url}"
    );
    url
}

pub fn staff_preview_is_read_only_single_use_and_no_login(s: &Server) {
    let jane = s.contact_id(JANE);
    // Jane's own view, for comparison.
    let mut own = login(s, JANE);
    let client = me(&mut own).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let tasks_path = format!("/portal/api/clients/{client}/tasks");
    let own_tasks = own.get(&tasks_path).json();
    let contact_before = s.admin("GET", &format!("/contacts/{jane}"), None).json();

    // Staff cannot preview a contact that does not exist, or one that is suspended.
    let nobody = "00000000-0000-4000-8000-000000000000";
    assert_status(
        &s.admin("POST", &format!("/contacts/{nobody}/preview"), None),
        404,
        "unknown contact",
    );
    let clients = s.admin("GET", "/clients", None).json();
    let first_client = clients[0]["id"].as_str().expect("client").to_owned();
    let created = s
        .admin(
            "POST",
            "/contacts",
            Some(&json!({"email": "held@example.com", "first_name": "Held", "client_ids": [first_client]})),
        )
        .json();
    let held = created["id"].as_str().expect("id").to_owned();
    assert_status(
        &s.admin("POST", &format!("/contacts/{held}/suspend"), None),
        200,
        "suspend",
    );
    assert_status(
        &s.admin("POST", &format!("/contacts/{held}/preview"), None),
        409,
        "suspended contact",
    );

    let url = issue(s, &jane);
    let token = token_of(&url);
    let mut b = s.browser();
    // Opening the link spends nothing.
    for _ in 0..2 {
        let page = b.get(&path_of(&url));
        assert_status(&page, 200, "confirmation");
        assert!(
            page.text().contains("action=\"/portal/preview\""),
            "{}",
            page.text()
        );
        assert!(page.set_cookie(s.session_cookie()).is_none());
    }
    let started = b.post_form("/portal/preview", &[("token", &token)]);
    assert_status(&started, 303, "preview starts");
    assert!(started.set_cookie(s.session_cookie()).is_some());

    // It sees what jane sees, under a banner.
    let home = b.get("/portal/");
    assert_status(&home, 200, "home");
    assert!(
        home.text().contains("Preview — read-only"),
        "{}",
        home.text()
    );
    assert!(!own.get("/portal/").text().contains("Preview — read-only"));
    assert_eq!(me(&mut b).json()["contact_id"], json!(jane));
    let seen = b.get(&tasks_path);
    assert_status(&seen, 200, "tasks");
    assert_eq!(seen.json(), own_tasks);

    // Every change is refused, and nothing changes.
    let token_csrf = csrf(&mut b);
    let tasks = tasks_of(&own_tasks);
    assert!(!tasks.is_empty());
    for task in &tasks {
        let id = task["id"].as_str().expect("id");
        for action in ["complete", "uncomplete"] {
            let path = format!("/portal/api/tasks/{id}/{action}");
            let r = b.post_json(&path, &token_csrf, &json!({}));
            assert_status(&r, 403, action);
            assert!(
                r.text().to_lowercase().contains("read-only"),
                "{}",
                r.text()
            );
            let r = b.post_form(&path, &[("csrf_token", &token_csrf)]);
            assert_status(&r, 403, "form post");
            // Without the CSRF token it is refused as any forged post.
            assert_status(&b.post_json(&path, "forged", &json!({})), 403, "forged");
        }
    }
    assert_eq!(own.get(&tasks_path).json(), own_tasks, "nothing changed");

    // Switching the client it looks at moves only its own view.
    let token_csrf = csrf(&mut b);
    let others: Vec<String> = me(&mut b).json()["clients"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .filter(|c| *c != client)
        .collect();
    if let Some(other) = others.first() {
        let r = b.post_json(
            "/portal/api/switch",
            &token_csrf,
            &json!({"client_id": other}),
        );
        assert_status(&r, 200, "switch in a preview");
        assert_eq!(me(&mut own).json()["active_client"]["id"], json!(client));
    }

    // Staff see the session as a preview; jane neither joined nor was seen by it.
    let sessions = s
        .admin("GET", &format!("/contacts/{jane}/sessions"), None)
        .json();
    let previews: Vec<&Value> = sessions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| !x["preview_by"].is_null())
        .collect();
    assert_eq!(previews.len(), 1, "{sessions}");
    assert_eq!(previews[0]["preview_by"], "admin");
    let after = s.admin("GET", &format!("/contacts/{jane}"), None).json();
    assert_eq!(after["joined_at"], contact_before["joined_at"]);
    assert_eq!(after["last_seen_at"], contact_before["last_seen_at"]);

    // Issued and started are audited, by staff; the token is nowhere in the log.
    let audit = s.admin("GET", &format!("/audit?contact_id={jane}"), None);
    assert!(!audit.text().contains(&token));
    let entries = audit.json();
    for action in ["preview.issued", "preview.started"] {
        let entry = entries
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {entries}"));
        assert_eq!(entry["actor"], "staff:admin");
    }
    assert!(
        !entries
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["action"].as_str().is_some_and(|a| a.starts_with("task."))),
        "{entries}"
    );

    // Logout ends the preview.
    let token_csrf = csrf(&mut b);
    assert_status(
        &b.post_form("/portal/logout", &[("csrf_token", &token_csrf)]),
        303,
        "logout",
    );
    assert_status(&me(&mut b), 401, "after logout");

    // The link worked once, in any browser.
    let mut again = s.browser();
    let r = again.post_form("/portal/preview", &[("token", &token)]);
    assert_status(&r, 410, "used link");
    assert!(r.set_cookie(s.session_cookie()).is_none());
    assert_status(
        &again.post_form("/portal/preview", &[("token", "not-a-token")]),
        404,
        "malformed",
    );
}
