//! The staff API's tasks and phases through real sockets, on both servers and every
//! store: the demo's engagement, a task of each evidence type created, read, edited,
//! reordered, withdrawn (then gone for the client), statuses set, the firm's own
//! tasks completed, checklist items checked on the firm's side; bad input and ids
//! that name nothing of this firm refused with nothing stored.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login, me};
use super::client::send;
use super::server::{ADMIN_TOKEN, Server};

const BOB: &str = "bob@example.com";

/// Bob's client: the one the demo gives him.
fn bobs_client(s: &Server) -> String {
    let mut bob = login(s, BOB);
    me(&mut bob).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned()
}

fn staff_tasks(s: &Server, client: &str) -> Vec<Value> {
    let r = s.admin("GET", &format!("/clients/{client}/tasks"), None);
    assert_status(&r, 200, "staff task list");
    r.json().as_array().cloned().expect("a list")
}

fn by_title<'a>(tasks: &'a [Value], title: &str) -> &'a Value {
    tasks
        .iter()
        .find(|t| t["title"] == title)
        .unwrap_or_else(|| panic!("no task {title:?}"))
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A 4xx whose message mentions `word`.
fn assert_refused(r: &super::client::Resp, status: u16, word: &str, what: &str) {
    assert_status(r, status, what);
    let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains(word), "{what}: {error}");
}

/// One definition of each evidence type, as the staff API takes them.
fn definitions() -> Vec<Value> {
    vec![
        json!({"type": "standard"}),
        json!({"type": "question", "question": "What was this?", "transaction": {
            "date": "2026-11-03T00:00:00.000Z", "payee": "Office Supplies Ltd",
            "amount": {"value": "-42.10", "currency": "EUR"}, "memo": "INV 7"}}),
        json!({"type": "form", "fields": [
            {"name": "who", "label": "Who", "kind": "short_text", "max_chars": 100, "required": true},
            {"name": "notes", "label": "Notes", "kind": "long_text", "max_chars": 2000, "required": false},
            {"name": "size", "label": "Size", "kind": "single_select", "options": ["S", "M"], "required": true},
            {"name": "income", "label": "Income", "kind": "multiple_select", "options": ["Sales", "Rent"], "required": false},
            {"name": "rating", "label": "Rating", "kind": "rating", "required": false}]}),
        json!({"type": "checklist", "items": ["Address", "VAT number"]}),
        json!({"type": "approval", "text": "The draft accounts", "link": "https://files.example.com/a.pdf"}),
        json!({"type": "meeting", "starts_at": "2026-12-10T13:00:00.000Z", "utc_offset_minutes": 60,
            "time_zone": "Europe/Vienna", "duration_minutes": 30, "join_link": "https://meet.example.com/x"}),
        json!({"type": "training", "provider": "youtube", "video_id": "aqz-KE-bpKQ"}),
    ]
}

pub fn demo_engagement_has_every_evidence_type_by_phase(s: &Server) {
    let clients = s.admin("GET", "/clients", None).json();
    for client in clients.as_array().expect("clients") {
        let client = id(client);
        let tasks = staff_tasks(s, &client);
        let types: BTreeSet<_> = tasks
            .iter()
            .filter_map(|t| t["evidence"]["type"].as_str())
            .collect();
        assert_eq!(types.len(), 11, "{types:?}");
        let phases = s.admin("GET", &format!("/clients/{client}/phases"), None);
        assert_status(&phases, 200, "phases");
        let phases = phases.json();
        let names: Vec<_> = phases
            .as_array()
            .expect("phases")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["Onboarding", "Month end", "Year end"]);
        assert!(tasks.iter().all(|t| t["phase_id"].is_string()));
        // Done and open, on both sides.
        let firm_done = by_title(&tasks, "Set up your bank feed");
        assert_eq!(
            (&firm_done["assignee"], &firm_done["status"]),
            (&json!("firm"), &json!("completed"))
        );
        assert!(
            firm_done["completed_by"]
                .as_str()
                .unwrap()
                .starts_with("staff:")
        );
        let details = by_title(&tasks, "Confirm your business details");
        assert_eq!(details["checklist"][0]["checked"], true);
        assert_eq!(details["status"], "in_progress");
        assert!(
            tasks
                .iter()
                .any(|t| t["assignee"] == "client" && t["status"] == "pending")
        );
        let meeting = tasks.iter().find(|t| t["evidence"]["type"] == "meeting");
        let link = meeting.unwrap()["evidence"]["join_link"].as_str().unwrap();
        assert!(link.starts_with("https://"), "{link}");
        let training = tasks.iter().find(|t| t["evidence"]["type"] == "training");
        assert!(training.unwrap()["embed_url"].is_string());
        assert!(phases[0]["percent"].as_u64().unwrap() > 0, "{phases}");
    }
}

pub fn staff_create_edit_reorder_and_withdraw_tasks_of_every_type(s: &Server) {
    let client = bobs_client(s);
    let created: Vec<Value> = definitions()
        .into_iter()
        .enumerate()
        .map(|(i, evidence)| {
            let kind = evidence["type"].as_str().unwrap().to_owned();
            let body = json!({"title": format!("New {kind}"), "phase": "Extra",
                "description": "From the test", "due_on": "2027-03-01", "evidence": evidence});
            let r = s.admin("POST", &format!("/clients/{client}/tasks"), Some(&body));
            assert_status(&r, 201, &kind);
            let task = r.json();
            assert_eq!(task["evidence"]["type"], kind.as_str(), "{i}");
            assert_eq!(task["phase"], "Extra");
            assert_eq!(task["status"], "pending");
            assert_eq!(task["due_on"], "2027-03-01");
            // Read back as created.
            let read = s.admin("GET", &format!("/tasks/{}", id(&task)), None);
            assert_status(&read, 200, "read back");
            assert_eq!(read.json(), task);
            task
        })
        .collect();
    let training = created.iter().find(|t| t["evidence"]["type"] == "training");
    assert_eq!(
        training.unwrap()["embed_url"],
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
    );
    // Edit: the fields given change, the others stay; null clears.
    let question = id(&created[1]);
    let path = format!("/tasks/{question}");
    let r = s.admin(
        "PATCH",
        &path,
        Some(&json!({"title": "Explain this payment", "due_on": null, "position": 1})),
    );
    assert_status(&r, 200, "edit");
    let edited = r.json();
    assert_eq!(edited["title"], "Explain this payment");
    assert_eq!(edited["due_on"], Value::Null);
    assert_eq!(edited["description"], "From the test");
    assert_eq!(edited["evidence"], created[1]["evidence"]);
    // Moved to another phase of its client, then out of any phase.
    let phases = s
        .admin("GET", &format!("/clients/{client}/phases"), None)
        .json();
    let onboarding = id(&phases[0]);
    let r = s.admin("PATCH", &path, Some(&json!({"phase_id": onboarding})));
    assert_eq!(
        (r.json()["phase_id"].as_str(), r.json()["phase"].as_str()),
        (Some(onboarding.as_str()), Some("Onboarding"))
    );
    let r = s.admin("PATCH", &path, Some(&json!({"phase_id": null})));
    assert_eq!(r.json()["phase_id"], Value::Null);
    // A new definition while nothing was given for it; the checklist gets its items.
    let r = s.admin(
        "PATCH",
        &path,
        Some(&json!({"evidence": {"type": "checklist", "items": ["One", "Two", "Three"]}})),
    );
    assert_status(&r, 200, "new definition");
    assert_eq!(r.json()["checklist"].as_array().unwrap().len(), 3);
    // Reorder: every task of the client once.
    let mut order: Vec<String> = staff_tasks(s, &client).iter().map(id).collect();
    order.reverse();
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks/order"),
        Some(&json!({ "ids": order })),
    );
    assert_status(&r, 200, "reorder");
    let listed: Vec<String> = r.json().as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed, order);
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    let seen: Vec<String> = bob
        .get(&format!("/portal/api/clients/{client}/tasks"))
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(seen, order, "the client sees the new order");
    // Withdraw a client task: gone from the client's list, 404 to complete, kept for staff.
    let standard = id(&created[0]);
    let r = s.admin("POST", &format!("/tasks/{standard}/withdraw"), None);
    assert_status(&r, 200, "withdraw");
    assert!(r.json()["withdrawn_at"].is_string());
    let again = s.admin("POST", &format!("/tasks/{standard}/withdraw"), None);
    assert_eq!(again.json(), r.json(), "withdrawing twice changes nothing");
    let seen = bob
        .get(&format!("/portal/api/clients/{client}/tasks"))
        .json();
    assert!(
        !seen
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == standard.as_str())
    );
    assert_status(
        &bob.post_json(
            &format!("/portal/api/tasks/{standard}/complete"),
            &token,
            &json!({}),
        ),
        404,
        "a withdrawn task",
    );
    let kept = staff_tasks(s, &client);
    assert!(kept.iter().any(|t| t["id"] == standard.as_str()));
    let audit = s.admin("GET", "/audit", None).json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "task.created",
        "task.edited",
        "task.reordered",
        "task.withdrawn",
    ] {
        assert!(actions.contains(&action), "{action}");
    }
}

pub fn staff_set_statuses_complete_the_firms_tasks_and_check_items(s: &Server) {
    let client = bobs_client(s);
    let tasks = staff_tasks(s, &client);
    // Any task's status.
    let letter = id(by_title(&tasks, "Confirm our engagement terms"));
    let r = s.admin(
        "POST",
        &format!("/tasks/{letter}/status"),
        Some(&json!({"status": "blocked"})),
    );
    assert_status(&r, 200, "status");
    assert_eq!(r.json()["status"], "blocked");
    // The firm's own task, with a note; once.
    let reconcile = id(by_title(&tasks, "Reconcile accounts"));
    let path = format!("/tasks/{reconcile}/complete");
    let r = s.admin("POST", &path, Some(&json!({"note": "All matched"})));
    assert_status(&r, 200, "complete");
    let done = r.json();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["note"], "All matched");
    assert!(done["completed_by"].as_str().unwrap().starts_with("staff:"));
    let again = s.admin("POST", &path, None);
    assert_eq!(again.json(), done, "the first completion stands");
    // A client's task is completed through its status, not this route.
    assert_status(
        &s.admin("POST", &format!("/tasks/{letter}/complete"), None),
        409,
        "the client's task",
    );
    // A checklist item on the firm's side; the client sees who checked it.
    let details = id(by_title(&tasks, "Confirm your business details"));
    let r = s.admin(
        "POST",
        &format!("/tasks/{details}/checklist/1"),
        Some(&json!({"checked": true})),
    );
    assert_status(&r, 200, "check");
    let checked = r.json();
    assert_eq!(checked["checklist"][1]["checked"], true);
    assert!(
        checked["checklist"][1]["by"]
            .as_str()
            .unwrap()
            .starts_with("staff:")
    );
    let r = s.admin(
        "POST",
        &format!("/tasks/{details}/checklist/1"),
        Some(&json!({"checked": false})),
    );
    assert_eq!(r.json()["checklist"][1]["checked"], false);
    // Every task done: the progress reaches 100 %.
    for t in staff_tasks(s, &client) {
        let r = s.admin(
            "POST",
            &format!("/tasks/{}/status", id(&t)),
            Some(&json!({"status": "completed"})),
        );
        assert_status(&r, 200, "complete all");
    }
    let phases = s
        .admin("GET", &format!("/clients/{client}/phases"), None)
        .json();
    for p in phases.as_array().unwrap() {
        assert_eq!(
            (&p["percent"], &p["status"]),
            (&json!(100), &json!("completed"))
        );
    }
    let page = login(s, BOB).get("/portal/progress");
    assert!(
        page.text().contains("100% done overall"),
        "Our progress shows it"
    );
}

pub fn staff_manage_phases(s: &Server) {
    let client = bobs_client(s);
    let path = format!("/clients/{client}/phases");
    let r = s.admin("POST", &path, Some(&json!({"name": "Payroll"})));
    assert_status(&r, 201, "create phase");
    let payroll = r.json();
    assert_eq!(
        (&payroll["position"], &payroll["total"]),
        (&json!(4), &json!(0))
    );
    assert_refused(
        &s.admin("POST", &path, Some(&json!({"name": "Payroll"}))),
        409,
        "phase",
        "a name taken",
    );
    let r = s.admin(
        "PATCH",
        &format!("/phases/{}", id(&payroll)),
        Some(&json!({"name": "Payroll and pensions"})),
    );
    assert_status(&r, 200, "rename");
    assert_eq!(r.json()["name"], "Payroll and pensions");
    let mut ids: Vec<String> = s
        .admin("GET", &path, None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    ids.rotate_right(1);
    let r = s.admin(
        "POST",
        &format!("{path}/order"),
        Some(&json!({ "ids": ids })),
    );
    assert_status(&r, 200, "reorder phases");
    let names: Vec<_> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "Payroll and pensions",
            "Onboarding",
            "Month end",
            "Year end"
        ]
    );
    assert_status(
        &s.admin(
            "POST",
            &format!("{path}/order"),
            Some(&json!({ "ids": &ids[1..] })),
        ),
        400,
        "an order without one phase",
    );
}

pub fn staff_task_routes_refuse_bad_input_and_foreign_ids(s: &Server) {
    let client = bobs_client(s);
    let clients = s.admin("GET", "/clients", None).json();
    let other_client = clients
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .find(|c| *c != client)
        .expect("another client");
    let before = staff_tasks(s, &client);
    let phases_before = s
        .admin("GET", &format!("/clients/{client}/phases"), None)
        .json();
    let letter = id(by_title(&before, "Confirm our engagement terms"));
    let details = id(by_title(&before, "Confirm your business details"));
    let create = format!("/clients/{client}/tasks");
    for (method, path, body, status, word) in [
        (
            "POST",
            create.clone(),
            json!({"title": "T", "evidence": {"type": "checklist", "items": []}}),
            422,
            "items",
        ),
        (
            "POST",
            create.clone(),
            json!({"title": "T", "evidence": {"type": "training", "provider": "youtube", "video_id": "javascript:x"}}),
            422,
            "video",
        ),
        (
            "POST",
            create.clone(),
            json!({"title": "T", "evidence": {"type": "meeting", "starts_at": "2026-12-10T13:00:00.000Z", "utc_offset_minutes": 0, "time_zone": "UTC", "duration_minutes": 30, "join_link": "http://meet.example.com"}}),
            422,
            "join_link",
        ),
        (
            "POST",
            create.clone(),
            json!({"title": "T", "evidence": {"type": "question", "question": "Q", "transaction": {"date": "2026-11-03T00:00:00.000Z", "payee": "P", "amount": {"value": "1.234", "currency": "EUR"}, "memo": null}}}),
            400,
            "amount",
        ),
        (
            "POST",
            create.clone(),
            json!({"title": "T", "evidence": {"type": "upload"}}),
            400,
            "evidence",
        ),
        (
            "POST",
            create.clone(),
            json!({"title": "T", "status": "completed"}),
            400,
            "status",
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            json!({"title": "T\u{0}"}),
            400,
            "title",
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            json!({"title": null}),
            400,
            "title",
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            json!({"status": "completed"}),
            400,
            "status",
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            json!({"description": "x".repeat(10_001)}),
            400,
            "description",
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            json!({"due_on": "31/12/2026"}),
            400,
            "due_on",
        ),
        (
            "POST",
            format!("/tasks/{letter}/status"),
            json!({"status": "done"}),
            400,
            "status",
        ),
        (
            "POST",
            format!("/tasks/{letter}/status"),
            json!({}),
            400,
            "status",
        ),
        (
            "POST",
            format!("/tasks/{letter}/checklist/0"),
            json!({"checked": true}),
            400,
            "checklist",
        ),
        (
            "POST",
            format!("/tasks/{details}/checklist/7"),
            json!({"checked": true}),
            422,
            "item",
        ),
        (
            "POST",
            format!("/tasks/{details}/checklist/0"),
            json!({"checked": "yes"}),
            400,
            "checked",
        ),
        (
            "POST",
            format!("/clients/{client}/tasks/order"),
            json!({"ids": ["nope"]}),
            400,
            "ids",
        ),
        (
            "POST",
            format!("/clients/{client}/tasks/order"),
            json!({"ids": [letter]}),
            400,
            "order",
        ),
        (
            "POST",
            format!("/clients/{client}/phases"),
            json!({"name": "A\r\nB"}),
            400,
            "phase",
        ),
        (
            "POST",
            format!("/clients/{client}/phases"),
            json!({"name": "Onboarding"}),
            409,
            "phase",
        ),
    ] {
        let r = s.admin(method, &path, Some(&body));
        assert_refused(&r, status, word, &format!("{method} {path} {body}"));
    }
    // Not JSON.
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = send(
        s.addr,
        "PATCH",
        &format!("/admin/api/tasks/{letter}"),
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        b"title=x",
    );
    assert_status(&r, 415, "not JSON");
    // Without the staff token.
    let r = send(
        s.addr,
        "GET",
        &format!("/admin/api/tasks/{letter}"),
        &[],
        b"",
    );
    assert_status(&r, 401, "no token");
    // Ids that name nothing of this firm, and another client's phase.
    let nobody = "0190a0a0-0000-7000-8000-000000000000";
    let other_phase = id(&s
        .admin("GET", &format!("/clients/{other_client}/phases"), None)
        .json()[0]);
    for (method, path, body) in [
        ("GET", format!("/tasks/{nobody}"), None),
        ("GET", "/tasks/not-an-id".to_owned(), None),
        (
            "PATCH",
            format!("/tasks/{nobody}"),
            Some(json!({"title": "x"})),
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            Some(json!({"phase_id": other_phase})),
        ),
        (
            "PATCH",
            format!("/tasks/{letter}"),
            Some(json!({"phase_id": nobody})),
        ),
        ("POST", format!("/tasks/{nobody}/withdraw"), None),
        (
            "POST",
            format!("/tasks/{nobody}/status"),
            Some(json!({"status": "blocked"})),
        ),
        ("POST", format!("/tasks/{nobody}/complete"), None),
        (
            "POST",
            format!("/tasks/{details}/checklist/x"),
            Some(json!({"checked": true})),
        ),
        (
            "POST",
            format!("/tasks/{nobody}/checklist/0"),
            Some(json!({"checked": true})),
        ),
        ("GET", format!("/clients/{nobody}/tasks"), None),
        (
            "POST",
            format!("/clients/{nobody}/tasks"),
            Some(json!({"title": "x"})),
        ),
        (
            "POST",
            format!("/clients/{nobody}/tasks/order"),
            Some(json!({"ids": []})),
        ),
        ("GET", format!("/clients/{nobody}/phases"), None),
        (
            "POST",
            format!("/clients/{nobody}/phases"),
            Some(json!({"name": "x"})),
        ),
        (
            "POST",
            format!("/clients/{nobody}/phases/order"),
            Some(json!({"ids": []})),
        ),
        (
            "PATCH",
            format!("/phases/{nobody}"),
            Some(json!({"name": "x"})),
        ),
    ] {
        let r = s.admin(method, &path, body.as_ref());
        assert_status(&r, 404, &format!("{method} {path}"));
    }
    // Nothing of it stored.
    assert_eq!(staff_tasks(s, &client), before);
    assert_eq!(
        s.admin("GET", &format!("/clients/{client}/phases"), None)
            .json(),
        phases_before
    );
}
