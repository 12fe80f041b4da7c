//! Tasks: order, idempotent completion, reach.

use super::*;

fn new_task(title: &str, phase: &str, assignee: crate::task::Side) -> crate::task::NewTask {
    crate::task::NewTask {
        phase: Some(phase.into()),
        title: title.into(),
        description: format!("About {title} <b>bold</b>"),
        due_on: crate::clock::Timestamp::parse_date("2026-02-15"),
        assignee,
        evidence: crate::task::Evidence::Standard,
    }
}

pub async fn tasks_round_trip_in_order(f: Fixture) {
    use crate::task::Side;
    let w = World::new(f).await;
    let a =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Upload bank statements", "Onboarding", Side::Client),
        )
        .await
        .unwrap();
    let b =
        w.b.create_task(
            &w.staff,
            w.client1.id,
            new_task("Reconcile accounts", "Month end", Side::Firm),
        )
        .await
        .unwrap();
    w.a.create_task(
        &w.staff,
        w.client2.id,
        new_task("Other client's task", "Onboarding", Side::Client),
    )
    .await
    .unwrap();
    let read = w.b.store().tasks(w.client1.id).await.unwrap();
    assert_eq!(read, vec![a.clone(), b]);
    let phases = w.b.store().phases(w.client1.id).await.unwrap();
    assert_eq!(
        phases.len(),
        2,
        "the client's two phases, not the other client's"
    );
    assert_eq!(
        w.a.store().phases_and_tasks(w.client1.id).await.unwrap(),
        (phases, read),
        "read together as apart"
    );
    assert_eq!(w.a.store().task(a.id).await.unwrap(), Some(a));
    assert!(
        w.a.create_task(
            &w.other_staff,
            w.client1.id,
            new_task("x", "y", Side::Client)
        )
        .await
        .is_err(),
        "another firm's staff"
    );
}

pub async fn task_completion_is_idempotent(f: Fixture) {
    use crate::task::{Side, TaskStatus};
    let w = World::new(f).await;
    let task =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Sign engagement letter", "Onboarding", Side::Client),
        )
        .await
        .unwrap();
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    let first =
        w.a.complete_task(&auth, task.id, Some("done, see email"), &req())
            .await
            .unwrap();
    assert_eq!(first.status, TaskStatus::Completed);
    w.advance(MINUTE);
    let second =
        w.b.complete_task(&auth, task.id, Some("again"), &req())
            .await
            .unwrap();
    assert_eq!(second, first, "the first completion stands");
    let completion = second.completion.unwrap();
    assert_eq!(completion.by, Actor::Contact(w.bob.id));
    assert_eq!(completion.at, w.a.now() - MINUTE);
    assert_eq!(completion.note.as_deref(), Some("done, see email"));
    let undone = w.a.uncomplete_task(&auth, task.id, &req()).await.unwrap();
    assert_eq!(
        (undone.status, &undone.completion),
        (TaskStatus::Pending, &None)
    );
    assert_eq!(
        w.b.uncomplete_task(&auth, task.id, &req()).await.unwrap(),
        undone
    );
    let events = |action| {
        let w = &w;
        async move { w.audit(action).await.into_iter().map(|e| e.entry) }
    };
    // The audit log keeps each change once, with who made it, even after the
    // completion itself is gone from the task.
    let completed: Vec<_> = events(AuditAction::TaskCompleted).await.collect();
    let reopened: Vec<_> = events(AuditAction::TaskReopened).await.collect();
    assert_eq!(
        (completed.len(), reopened.len()),
        (1, 1),
        "repeats record nothing"
    );
    assert_eq!(completed[0].actor, Actor::Contact(w.bob.id));
    assert_eq!(
        completed[0].detail,
        format!("task={} note_chars=15", task.id)
    );
    assert_eq!(reopened[0].contact_id, Some(w.bob.id));
    // Concurrent completions leave one completion, and one entry.
    let request = req();
    let (x, y) = tokio::join!(
        w.a.complete_task(&auth, task.id, Some("x"), &request),
        w.b.complete_task(&auth, task.id, Some("y"), &request)
    );
    assert_eq!(x.unwrap().completion, y.unwrap().completion);
    assert_eq!(events(AuditAction::TaskCompleted).await.count(), 2);
}

pub async fn tasks_of_other_clients_and_the_firm_side_are_out_of_reach(f: Fixture) {
    use crate::portal::task::TaskError;
    use crate::task::Side;
    let w = World::new(f).await;
    let firm_side =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Reconcile", "Month end", Side::Firm),
        )
        .await
        .unwrap();
    let janes =
        w.a.create_task(
            &w.staff,
            w.client2.id,
            new_task("Cafe receipts", "Month end", Side::Client),
        )
        .await
        .unwrap();
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert!(
        matches!(
            w.a.client_tasks(&bob, w.client2.id).await,
            Err(TaskError::NotFound)
        ),
        "no grant"
    );
    assert!(
        matches!(
            w.a.client_tasks(&bob, w.other_client.id).await,
            Err(TaskError::NotFound)
        ),
        "another firm"
    );
    assert!(
        matches!(
            w.a.complete_task(&bob, janes.id, None, &req()).await,
            Err(TaskError::NotFound)
        ),
        "another client's task"
    );
    assert!(
        matches!(
            w.a.complete_task(&bob, firm_side.id, None, &req()).await,
            Err(TaskError::Forbidden)
        ),
        "the firm's side"
    );
    assert!(matches!(
        w.a.complete_task(&bob, crate::id::TaskId::from_bytes([3; 16]), None, &req())
            .await,
        Err(TaskError::NotFound)
    ));
    // Without the tasks permission, even a granted client's tasks are refused.
    w.a.grant(&w.staff, w.bob.id, w.client1.id, Permissions::DOCUMENTS)
        .await
        .unwrap();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert!(matches!(
        w.a.client_tasks(&bob, w.client1.id).await,
        Err(TaskError::Forbidden)
    ));
    assert_eq!(
        w.a.store()
            .task(janes.id)
            .await
            .unwrap()
            .unwrap()
            .completion,
        None,
        "nothing changed"
    );
}
