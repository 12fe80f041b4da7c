//! The conversation in the store: comments kept in order and only on tasks open to
//! them, decided under the task's lock so that a withdrawal racing them is ordered;
//! questions listed by firm and client in pages by `(at, id)`; and a client's activity
//! as the audit entries about it, newest first, on a chain that still verifies. The
//! cases call the store directly, on both handles.

use super::*;
use crate::audit::AuditEvent;
use crate::conversation::{Comment, Question};
use crate::id::{ClientId, CommentId, QuestionId, StaffId, TaskId};
use crate::task::{NewTask, Side, Task};

async fn new_task(w: &World, title: &str) -> Task {
    w.a.create_task(
        &w.staff,
        w.client1.id,
        NewTask {
            phase: None,
            title: title.into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            evidence: crate::task::Evidence::Standard,
        },
    )
    .await
    .unwrap()
}

/// Ids whose byte order is `n`'s.
fn comment_id(n: u128) -> CommentId {
    CommentId::from_bytes(n.to_be_bytes())
}

fn question_id(n: u128) -> QuestionId {
    QuestionId::from_bytes(n.to_be_bytes())
}

/// Comment `n` on `task` by `author` at the clock's time.
fn comment(w: &World, task: &Task, n: u128, author: Actor, body: &str) -> Comment {
    Comment {
        id: comment_id(n),
        task_id: task.id,
        firm_id: task.firm_id,
        client_id: task.client_id,
        author,
        body: body.to_owned(),
        at: w.a.now(),
    }
}

/// The entry of comment `n` on `task`, about the task and its client.
fn comment_entry(w: &World, task: &Task, n: u128) -> AuditDraft {
    AuditDraft {
        detail: format!("comment={n}"),
        ..system_entry(w, AuditAction::CommentAdded)
    }
    .about_task(task.client_id, task.id)
}

async fn add(store: &dyn Store, w: &World, task: &Task, n: u128) -> bool {
    store
        .add_comment(
            &comment(w, task, n, Actor::Contact(w.bob.id), &format!("n={n}")),
            comment_entry(w, task, n),
        )
        .await
        .unwrap()
}

fn staff() -> Actor {
    Actor::Staff(StaffId::new("alice").unwrap())
}

pub async fn comments_round_trip_oldest_first_on_both_instances(f: Fixture) {
    let w = World::new(f).await;
    let task = new_task(&w, "Payroll").await;
    let other = new_task(&w, "Other").await;
    let (a, b) = (w.a.store(), w.b.store());
    let hostile = "<b>\"Paid\"</b> & 'done'\nsecond line, ünïcödé";
    // Two at one instant, written in the reverse of their ids' order, on each handle.
    let first = [
        comment(&w, &task, 7, Actor::Contact(w.bob.id), hostile),
        comment(&w, &task, 3, staff(), "Thanks"),
    ];
    for (store, c) in [(a, &first[0]), (b, &first[1])] {
        let draft = comment_entry(&w, &task, 0);
        assert!(store.add_comment(c, draft).await.unwrap());
    }
    w.advance(MINUTE);
    let later = comment(&w, &task, 1, Actor::Contact(w.jane.id), "Later");
    assert!(
        b.add_comment(&later, comment_entry(&w, &task, 1))
            .await
            .unwrap()
    );
    assert!(add(a.as_ref(), &w, &other, 2).await);
    let expected = vec![first[1].clone(), first[0].clone(), later];
    assert_eq!(a.comments(task.id).await.unwrap(), expected);
    assert_eq!(b.comments(task.id).await.unwrap(), expected);
    assert_eq!(b.comments(other.id).await.unwrap().len(), 1);
    let unknown = TaskId::from_bytes([9; 16]);
    assert!(a.comments(unknown).await.unwrap().is_empty());
    // Each was recorded with its task and client, and the chain holds them.
    let added = w.audit(AuditAction::CommentAdded).await;
    assert_eq!(added.len(), 4);
    assert!(
        added
            .iter()
            .all(|e| e.entry.client_id == Some(w.client1.id) && e.entry.task_id.is_some())
    );
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

pub async fn a_comment_on_a_withdrawn_or_unknown_task_is_refused_and_writes_nothing(f: Fixture) {
    let w = World::new(f).await;
    let (a, b) = (w.a.store(), w.b.store());
    let kept = new_task(&w, "Kept").await;
    assert!(add(a.as_ref(), &w, &kept, 1).await);
    w.a.withdraw_task(&w.staff, kept.id).await.unwrap();
    let mut unknown = kept.clone();
    unknown.id = TaskId::from_bytes([9; 16]);
    let head = a.audit_head(w.firm.id).await.unwrap();
    assert!(!add(b.as_ref(), &w, &kept, 2).await, "withdrawn");
    assert!(!add(a.as_ref(), &w, &unknown, 3).await, "unknown");
    // Nothing of either: the comment from before the withdrawal stays alone.
    let left = b.comments(kept.id).await.unwrap();
    assert_eq!(
        left.iter().map(|c| c.id).collect::<Vec<_>>(),
        [comment_id(1)]
    );
    assert!(a.comments(unknown.id).await.unwrap().is_empty());
    assert_eq!(b.audit_head(w.firm.id).await.unwrap(), head);
    assert_eq!(w.audit(AuditAction::CommentAdded).await.len(), 1);
}

pub async fn comments_racing_a_withdrawal_are_stored_before_it_or_refused(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let task = Arc::new(new_task(&w, "Raced").await);
    let spawn_comment = |n: u128| {
        let (w, task) = (w.clone(), task.clone());
        tokio::spawn(async move {
            let store = if n.is_multiple_of(2) {
                w.a.store()
            } else {
                w.b.store()
            };
            (n, add(store.as_ref(), &w, &task, n).await)
        })
    };
    // The withdrawal starts amid the comments, so that some commit before it and
    // some after.
    let mut comments: Vec<_> = (0..20u128).map(spawn_comment).collect();
    let withdrawal = {
        let (w, task) = (w.clone(), task.clone());
        tokio::spawn(async move {
            // The store's own step, as the portal takes it, without the reads before.
            let entry = system_entry(&w, AuditAction::TaskWithdrawn);
            let entry = entry.about_task(task.client_id, task.id);
            w.b.store()
                .withdraw_task(task.id, w.a.now(), entry)
                .await
                .unwrap()
                .expect("the task");
        })
    };
    comments.extend((20..40u128).map(spawn_comment));
    let mut stored = Vec::new();
    for c in comments {
        let (n, added) = c.await.unwrap();
        if added {
            stored.push(comment_id(n));
        }
    }
    withdrawal.await.unwrap();
    // Exactly the comments said stored are there, each recorded once.
    let mut kept: Vec<CommentId> =
        w.a.store()
            .comments(task.id)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
    kept.sort();
    stored.sort();
    assert_eq!(kept, stored);
    let added = w.audit(AuditAction::CommentAdded).await;
    assert_eq!(added.len(), stored.len());
    // The chain orders commits (every append holds the firm's head until its commit):
    // every comment stored committed before the withdrawal did.
    let withdrawn = w.audit(AuditAction::TaskWithdrawn).await;
    assert_eq!(withdrawn.len(), 1);
    assert!(
        added.iter().all(|e| e.seq < withdrawn[0].seq),
        "a comment stored after its task's withdrawal: {added:?} {withdrawn:?}"
    );
    // And from then on, every comment is refused.
    assert!(!add(w.b.store().as_ref(), &w, &task, 1000).await);
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}

/// Question `n` of Bob's (Olga's at the other firm) about `client` at the clock's time.
fn question(w: &World, n: u128, client: ClientId, task: Option<TaskId>) -> Question {
    let (firm_id, contact_id) = if client == w.other_client.id {
        (w.other_firm.id, w.olga.id)
    } else {
        (w.firm.id, w.bob.id)
    };
    Question {
        id: question_id(n),
        firm_id,
        client_id: client,
        contact_id,
        task_id: task,
        body: format!("<i>Question</i> {n}\n\"quoted\" ünï"),
        at: w.a.now(),
    }
}

/// Every question `questions` lists of `firm` (and `client`), `page` at a time.
async fn paged(
    store: &dyn Store,
    firm: crate::id::FirmId,
    client: Option<ClientId>,
    page: u32,
) -> Vec<Question> {
    let mut all: Vec<Question> = Vec::new();
    loop {
        let before = all.last().map(|q| (q.at, q.id));
        let got = store.questions(firm, client, before, page).await.unwrap();
        assert!(got.len() <= page as usize);
        let done = got.len() < page as usize;
        all.extend(got);
        if done {
            return all;
        }
    }
}

pub async fn questions_are_listed_by_firm_and_client_newest_first_in_pages(f: Fixture) {
    let w = World::new(f).await;
    let on_task = new_task(&w, "Asked from").await;
    let (a, b) = (w.a.store(), w.b.store());
    let (c1, c2, oc) = (w.client1.id, w.client2.id, w.other_client.id);
    // Ties at each instant, asked out of their ids' order, on both handles.
    let mut asked = Vec::new();
    for (n, client, task) in [(5, c1, None), (2, c2, None), (9, c1, Some(on_task.id))] {
        asked.push(question(&w, n, client, task));
    }
    w.advance(MINUTE);
    for (n, client) in [(4, c1), (8, c2), (1, c1), (7, oc)] {
        asked.push(question(&w, n, client, None));
    }
    w.advance(MINUTE);
    asked.push(question(&w, 3, c2, None));
    for (i, q) in asked.iter().enumerate() {
        let store = if i % 2 == 0 { a } else { b };
        let entry = AuditDraft {
            firm_id: q.firm_id,
            ..system_entry(&w, AuditAction::QuestionAsked)
        };
        let entry = match q.task_id {
            Some(t) => entry.about_task(q.client_id, t),
            None => entry.about_client(q.client_id),
        };
        store.ask_question(q, entry).await.unwrap();
    }
    let newest_first = |keep: &dyn Fn(&Question) -> bool| -> Vec<Question> {
        let mut out: Vec<Question> = asked.iter().filter(|q| keep(q)).cloned().collect();
        out.sort_by_key(|q| std::cmp::Reverse((q.at, q.id)));
        out
    };
    let firm = newest_first(&|q: &Question| q.firm_id == w.firm.id);
    let ids = |qs: &[Question]| qs.iter().map(|q| q.id).collect::<Vec<_>>();
    assert_eq!(
        ids(&firm),
        [3, 8, 4, 1, 9, 5, 2].map(question_id),
        "newest first, then by id"
    );
    for page in [1, 2, 3, 100] {
        assert_eq!(paged(a.as_ref(), w.firm.id, None, page).await, firm);
        assert_eq!(
            paged(b.as_ref(), w.firm.id, Some(c1), page).await,
            newest_first(&|q: &Question| q.client_id == c1)
        );
        assert_eq!(
            paged(a.as_ref(), w.firm.id, Some(c2), page).await,
            newest_first(&|q: &Question| q.client_id == c2)
        );
    }
    // A page starting inside a tie: strictly before `(at, id)`, the rest of the tie
    // included.
    let tie = firm.iter().find(|q| q.id == question_id(4)).unwrap();
    assert_eq!(
        ids(&b
            .questions(w.firm.id, None, Some((tie.at, tie.id)), 3)
            .await
            .unwrap()),
        [1, 9, 5].map(question_id)
    );
    // Each firm sees only its own.
    assert_eq!(
        b.questions(w.other_firm.id, None, None, 100).await.unwrap(),
        newest_first(&|q: &Question| q.firm_id == w.other_firm.id)
    );
    assert!(
        a.questions(w.firm.id, Some(oc), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        a.questions(w.firm.id, None, None, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(w.audit(AuditAction::QuestionAsked).await.len(), 7);
    for firm in [w.firm.id, w.other_firm.id] {
        assert_eq!(w.b.verify_audit_chain(firm).await.unwrap(), Ok(()));
    }
}

pub async fn a_clients_activity_is_its_audit_entries_newest_first_and_the_chain_verifies(
    f: Fixture,
) {
    let w = World::new(f).await;
    let on_task = new_task(&w, "Scoped").await;
    let (a, b) = (w.a.store(), w.b.store());
    let (c1, c2) = (w.client1.id, w.client2.id);
    let mut appended = Vec::new();
    for i in 0..15usize {
        let entry = AuditDraft {
            detail: format!("i={i}"),
            ..system_entry(&w, AuditAction::GrantChanged)
        };
        let entry = match i % 5 {
            0 => entry.about_task(c1, on_task.id),
            1 | 2 => entry.about_client(c1),
            3 => entry.about_client(c2),
            _ => entry,
        };
        let store = if i % 2 == 0 { a } else { b };
        appended.push(store.append_audit(entry).await.unwrap());
        w.advance(MINUTE);
    }
    // An entry of the other firm naming this firm's client is not this firm's.
    let foreign = AuditDraft {
        firm_id: w.other_firm.id,
        ..system_entry(&w, AuditAction::GrantChanged)
    }
    .about_client(c1);
    let foreign = a.append_audit(foreign).await.unwrap();
    // Every entry reads back exactly as appended, its client and task included.
    let log = b.audit_events(w.firm.id, None, 0, 100_000).await.unwrap();
    for e in &appended {
        assert_eq!(log.iter().find(|l| l.seq == e.seq), Some(e));
    }
    let about = |client: ClientId| -> Vec<AuditEvent> {
        log.iter()
            .rev()
            .filter(|e| e.entry.client_id == Some(client))
            .cloned()
            .collect()
    };
    let all_c1 = about(c1);
    // The task's creation, the task's entries and the client's own.
    assert!(all_c1.len() >= 9, "{all_c1:?}");
    assert_eq!(
        a.client_audit(w.firm.id, c1, None, 1000).await.unwrap(),
        all_c1
    );
    assert_eq!(
        b.client_audit(w.firm.id, c2, None, 1000).await.unwrap(),
        about(c2)
    );
    // Paged by `before`, at most `limit` at a time, nothing missed or repeated.
    for limit in [1u32, 2, 4] {
        let mut read: Vec<AuditEvent> = Vec::new();
        loop {
            let before = read.last().map(|e| e.seq);
            let store = if read.len().is_multiple_of(2) { a } else { b };
            let page = store
                .client_audit(w.firm.id, c1, before, limit)
                .await
                .unwrap();
            assert!(page.len() <= limit as usize);
            if page.is_empty() {
                break;
            }
            read.extend(page);
        }
        assert_eq!(read, all_c1);
    }
    let middle = &all_c1[3];
    assert_eq!(
        a.client_audit(w.firm.id, c1, Some(middle.seq), 2)
            .await
            .unwrap(),
        all_c1[4..6].to_vec()
    );
    assert!(
        b.client_audit(w.firm.id, c1, Some(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        a.client_audit(w.firm.id, c1, None, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        b.client_audit(w.other_firm.id, c1, None, 10).await.unwrap(),
        vec![foreign]
    );
    // Entries with a client or a task seal onto the chain as the others do.
    for portal in [&w.a, &w.b] {
        for firm in [w.firm.id, w.other_firm.id] {
            assert_eq!(portal.verify_audit_chain(firm).await.unwrap(), Ok(()));
        }
    }
}
