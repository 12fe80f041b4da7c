//! Hostile input: text that one store refuses and another keeps, text that would forge
//! log lines or audit entries, links looked at before they are used. Whatever comes in
//! is refused before anything is written, or kept exactly as given.

use super::*;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::staff::Invitation;
use crate::task::{NewTask, Side, TaskStatus};
use crate::text::TextProblem;
use crate::web::Request;

fn task(title: &str, description: &str) -> NewTask {
    NewTask {
        phase: Some("Onboarding".into()),
        title: title.into(),
        description: description.into(),
        due_on: None,
        assignee: Side::Client,
        evidence: crate::task::Evidence::Standard,
    }
}

/// `s` percent-encoded for a form body.
fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn refused_text<T: std::fmt::Debug>(r: Result<T, StaffError>, field: &str) {
    match r {
        Err(StaffError::Text(e)) => {
            assert_eq!((e.field, e.problem), (field, TextProblem::ControlCharacter));
        }
        other => panic!("expected {field} refused, got {other:?}"),
    }
}

/// What a single-line field must refuse: NUL (PostgreSQL's text refuses it), an ANSI
/// escape, line breaks that would split a log line or a mail header.
const HOSTILE: [&str; 5] = [
    "Ja\0ne",
    "\u{1b}[2JJane",
    "Jane\r\nBcc: x@evil.example",
    "Jane\u{2028}x",
    "Jane\u{85}x",
];

pub async fn control_characters_are_refused_where_text_enters(f: Fixture) {
    let w = World::new(f).await;
    let store = w.a.store().clone();
    let contacts = store.contacts(w.firm.id).await.unwrap().len();
    let clients = store.clients(w.firm.id).await.unwrap().len();
    for bad in HOSTILE {
        let invitation = Invitation {
            email: "new@example.com".into(),
            first_name: bad.into(),
            phone: None,
            client_ids: vec![w.client1.id],
            permissions: Permissions::ALL,
        };
        refused_text(w.a.invite(&w.staff, invitation).await, "first_name");
        refused_text(w.a.create_client(w.firm.id, bad).await, "name");
        refused_text(
            w.a.create_task(&w.staff, w.client1.id, task(bad, "")).await,
            "title",
        );
        let phase = NewTask {
            phase: Some(bad.into()),
            ..task("Title", "")
        };
        refused_text(
            w.a.create_task(&w.staff, w.client1.id, phase).await,
            "phase",
        );
    }
    for bad in ["a\0b", "\u{1b}]0;owned\u{7}", "a\u{7f}b", "a\u{2029}b"] {
        refused_text(
            w.a.create_task(&w.staff, w.client1.id, task("Title", bad))
                .await,
            "description",
        );
    }
    assert_eq!(store.contacts(w.firm.id).await.unwrap().len(), contacts);
    assert_eq!(store.clients(w.firm.id).await.unwrap().len(), clients);
    assert!(
        store.tasks(w.client1.id).await.unwrap().is_empty(),
        "no task"
    );

    // A note: refused with nothing changed, or kept with its lines.
    let t =
        w.a.create_task(&w.staff, w.client1.id, task("Sign", "Line one\r\nLine two"))
            .await
            .unwrap();
    assert_eq!(t.description, "Line one\nLine two", "CR LF is a line feed");
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    for bad in ["sent\0", "sent \u{1b}[31mred", "a\u{c}b"] {
        match w.a.complete_task(&auth, t.id, Some(bad), &req()).await {
            Err(TaskError::Text(e)) => assert_eq!(e.field, "note"),
            other => panic!("expected the note refused, got {other:?}"),
        }
    }
    assert_eq!(
        store.task(t.id).await.unwrap().unwrap().status,
        TaskStatus::Pending
    );
    assert!(w.audit(AuditAction::TaskCompleted).await.is_empty());

    // Through the HTTP layer the same note is a 400 naming the field, on every store.
    let web = w.web().await;
    let session = format!("{}={cookie}", web.session_cookie_name());
    let me = web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &session))
        .await;
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap();
    let post = |body: &str| {
        Request::new("POST", &format!("/portal/api/tasks/{}/complete", t.id))
            .header("cookie", &session)
            .header("x-csrf-token", csrf)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
    };
    let resp = web.handle(post("note=sent%00")).await;
    assert_eq!(resp.status, 400, "{}", String::from_utf8_lossy(&resp.body));
    assert!(String::from_utf8_lossy(&resp.body).contains("note"));
    assert_eq!(
        store.task(t.id).await.unwrap().unwrap().status,
        TaskStatus::Pending,
        "nothing stored"
    );

    // Printable text that breaks JSON, HTML or SQL quoting is data: kept exactly.
    let odd = "O'Neil \"}]\\ <script>x</script> -- ; DROP TABLE x; 😀 مرحبا";
    let note = "Paid\r\n\t– see \"receipt\" \\ ';--";
    let resp = web.handle(post(&format!("note={}", encoded(note)))).await;
    assert_eq!(resp.status, 303, "{}", String::from_utf8_lossy(&resp.body));
    let done = store.task(t.id).await.unwrap().unwrap();
    assert_eq!(
        done.completion.unwrap().note.as_deref(),
        Some("Paid\n\t– see \"receipt\" \\ ';--")
    );
    let client = w.a.create_client(w.firm.id, odd).await.unwrap();
    assert_eq!(store.client(client.id).await.unwrap().unwrap().name, odd);
    let invited =
        w.a.invite(
            &w.staff,
            Invitation {
                email: "odd@example.com".into(),
                first_name: odd.into(),
                phone: None,
                client_ids: vec![client.id],
                permissions: Permissions::ALL,
            },
        )
        .await
        .unwrap();
    let stored = store.contact(invited.contact.id).await.unwrap().unwrap();
    assert_eq!(stored.first_name, odd);
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

pub async fn link_confirmation_shows_the_masked_address_and_spends_nothing(f: Fixture) {
    let w = World::new(f).await;
    let web = w.web().await;
    let page = |token: String| {
        let web = &web;
        async move {
            let resp = web
                .handle(Request::new("GET", &format!("/portal/auth/link/{token}")))
                .await;
            (resp.status, String::from_utf8(resp.body).unwrap())
        }
    };
    let address = |token: String, portal: crate::portal::Portal, firm| async move {
        portal.magic_link_address(firm, &token).await.unwrap()
    };
    let token = w.link(w.jane.id).await;
    let (status, body) = page(token.clone()).await;
    assert_eq!(status, 200);
    assert!(body.contains("j***@example.com"), "{body}");
    assert!(!body.contains("jane@example.com"), "masked");
    // Looking, from either instance and however often, spends nothing.
    assert_eq!(
        address(token.clone(), w.b.clone(), w.firm.id)
            .await
            .as_deref(),
        Some("j***@example.com")
    );
    assert_eq!(
        address(token.clone(), w.a.clone(), w.other_firm.id).await,
        None,
        "another firm's portal"
    );
    let issued = w.audit(AuditAction::LinkIssued).await.len();
    w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
        .await
        .expect("the link still works");
    assert_eq!(w.audit(AuditAction::LinkIssued).await.len(), issued);
    // A spent, superseded, expired or unknown link shows the same page, no address.
    let superseded = w.link(w.bob.id).await;
    let expired = w.link(w.jane.id).await;
    w.link(w.bob.id).await;
    w.advance(15 * MINUTE);
    let unknown = Token::generate(&crate::random::OsSecretSource)
        .unwrap()
        .expose_secret();
    let mut pages = Vec::new();
    for t in [token, superseded, expired, unknown] {
        assert_eq!(address(t.clone(), w.a.clone(), w.firm.id).await, None);
        let (status, body) = page(t.clone()).await;
        assert_eq!(status, 200);
        assert!(!body.contains("***@"), "{body}");
        pages.push(body.replace(&t, "TOKEN"));
    }
    assert!(pages.windows(2).all(|p| p[0] == p[1]), "one page for all");
    // Nor for a contact that cannot log in.
    let live = w.link(w.bob.id).await;
    w.a.suspend_contact(&w.staff, w.bob.id).await.unwrap();
    assert_eq!(address(live, w.a.clone(), w.firm.id).await, None);
}

pub async fn hostile_text_stays_data_in_the_audit_and_its_export(f: Fixture) {
    use crate::id::StaffId;
    use crate::web::{BearerToken, PortalWeb};
    const TOKEN: &str = "a-staff-token-for-audit-export";
    let w = World::new(f).await;
    let web = PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api(
            "/admin/api",
            BearerToken::new(TOKEN, StaffId::new("auditor").unwrap()).unwrap(),
        )
        .build()
        .await
        .unwrap();
    let staff = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let mut req = Request::new(method, &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string().into_bytes());
        }
        let (web, path) = (&web, path.to_owned());
        async move {
            let resp = web.handle_staff(req).await;
            let body: serde_json::Value = serde_json::from_slice(&resp.body)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e})"));
            (resp.status, body)
        }
    };
    // A user agent that would forge a log line, recolour a terminal and close the
    // export's JSON object early.
    let agent = "Mozilla\r\nX-Forged: 1 \u{1b}[31mred\u{7} \",\"action\":\"forged\"}]";
    let mut req = Request::new("POST", "/portal/login/link")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", agent)
        .body(b"email=jane%40example.com".to_vec());
    req.peer = Some([203, 0, 113, 9].into());
    assert_eq!(web.handle(req).await.status, 200);
    w.a.settle().await;
    // A name that is every quoting problem at once (kept: it is printable).
    let name = "Robert \"}]}\\ '); DROP TABLE portal_contacts;-- </script>";
    let (status, created) = staff(
        "POST",
        "/contacts",
        Some(serde_json::json!({
            "email": "robert@example.com",
            "first_name": name,
            "client_ids": [w.client1.id],
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["first_name"], name);
    let (_, contacts) = staff("GET", "/contacts", None).await;
    assert!(
        contacts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["first_name"] == name)
    );
    let (status, export) = staff("GET", "/audit?limit=1000", None).await;
    assert_eq!(status, 200);
    let entries = export.as_array().unwrap();
    let head = w.a.store().audit_head(w.firm.id).await.unwrap().unwrap();
    assert_eq!(
        entries.len() as u64,
        head.seq,
        "one entry per event, none forged"
    );
    assert!(entries.iter().all(|e| e["action"] != "forged"));
    let issued = entries
        .iter()
        .find(|e| e["action"] == "link.issued" && e["ip"] == "203.0.113.9")
        .expect("the link request's entry");
    let recorded = issued["user_agent"].as_str().unwrap();
    assert!(!recorded.contains(char::is_control), "{recorded:?}");
    assert!(
        recorded.contains("\",\"action\":\"forged\"}]"),
        "kept as data: {recorded:?}"
    );
    let (_, verified) = staff("GET", "/audit/verify", None).await;
    assert_eq!(verified["intact"], true);
}
