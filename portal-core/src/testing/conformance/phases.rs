//! Phases: ordered and unique per client; tasks grouped under them.

use super::*;
use crate::portal::staff::StaffError;
use crate::task::{Evidence, NewTask, Side};

fn task_in(phase: Option<&str>, title: &str) -> NewTask {
    NewTask {
        phase: phase.map(Into::into),
        title: title.into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence: Evidence::Standard,
    }
}

pub async fn phases_are_ordered_and_unique_per_client(f: Fixture) {
    let w = World::new(f).await;
    let (c1, c2) = (w.client1.id, w.client2.id);
    let onboarding = w.a.create_phase(&w.staff, c1, "Onboarding").await.unwrap();
    let month_end = w.b.create_phase(&w.staff, c1, " Month end ").await.unwrap();
    assert_eq!(month_end.name, "Month end");
    assert!(
        matches!(
            w.b.create_phase(&w.staff, c1, "Onboarding").await,
            Err(StaffError::Conflict(_))
        ),
        "one name per client"
    );
    let other = w.a.create_phase(&w.staff, c2, "Onboarding").await.unwrap();
    assert!(matches!(
        w.a.create_phase(&w.other_staff, c1, "Year end").await,
        Err(StaffError::NotFound)
    ));
    let names = |phases: Vec<crate::phase::Phase>| -> Vec<String> {
        phases.into_iter().map(|p| p.name).collect()
    };
    assert_eq!(
        names(w.b.store().phases(c1).await.unwrap()),
        ["Onboarding", "Month end"]
    );
    // A task under a name the client has joins that phase; another name makes one.
    let t1 =
        w.a.create_task(&w.staff, c1, task_in(Some("Month end"), "Reconcile"))
            .await
            .unwrap();
    let t2 =
        w.b.create_task(&w.staff, c1, task_in(Some("Year end"), "Close"))
            .await
            .unwrap();
    let t3 =
        w.a.create_task(&w.staff, c1, task_in(None, "Loose"))
            .await
            .unwrap();
    assert_eq!(t1.phase_id, Some(month_end.id));
    let phases = w.a.store().phases(c1).await.unwrap();
    assert_eq!(
        names(phases.clone()),
        ["Onboarding", "Month end", "Year end"]
    );
    assert_eq!(t2.phase_id, Some(phases[2].id));
    assert_eq!(t3.phase_id, None);
    // Reordered: the progress follows the phases' order, tasks without one last.
    let order = [phases[2].id, onboarding.id, month_end.id];
    let reordered = w.b.reorder_phases(&w.staff, c1, &order).await.unwrap();
    assert_eq!(names(reordered), ["Year end", "Onboarding", "Month end"]);
    w.a.reorder_phases(&w.staff, c1, &order).await.unwrap();
    assert!(matches!(
        w.a.reorder_phases(&w.staff, c1, &order[..2]).await,
        Err(StaffError::Invalid(_))
    ));
    assert!(matches!(
        w.a.reorder_phases(&w.staff, c1, &[order[0], order[1], other.id])
            .await,
        Err(StaffError::Invalid(_))
    ));
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    let list = w.b.client_tasks(&bob, c1).await.unwrap();
    let groups: Vec<Option<String>> = list
        .progress()
        .phases
        .into_iter()
        .map(|g| g.phase.map(|p| p.name))
        .collect();
    assert_eq!(
        groups,
        [
            Some("Year end".to_owned()),
            Some("Onboarding".to_owned()),
            Some("Month end".to_owned()),
            None
        ]
    );
    // Renamed: unique still; the tasks stay under it.
    assert!(matches!(
        w.a.rename_phase(&w.staff, c1, onboarding.id, "Month end")
            .await,
        Err(StaffError::Conflict(_))
    ));
    let renamed =
        w.a.rename_phase(&w.staff, c1, month_end.id, "Month-end close")
            .await
            .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.position),
        ("Month-end close", 3)
    );
    assert!(matches!(
        w.a.rename_phase(&w.staff, c2, month_end.id, "x").await,
        Err(StaffError::NotFound)
    ));
    let list = w.a.client_tasks(&bob, c1).await.unwrap();
    assert_eq!(list.phase_name(t1.phase_id), Some("Month-end close"));
    assert_eq!(
        (
            w.audit(AuditAction::PhaseCreated).await.len(),
            w.audit(AuditAction::PhaseRenamed).await.len(),
            w.audit(AuditAction::PhasesReordered).await.len()
        ),
        (4, 1, 1),
        "each change recorded once, refusals not at all"
    );
    // Racing creations of one name under new tasks make one phase.
    let (x, y) = tokio::join!(
        w.a.create_task(&w.staff, c2, task_in(Some("Payroll"), "x")),
        w.b.create_task(&w.staff, c2, task_in(Some("Payroll"), "y"))
    );
    assert_eq!(x.unwrap().phase_id, y.unwrap().phase_id);
    assert_eq!(
        names(w.a.store().phases(c2).await.unwrap()),
        ["Onboarding", "Payroll"]
    );
}
