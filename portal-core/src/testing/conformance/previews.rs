//! Staff previews: a single-use, short-lived link that starts a read-only session of
//! the contact, which is no login of the contact and writes nothing.

use super::*;
use crate::evidence::{Checklist, Decision, Evidence, Submission};
use crate::id::StaffId;
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::task::{NewTask, Side, TaskStatus};

/// The token of a preview link of `contact` issued to the world's staff member.
async fn preview_token(w: &World, contact: crate::id::ContactId) -> String {
    let link = w.a.issue_preview_link(&w.staff, contact).await.unwrap();
    assert!(
        link.url
            .starts_with("https://portal.acme.example/portal/preview/")
    );
    assert_eq!(link.expires_at, w.a.now() + 10 * MINUTE);
    link.url.rsplit('/').next().unwrap().to_owned()
}

/// A verified preview session of `contact`.
pub(super) async fn preview(w: &World, contact: crate::id::ContactId) -> Authenticated {
    let token = preview_token(w, contact).await;
    let started =
        w.a.redeem_preview_link(w.firm.id, &token, None, &req())
            .await
            .unwrap();
    w.a.authenticate(w.firm.id, &started.token.expose_secret(), &req())
        .await
        .unwrap()
}

pub async fn preview_link_starts_a_read_only_session_that_is_no_login(f: Fixture) {
    let w = World::new(f).await;
    // Bob has failed a code twice: a preview must not end that run.
    let store = w.store();
    let seen = store.failure_state(w.bob.id).await.unwrap().consecutive;
    store
        .record_failure(w.bob.id, w.a.now(), seen)
        .await
        .unwrap();
    let failures = store.failure_state(w.bob.id).await.unwrap();

    let token = preview_token(&w, w.bob.id).await;
    // Opening the confirmation page names the contact and spends nothing.
    for _ in 0..3 {
        assert_eq!(
            w.a.preview_link_address(w.firm.id, &token).await.unwrap(),
            Some(w.bob.email.masked())
        );
    }
    assert_eq!(
        w.a.preview_link_address(w.other_firm.id, &token)
            .await
            .unwrap(),
        None,
        "another firm's portal knows no such link"
    );
    w.advance(MINUTE);
    let started =
        w.b.redeem_preview_link(w.firm.id, &token, None, &req())
            .await
            .unwrap();
    let staff = StaffId::new("alice").unwrap();
    assert_eq!(started.session.preview_by.as_ref(), Some(&staff));
    assert_eq!(started.session.contact_id, w.bob.id);
    assert_eq!(started.session.active_client, w.client1.id);
    assert_eq!(
        started.session.absolute_expires_at,
        w.a.now() + 30 * MINUTE,
        "a short absolute lifetime"
    );
    assert_eq!(
        w.a.preview_link_address(w.firm.id, &token).await.unwrap(),
        None
    );

    // Verification reads the flag back, on either instance.
    let cookie = started.token.expose_secret();
    let read = w.b.store().session(&started.session.digest).await.unwrap();
    assert_eq!(read.and_then(|s| s.preview_by), Some(staff.clone()));
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert!(auth.is_preview());
    assert_eq!(auth.viewer(), Actor::Staff(staff.clone()));

    // No login of bob: not joined, not seen, failures kept; staff see it as a preview.
    let bob = store.contact(w.bob.id).await.unwrap().unwrap();
    assert_eq!((bob.joined_at, bob.last_seen_at), (None, None));
    assert_eq!(store.failure_state(w.bob.id).await.unwrap(), failures);
    let listed = w.a.contact_sessions(&w.staff, w.bob.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].session.preview_by.as_ref(), Some(&staff));

    // Never renewed, so never a visit, and over after its lifetime however active.
    for _ in 0..2 {
        w.advance(20 * MINUTE - Duration::from_secs(1));
        let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
        if let Ok(auth) = &r {
            assert!(!auth.renewed);
        }
    }
    assert!(matches!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await,
        Err(SessionError::NotLoggedIn)
    ));
    let bob = store.contact(w.bob.id).await.unwrap().unwrap();
    assert_eq!(bob.last_seen_at, None);
    assert!(w.audit(AuditAction::Visit).await.is_empty());
    assert!(w.audit(AuditAction::LinkRedeemed).await.is_empty());

    // Both steps are in the audit log, by the staff member, without the token.
    let issued = w.audit(AuditAction::PreviewIssued).await;
    let started = w.audit(AuditAction::PreviewStarted).await;
    assert_eq!((issued.len(), started.len()), (1, 1));
    for e in issued.iter().chain(&started) {
        assert_eq!(e.entry.actor, Actor::Staff(staff.clone()));
        assert_eq!(e.entry.contact_id, Some(w.bob.id));
        assert!(!e.entry.detail.contains(&token), "{}", e.entry.detail);
    }
}

pub async fn preview_link_redeems_once_under_concurrency(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let token = preview_token(&w, w.jane.id).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (w, token) = (w.clone(), token.clone());
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                p.redeem_preview_link(w.firm.id, &token, None, &req()).await
            })
        })
        .collect();
    let mut started = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => started += 1,
            Err(LoginError::Link(LinkProblem::AlreadyUsed)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(started, 1, "exactly one of 20 concurrent redemptions wins");
    assert_eq!(w.a.store().sessions(w.jane.id).await.unwrap().len(), 1);
    assert_eq!(w.audit(AuditAction::PreviewStarted).await.len(), 1);
    assert_eq!(w.audit(AuditAction::PreviewRefused).await.len(), 19);
    // Two links of one contact live side by side: a new one kills no other.
    let one = preview_token(&w, w.jane.id).await;
    let two = preview_token(&w, w.jane.id).await;
    for t in [one, two] {
        w.b.redeem_preview_link(w.firm.id, &t, None, &req())
            .await
            .unwrap();
    }
}

pub async fn preview_link_expires_and_is_refused_where_it_cannot_show_anything(f: Fixture) {
    let w = World::new(f).await;
    let redeem = |token: String| {
        let w = &w;
        async move {
            link_problem(
                w.a.redeem_preview_link(w.firm.id, &token, None, &req())
                    .await,
            )
        }
    };
    let token = preview_token(&w, w.jane.id).await;
    w.advance(10 * MINUTE);
    assert_eq!(redeem(token).await, LinkProblem::Expired);
    // Unknown and malformed tokens, and a link of this firm at another firm's portal.
    assert_eq!(redeem("x".repeat(43)).await, LinkProblem::Unknown);
    assert_eq!(
        redeem(Token::generate(w.a.secrets()).unwrap().expose_secret()).await,
        LinkProblem::Unknown
    );
    let token = preview_token(&w, w.jane.id).await;
    assert_eq!(
        link_problem(
            w.a.redeem_preview_link(w.other_firm.id, &token, None, &req())
                .await
        ),
        LinkProblem::Unknown
    );
    // A login link is no preview link, nor the other way round.
    let login = w.link(w.jane.id).await;
    assert_eq!(redeem(login.clone()).await, LinkProblem::Unknown);
    assert!(matches!(
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await,
        Err(LoginError::Link(LinkProblem::Unknown))
    ));
    // A contact suspended after the link was issued cannot be shown.
    w.a.suspend_contact(&w.staff, w.jane.id).await.unwrap();
    assert_eq!(redeem(token).await, LinkProblem::ContactUnavailable);
    assert!(w.store().sessions(w.jane.id).await.unwrap().is_empty());
    // Staff cannot preview another firm's contact, nor a suspended or revoked one.
    assert!(matches!(
        w.a.issue_preview_link(&w.staff, w.olga.id).await,
        Err(StaffError::NotFound)
    ));
    assert!(matches!(
        w.a.issue_preview_link(&w.other_staff, w.bob.id).await,
        Err(StaffError::NotFound)
    ));
    assert!(matches!(
        w.a.issue_preview_link(&w.staff, w.jane.id).await,
        Err(StaffError::ContactInactive)
    ));
    w.a.revoke_contact(&w.staff, w.bob.id).await.unwrap();
    assert!(matches!(
        w.a.issue_preview_link(&w.staff, w.bob.id).await,
        Err(StaffError::ContactInactive)
    ));
    assert_eq!(w.audit(AuditAction::PreviewIssued).await.len(), 2);
    // Expired links are purged like every other secret.
    w.advance(11 * MINUTE);
    let purged = w
        .store()
        .purge_expired(w.a.now(), Duration::ZERO, 100)
        .await
        .unwrap();
    assert!(purged.removed >= 2, "{purged:?}");
}

pub async fn a_preview_changes_nothing(f: Fixture) {
    let w = World::new(f).await;
    let create = |title: &str, evidence| {
        w.a.create_task(
            &w.staff,
            w.client1.id,
            NewTask {
                phase: None,
                title: title.into(),
                description: String::new(),
                due_on: None,
                assignee: Side::Client,
                evidence,
            },
        )
    };
    let standard = create("S", Evidence::Standard).await.unwrap();
    let checklist = create(
        "C",
        Evidence::Checklist(Checklist::new(&["Passport"]).unwrap()),
    )
    .await
    .unwrap();
    let question = create(
        "Q",
        Evidence::Question(crate::evidence::Question::new("Why?", None).unwrap()),
    )
    .await
    .unwrap();
    let approval = create(
        "A",
        Evidence::Approval(crate::evidence::ApprovalRequest::new("Accounts", None).unwrap()),
    )
    .await
    .unwrap();
    let before = w.store().tasks(w.client1.id).await.unwrap();
    let entries =
        w.a.audit_log(&w.staff, None, 0, 100_000)
            .await
            .unwrap()
            .len();

    let auth = preview(&w, w.jane.id).await;
    // It reads what jane reads.
    let list = w.a.client_tasks(&auth, w.client1.id).await.unwrap();
    assert_eq!(list.tasks.len(), 4);
    w.a.client_task(&auth, standard.id).await.unwrap();
    let refused = |r: Result<crate::task::Task, TaskError>| {
        assert!(
            matches!(r, Err(TaskError::ReadOnlyPreview(_))),
            "a preview wrote: {r:?}"
        );
    };
    // And every write is refused.
    refused(w.a.complete_task(&auth, standard.id, None, &req()).await);
    refused(w.a.uncomplete_task(&auth, standard.id, &req()).await);
    refused(w.a.check_item(&auth, checklist.id, 0, true, &req()).await);
    refused(
        w.a.submit_task(
            &auth,
            question.id,
            Submission::answer("Because").unwrap(),
            &req(),
        )
        .await,
    );
    refused(
        w.a.submit_task(
            &auth,
            approval.id,
            Submission::decision(Decision::Approved, None).unwrap(),
            &req(),
        )
        .await,
    );
    assert_eq!(w.store().tasks(w.client1.id).await.unwrap(), before);
    assert!(before.iter().all(|t| t.status == TaskStatus::Pending));
    // Its only entries: the two of the preview itself.
    let after = w.a.audit_log(&w.staff, None, 0, 100_000).await.unwrap();
    assert_eq!(after.len(), entries + 2, "{after:?}");
    // Switching the client it looks at is its own view: allowed, recorded as staff.
    let switched =
        w.a.switch_client(&auth, w.client2.id, &req())
            .await
            .unwrap();
    assert_eq!(switched.preview_by, auth.session.preview_by);
    let entry = w.audit(AuditAction::ClientSwitched).await;
    assert_eq!(entry[0].entry.actor, auth.viewer());
    // Logout ends the preview.
    w.a.logout(&auth, &req()).await.unwrap();
    assert!(w.store().sessions(w.jane.id).await.unwrap().is_empty());
}
