//! Tasks as staff arrange them: reordered (also when two orders race), moved to
//! another phase, the firm's own completed; phases found by id within the firm.

use super::*;
use crate::id::TaskId;
use crate::portal::staff::StaffError;
use crate::task::{Evidence, NewTask, Side, TaskEdit, TaskStatus};

fn new_task(phase: &str, title: &str, assignee: Side) -> NewTask {
    NewTask {
        phase: Some(phase.into()),
        title: title.into(),
        description: String::new(),
        due_on: None,
        assignee,
        evidence: Evidence::Standard,
    }
}

async fn order(w: &World, client: crate::id::ClientId) -> Vec<TaskId> {
    w.a.store()
        .tasks(client)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect()
}

pub async fn staff_reorder_and_move_tasks_within_their_firm(f: Fixture) {
    let w = World::new(f).await;
    let c1 = w.client1.id;
    let mut ids = Vec::new();
    for (phase, title) in [("Onboarding", "a"), ("Onboarding", "b"), ("Month end", "c")] {
        let t =
            w.a.create_task(&w.staff, c1, new_task(phase, title, Side::Client))
                .await
                .unwrap();
        ids.push(t.id);
    }
    let withdrawn = w.b.withdraw_task(&w.staff, ids[1]).await.unwrap();
    let theirs =
        w.a.create_task(
            &w.staff,
            w.client2.id,
            new_task("Onboarding", "x", Side::Client),
        )
        .await
        .unwrap();
    assert_eq!(order(&w, c1).await, ids, "in the order of creation");
    // Every task of the client once, withdrawn ones included, or nothing moves.
    let wanted = [ids[2], ids[0], ids[1]];
    let list = w.b.reorder_tasks(&w.staff, c1, &wanted).await.unwrap();
    let listed: Vec<_> = list.tasks.iter().map(|t| t.id).collect();
    assert_eq!(listed, wanted);
    let positions: Vec<_> = list.tasks.iter().map(|t| t.position).collect();
    assert_eq!(positions, [1, 2, 3]);
    assert_eq!(
        list.tasks[2].updated_at, withdrawn.updated_at,
        "a place in the list is no change of the task"
    );
    for refused in [
        &[ids[0], ids[2]][..],
        &[ids[0], ids[1], ids[2], ids[2]][..],
        &[ids[0], ids[1], theirs.id][..],
        &[ids[0], ids[1], ids[2], theirs.id][..],
    ] {
        assert!(
            matches!(
                w.a.reorder_tasks(&w.staff, c1, refused).await,
                Err(StaffError::Invalid(_))
            ),
            "{refused:?}"
        );
    }
    assert!(matches!(
        w.a.reorder_tasks(&w.other_staff, c1, &wanted).await,
        Err(StaffError::NotFound)
    ));
    assert_eq!(order(&w, c1).await, wanted, "refusals moved nothing");
    w.a.reorder_tasks(&w.staff, c1, &wanted).await.unwrap();
    assert_eq!(
        w.audit(AuditAction::TasksReordered).await.len(),
        1,
        "the same order again records nothing"
    );
    // Moved to another phase of its client; never to another client's.
    let phases = w.a.staff_phases(&w.staff, c1).await.unwrap();
    let month_end = phases.iter().find(|p| p.name == "Month end").unwrap();
    assert_eq!(
        w.b.staff_phase(&w.staff, month_end.id).await.unwrap(),
        *month_end
    );
    assert!(matches!(
        w.b.staff_phase(&w.other_staff, month_end.id).await,
        Err(StaffError::NotFound)
    ));
    let task = w.a.staff_task(&w.staff, ids[0]).await.unwrap();
    let moved =
        w.b.edit_task(
            &w.staff,
            task.id,
            TaskEdit {
                phase_id: Some(month_end.id),
                ..TaskEdit::from(&task)
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.phase_id, Some(month_end.id));
    let foreign = w.a.staff_phases(&w.staff, w.client2.id).await.unwrap();
    assert!(matches!(
        w.a.edit_task(
            &w.staff,
            task.id,
            TaskEdit {
                phase_id: Some(foreign[0].id),
                ..TaskEdit::from(&moved)
            },
        )
        .await,
        Err(StaffError::NotFound)
    ));
    assert_eq!(
        w.a.staff_task(&w.staff, task.id).await.unwrap().phase_id,
        Some(month_end.id)
    );
    // Two orders racing: one of them holds whole, never a mix of both.
    let forward = [ids[0], ids[1], ids[2]];
    let backward = [ids[2], ids[1], ids[0]];
    for _ in 0..5 {
        let (x, y) = tokio::join!(
            w.a.reorder_tasks(&w.staff, c1, &forward),
            w.b.reorder_tasks(&w.staff, c1, &backward)
        );
        x.unwrap();
        y.unwrap();
        let now = order(&w, c1).await;
        assert!(now == forward || now == backward, "{now:?}");
        let positions: Vec<_> =
            w.a.store()
                .tasks(c1)
                .await
                .unwrap()
                .iter()
                .map(|t| t.position)
                .collect();
        assert_eq!(positions, [1, 2, 3]);
    }
}

pub async fn staff_complete_the_firms_own_tasks_once(f: Fixture) {
    let w = World::new(f).await;
    let c1 = w.client1.id;
    let ours =
        w.a.create_task(
            &w.staff,
            c1,
            new_task("Onboarding", "Bank feed", Side::Firm),
        )
        .await
        .unwrap();
    let theirs =
        w.a.create_task(&w.staff, c1, new_task("Onboarding", "Letter", Side::Client))
            .await
            .unwrap();
    assert!(matches!(
        w.a.complete_firm_task(&w.staff, theirs.id, None).await,
        Err(StaffError::Conflict(_))
    ));
    assert!(matches!(
        w.a.complete_firm_task(&w.other_staff, ours.id, None).await,
        Err(StaffError::NotFound)
    ));
    assert!(matches!(
        w.a.complete_firm_task(&w.staff, ours.id, Some("a\u{0}b"))
            .await,
        Err(StaffError::Text(_))
    ));
    w.advance(MINUTE);
    let (x, y) = tokio::join!(
        w.a.complete_firm_task(&w.staff, ours.id, Some("Connected")),
        w.b.complete_firm_task(&w.staff, ours.id, Some("Connected"))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x, y, "one completion stands");
    assert_eq!(x.status, TaskStatus::Completed);
    let completion = x.completion.clone().unwrap();
    assert_eq!(completion.by, Actor::Staff(w.staff.staff.clone()));
    assert_eq!(completion.note.as_deref(), Some("Connected"));
    assert_eq!(completion.at, w.a.now());
    w.advance(MINUTE);
    let again =
        w.b.complete_firm_task(&w.staff, ours.id, Some("Other"))
            .await
            .unwrap();
    assert_eq!(again, x, "the first completion stands");
    assert_eq!(w.audit(AuditAction::TaskCompleted).await.len(), 1);
    // The client's task is untouched; its status is staff's to set.
    let stored = w.a.store().task(theirs.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.completion),
        (TaskStatus::Pending, None)
    );
    let list = w.a.staff_tasks(&w.staff, c1).await.unwrap();
    assert_eq!(list.progress().percent, 50);
}
