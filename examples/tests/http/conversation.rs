//! The conversation over HTTP, on both servers and every store: a contact comments on
//! a task, staff read and answer through the staff API, and the contact reads the
//! answer as from the firm; a question reaches the staff's list; the client's activity
//! shows what happened, newest first. Another client's contact, and forged ids, are not
//! found anywhere; bad text is refused and stores nothing.

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login};
use super::client::Browser;
use super::server::Server;

const JANE: &str = "jane@example.com";
const BOB: &str = "bob@example.com";
const FORGED: &str = "00000000-0000-4000-8000-000000000000";

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

/// A question task of `client`, made by staff.
fn question_task(s: &Server, client: &str, title: &str) -> String {
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(&json!({"title": title,
                     "evidence": {"type": "question", "question": "What is this payment?"}})),
    );
    assert_status(&r, 201, "question task");
    r.json()["id"].as_str().expect("id").to_owned()
}

fn comments(b: &mut Browser, task: &str) -> Vec<Value> {
    let r = b.get(&format!("/portal/api/tasks/{task}/comments"));
    assert_status(&r, 200, "comments");
    r.json()["comments"].as_array().expect("comments").clone()
}

fn staff_comments(s: &Server, task: &str) -> Vec<Value> {
    let r = s.admin("GET", &format!("/tasks/{task}/comments"), None);
    assert_status(&r, 200, "staff comments");
    r.json()["comments"].as_array().expect("comments").clone()
}

fn questions_of(s: &Server, client: &str) -> Vec<Value> {
    let r = s.admin("GET", &format!("/questions?client_id={client}"), None);
    assert_status(&r, 200, "questions");
    r.json()["questions"].as_array().expect("questions").clone()
}

/// The kinds of the activity entries about `task`, newest first, as `b` reads them.
fn activity_of(b: &mut Browser, client: &str, task: &str) -> Vec<String> {
    let r = b.get(&format!("/portal/api/clients/{client}/activity?limit=100"));
    assert_status(&r, 200, "activity");
    let body = r.json();
    let items = body["items"].as_array().expect("items");
    let seqs: Vec<u64> = items.iter().filter_map(|i| i["seq"].as_u64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    items
        .iter()
        .filter(|i| i["task_id"] == task)
        .map(|i| i["kind"].as_str().expect("kind").to_owned())
        .collect()
}

pub fn a_comment_is_answered_by_staff_and_read_as_from_the_firm(s: &Server) {
    let (garage, _) = clients(s);
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);

    // The demo's comment from the firm.
    let tasks = s
        .admin("GET", &format!("/clients/{garage}/tasks"), None)
        .json();
    let statements = tasks
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["title"] == "Upload your November bank statements")
        .and_then(|t| t["id"].as_str())
        .expect("the demo's statements task")
        .to_owned();
    let seeded = comments(&mut bob, &statements);
    assert_eq!(seeded.len(), 1, "{seeded:?}");
    assert_eq!(seeded[0]["author"], json!({"kind": "firm"}));

    let task = question_task(s, &garage, "The payment of <b>14 March</b>");
    let path = format!("/portal/api/tasks/{task}/comments");
    let r = bob.post_json(
        &format!("/portal/api/tasks/{task}/answer"),
        &token,
        &json!({"text": "Fuel for the van"}),
    );
    assert_status(&r, 200, "answer");
    let r = bob.post_json(&path, &token, &json!({"body": "Receipt <to> follow"}));
    assert_status(&r, 201, "comment");
    let mine = r.json();
    assert_eq!(mine["author"]["kind"], "contact");
    assert_eq!(mine["author"]["first_name"], "Bob");
    assert_eq!(mine["body"], "Receipt <to> follow");

    // Staff read it and answer.
    let seen = staff_comments(s, &task);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], mine["id"]);
    let answer = s.admin(
        "POST",
        &format!("/tasks/{task}/comments"),
        Some(&json!({"body": "Thanks.\nWe will book it as motor expenses."})),
    );
    assert_status(&answer, 201, "staff comment");
    assert_eq!(answer.json()["author"]["kind"], "staff");

    // The contact reads the answer as from the firm, oldest first; so does Jane.
    let read = comments(&mut bob, &task);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0]["id"], mine["id"]);
    assert_eq!(read[1]["author"], json!({"kind": "firm"}));
    assert_eq!(
        read[1]["body"],
        "Thanks.\nWe will book it as motor expenses."
    );
    let mut jane = login(s, JANE);
    assert_eq!(comments(&mut jane, &task), read);

    // From the task's page: the comments shown escaped, and a form.
    let page = bob.get(&format!("/portal/tasks/{task}"));
    assert_status(&page, 200, "task page");
    let html = page.text();
    assert!(html.contains("Receipt &lt;to&gt; follow"), "{html}");
    assert!(html.contains("Thanks.\nWe will book it as motor expenses."));
    assert!(html.contains(&format!("href=\"/portal/ask?task={task}\"")));
    let r = bob.post_form(
        &path,
        &[("csrf_token", &token), ("body", "Sent it\r\nby post")],
    );
    assert_status(&r, 303, "comment from the page");
    assert_eq!(
        r.header("location"),
        Some(format!("/portal/tasks/{task}#comments").as_str())
    );
    assert_eq!(staff_comments(s, &task)[2]["body"], "Sent it\nby post");

    // A question, about the task, reaches the staff's list first.
    let r = bob.post_json(
        "/portal/api/questions",
        &token,
        &json!({"body": "Do you need the card statement too?", "task_id": task}),
    );
    assert_status(&r, 201, "question");
    let asked = r.json();
    let listed = questions_of(s, &garage);
    assert_eq!(listed[0]["id"], asked["id"]);
    assert_eq!(listed[0]["task_id"], task.as_str());
    assert_eq!(listed[0]["body"], "Do you need the card statement too?");
    assert_eq!(listed[0]["contact"]["first_name"], "Bob");
    let all = s.admin("GET", "/questions", None);
    assert_status(&all, 200, "all questions");
    assert_eq!(all.json()["questions"][0]["id"], asked["id"]);
    let r = bob.post_form(
        "/portal/api/questions",
        &[("csrf_token", &token), ("body", "And one from the page")],
    );
    assert_status(&r, 303, "question from the page");
    assert_eq!(r.header("location"), Some("/portal/ask?sent=1"));
    let sent = bob.get("/portal/ask?sent=1");
    assert!(sent.text().contains("Your question was sent to"));
    assert_eq!(questions_of(s, &garage)[0]["body"], "And one from the page");

    // The activity: created, submitted, commented, asked, newest first.
    let kinds = activity_of(&mut bob, &garage, &task);
    let order = ["asked", "commented", "submitted", "task_created"];
    let at: Vec<usize> = order
        .iter()
        .map(|k| {
            kinds
                .iter()
                .position(|x| x == k)
                .unwrap_or_else(|| panic!("{k} in {kinds:?}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "commented").count(), 3);
    let staff = s.admin("GET", &format!("/clients/{garage}/activity?limit=5"), None);
    assert_status(&staff, 200, "staff activity");
    assert_eq!(staff.json()["items"][0]["kind"], "asked");
    let page = bob.get("/portal/activity");
    assert_status(&page, 200, "activity page");
    let html = page.text();
    assert!(html.contains("You asked a question"), "{html}");
    assert!(html.contains("The payment of &lt;b&gt;14 March&lt;/b&gt;"));
    assert!(!html.contains("<b>14 March"));
}

pub fn conversation_of_other_clients_and_forged_ids_is_not_found(s: &Server) {
    let (garage, bakery) = clients(s);
    let janes_only = question_task(s, &bakery, "Jane's only");
    let mut bob = login(s, BOB);
    let token = csrf(&mut bob);
    for task in [janes_only.as_str(), FORGED] {
        let path = format!("/portal/api/tasks/{task}/comments");
        assert_status(&bob.get(&path), 404, &format!("GET {task}"));
        let r = bob.post_json(&path, &token, &json!({"body": "hi"}));
        assert_status(&r, 404, &format!("POST {task}"));
        let r = bob.post_json(&path, &token, &json!({"body": ""}));
        assert_status(&r, 404, &format!("empty POST {task}"));
        let r = bob.post_form(&path, &[("csrf_token", &token), ("body", "hi")]);
        assert_status(&r, 404, &format!("form POST {task}"));
        let r = bob.post_json(
            "/portal/api/questions",
            &token,
            &json!({"body": "hi", "task_id": task}),
        );
        assert_status(&r, 404, &format!("question about {task}"));
        assert_status(
            &bob.get(&format!("/portal/ask?task={task}")),
            404,
            "ask page",
        );
        assert_status(&bob.get(&format!("/portal/tasks/{task}")), 404, "task page");
    }
    for client in [bakery.as_str(), FORGED] {
        let r = bob.get(&format!("/portal/api/clients/{client}/activity"));
        assert_status(&r, 404, &format!("activity of {client}"));
    }
    for (method, path, body) in [
        ("GET", format!("/tasks/{FORGED}/comments"), None),
        (
            "POST",
            format!("/tasks/{FORGED}/comments"),
            Some(json!({"body": "x"})),
        ),
        ("GET", format!("/clients/{FORGED}/activity"), None),
        ("GET", format!("/questions?client_id={FORGED}"), None),
    ] {
        assert_status(&s.admin(method, &path, body.as_ref()), 404, &path);
    }
    assert!(staff_comments(s, &janes_only).is_empty());
    assert!(questions_of(s, &bakery).is_empty());

    // Bad text: refused, nothing stored.
    let task = question_task(s, &garage, "Bob's");
    let path = format!("/portal/api/tasks/{task}/comments");
    for body in [
        json!({"body": ""}),
        json!({"body": "x".repeat(5_001)}),
        json!({"body": "bell \u{7}"}),
        json!({"body": "ok", "author": "staff"}),
    ] {
        let r = bob.post_json(&path, &token, &body);
        assert_status(&r, 400, &format!("comment {body:.40}"));
        let r = bob.post_json("/portal/api/questions", &token, &body);
        assert_status(&r, 400, &format!("question {body:.40}"));
        let r = s.admin("POST", &format!("/tasks/{task}/comments"), Some(&body));
        assert_status(&r, 400, &format!("staff comment {body:.40}"));
    }
    let r = bob.post_json(&path, &token, &json!({"body": "y".repeat(3 * 1024 * 1024)}));
    assert_status(&r, 413, "oversized");
    assert!(staff_comments(s, &task).is_empty());
    assert!(questions_of(s, &garage).is_empty());
    // Without the CSRF token: refused, nothing stored.
    let r = bob.post_json(&path, "", &json!({"body": "no token"}));
    assert_status(&r, 403, "no CSRF token");
    assert!(staff_comments(s, &task).is_empty());
}
