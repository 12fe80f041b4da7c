//! Behaviour of the login flows through the `Portal` API, on the memory store: what a
//! request reveals, where mail goes, what runs where.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use portal_core::LoginError;
use portal_core::audit::{AuditAction, RequestInfo};
use portal_core::grant::Permissions;
use portal_core::magic_link::code_challenge_for;
use portal_core::notify::MessageKind;
use portal_core::staff::Invitation;
use portal_core::testing::{Fixture, RecordingStore, World, code_in};
use portal_core::token::Token;
use portal_core::{MemoryStore, Store};

async fn recorded_world() -> (World, Arc<RecordingStore>) {
    let recording = Arc::new(RecordingStore::new(Arc::new(MemoryStore::new())));
    let store: Arc<dyn Store> = recording.clone();
    let world = World::new(Fixture::single(store)).await;
    recording.take_calls();
    (world, recording)
}

fn from_ip(last: u8) -> RequestInfo {
    RequestInfo::new(Some([198, 51, 100, last].into()), Some("test"))
}

#[tokio::test]
async fn unknown_address_requests_make_the_same_store_calls_as_known_ones() {
    let (w, rec) = recorded_world().await;
    let firm = w.firm.id;
    let known = "jane@example.com";
    let unknown = "nobody@example.com";

    w.a.request_login_link(firm, known, None, &from_ip(1))
        .await
        .unwrap();
    let known_calls = rec.take_calls();
    w.a.request_login_link(firm, unknown, None, &from_ip(1))
        .await
        .unwrap();
    assert_eq!(rec.take_calls(), known_calls, "login link");
    assert!(
        !known_calls.contains(&"contact_by_email"),
        "no lookup on the request path: {known_calls:?}"
    );

    w.a.request_login_code(firm, known, None, &from_ip(2))
        .await
        .unwrap();
    let known_calls = rec.take_calls();
    w.a.request_login_code(firm, unknown, None, &from_ip(2))
        .await
        .unwrap();
    assert_eq!(rec.take_calls(), known_calls, "login code");

    w.a.request_password_link(firm, known, &from_ip(3))
        .await
        .unwrap();
    let known_calls = rec.take_calls();
    w.a.request_password_link(firm, unknown, &from_ip(3))
        .await
        .unwrap();
    assert_eq!(rec.take_calls(), known_calls, "password link");

    // And the unknown address left no trace: no contact, no message.
    w.a.settle().await;
    assert!(w.outbox.to(unknown).is_empty());
    let canonical = portal_core::email::EmailAddress::parse(unknown).unwrap();
    assert!(
        w.store()
            .contact_by_email(firm, canonical.canonical())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::disallowed_methods)] // measures the real time an argon2 hash takes
async fn password_login_of_an_unknown_address_costs_the_same_calls_and_a_hash() {
    let (w, rec) = recorded_world().await;
    let firm = w.firm.id;
    // A known contact (no password set) and an unknown address, both with a wrong
    // password, from a fresh IP address each round. Should the contact's back-off
    // start, it would treat both the same, as the store calls show.
    let attempt = |email: &'static str, ip: u8| {
        let w = &w;
        async move {
            let started = Instant::now();
            let result =
                w.a.login_with_password(firm, email, "a wrong password here", None, &from_ip(ip))
                    .await;
            assert!(matches!(result, Err(LoginError::InvalidCredentials)));
            started.elapsed()
        }
    };
    // The first hash of the process also pays for first use of argon2's memory: the
    // timed rounds come after one untimed round of each.
    attempt("jane@example.com", 10).await;
    attempt("nobody@example.com", 10).await;
    rec.take_calls();
    let mut rounds = Vec::new();
    for round in 0..5 {
        let known = attempt("jane@example.com", 11 + round).await;
        let known_calls = rec.take_calls();
        let unknown = attempt("nobody@example.com", 11 + round).await;
        assert_eq!(rec.take_calls(), known_calls);
        rounds.push((known, unknown));
    }
    // Without the dummy hash the unknown path would take well under a millisecond;
    // with it, about what one argon2id verification takes. The fastest of five
    // rounds each, so that the other tests running meanwhile do not decide.
    let known_time = rounds.iter().map(|r| r.0).min().unwrap();
    let unknown_time = rounds.iter().map(|r| r.1).min().unwrap();
    assert!(
        unknown_time * 3 > known_time,
        "unknown {unknown_time:?} vs known {known_time:?}; (known, unknown) by round: {rounds:?}"
    );
    assert!(unknown_time > Duration::from_millis(2), "{unknown_time:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn hashing_runs_off_the_async_workers() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    // One worker thread: if argon2 ran on it, this task could not run meanwhile.
    let ticks = Arc::new(AtomicU64::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (t, d) = (ticks.clone(), done.clone());
    let ticker = tokio::spawn(async move {
        while !d.load(Ordering::SeqCst) {
            t.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
    });
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::SeqCst);
    let _ =
        w.a.login_with_password(
            w.firm.id,
            "jane@example.com",
            "some wrong password",
            None,
            &from_ip(5),
        )
        .await;
    let during = ticks.load(Ordering::SeqCst) - before;
    done.store(true, Ordering::SeqCst);
    ticker.await.unwrap();
    assert!(
        during > 10,
        "the async worker kept running other tasks during the hash ({during} ticks)"
    );
}

#[tokio::test]
async fn mail_goes_to_the_stored_address_never_the_typed_one() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let invitation = Invitation {
        email: "kelvin@example.com".into(),
        first_name: "Kelvin".into(),
        phone: None,
        client_ids: vec![w.client1.id],
        permissions: Permissions::ALL,
    };
    w.a.invite(&w.staff, invitation).await.unwrap();
    // U+212A KELVIN SIGN: canonicalises onto the stored contact ...
    let typed = "\u{212a}ELVIN@Example.COM";
    w.a.request_login_link(w.firm.id, typed, None, &from_ip(6))
        .await
        .unwrap();
    w.a.settle().await;
    // ... but the mail goes to the address as stored, and nowhere else.
    let sent = w.outbox.last_to("kelvin@example.com").unwrap();
    assert_eq!(sent.message.kind, MessageKind::Login);
    assert!(w.outbox.entries().iter().all(|e| e.to() != typed));
}

#[tokio::test]
async fn the_login_email_carries_a_link_and_an_independent_code() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    w.a.request_login_link(w.firm.id, "jane@example.com", None, &from_ip(7))
        .await
        .unwrap();
    w.a.settle().await;
    let mail = w.outbox.last_to("jane@example.com").unwrap();
    let link = &mail.message.links[0];
    assert!(
        link.starts_with("https://portal.acme.example/portal/auth/link/"),
        "{link}"
    );
    assert!(mail.text().contains(link.as_str()));
    let code = code_in(mail.text()).expect("a 6-digit code");
    let portal_core::notify::Channel::Email(email) = &mail.message.channel else {
        panic!("email")
    };
    assert!(email.html.contains(&code) && email.html.contains(link.as_str()));
    // A scanner burns the link; the code from the same email still logs in.
    let token = link.rsplit('/').next().unwrap();
    w.a.redeem_magic_link(w.firm.id, token, None, None, &from_ip(8))
        .await
        .unwrap();
    let challenge = code_challenge_for(&Token::parse(token).unwrap()).expose_secret();
    let login =
        w.a.verify_login_code(w.firm.id, &challenge, &code, None, &from_ip(7))
            .await
            .unwrap();
    assert_eq!(login.session.contact_id, w.jane.id);
}

#[tokio::test]
async fn names_are_escaped_in_html_and_kept_out_of_headers() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let invitation = Invitation {
        email: "eve@example.com".into(),
        first_name: "<img src=x onerror=alert(1)>".into(),
        phone: None,
        client_ids: vec![w.client1.id],
        permissions: Permissions::ALL,
    };
    w.a.invite(&w.staff, invitation).await.unwrap();
    w.a.settle().await;
    let mail = w.outbox.last_to("eve@example.com").unwrap();
    let portal_core::notify::Channel::Email(email) = &mail.message.channel else {
        panic!("email")
    };
    assert!(!email.html.contains("<img"), "{}", email.html);
    assert!(email.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!email.subject.contains('\n') && !email.from.contains('\n'));
}

#[tokio::test]
async fn login_emails_are_throttled_per_canonical_address_with_the_same_answer() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let variants = [
        "jane@example.com",
        "JANE@example.com",
        " jane@EXAMPLE.com",
        "Jane@Example.Com",
        "jane@example.COM",
        "jAnE@example.com",
        "JANE@EXAMPLE.COM",
    ];
    for (i, v) in variants.iter().enumerate() {
        // Every request gets the same kind of answer, throttled or not.
        w.a.request_login_link(w.firm.id, v, None, &from_ip(10 + i as u8))
            .await
            .unwrap();
    }
    w.a.settle().await;
    assert_eq!(
        w.outbox
            .to("jane@example.com")
            .iter()
            .filter(|m| m.message.kind == MessageKind::Login)
            .count(),
        5
    );
    w.advance(Duration::from_secs(15 * 60));
    w.a.request_login_link(w.firm.id, "jane@example.com", None, &from_ip(30))
        .await
        .unwrap();
    w.a.settle().await;
    assert_eq!(
        w.outbox
            .to("jane@example.com")
            .iter()
            .filter(|m| m.message.kind == MessageKind::Login)
            .count(),
        6
    );
}

#[tokio::test]
async fn login_requests_are_throttled_per_ip() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let ip = from_ip(99);
    for i in 0..100 {
        w.a.request_login_link(w.firm.id, &format!("someone{i}@example.com"), None, &ip)
            .await
            .unwrap();
    }
    w.a.request_login_link(w.firm.id, "jane@example.com", None, &ip)
        .await
        .unwrap();
    w.a.settle().await;
    assert!(
        w.outbox
            .to("jane@example.com")
            .iter()
            .all(|m| m.message.kind != MessageKind::Login),
        "the 101st request from one IP does nothing"
    );
    w.a.request_login_link(w.firm.id, "jane@example.com", None, &from_ip(100))
        .await
        .unwrap();
    w.a.settle().await;
    assert!(
        w.outbox
            .to("jane@example.com")
            .iter()
            .any(|m| m.message.kind == MessageKind::Login),
        "another IP is not affected"
    );
}

#[tokio::test]
async fn security_events_are_in_a_verifiable_audit_chain() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let login = w.login(w.jane.id).await;
    let token = w.link(w.jane.id).await;
    w.a.redeem_magic_link(w.firm.id, "x", None, None, &from_ip(1))
        .await
        .unwrap_err();
    w.a.suspend_contact(&w.staff, w.jane.id).await.unwrap();
    w.a.redeem_magic_link(w.firm.id, &token, None, None, &from_ip(1))
        .await
        .unwrap_err();
    let log =
        w.a.audit_log(&w.staff, Some(w.jane.id), 0, 1000)
            .await
            .unwrap();
    let actions: Vec<AuditAction> = log.iter().map(|e| e.entry.action).collect();
    for expected in [
        AuditAction::Invited,
        AuditAction::GrantChanged,
        AuditAction::LinkIssued,
        AuditAction::LinkRedeemed,
        AuditAction::ContactSuspended,
        AuditAction::LinkRefused,
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    let staff_entry = log
        .iter()
        .find(|e| e.entry.action == AuditAction::ContactSuspended)
        .unwrap();
    assert_eq!(staff_entry.entry.actor.to_stored(), "staff:alice");
    let access = w.a.access_log(&w.staff, w.jane.id, 10).await.unwrap();
    assert_eq!(access.len(), 1);
    assert!(
        access[0]
            .entry
            .detail
            .contains(&login.session.id.to_string())
    );
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

#[tokio::test]
async fn a_grant_to_another_firms_client_shows_nothing_of_it() {
    use portal_core::audit::{Actor, AuditDraft, AuditOutcome};
    use portal_core::grant::Grant;
    use portal_core::id::StaffId;
    use portal_core::testing::START;

    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    // Staff cannot make such a grant; one planted in the store is ignored all the same.
    let planted = Grant {
        contact_id: w.jane.id,
        client_id: w.other_client.id,
        permissions: Permissions::ALL,
        granted_at: START,
    };
    let audit = AuditDraft {
        firm_id: w.other_firm.id,
        at: START,
        actor: Actor::Staff(StaffId::new("planted").unwrap()),
        action: AuditAction::GrantChanged,
        contact_id: Some(w.jane.id),
        client_id: None,
        task_id: None,
        request: RequestInfo::default(),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    };
    w.store().put_grant(&planted, audit).await.unwrap();
    assert_eq!(
        w.store().granted_clients(w.jane.id).await.unwrap().len(),
        3,
        "the store holds it"
    );
    let shown = w.a.granted_clients(&w.jane).await.unwrap();
    let ids: Vec<_> = shown.iter().map(|(c, _)| c.id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        !ids.contains(&w.other_client.id),
        "another firm's client is never shown"
    );
}

#[tokio::test]
async fn the_me_document_is_exact_json_whatever_the_names() {
    use portal_core::web::Request;

    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let odd = r#"Ö'Brien "Q" \ </script> 😀"#;
    let client = w.a.create_client(w.firm.id, odd).await.unwrap();
    let invitation = Invitation {
        email: "eve.o'brien+x@example.com".into(),
        first_name: odd.into(),
        phone: None,
        client_ids: vec![client.id, w.client1.id],
        permissions: Permissions::TASKS.union(Permissions::APPROVALS),
    };
    let eve = w.a.invite(&w.staff, invitation).await.unwrap().contact;
    let login = w.login(eve.id).await;
    let web = w.web().await;
    let cookie = format!(
        "{}={}",
        web.session_cookie_name(),
        login.token.expose_secret()
    );
    let r = web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    // The document as `serde_json` writes it, field for field.
    #[derive(serde::Serialize)]
    struct Me<'a> {
        contact_id: portal_core::id::ContactId,
        email: &'a str,
        first_name: &'a str,
        active_client: Option<View<'a>>,
        clients: Vec<View<'a>>,
        csrf_token: String,
    }
    #[derive(serde::Serialize)]
    struct View<'a> {
        id: portal_core::id::ClientId,
        name: &'a str,
        permissions: Permissions,
    }
    let clients = w.a.granted_clients(&eve).await.unwrap();
    fn view((c, p): &(portal_core::client::Client, Permissions)) -> View<'_> {
        View {
            id: c.id,
            name: &c.name,
            permissions: *p,
        }
    }
    assert_eq!(clients.len(), 2);
    let expected = Me {
        contact_id: eve.id,
        email: eve.email.as_str(),
        first_name: odd,
        active_client: clients
            .iter()
            .find(|(c, _)| c.id == login.session.active_client)
            .map(view),
        clients: clients.iter().map(view).collect(),
        csrf_token: login.token.derive("portal-csrf").expose_secret(),
    };
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
}

#[tokio::test]
async fn a_password_logs_in_in_whichever_unicode_form_it_is_typed() {
    use unicode_normalization::UnicodeNormalization as _;

    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    // 118 characters composed, 152 decomposed: within the limit of 128 once
    // normalized, as it was when set, but not before.
    let composed = "Ève à côté d’Élodie déjà née où gît l’âme éphémère; Hélène a rêvé été prêté fêté émerveillé ébahi égaré ému élevé gâté";
    let decomposed: String = composed.nfd().collect();
    assert!(decomposed.chars().count() > 129);
    w.a.send_password_link(&w.staff, w.bob.id).await.unwrap();
    w.a.settle().await;
    let link = w.outbox.last_to("bob@example.com").unwrap().message.links[0].clone();
    let token = link.rsplit('/').next().unwrap();
    w.a.set_password(w.firm.id, token, &decomposed, &World::req())
        .await
        .unwrap();
    for typed in [&decomposed, composed] {
        w.a.login_with_password(w.firm.id, "bob@example.com", typed, None, &World::req())
            .await
            .unwrap();
    }
}
