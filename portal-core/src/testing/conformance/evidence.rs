//! Evidence in the store: every type's definition read back as written, the first
//! submission standing (also when two race), checklist items from both sides,
//! withdrawal kept and recorded.

use super::*;
use crate::evidence::{
    Amount, ApprovalRequest, BankTransaction, Checklist, Currency, Decision, Evidence, Field,
    FieldKind, Form, Meeting, Question, Submission, Video,
};
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::task::{NewTask, Side, Task, TaskEdit, TaskStatus};

/// One definition of each type, as staff would give them.
fn definitions() -> Vec<Evidence> {
    let eur = Currency::parse("EUR").unwrap();
    vec![
        Evidence::Standard,
        Evidence::Question(
            Question::new(
                "What was this payment for?",
                Some(BankTransaction {
                    date: crate::clock::Timestamp::parse_date("2026-11-03").unwrap(),
                    payee: "Office <Supplies> \"Ltd\"".into(),
                    amount: Amount::parse("-42.10", eur).unwrap(),
                    memo: Some("INV 7".into()),
                }),
            )
            .unwrap(),
        ),
        Evidence::Form(form()),
        Evidence::Checklist(Checklist::new(&["Passport", "Utility bill", "Bank letter"]).unwrap()),
        Evidence::Approval(
            ApprovalRequest::new("Approve the 2025 accounts", Some("https://example.com/a"))
                .unwrap(),
        ),
        Evidence::Meeting(
            Meeting::new(
                "2026-12-10T14:00+01:00",
                "Europe/Vienna",
                45,
                "https://meet.example.com/x",
            )
            .unwrap(),
        ),
        Evidence::Training(Video::parse("https://youtu.be/dQw4w9WgXcQ").unwrap()),
        Evidence::DocumentUpload,
        Evidence::FileDrop(crate::evidence::FileDrop::new(7).unwrap()),
        Evidence::Signature(crate::evidence::SignatureRequest::new(Some("I agree.")).unwrap()),
        Evidence::Credential(crate::evidence::CredentialRequest::login()),
    ]
}

fn form() -> Form {
    let field = |name: &str, kind, required| Field {
        name: name.into(),
        label: format!("Your {name}"),
        kind,
        required,
    };
    Form::new(vec![
        field("name", FieldKind::ShortText { max_chars: 100 }, true),
        field("notes", FieldKind::LongText { max_chars: 2_000 }, false),
        field(
            "size",
            FieldKind::SingleSelect {
                options: vec!["small".into(), "large".into()],
            },
            true,
        ),
        field(
            "tools",
            FieldKind::MultipleSelect {
                options: vec!["excel".into(), "xero".into(), "sage".into()],
            },
            false,
        ),
        field("rating", FieldKind::Rating, false),
    ])
    .unwrap()
}

fn new_task(title: &str, evidence: Evidence) -> NewTask {
    NewTask {
        phase: Some("Onboarding".into()),
        title: title.into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence,
    }
}

async fn bob(w: &World) -> Authenticated {
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap()
}

fn answers(pairs: &[(&str, &str)]) -> Submission {
    Submission::Form {
        answers: form().check(pairs.iter().copied()).unwrap(),
    }
}

pub async fn every_evidence_type_round_trips(f: Fixture) {
    let w = World::new(f).await;
    let mut made = Vec::new();
    for (i, evidence) in definitions().into_iter().enumerate() {
        let task =
            w.a.create_task(
                &w.staff,
                w.client1.id,
                new_task(&format!("T{i}"), evidence.clone()),
            )
            .await
            .unwrap();
        assert_eq!(task.evidence, evidence);
        assert_eq!(
            w.b.store().task(task.id).await.unwrap().as_ref(),
            Some(&task),
            "{:?} read back as written",
            evidence.kind()
        );
        made.push(task);
    }
    assert_eq!(w.b.store().tasks(w.client1.id).await.unwrap(), made);
    assert_eq!(made[3].checklist, [None, None, None]);
    // Edited while unanswered, each definition becomes the next one's.
    let defs = definitions();
    for (i, task) in made.iter().enumerate() {
        let evidence = defs[(i + 1) % defs.len()].clone();
        let edit = TaskEdit {
            evidence: evidence.clone(),
            title: format!("Edited {i}"),
            ..TaskEdit::from(task)
        };
        let edited =
            w.b.edit_task(&w.staff, task.id, edit.clone())
                .await
                .unwrap();
        assert_eq!(
            (&edited.evidence, edited.title.as_str()),
            (&evidence, edit.title.as_str())
        );
        assert_eq!(w.a.store().task(task.id).await.unwrap(), Some(edited));
    }
    assert_eq!(w.audit(AuditAction::TaskEdited).await.len(), defs.len());
    // An edit that changes nothing records nothing.
    let same = w.a.store().task(made[0].id).await.unwrap().unwrap();
    w.a.edit_task(&w.staff, same.id, TaskEdit::from(&same))
        .await
        .unwrap();
    assert_eq!(w.audit(AuditAction::TaskEdited).await.len(), defs.len());
    // A definition a host built by hand is checked as an entry would be.
    let bad = Evidence::Checklist(Checklist { items: vec![] });
    assert!(matches!(
        w.a.create_task(&w.staff, w.client1.id, new_task("Bad", bad)).await,
        Err(StaffError::Evidence(e)) if e.field == "items"
    ));
}

pub async fn the_first_submission_stands(f: Fixture) {
    let w = World::new(f).await;
    let bob = bob(&w).await;
    let create = |title: &str, evidence| {
        w.a.create_task(&w.staff, w.client1.id, new_task(title, evidence))
    };
    let defs = definitions();
    let question = create("Q", defs[1].clone()).await.unwrap();
    let form_task = create("F", defs[2].clone()).await.unwrap();
    let approval = create("A", defs[4].clone()).await.unwrap();
    let video = create("V", defs[6].clone()).await.unwrap();
    let mut request = req();
    request.ip = Some("203.0.113.7".parse().unwrap());

    let first =
        w.a.submit_task(
            &bob,
            question.id,
            Submission::answer("Printer paper").unwrap(),
            &request,
        )
        .await
        .unwrap();
    assert_eq!(first.status, TaskStatus::Completed);
    assert_eq!(
        first.submission,
        Some(Submission::answer("Printer paper").unwrap())
    );
    let completion = first.completion.clone().unwrap();
    assert_eq!(
        (completion.by.clone(), completion.ip, first.updated_at),
        (Actor::Contact(w.bob.id), request.ip, w.a.now())
    );
    w.advance(MINUTE);
    let again =
        w.b.submit_task(
            &bob,
            question.id,
            Submission::answer(" Printer paper ").unwrap(),
            &req(),
        )
        .await
        .unwrap();
    assert_eq!(again, first, "the same again changes nothing");
    assert!(matches!(
        w.b.submit_task(
            &bob,
            question.id,
            Submission::answer("Toner").unwrap(),
            &req()
        )
        .await,
        Err(TaskError::Conflict)
    ));
    assert_eq!(w.a.store().task(question.id).await.unwrap(), Some(first));
    assert_eq!(w.audit(AuditAction::TaskSubmitted).await.len(), 1);
    // A submission checked against a definition the task no longer has does not stand.
    let edited = create("Q2", defs[1].clone()).await.unwrap();
    let stale =
        w.b.store()
            .submit_task(
                edited.id,
                &defs[6],
                &Submission::Watched,
                &completion,
                system_entry(&w, AuditAction::TaskSubmitted),
            )
            .await
            .unwrap();
    assert_eq!(stale, Some(crate::task::TaskOutcome::Conflict(edited)));

    // Each type's own submission; another type's is refused, naming both.
    assert!(matches!(
        w.a.submit_task(&bob, question.id, Submission::Watched, &req())
            .await,
        Err(TaskError::WrongType {
            expected: "question",
            given: "training"
        })
    ));
    assert!(
        matches!(
            w.a.complete_task(&bob, form_task.id, None, &req()).await,
            Err(TaskError::WrongType {
                expected: "form",
                given: "standard"
            })
        ),
        "a form is completed by its answers, not marked done"
    );
    let filled = answers(&[
        ("name", "Ada"),
        ("size", "large"),
        ("tools", "xero"),
        ("tools", "excel"),
        ("rating", "4"),
    ]);
    let done =
        w.a.submit_task(&bob, form_task.id, filled.clone(), &req())
            .await
            .unwrap();
    assert_eq!(done.submission, Some(filled));
    let mut unchecked = crate::evidence::Answers::new();
    unchecked.insert("size".into(), crate::evidence::Answer::Text("huge".into()));
    let refused =
        w.a.submit_task(
            &bob,
            create("F2", defs[2].clone()).await.unwrap().id,
            Submission::Form { answers: unchecked },
            &req(),
        )
        .await;
    assert!(
        matches!(&refused, Err(TaskError::Invalid(e)) if e.field == "name"),
        "checked against the form: {refused:?}"
    );
    let decided = Submission::decision(Decision::Rejected, Some("Wrong year")).unwrap();
    assert_eq!(
        w.b.submit_task(&bob, approval.id, decided.clone(), &req())
            .await
            .unwrap()
            .submission,
        Some(decided)
    );
    assert_eq!(
        w.a.submit_task(&bob, video.id, Submission::Watched, &req())
            .await
            .unwrap()
            .status,
        TaskStatus::Completed
    );

    // Deciding an approval takes `approvals`; the rest takes `tasks`.
    let approval2 = create("A2", defs[4].clone()).await.unwrap();
    w.a.grant(&w.staff, w.bob.id, w.client1.id, Permissions::TASKS)
        .await
        .unwrap();
    let bob =
        w.a.authenticate(
            w.firm.id,
            &w.login(w.bob.id).await.token.expose_secret(),
            &req(),
        )
        .await
        .unwrap();
    let approve = Submission::decision(Decision::Approved, None).unwrap();
    assert!(matches!(
        w.a.submit_task(&bob, approval2.id, approve.clone(), &req())
            .await,
        Err(TaskError::Forbidden)
    ));
    w.a.grant(&w.staff, w.bob.id, w.client1.id, Permissions::APPROVALS)
        .await
        .unwrap();
    let bob =
        w.a.authenticate(
            w.firm.id,
            &w.login(w.bob.id).await.token.expose_secret(),
            &req(),
        )
        .await
        .unwrap();
    w.a.submit_task(&bob, approval2.id, approve, &req())
        .await
        .unwrap();
    assert!(matches!(
        w.a.client_task(&bob, video.id).await,
        Err(TaskError::Forbidden)
    ));
}

pub async fn concurrent_submissions_leave_one_standing(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let bob = Arc::new(bob(&w).await);
    let defs = definitions();
    for (round, evidence) in [
        defs[2].clone(),
        defs[4].clone(),
        defs[2].clone(),
        defs[4].clone(),
    ]
    .into_iter()
    .enumerate()
    {
        let task =
            w.a.create_task(
                &w.staff,
                w.client1.id,
                new_task(&format!("R{round}"), evidence.clone()),
            )
            .await
            .unwrap();
        let submission = |i: usize| match &evidence {
            Evidence::Form(_) => answers(&[("name", &format!("N{i}")), ("size", "small")]),
            _ => Submission::decision(Decision::Approved, Some(&format!("ok {i}"))).unwrap(),
        };
        // Even rounds race different submissions, odd ones the same.
        let racers: Vec<_> = (0..4)
            .map(|i| {
                let (w, bob, s) = (
                    w.clone(),
                    bob.clone(),
                    submission(if round % 2 == 0 { i } else { 0 }),
                );
                tokio::spawn(async move {
                    let p = if i % 2 == 0 { &w.a } else { &w.b };
                    p.submit_task(&bob, task.id, s, &req()).await
                })
            })
            .collect();
        let mut standing: Vec<Task> = Vec::new();
        let mut conflicts = 0;
        for r in racers {
            match r.await.unwrap() {
                Ok(t) => standing.push(t),
                Err(TaskError::Conflict) => conflicts += 1,
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        let stored = w.a.store().task(task.id).await.unwrap().unwrap();
        assert!(
            standing.iter().all(|t| *t == stored),
            "round {round}: one submission stands"
        );
        assert_eq!(
            (standing.len(), conflicts),
            if round % 2 == 0 { (1, 3) } else { (4, 0) },
            "round {round}"
        );
        let entries = w
            .audit(AuditAction::TaskSubmitted)
            .await
            .into_iter()
            .filter(|e| e.entry.detail.starts_with(&format!("task={} ", task.id)))
            .count();
        assert_eq!(entries, 1, "round {round}: recorded once");
    }
}

pub async fn checklist_items_toggled_from_both_sides_end_consistent(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let bob = Arc::new(bob(&w).await);
    let list = Evidence::Checklist(Checklist::new(&["a", "b", "c", "d"]).unwrap());
    let task =
        w.a.create_task(&w.staff, w.client1.id, new_task("Documents", list))
            .await
            .unwrap();
    let t =
        w.a.check_item(&bob, task.id, 1, true, &req())
            .await
            .unwrap();
    assert_eq!(t.status, TaskStatus::InProgress);
    assert_eq!(
        t.checklist[1].as_ref().map(|c| &c.by),
        Some(&Actor::Contact(w.bob.id))
    );
    let first = t.checklist[1].clone();
    w.advance(MINUTE);
    let again =
        w.b.staff_check_item(&w.staff, task.id, 1, true)
            .await
            .unwrap();
    assert_eq!(
        again.checklist[1], first,
        "a checked item keeps its first check"
    );
    assert!(matches!(
        w.a.check_item(&bob, task.id, 4, true, &req()).await,
        Err(TaskError::Invalid(e)) if e.field == "item"
    ));
    assert_eq!(w.audit(AuditAction::ItemChecked).await.len(), 1);
    // Every item checked and unchecked at once from both sides, many times over.
    for round in 0..6 {
        let toggles: Vec<_> = (0..8)
            .map(|i| {
                let (w, bob, id) = (w.clone(), bob.clone(), task.id);
                let (item, checked) = (i % 4, (i / 4 + round) % 2 == 0);
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        w.a.check_item(&bob, id, item, checked, &req())
                            .await
                            .unwrap();
                    } else {
                        w.b.staff_check_item(&w.staff, id, item, checked)
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in toggles {
            t.await.unwrap();
        }
        let now = w.a.store().task(task.id).await.unwrap().unwrap();
        let checked = now.checked_items();
        assert_eq!(
            now.status,
            crate::task::checklist_status(checked, 4),
            "round {round}: the status follows the items ({checked} checked)"
        );
        assert_eq!(
            now.completion.is_some(),
            now.status == TaskStatus::Completed,
            "round {round}: a completion exactly while complete"
        );
    }
    for (item, checked) in (0..4).map(|i| (i, false)).chain((0..4).map(|i| (i, true))) {
        w.b.staff_check_item(&w.staff, task.id, item, checked)
            .await
            .unwrap();
    }
    let all = w.a.client_task(&bob, task.id).await.unwrap();
    assert_eq!(
        (all.status, all.checked_items()),
        (TaskStatus::Completed, 4)
    );
    // Completed by the check of the last item, as that check records it.
    let last = all.checklist[3].clone().unwrap();
    let completion = all.completion.clone().expect("a completion");
    assert_eq!((&completion.by, completion.at), (&last.by, last.at));
    assert!(
        matches!(completion.by, Actor::Staff(_)),
        "{:?}",
        completion.by
    );
    let one_off =
        w.a.check_item(&bob, task.id, 0, false, &req())
            .await
            .unwrap();
    assert_eq!(one_off.status, TaskStatus::InProgress);
    assert_eq!(
        one_off.completion, None,
        "unchecking takes the completion back"
    );
    // The items' checks fix the definition.
    let edit = TaskEdit {
        evidence: Evidence::Standard,
        ..TaskEdit::from(&one_off)
    };
    assert!(matches!(
        w.a.edit_task(&w.staff, task.id, edit).await,
        Err(StaffError::Conflict(_))
    ));
}

pub async fn withdrawn_tasks_are_kept_and_recorded(f: Fixture) {
    let w = World::new(f).await;
    let bob = bob(&w).await;
    let defs = definitions();
    let task =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Question", defs[1].clone()),
        )
        .await
        .unwrap();
    let kept =
        w.a.create_task(&w.staff, w.client1.id, new_task("Kept", Evidence::Standard))
            .await
            .unwrap();
    w.a.submit_task(
        &bob,
        task.id,
        Submission::answer("An answer").unwrap(),
        &req(),
    )
    .await
    .unwrap();
    w.advance(MINUTE);
    let withdrawn = w.b.withdraw_task(&w.staff, task.id).await.unwrap();
    assert_eq!(withdrawn.withdrawn_at, Some(w.a.now()));
    assert_eq!(withdrawn.updated_at, w.a.now());
    w.advance(MINUTE);
    assert_eq!(
        w.a.withdraw_task(&w.staff, task.id).await.unwrap(),
        withdrawn,
        "withdrawing twice changes nothing"
    );
    let entries = w.audit(AuditAction::TaskWithdrawn).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry.actor, Actor::Staff(w.staff.staff.clone()));
    // The store keeps it whole, answer included; contacts no longer see it.
    let stored = w.b.store().task(task.id).await.unwrap().unwrap();
    assert_eq!(stored, withdrawn);
    assert!(stored.submission.is_some());
    assert_eq!(w.a.store().tasks(w.client1.id).await.unwrap().len(), 2);
    let visible = w.a.client_tasks(&bob, w.client1.id).await.unwrap();
    assert_eq!(visible.tasks, vec![kept.clone()]);
    assert!(matches!(
        w.a.client_task(&bob, task.id).await,
        Err(TaskError::NotFound)
    ));
    assert!(matches!(
        w.a.submit_task(
            &bob,
            task.id,
            Submission::answer("An answer").unwrap(),
            &req()
        )
        .await,
        Err(TaskError::NotFound)
    ));
    assert_eq!(
        w.a.staff_tasks(&w.staff, w.client1.id)
            .await
            .unwrap()
            .tasks
            .len(),
        2
    );
    // Staff set statuses; completing records who, from where.
    let set =
        w.a.set_task_status(&w.staff, task.id, TaskStatus::Blocked)
            .await
            .unwrap();
    assert_eq!((set.status, set.completion), (TaskStatus::Blocked, None));
    let firm_side =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            NewTask {
                assignee: Side::Firm,
                ..new_task("Ours", Evidence::Standard)
            },
        )
        .await
        .unwrap();
    let done =
        w.b.set_task_status(&w.staff, firm_side.id, TaskStatus::Completed)
            .await
            .unwrap();
    assert_eq!(
        done.completion.map(|c| c.by),
        Some(Actor::Staff(w.staff.staff.clone()))
    );
    w.b.set_task_status(&w.staff, firm_side.id, TaskStatus::Completed)
        .await
        .unwrap();
    assert_eq!(w.audit(AuditAction::TaskStatusSet).await.len(), 2);
    assert!(matches!(
        w.a.withdraw_task(&w.other_staff, kept.id).await,
        Err(StaffError::NotFound)
    ));
}
