//! The pages a logged-in contact sees ("Your tasks", "Our progress", "Approvals", one
//! task's page): what each shows of the active client's work, escaped; who may open
//! which; the forms each evidence type gets; and the one page whose policy lets a
//! frame in (a training video's, from its provider only).

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::clock::Timestamp;
use portal_core::evidence::{
    Amount, ApprovalRequest, BankTransaction, Checklist, Currency, Field, FieldKind, Form, Meeting,
    Question, Submission, Video,
};
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId};
use portal_core::task::{Evidence, NewTask, Side, Task};
use portal_core::testing::{Fixture, World};
use portal_core::web::{PortalWeb, Request, Response};

const EVIL: &str = "<script>alert(1)</script>";

struct Setup {
    w: World,
    web: PortalWeb,
}

impl Setup {
    async fn new() -> Setup {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let web = w.web().await;
        Setup { w, web }
    }

    async fn task(&self, client: ClientId, phase: &str, side: Side, evidence: Evidence) -> Task {
        let title = format!("{} {EVIL}", kind_of(&evidence));
        self.w
            .a
            .create_task(
                &self.w.staff,
                client,
                NewTask {
                    phase: Some(phase.into()),
                    title,
                    description: format!("Details {EVIL}"),
                    due_on: Timestamp::parse_date("2026-12-31"),
                    assignee: side,
                    evidence,
                },
            )
            .await
            .unwrap()
    }

    /// Every type, on the client's side, in two phases; and a firm task.
    async fn every_type(&self, client: ClientId) -> Vec<Task> {
        let mut out = Vec::new();
        for (phase, evidence) in evidences() {
            out.push(self.task(client, phase, Side::Client, evidence).await);
        }
        out.push(
            self.task(client, "Month end", Side::Firm, Evidence::Standard)
                .await,
        );
        out
    }

    /// A session cookie of `contact`, logged in now.
    async fn cookie(&self, contact: ContactId) -> String {
        let token = self.w.login(contact).await.token.expose_secret();
        format!("{}={token}", self.web.session_cookie_name())
    }

    async fn get(&self, cookie: &str, path: &str) -> (Response, String) {
        let resp = self
            .web
            .handle(Request::new("GET", path).header("cookie", cookie))
            .await;
        let body = String::from_utf8(resp.body.clone()).unwrap();
        (resp, body)
    }
}

fn kind_of(e: &Evidence) -> &'static str {
    e.kind().as_str()
}

fn evidences() -> Vec<(&'static str, Evidence)> {
    let eur = Currency::parse("EUR").unwrap();
    let text = |max_chars| FieldKind::ShortText { max_chars };
    let field = |name: &str, kind| Field {
        name: name.into(),
        label: format!("{name} {EVIL}"),
        kind,
        required: true,
    };
    vec![
        ("Onboarding", Evidence::Standard),
        (
            "Onboarding",
            Evidence::Question(
                Question::new(
                    &format!("What was this? {EVIL}"),
                    Some(BankTransaction {
                        date: Timestamp::parse_date("2026-11-03").unwrap(),
                        payee: format!("Payee {EVIL}"),
                        amount: Amount::parse("-42.10", eur).unwrap(),
                        memo: Some("card".into()),
                    }),
                )
                .unwrap(),
            ),
        ),
        (
            "Onboarding",
            Evidence::Form(
                Form::new(vec![
                    field("company", text(100)),
                    field("notes", FieldKind::LongText { max_chars: 1000 }),
                    field(
                        "size",
                        FieldKind::SingleSelect {
                            options: vec!["1-9".into(), format!("10+ {EVIL}")],
                        },
                    ),
                    field(
                        "tools",
                        FieldKind::MultipleSelect {
                            options: vec!["Xero".into(), "QuickBooks".into()],
                        },
                    ),
                    field("rating", FieldKind::Rating),
                ])
                .unwrap(),
            ),
        ),
        (
            "Month end",
            Evidence::Checklist(Checklist::new(&["Statements", EVIL]).unwrap()),
        ),
        (
            "Month end",
            Evidence::Approval(
                ApprovalRequest::new(
                    &format!("Approve the accounts {EVIL}"),
                    Some("https://docs.example/accounts?a=1&b=2"),
                )
                .unwrap(),
            ),
        ),
        (
            "Month end",
            Evidence::Meeting(
                Meeting::new(
                    "2026-12-10T14:00:00+01:00",
                    "Europe/Vienna",
                    45,
                    "https://meet.example/abc?x=1&y=2",
                )
                .unwrap(),
            ),
        ),
        (
            "Month end",
            Evidence::Training(Video::parse("https://youtu.be/dQw4w9WgXcQ").unwrap()),
        ),
    ]
}

fn assert_escaped(page: &str, path: &str) {
    assert!(!page.contains("<script"), "{path}: {page}");
    assert!(!page.contains("alert(1)</"), "{path}");
}

#[tokio::test]
async fn the_sections_show_the_active_clients_work_by_phase_escaped() {
    let s = Setup::new().await;
    let tasks = s.every_type(s.w.client1.id).await;
    // Another client's work shows nowhere.
    s.task(
        s.w.client2.id,
        "Elsewhere",
        Side::Client,
        Evidence::Standard,
    )
    .await;
    let cookie = s.cookie(s.w.bob.id).await;

    let (resp, home) = s.get(&cookie, "/portal/").await;
    assert_eq!(resp.status, 200);
    assert_escaped(&home, "/");
    for section in ["Your tasks", "Our progress", "Approvals"] {
        assert!(
            home.contains(&format!(">{section}</a>")),
            "{section}: {home}"
        );
    }
    assert!(
        home.contains("href=\"/portal/\" aria-current=\"page\""),
        "{home}"
    );
    assert!(home.contains("<h3>Onboarding") && home.contains("<h3>Month end"));
    assert!(!home.contains("Elsewhere"));
    for t in &tasks[..7] {
        assert!(
            home.contains(&format!("href=\"/portal/tasks/{}\"", t.id)),
            "{home}"
        );
    }
    // The firm's task is not the client's to do.
    assert!(!home.contains(&format!("/portal/tasks/{}\"", tasks[7].id)));

    let (resp, progress) = s.get(&cookie, "/portal/progress").await;
    assert_eq!(resp.status, 200);
    assert_escaped(&progress, "/progress");
    assert!(progress.contains("href=\"/portal/progress\" aria-current=\"page\""));
    assert!(
        progress.contains("<progress id=\"overall\" class=\"bar\" max=\"100\" value=\"0\">"),
        "{progress}"
    );
    assert!(progress.contains(&format!("/portal/tasks/{}\"", tasks[7].id)));
    assert!(
        progress.contains("Acme Accounting"),
        "the firm's side is named"
    );

    // Completing a task through the page's own form moves the bar.
    let csrf = csrf(&s, &cookie).await;
    let done = s
        .web
        .handle(
            Request::new(
                "POST",
                &format!("/portal/api/tasks/{}/complete", tasks[0].id),
            )
            .header("cookie", &cookie)
            .header("origin", "https://portal.acme.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={csrf}").into_bytes()),
        )
        .await;
    assert_eq!(done.status, 303);
    let (_, progress) = s.get(&cookie, "/portal/progress").await;
    // One unit of 9: seven client tasks (the checklist counting its two items) and the
    // firm's.
    assert!(progress.contains("value=\"11\""), "{progress}");
    let (_, home) = s.get(&cookie, "/portal/").await;
    assert!(!home.contains(&format!("href=\"/portal/tasks/{}\"", tasks[0].id)));
    assert!(home.contains("You have finished 1 task"), "{home}");

    let (resp, approvals) = s.get(&cookie, "/portal/approvals").await;
    assert_eq!(resp.status, 200);
    assert_escaped(&approvals, "/approvals");
    assert!(approvals.contains(&format!(
        "action=\"/portal/api/tasks/{}/decision\"",
        tasks[4].id
    )));
    assert!(approvals.contains("href=\"https://docs.example/accounts?a=1&amp;b=2\""));
}

async fn csrf(s: &Setup, cookie: &str) -> String {
    let (_, me) = s.get(cookie, "/portal/api/me").await;
    let me: serde_json::Value = serde_json::from_str(&me).unwrap();
    me["csrf_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_evidence_type_gets_its_form_posting_to_the_client_api() {
    let s = Setup::new().await;
    let tasks = s.every_type(s.w.client1.id).await;
    let cookie = s.cookie(s.w.bob.id).await;
    let csrf = csrf(&s, &cookie).await;
    let hidden = format!("<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">");
    let expected: [&[&str]; 8] = [
        &["/complete\"", "name=\"note\"", "Mark complete"],
        &[
            "/files\" enctype=\"multipart/form-data\"",
            "name=\"text\"",
            "type=\"file\" name=\"file\"",
            "<th scope=\"row\">Amount</th><td>-42.10 EUR</td>",
        ],
        &[
            "/form\"",
            "name=\"company\" maxlength=\"100\" required",
            "<textarea id=\"f-notes\" name=\"notes\"",
            "<option value=\"10+ &lt;script&gt;",
            "type=\"checkbox\" id=\"f-tools-1\" name=\"tools\" value=\"QuickBooks\"",
            "type=\"radio\" id=\"f-rating-5\" name=\"rating\" value=\"5\"",
        ],
        &[
            "/checklist/0\"",
            "/checklist/1\"",
            "name=\"checked\" value=\"true\"",
        ],
        &[
            "/decision\"",
            "name=\"decision\" value=\"approved\"",
            "name=\"decision\" value=\"rejected\"",
            "name=\"comment\"",
        ],
        &[
            "<td>2026-12-10</td>",
            "<td>14:00 (Europe/Vienna)</td>",
            "<td>45 minutes</td>",
            "href=\"https://meet.example/abc?x=1&amp;y=2\"",
            "/invite.ics\"",
        ],
        &[
            "<iframe src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\"",
            "sandbox=\"",
            "/watched\"",
        ],
        // The firm's own task: nothing to do for the client.
        &["Acme Accounting does this"],
    ];
    for (t, wanted) in tasks.iter().zip(expected) {
        let path = format!("/portal/tasks/{}", t.id);
        let (resp, page) = s.get(&cookie, &path).await;
        assert_eq!(resp.status, 200, "{path}");
        assert_escaped(&page, &path);
        for w in wanted {
            assert!(page.contains(w), "{path}: {w} in {page}");
        }
        if t.assignee == Side::Client && !matches!(t.evidence, Evidence::Meeting(_)) {
            assert!(page.contains(&hidden), "{path}: CSRF field");
            assert!(
                page.contains(&format!("action=\"/portal/api/tasks/{}/", t.id)),
                "{path}"
            );
        } else {
            // Nothing to act on: no form posts to the client API but the comment form
            // every task's page has.
            let comment_form = format!(
                "<form method=\"post\" action=\"/portal/api/tasks/{}/comments\">",
                t.id
            );
            assert_eq!(page.matches(&comment_form).count(), 1, "{path}");
            assert!(
                !page
                    .replace(&comment_form, "")
                    .contains("<form method=\"post\" action=\"/portal/api"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn only_a_training_page_lets_its_providers_player_frame_in() {
    let s = Setup::new().await;
    let tasks = s.every_type(s.w.client1.id).await;
    let cookie = s.cookie(s.w.bob.id).await;
    for t in &tasks {
        let (resp, _) = s.get(&cookie, &format!("/portal/tasks/{}", t.id)).await;
        let csp: Vec<&str> = resp
            .headers
            .iter()
            .filter(|(n, _)| *n == "content-security-policy")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(csp.len(), 1, "{csp:?}");
        assert!(csp[0].contains("default-src 'none'") && csp[0].contains("frame-ancestors 'none'"));
        if matches!(t.evidence, Evidence::Training(_)) {
            assert!(
                csp[0].ends_with("; frame-src https://www.youtube-nocookie.com"),
                "{}",
                csp[0]
            );
        } else {
            assert!(!csp[0].contains("frame-src"), "{}", csp[0]);
        }
    }
    for path in ["/portal/", "/portal/progress", "/portal/approvals"] {
        let (resp, _) = s.get(&cookie, path).await;
        let csp = resp.header("content-security-policy").unwrap();
        assert!(!csp.contains("frame-src"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn a_section_the_grant_does_not_open_is_not_linked_and_answers_404() {
    let s = Setup::new().await;
    let tasks = s.every_type(s.w.client1.id).await;
    let approval = &tasks[4];
    let standard = &tasks[0];

    // Tasks without approvals: no Approvals section, and an approval is read only.
    s.w.a
        .grant(&s.w.staff, s.w.bob.id, s.w.client1.id, Permissions::TASKS)
        .await
        .unwrap();
    let cookie = s.cookie(s.w.bob.id).await;
    let (_, home) = s.get(&cookie, "/portal/").await;
    assert!(!home.contains("/portal/approvals"), "{home}");
    assert_eq!(s.get(&cookie, "/portal/approvals").await.0.status, 404);
    let (resp, page) = s
        .get(&cookie, &format!("/portal/tasks/{}", approval.id))
        .await;
    assert_eq!(resp.status, 200);
    assert!(!page.contains("/decision\""), "{page}");

    // Approvals without tasks: the approvals, and nothing else of the work.
    s.w.a
        .grant(
            &s.w.staff,
            s.w.bob.id,
            s.w.client1.id,
            Permissions::APPROVALS,
        )
        .await
        .unwrap();
    let cookie = s.cookie(s.w.bob.id).await;
    let (resp, home) = s.get(&cookie, "/portal/").await;
    assert_eq!(resp.status, 200);
    assert!(!home.contains("/portal/progress") && home.contains("/portal/approvals"));
    assert!(!home.contains(&format!("/portal/tasks/{}", standard.id)));
    assert_eq!(s.get(&cookie, "/portal/progress").await.0.status, 404);
    let (resp, page) = s.get(&cookie, "/portal/approvals").await;
    assert_eq!(resp.status, 200);
    assert!(page.contains(&format!("/portal/api/tasks/{}/decision\"", approval.id)));
    let (resp, page) = s
        .get(&cookie, &format!("/portal/tasks/{}", approval.id))
        .await;
    assert_eq!(resp.status, 200);
    assert!(page.contains("/decision\""), "{page}");
    let (resp, _) = s
        .get(&cookie, &format!("/portal/tasks/{}", standard.id))
        .await;
    assert_eq!(resp.status, 404);
}

#[tokio::test]
async fn a_task_page_of_another_client_or_firm_or_withdrawn_is_404() {
    let s = Setup::new().await;
    let mine = s
        .task(s.w.client1.id, "P", Side::Client, Evidence::Standard)
        .await;
    let janes = s
        .task(s.w.client2.id, "P", Side::Client, Evidence::Standard)
        .await;
    let foreign =
        s.w.a
            .create_task(
                &s.w.other_staff,
                s.w.other_client.id,
                NewTask {
                    phase: None,
                    title: "Foreign".into(),
                    description: String::new(),
                    due_on: None,
                    assignee: Side::Client,
                    evidence: Evidence::Standard,
                },
            )
            .await
            .unwrap();
    let withdrawn = s
        .task(s.w.client1.id, "P", Side::Client, Evidence::Standard)
        .await;
    s.w.a.withdraw_task(&s.w.staff, withdrawn.id).await.unwrap();
    let cookie = s.cookie(s.w.bob.id).await;
    assert_eq!(
        s.get(&cookie, &format!("/portal/tasks/{}", mine.id))
            .await
            .0
            .status,
        200
    );
    for id in [
        janes.id.to_string(),
        foreign.id.to_string(),
        withdrawn.id.to_string(),
        "not-an-id".into(),
    ] {
        let (resp, page) = s.get(&cookie, &format!("/portal/tasks/{id}")).await;
        assert_eq!(resp.status, 404, "{id}");
        assert!(!page.contains("Foreign"), "{id}");
    }
    // Jane holds both clients: a task of the one not active opens, named for its client.
    let jane = s.cookie(s.w.jane.id).await;
    let (resp, page) = s.get(&jane, &format!("/portal/tasks/{}", janes.id)).await;
    assert_eq!(resp.status, 200);
    assert!(page.contains("Cafe Ltd"), "{page}");
    // Without a session, every page sends the browser to log in.
    for path in [
        "/portal/progress",
        "/portal/approvals",
        &format!("/portal/tasks/{}", mine.id),
    ] {
        let resp = s.web.handle(Request::new("GET", path)).await;
        assert_eq!(resp.status, 303, "{path}");
        assert_eq!(resp.header("location"), Some("/portal/login"), "{path}");
    }
}

#[tokio::test]
async fn decided_approvals_and_answers_show_what_was_given() {
    let s = Setup::new().await;
    let tasks = s.every_type(s.w.client1.id).await;
    let login = s.w.login(s.w.bob.id).await;
    let auth =
        s.w.a
            .authenticate(s.w.firm.id, &login.token.expose_secret(), &World::req())
            .await
            .unwrap();
    let decision = Submission::decision(
        portal_core::evidence::Decision::Rejected,
        Some(&format!("Not yet {EVIL}")),
    )
    .unwrap();
    s.w.a
        .submit_task(&auth, tasks[4].id, decision, &World::req())
        .await
        .unwrap();
    let answer = Submission::answer(&format!("A lunch {EVIL}")).unwrap();
    s.w.a
        .submit_task(&auth, tasks[1].id, answer, &World::req())
        .await
        .unwrap();
    let cookie = format!(
        "{}={}",
        s.web.session_cookie_name(),
        login.token.expose_secret()
    );
    let (_, approvals) = s.get(&cookie, "/portal/approvals").await;
    assert_escaped(&approvals, "/approvals");
    assert!(
        approvals.contains("Nothing waits for your decision."),
        "{approvals}"
    );
    assert!(approvals.contains(">Rejected</span>") && approvals.contains("by you on"));
    assert!(approvals.contains("Not yet &lt;script&gt;"));
    let (_, page) = s
        .get(&cookie, &format!("/portal/tasks/{}", tasks[1].id))
        .await;
    assert!(page.contains("A lunch &lt;script&gt;") && !page.contains("name=\"text\""));
}
