//! The conversation through the portal on a store: comments both sides read, only
//! where a grant allows; questions that reach the firm; and each client's activity,
//! read back from the audit log newest first, with staff shown as the firm to
//! contacts and nothing of withdrawn tasks.

use super::*;
use crate::evidence::{Evidence, Submission};
use crate::id::TaskId;
use crate::portal::conversation::{ActivityActor, ActivityKind};
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::task::{NewTask, Side};

async fn task(w: &World, client: crate::id::ClientId, title: &str, evidence: Evidence) -> TaskId {
    w.a.create_task(
        &w.staff,
        client,
        NewTask {
            phase: None,
            title: title.into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            evidence,
        },
    )
    .await
    .unwrap()
    .id
}

async fn session(w: &World, contact: crate::id::ContactId) -> Authenticated {
    let cookie = w.login(contact).await.token.expose_secret();
    w.b.authenticate(w.firm.id, &cookie, &req()).await.unwrap()
}

pub async fn comments_are_read_by_both_sides_and_only_where_granted(f: Fixture) {
    let w = World::new(f).await;
    let t1 = task(&w, w.client1.id, "Payroll", Evidence::Standard).await;
    let t2 = task(&w, w.client2.id, "Cafe books", Evidence::Standard).await;
    let jane = session(&w, w.jane.id).await;
    let bob = session(&w, w.bob.id).await;

    let first =
        w.a.comment_on_task(&jane, t1, "Where is <b>the</b> form?\nThanks", &req())
            .await
            .unwrap();
    w.clock.advance(MINUTE);
    let answer =
        w.b.staff_comment(&w.staff, t1, "Attached it.")
            .await
            .unwrap();
    let read = w.b.task_comments(&bob, t1).await.unwrap();
    assert_eq!(read, [first.clone(), answer.clone()]);
    assert_eq!(
        first.body, "Where is <b>the</b> form?\nThanks",
        "stored as written"
    );
    assert_eq!(first.author, Actor::Contact(w.jane.id));
    assert_eq!(answer.author, Actor::Staff(w.staff.staff.clone()));
    assert_eq!(w.a.staff_task_comments(&w.staff, t1).await.unwrap(), read);

    // Bob holds no grant on the second client, the other firm none on either.
    assert!(matches!(
        w.a.comment_on_task(&bob, t2, "hello", &req()).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.task_comments(&bob, t2).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.staff_comment(&w.other_staff, t1, "hello").await,
        Err(StaffError::NotFound)
    ));
    // Text that is empty, too long or holds control characters is refused.
    for bad in ["", "  \n ", &"x".repeat(5_001), "a\u{0}b"] {
        assert!(matches!(
            w.a.comment_on_task(&jane, t1, bad, &req()).await,
            Err(TaskError::Text(_))
        ));
    }
    // A withdrawn task takes no comment from either side.
    w.a.withdraw_task(&w.staff, t1).await.unwrap();
    assert!(matches!(
        w.a.comment_on_task(&jane, t1, "late", &req()).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.staff_comment(&w.staff, t1, "late").await,
        Err(StaffError::Conflict(_))
    ));
    assert_eq!(
        w.a.staff_task_comments(&w.staff, t1).await.unwrap().len(),
        2
    );
    assert!(w.a.task_comments(&jane, t2).await.unwrap().is_empty());
    assert_eq!(w.audit(AuditAction::CommentAdded).await.len(), 2);
}

pub async fn questions_reach_the_firm_about_the_client_asked_for(f: Fixture) {
    let w = World::new(f).await;
    let t2 = task(&w, w.client2.id, "Cafe books", Evidence::Standard).await;
    let jane = session(&w, w.jane.id).await;
    let bob = session(&w, w.bob.id).await;
    let general =
        w.a.ask_question(&jane, "Can we meet next week?", None, &req())
            .await
            .unwrap();
    assert_eq!(general.client_id, jane.session.active_client);
    w.clock.advance(MINUTE);
    let about_task =
        w.b.ask_question(&jane, "Which year?", Some(t2), &req())
            .await
            .unwrap();
    assert_eq!(
        (about_task.client_id, about_task.task_id),
        (w.client2.id, Some(t2))
    );
    // At the same instant as the last one: the id orders them.
    let third =
        w.a.ask_question(&bob, "And VAT?", None, &req())
            .await
            .unwrap();
    assert!(matches!(
        w.a.ask_question(&bob, "Which year?", Some(t2), &req())
            .await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.ask_question(&bob, "", None, &req()).await,
        Err(TaskError::Text(_))
    ));

    let all = w.b.staff_questions(&w.staff, None, None, 10).await.unwrap();
    let mut newest: Vec<_> = vec![about_task.clone(), third.clone()];
    newest.sort_by_key(|q| std::cmp::Reverse((q.at, q.id)));
    newest.push(general.clone());
    assert_eq!(all, newest);
    let page = w.b.staff_questions(&w.staff, None, None, 1).await.unwrap();
    let rest =
        w.b.staff_questions(&w.staff, None, Some((page[0].at, page[0].id)), 10)
            .await
            .unwrap();
    assert_eq!([page, rest].concat(), all);
    let of_client2 =
        w.a.staff_questions(&w.staff, Some(w.client2.id), None, 10)
            .await
            .unwrap();
    assert_eq!(of_client2, [about_task]);
    assert!(
        w.a.staff_questions(&w.other_staff, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        w.a.staff_questions(&w.other_staff, Some(w.client1.id), None, 10)
            .await,
        Err(StaffError::NotFound)
    ));
    assert_eq!(w.audit(AuditAction::QuestionAsked).await.len(), 3);
}

pub async fn a_client_s_activity_is_its_audit_entries_newest_first(f: Fixture) {
    let w = World::new(f).await;
    let question = task(
        &w,
        w.client1.id,
        "What was this payment?",
        Evidence::Question(crate::evidence::Question::new("What for?", None).unwrap()),
    )
    .await;
    w.clock.advance(MINUTE);
    let standard = task(&w, w.client1.id, "Sign in once", Evidence::Standard).await;
    let elsewhere = task(&w, w.client2.id, "Cafe", Evidence::Standard).await;
    let jane = session(&w, w.jane.id).await;
    w.clock.advance(MINUTE);
    w.a.submit_task(&jane, question, Submission::answer("Rent").unwrap(), &req())
        .await
        .unwrap();
    w.a.comment_on_task(&jane, standard, "Done soon", &req())
        .await
        .unwrap();
    w.b.staff_comment(&w.staff, standard, "Thanks")
        .await
        .unwrap();
    w.a.complete_task(&jane, standard, None, &req())
        .await
        .unwrap();
    w.a.uncomplete_task(&jane, standard, &req()).await.unwrap();
    w.a.ask_question(&jane, "Anything else?", None, &req())
        .await
        .unwrap();
    w.a.comment_on_task(&jane, elsewhere, "Other client", &req())
        .await
        .unwrap();

    let page =
        w.b.client_activity(&jane, w.client1.id, None, 50)
            .await
            .unwrap();
    let seen: Vec<_> = page.items.iter().map(|i| (i.kind, i.task_id)).collect();
    assert_eq!(
        seen,
        [
            (ActivityKind::Asked, None),
            (ActivityKind::TaskReopened, Some(standard)),
            (ActivityKind::TaskCompleted, Some(standard)),
            (ActivityKind::Commented, Some(standard)),
            (ActivityKind::Commented, Some(standard)),
            (ActivityKind::Submitted, Some(question)),
            (ActivityKind::TaskCreated, Some(standard)),
            (ActivityKind::TaskCreated, Some(question)),
        ]
    );
    assert_eq!(page.before, None, "the whole feed fits");
    assert_eq!(page.items[6].task_title.as_deref(), Some("Sign in once"));
    // Contacts see staff as the firm; staff see who it was.
    assert_eq!(page.items[3].actor, ActivityActor::Firm);
    assert_eq!(page.items[4].actor, ActivityActor::Contact(w.jane.id));
    let staff_view =
        w.a.staff_client_activity(&w.staff, w.client1.id, None, 50)
            .await
            .unwrap();
    assert_eq!(
        staff_view.items[3].actor,
        ActivityActor::Staff(w.staff.staff.clone())
    );
    // Pages of three follow one another to the same feed.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let p =
            w.a.client_activity(&jane, w.client1.id, before, 3)
                .await
                .unwrap();
        assert!(p.items.len() <= 3);
        paged.extend(p.items);
        match p.before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(paged, page.items);
    // The other client's feed has its own entries only.
    let other =
        w.a.client_activity(&jane, w.client2.id, None, 50)
            .await
            .unwrap();
    let kinds: Vec<_> = other.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ActivityKind::Commented, ActivityKind::TaskCreated]);
    // Bob holds no grant on it; the other firm's staff cannot read it either.
    let bob = session(&w, w.bob.id).await;
    assert!(matches!(
        w.a.client_activity(&bob, w.client2.id, None, 50).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.staff_client_activity(&w.other_staff, w.client1.id, None, 50)
            .await,
        Err(StaffError::NotFound)
    ));
    // A withdrawn task's entries leave the contacts' feed, not the staff's.
    w.a.withdraw_task(&w.staff, standard).await.unwrap();
    let after =
        w.a.client_activity(&jane, w.client1.id, None, 50)
            .await
            .unwrap();
    assert!(after.items.iter().all(|i| i.task_id != Some(standard)));
    assert_eq!(after.items.len(), 3);
    let staff_after =
        w.a.staff_client_activity(&w.staff, w.client1.id, None, 50)
            .await
            .unwrap();
    assert!(
        staff_after
            .items
            .iter()
            .any(|i| i.task_id == Some(standard))
    );
    // Entries that name their client and task still seal into a chain that verifies.
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

pub async fn a_contact_s_comments_and_questions_are_limited_per_window(f: Fixture) {
    let policy = Policy {
        messages_per_contact: Some(RateLimit::new(3, 10 * MINUTE)),
        ..Policy::default()
    };
    let w = World::with_policy(f, policy).await;
    let t = task(&w, w.client1.id, "Payroll", Evidence::Standard).await;
    let jane = session(&w, w.jane.id).await;
    let bob = session(&w, w.bob.id).await;
    w.a.comment_on_task(&jane, t, "one", &req()).await.unwrap();
    w.b.comment_on_task(&jane, t, "two", &req()).await.unwrap();
    w.a.ask_question(&jane, "three", None, &req())
        .await
        .unwrap();
    assert!(matches!(
        w.b.comment_on_task(&jane, t, "four", &req()).await,
        Err(TaskError::TooManyMessages)
    ));
    assert!(matches!(
        w.a.ask_question(&jane, "four", None, &req()).await,
        Err(TaskError::TooManyMessages)
    ));
    assert_eq!(w.a.task_comments(&jane, t).await.unwrap().len(), 2);
    assert_eq!(w.audit(AuditAction::CommentAdded).await.len(), 2);
    assert_eq!(w.audit(AuditAction::QuestionAsked).await.len(), 1);
    // Per contact: Bob and the firm's staff still write; Jane again once the window
    // has slid past her first message.
    w.a.comment_on_task(&bob, t, "bob", &req()).await.unwrap();
    for n in 0..5 {
        w.a.staff_comment(&w.staff, t, &format!("staff {n}"))
            .await
            .unwrap();
    }
    w.clock.advance(10 * MINUTE + Duration::from_secs(1));
    w.a.comment_on_task(&jane, t, "five", &req()).await.unwrap();
}
