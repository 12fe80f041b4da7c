//! The conversation through the real `PortalWeb` on the memory store: comments on a
//! task (client API, staff API, the task's page), questions (client API, the ask page,
//! the staff's list), each client's activity (client API, staff API, the activity
//! page); who may call each route, what bad input gets, and that what people typed is
//! shown escaped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::id::{ContactId, StaffId};
use portal_core::task::{NewTask, Side};
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";
const COOKIE: &str = "__Host-portal_session";
const HOSTILE: &str = "<script>alert('x')</script> & <b>bold</b>";

struct Harness {
    w: World,
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

/// Whether the JSON document was written with its keys in alphabetical order, as every
/// document of the API but `/api/me`.
fn sorted(g: &Got) -> bool {
    g.resp.body == serde_json::to_vec(&g.body).unwrap()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Harness {
    async fn new() -> Harness {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let web = PortalWeb::builder(w.a.clone(), w.firm.id)
            .staff_api(
                "/admin/api",
                BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap(),
            )
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

    /// A task of `client` through the staff API: a plain one for the client's side.
    async fn task(&self, client: impl std::fmt::Display, title: &str) -> String {
        self.task_of(
            client,
            json!({"title": title, "evidence": {"type": "standard"}}),
        )
        .await
    }

    async fn task_of(&self, client: impl std::fmt::Display, body: Value) -> String {
        let r = self
            .staff("POST", &format!("/clients/{client}/tasks"), Some(body))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    async fn caller(&self, contact: ContactId) -> Caller {
        let login = self.w.login(contact).await;
        let cookie = format!("{COOKIE}={}", login.token.expose_secret());
        self.caller_with(cookie).await
    }

    async fn caller_with(&self, cookie: String) -> Caller {
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

    /// A staff preview of `contact`'s portal.
    async fn preview(&self, contact: ContactId) -> Caller {
        let link = self
            .w
            .a
            .issue_preview_link(&self.w.staff, contact)
            .await
            .unwrap();
        let token = link.url.rsplit('/').next().unwrap().to_owned();
        let started = self
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
        self.caller_with(cookie).await
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

    async fn staff_comments(&self, task: &str) -> Vec<Value> {
        let r = self
            .staff("GET", &format!("/tasks/{task}/comments"), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["comments"].as_array().unwrap().clone()
    }

    async fn questions(&self) -> Vec<Value> {
        let r = self.staff("GET", "/questions", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["questions"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_contact_comments_staff_answer_and_the_contact_reads_the_firm() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let task = h.task(c1, "Year-end accounts").await;
    let jane = h.caller(h.w.jane.id).await;
    let path = format!("/api/tasks/{task}/comments");

    let empty = h.get(&jane, &path).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body, json!({"comments": []}));

    let posted = h
        .post(&jane, &path, json!({"body": "Is the van on the books?"}))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert!(sorted(&posted));
    let jane_id = h.w.jane.id.to_string();
    assert_eq!(
        posted.body["author"],
        json!({"first_name": "Jane", "id": jane_id, "kind": "contact"})
    );
    assert_eq!(posted.body["body"], "Is the van on the books?");
    assert!(posted.body["id"].is_string() && posted.body["at"].is_string());
    assert_eq!(
        posted.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["at", "author", "body", "id"]
    );

    // Staff read it, and answer.
    let seen = h.staff_comments(&task).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["author"]["kind"], "contact");
    assert_eq!(seen[0]["id"], posted.body["id"]);
    h.w.advance(std::time::Duration::from_secs(60));
    let answer = h
        .staff(
            "POST",
            &format!("/tasks/{task}/comments"),
            Some(json!({"body": "Yes: bought in March.\nSee the register."})),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(sorted(&answer));
    assert_eq!(
        answer.body["author"],
        json!({"id": "staff", "kind": "staff"})
    );
    let staff_view = h.staff_comments(&task).await;
    assert_eq!(
        staff_view[1]["author"],
        json!({"id": "staff", "kind": "staff"})
    );

    // The contact sees the answer as from the firm, never a staff id; oldest first.
    let read = h.get(&jane, &path).await;
    assert_eq!(read.status, 200);
    assert!(sorted(&read));
    let comments = read.body["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["body"], "Is the van on the books?");
    assert_eq!(comments[1]["author"], json!({"kind": "firm"}));
    assert_eq!(
        comments[1]["body"],
        "Yes: bought in March.\nSee the register."
    );
    assert!(!read.text.contains("\"staff\""), "{}", read.text);

    // A colleague on the same client reads the same, Jane by her first name.
    let bob = h.caller(h.w.bob.id).await;
    let bobs = h.get(&bob, &path).await;
    assert_eq!(bobs.body["comments"][0]["author"]["first_name"], "Jane");

    // From the page's form: back to the comments, line breaks as typed. (Comments of
    // the same instant are ordered by id: a minute later, this one is last.)
    h.w.advance(std::time::Duration::from_secs(60));
    let form = h
        .post_form(&bob, &path, &[("body", "First line\r\nsecond line")])
        .await;
    assert_eq!(form.status, 303, "{}", form.text);
    assert_eq!(
        form.resp.header("location"),
        Some(format!("/portal/tasks/{task}#comments").as_str())
    );
    let last = h.staff_comments(&task).await;
    assert_eq!(last[2]["body"], "First line\nsecond line");
    assert_eq!(last[2]["author"]["id"], h.w.bob.id.to_string());
}

#[tokio::test]
async fn questions_reach_the_staff_list_newest_first_and_page() {
    let h = Harness::new().await;
    let (c1, c2) = (h.w.client1.id, h.w.client2.id);
    let task = h.task(c1, "Payroll").await;
    let jane = h.caller(h.w.jane.id).await;

    let plain = h
        .post(
            &jane,
            "/api/questions",
            json!({"body": "When is the VAT due?"}),
        )
        .await;
    assert_eq!(plain.status, 201, "{}", plain.body);
    assert!(sorted(&plain));
    assert_eq!(
        plain.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["at", "id"]
    );
    h.w.advance(std::time::Duration::from_secs(1));
    let about = h
        .post(
            &jane,
            "/api/questions",
            json!({"body": "Which payslips?", "task_id": task}),
        )
        .await;
    assert_eq!(about.status, 201, "{}", about.body);
    h.w.advance(std::time::Duration::from_secs(1));
    let form = h
        .post_form(
            &jane,
            "/api/questions",
            &[("body", "From the page"), ("task_id", &task)],
        )
        .await;
    assert_eq!(form.status, 303, "{}", form.text);
    assert_eq!(
        form.resp.header("location"),
        Some(format!("/portal/ask?sent=1&task={task}").as_str())
    );

    let listed = h.questions().await;
    assert_eq!(listed.len(), 3);
    let bodies: Vec<_> = listed.iter().map(|q| q["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies,
        ["From the page", "Which payslips?", "When is the VAT due?"]
    );
    assert_eq!(listed[1]["id"], about.body["id"]);
    assert_eq!(listed[1]["task_id"], task.as_str());
    assert_eq!(listed[2]["task_id"], Value::Null);
    assert_eq!(listed[2]["client_id"], c1.to_string());
    assert_eq!(
        listed[2]["contact"],
        json!({"first_name": "Jane", "id": h.w.jane.id.to_string(), "kind": "contact"})
    );
    let r = h.staff("GET", "/questions", None).await;
    assert!(sorted(&r));

    // One page at a time, from the last one's time and id.
    let first = h.staff("GET", "/questions?limit=2", None).await;
    let page: Vec<_> = first.body["questions"].as_array().unwrap().clone();
    assert_eq!(page.len(), 2);
    let next = h
        .staff(
            "GET",
            &format!(
                "/questions?limit=2&before_at={}&before_id={}",
                enc(page[1]["at"].as_str().unwrap()),
                page[1]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(next.body["questions"][0]["body"], "When is the VAT due?");
    assert_eq!(next.body["questions"].as_array().unwrap().len(), 1);

    // Of one client; the other has none.
    let of_c2 = h
        .staff("GET", &format!("/questions?client_id={c2}"), None)
        .await;
    assert_eq!(of_c2.body, json!({"questions": []}));
    for query in [
        "before_at=2026-01-01T00:00:00.000Z",
        "before_at=yesterday&before_id=x",
        "limit=many",
        "client=x",
    ] {
        let r = h.staff("GET", &format!("/questions?{query}"), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
    }
    let foreign = h
        .staff(
            "GET",
            &format!("/questions?client_id={}", h.w.other_client.id),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
}

#[tokio::test]
async fn the_activity_shows_created_submitted_commented_and_asked_newest_first() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let task = h
        .task_of(
            c1,
            json!({"title": "The <b>van</b>", "evidence": {"type": "question", "question": "What is it?"}}),
        )
        .await;
    let jane = h.caller(h.w.jane.id).await;
    h.w.advance(std::time::Duration::from_secs(1));
    let answered = h
        .post(
            &jane,
            &format!("/api/tasks/{task}/answer"),
            json!({"text": "A delivery van"}),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    h.w.advance(std::time::Duration::from_secs(1));
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{task}/comments"),
            json!({"body": "See the invoice"}),
        )
        .await;
    assert_eq!(r.status, 201);
    h.w.advance(std::time::Duration::from_secs(1));
    let r = h
        .post(&jane, "/api/questions", json!({"body": "Anything else?"}))
        .await;
    assert_eq!(r.status, 201);

    let path = format!("/api/clients/{c1}/activity");
    let feed = h.get(&jane, &path).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(sorted(&feed));
    let items = feed.body["items"].as_array().unwrap();
    let kinds: Vec<_> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    let wanted = ["asked", "commented", "submitted", "task_created"];
    let mut positions = wanted.iter().map(|k| {
        kinds
            .iter()
            .position(|x| x == k)
            .unwrap_or_else(|| panic!("{k} in {kinds:?}"))
    });
    let mut last = positions.next().unwrap();
    for p in positions {
        assert!(p > last, "newest first: {kinds:?}");
        last = p;
    }
    let seqs: Vec<_> = items.iter().map(|i| i["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    let created = &items[kinds.iter().position(|k| *k == "task_created").unwrap()];
    assert_eq!(created["actor"], json!({"kind": "firm"}));
    assert_eq!(created["task_id"], task.as_str());
    assert_eq!(created["task_title"], "The <b>van</b>");
    let commented = &items[kinds.iter().position(|k| *k == "commented").unwrap()];
    assert_eq!(commented["actor"]["first_name"], "Jane");
    let asked = &items[0];
    assert_eq!(asked["kind"], "asked");
    assert_eq!(asked["task_id"], Value::Null);
    assert_eq!(feed.body["before"], Value::Null);
    assert!(!feed.text.contains("alice") && !feed.text.contains("\"staff\""));

    // A page at a time.
    let one = h.get(&jane, &format!("{path}?limit=1")).await;
    assert_eq!(one.body["items"].as_array().unwrap().len(), 1);
    let before = one.body["before"].as_u64().unwrap();
    let two = h
        .get(&jane, &format!("{path}?limit=1&before={before}"))
        .await;
    assert_eq!(two.body["items"][0]["kind"], "commented");
    for query in ["before=x", "limit=-1", "page=2"] {
        assert_eq!(
            h.get(&jane, &format!("{path}?{query}")).await.status,
            400,
            "{query}"
        );
    }

    // Staff see it, staff by id.
    let staff = h
        .staff("GET", &format!("/clients/{c1}/activity"), None)
        .await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    assert!(sorted(&staff));
    let created = staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "task_created")
        .unwrap()
        .clone();
    assert_eq!(created["actor"], json!({"id": "staff", "kind": "staff"}));
}

#[tokio::test]
async fn every_route_refuses_who_may_not_call_it() {
    let h = Harness::new().await;
    let (c1, c2) = (h.w.client1.id, h.w.client2.id);
    let mine = h.task(c1, "Bob's").await;
    let janes_only = h.task(c2, "Jane's only").await;
    let foreign =
        h.w.a
            .create_task(
                &h.w.other_staff,
                h.w.other_client.id,
                NewTask {
                    phase: None,
                    title: "Elsewhere".into(),
                    description: String::new(),
                    assignee: Side::Client,
                    due_on: None,
                    evidence: portal_core::task::Evidence::Standard,
                },
            )
            .await
            .unwrap()
            .id
            .to_string();
    let bob = h.caller(h.w.bob.id).await;

    // Another client's task, another firm's: not found, whatever is sent.
    for task in [&janes_only, &foreign] {
        let path = format!("/api/tasks/{task}/comments");
        assert_eq!(h.get(&bob, &path).await.status, 404, "{task}");
        assert_eq!(h.post(&bob, &path, json!({"body": "hi"})).await.status, 404);
        assert_eq!(h.post(&bob, &path, json!({"body": ""})).await.status, 404);
        assert_eq!(
            h.post_form(&bob, &path, &[("body", "hi")]).await.status,
            404
        );
        let q = json!({"body": "hi", "task_id": task});
        assert_eq!(h.post(&bob, "/api/questions", q).await.status, 404);
        let q = json!({"body": "", "task_id": task});
        assert_eq!(h.post(&bob, "/api/questions", q).await.status, 404);
        assert_eq!(h.get(&bob, &format!("/tasks/{task}")).await.status, 404);
        assert_eq!(h.get(&bob, &format!("/ask?task={task}")).await.status, 404);
        let staff = h
            .staff("GET", &format!("/tasks/{task}/comments"), None)
            .await;
        assert_eq!(staff.status, if *task == foreign { 404 } else { 200 });
    }
    for client in [c2, h.w.other_client.id] {
        let r = h
            .get(&bob, &format!("/api/clients/{client}/activity"))
            .await;
        assert_eq!(r.status, 404, "{client}");
    }
    let r = h
        .staff(
            "POST",
            &format!("/tasks/{foreign}/comments"),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = h
        .staff(
            "GET",
            &format!("/clients/{}/activity", h.w.other_client.id),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(h.staff_comments(&janes_only).await.is_empty());
    assert!(h.questions().await.is_empty());
    for forged in ["nope", "00000000-0000-0000-0000-000000000000"] {
        let r = h.get(&bob, &format!("/api/tasks/{forged}/comments")).await;
        assert_eq!(r.status, 404, "{forged}");
        let r = h
            .staff("GET", &format!("/tasks/{forged}/comments"), None)
            .await;
        assert_eq!(r.status, 404, "{forged}");
    }

    // No session: 401 from the API, the login page for a page.
    let anon = Caller {
        cookie: String::new(),
        csrf: String::new(),
    };
    for path in [
        format!("/api/tasks/{mine}/comments"),
        format!("/api/clients/{c1}/activity"),
    ] {
        assert_eq!(h.get(&anon, &path).await.status, 401, "{path}");
    }
    for path in ["/activity", "/ask"] {
        let r = h.get(&anon, path).await;
        assert_eq!(r.status, 303, "{path}");
        assert!(r.resp.header("location").unwrap().contains("/portal/login"));
    }
    for (path, body) in [
        (format!("/api/tasks/{mine}/comments"), json!({"body": "hi"})),
        ("/api/questions".to_owned(), json!({"body": "hi"})),
    ] {
        let r = h.post(&anon, &path, body).await;
        assert!(matches!(r.status, 401 | 403), "{path}: {}", r.status);
    }
    // No staff token: 401.
    let r = got(h
        .web
        .handle_staff(Request::new("GET", "/admin/api/questions"))
        .await);
    assert_eq!(r.status, 401);

    // Missing or wrong CSRF token: 403, nothing stored.
    for csrf in ["", "wrong"] {
        let no_csrf = Caller {
            cookie: bob.cookie.clone(),
            csrf: csrf.to_owned(),
        };
        let r = h
            .post(
                &no_csrf,
                &format!("/api/tasks/{mine}/comments"),
                json!({"body": "hi"}),
            )
            .await;
        assert_eq!(r.status, 403, "{csrf:?}");
        let r = h
            .post(&no_csrf, "/api/questions", json!({"body": "hi"}))
            .await;
        assert_eq!(r.status, 403, "{csrf:?}");
        let r = h
            .post_form(&no_csrf, "/api/questions", &[("body", "hi")])
            .await;
        assert_eq!(r.status, 403, "{csrf:?}");
    }
    assert!(h.staff_comments(&mine).await.is_empty());
    assert!(h.questions().await.is_empty());

    // A staff preview reads, and posts nothing.
    let c = h
        .staff(
            "POST",
            &format!("/tasks/{mine}/comments"),
            Some(json!({"body": "From us"})),
        )
        .await;
    assert_eq!(c.status, 201);
    let preview = h.preview(h.w.bob.id).await;
    let r = h
        .get(&preview, &format!("/api/tasks/{mine}/comments"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.get(&preview, &format!("/api/clients/{c1}/activity"))
            .await
            .status,
        200
    );
    let r = h
        .post(
            &preview,
            &format!("/api/tasks/{mine}/comments"),
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Read-only preview: nothing can be changed");
    let r = h
        .post(&preview, "/api/questions", json!({"body": "hi"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(h.staff_comments(&mine).await.len(), 1);
    assert!(h.questions().await.is_empty());

    // A contact without `tasks` on the client: no activity (403; the page is not
    // there), and no Activity in the navigation.
    let grant = h
        .staff(
            "PUT",
            &format!("/contacts/{}/grants/{c1}", h.w.bob.id),
            Some(json!({"permissions": ["approvals"]})),
        )
        .await;
    assert_eq!(grant.status, 200);
    let bob = h.caller(h.w.bob.id).await;
    let r = h.get(&bob, &format!("/api/clients/{c1}/activity")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(h.get(&bob, "/activity").await.status, 404);
    let home = h.get(&bob, "/").await;
    assert_eq!(home.status, 200);
    assert!(!home.text.contains("/portal/activity"));
    assert!(home.text.contains("Ask a question"));
}

#[tokio::test]
async fn bad_input_is_refused_and_stores_nothing() {
    let h = Harness::new().await;
    let task = h.task(h.w.client1.id, "Bank").await;
    let jane = h.caller(h.w.jane.id).await;
    let comments = format!("/api/tasks/{task}/comments");
    let long = "x".repeat(5_001);
    let bodies = [
        json!({"body": ""}),
        json!({"body": long}),
        json!({"body": "bell \u{7} here"}),
        json!({"body": "nul \u{0}"}),
        json!({}),
        json!({"body": 42}),
        json!({"body": "ok", "firm_id": "x"}),
    ];
    for body in &bodies {
        let r = h.post(&jane, &comments, body.clone()).await;
        assert!((400..500).contains(&r.status), "{body:.60}: {}", r.status);
        let r = h.post(&jane, "/api/questions", body.clone()).await;
        assert!((400..500).contains(&r.status), "{body:.60}: {}", r.status);
        let r = h
            .staff(
                "POST",
                &format!("/tasks/{task}/comments"),
                Some(body.clone()),
            )
            .await;
        assert!((400..500).contains(&r.status), "{body:.60}: {}", r.status);
    }
    let empty = h.post(&jane, &comments, json!({"body": ""})).await;
    assert_eq!(empty.status, 400);
    assert!(empty.body["error"].as_str().unwrap().contains("body"));
    for form in [
        &[("body", "")][..],
        &[("body", long.as_str())],
        &[("body", "a\u{1b}[31m")],
        &[],
    ] {
        let r = h.post_form(&jane, &comments, form).await;
        assert!((400..500).contains(&r.status), "{}", r.status);
        let r = h.post_form(&jane, "/api/questions", form).await;
        assert!((400..500).contains(&r.status), "{}", r.status);
    }
    let bad_task = h
        .post(
            &jane,
            "/api/questions",
            json!({"body": "hi", "task_id": "nope"}),
        )
        .await;
    assert_eq!(bad_task.status, 404);
    // A body far past the limit is refused before it is read.
    let huge = json!({"body": "y".repeat(2 * 1024 * 1024)}).to_string();
    let r = h.post_raw(&jane, &comments, huge.clone()).await;
    assert_eq!(r.status, 413, "{}", r.text);
    let r = h.post_raw(&jane, "/api/questions", huge).await;
    assert_eq!(r.status, 413);
    // At the limit it is taken: the limit is where it is said to be.
    let most = "z".repeat(5_000);
    let r = h.post(&jane, &comments, json!({"body": most})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let stored = h.staff_comments(&task).await;
    assert_eq!(stored.len(), 1, "only the one at the limit");
    assert!(h.questions().await.is_empty());
}

#[tokio::test]
async fn the_pages_show_the_conversation_escaped_and_link_it() {
    let h = Harness::new().await;
    let c1 = h.w.client1.id;
    let task = h.task(c1, "Receipts <i>2026</i>").await;
    let jane = h.caller(h.w.jane.id).await;
    let r = h
        .post(
            &jane,
            &format!("/api/tasks/{task}/comments"),
            json!({"body": format!("{HOSTILE}\nsecond line")}),
        )
        .await;
    assert_eq!(r.status, 201);
    h.w.advance(std::time::Duration::from_secs(60));
    h.staff(
        "POST",
        &format!("/tasks/{task}/comments"),
        Some(json!({"body": "From the firm"})),
    )
    .await;
    h.w.advance(std::time::Duration::from_secs(60));
    let r = h
        .post(
            &jane,
            "/api/questions",
            json!({"body": HOSTILE, "task_id": task}),
        )
        .await;
    assert_eq!(r.status, 201);

    let page = h.get(&jane, &format!("/tasks/{task}")).await;
    assert_eq!(page.status, 200);
    let html = &page.text;
    assert!(
        !html.contains("<script>alert") && !html.contains("<b>bold"),
        "{html}"
    );
    assert!(
        html.contains(
            "<p class=\"pre-line\">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;\nsecond line</p>"
        ),
        "escaped, its line break kept: {html}"
    );
    let mine = html
        .find("<span class=\"author\">You</span>")
        .expect("Jane's comment");
    let firm = html
        .find("<span class=\"author\">Acme Accounting</span>")
        .expect("the firm's comment");
    assert!(mine < firm, "oldest first");
    assert!(html.contains("<time datetime=\"2026-01-01T"));
    assert!(html.contains(&format!("action=\"/portal/api/tasks/{task}/comments\"")));
    assert!(html.contains("<label for=\"comment-body\">"));
    assert!(html.contains(&format!("href=\"/portal/ask?task={task}\"")));
    assert!(!html.contains("staff"), "no staff id on a contact's page");
    assert!(!html.contains("<script"), "no script on the page");

    // The ask page, about the task, and its confirmation.
    let ask = h.get(&jane, &format!("/ask?task={task}")).await;
    assert_eq!(ask.status, 200);
    assert!(
        ask.text
            .contains(&format!("name=\"task_id\" value=\"{task}\""))
    );
    assert!(ask.text.contains("Receipts &lt;i&gt;2026&lt;/i&gt;"));
    assert!(ask.text.contains("action=\"/portal/api/questions\""));
    assert!(ask.text.contains("<label for=\"question-body\">"));
    assert!(ask.text.contains("aria-current=\"page\">Ask a question"));
    assert!(!ask.text.contains("role=\"status\""));
    let plain = h.get(&jane, "/ask").await;
    assert!(!plain.text.contains("name=\"task_id\""));
    let sent = h.get(&jane, "/ask?sent=1").await;
    assert!(
        sent.text
            .contains("Your question was sent to Acme Accounting.")
    );
    assert_eq!(h.get(&jane, "/ask?other=1").await.status, 400);

    // The activity page: newest first, escaped, linked from the navigation.
    let activity = h.get(&jane, "/activity").await;
    assert_eq!(activity.status, 200);
    let html = &activity.text;
    assert!(html.contains("aria-current=\"page\">Activity"));
    assert!(
        !html.contains("<script>alert") && !html.contains("<i>2026"),
        "{html}"
    );
    let asked = html.find("You asked a question about").expect("asked");
    let commented = html
        .find("Acme Accounting commented on")
        .expect("commented");
    let created = html
        .find("Acme Accounting added the task")
        .expect("created");
    assert!(asked < commented && commented < created, "{html}");
    assert!(html.contains(&format!(
        "<a href=\"/portal/tasks/{task}\">Receipts &lt;i&gt;"
    )));
    assert!(!html.contains("Older activity"));
    for page in ["/", "/progress", "/documents", "/approvals"] {
        let r = h.get(&jane, page).await;
        assert!(r.text.contains("href=\"/portal/activity\""), "{page}");
        assert!(
            r.text.contains("href=\"/portal/ask\">Ask a question"),
            "{page}"
        );
    }

    // Past a page, an older link that pages back. The comments are spread out, as a
    // contact writes them, to stay within the policy's messages per window.
    for i in 0..30 {
        h.w.advance(std::time::Duration::from_secs(40));
        let r = h
            .post(
                &jane,
                &format!("/api/tasks/{task}/comments"),
                json!({"body": format!("n{i}")}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let first = h.get(&jane, "/activity").await;
    let at = first
        .text
        .find("href=\"/portal/activity?before=")
        .expect("an older link");
    let href: String = first.text[at + 6..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(first.text.matches("<li class=\"activity-").count(), 25);
    let older = h.get(&jane, href.trim_start_matches("/portal")).await;
    assert_eq!(older.status, 200);
    assert!(older.text.contains("Acme Accounting added the task"));
    assert!(!older.text.contains("Older activity"));
    assert_eq!(h.get(&jane, "/activity?before=x").await.status, 400);
}
