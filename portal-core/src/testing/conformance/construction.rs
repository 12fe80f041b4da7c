//! Partial construction: a row acted on while it is being made is found whole or not
//! at all, and an operation on a row not there yet writes nothing.

use super::*;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::staff::Invitation;
use crate::task::{Side, TaskStatus};

/// How often each race below is run: a store that can show half a row shows it in a
/// few tries.
const RACES: usize = 12;

pub async fn a_task_completed_while_being_created_is_whole_or_absent(f: Fixture) {
    use crate::id::TaskId;
    use crate::task::{Evidence, Task};
    let w = Arc::new(World::new(f).await);
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let auth = Arc::new(w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap());
    for round in 0..RACES {
        let task = Task {
            id: TaskId::generate(w.a.secrets()).unwrap(),
            firm_id: w.firm.id,
            client_id: w.client1.id,
            phase_id: None,
            title: format!("Task {round}"),
            description: "Whole or nothing".into(),
            due_on: None,
            assignee: Side::Client,
            status: TaskStatus::Pending,
            evidence: Evidence::Standard,
            position: i64::try_from(round).unwrap(),
            created_at: w.a.now(),
            updated_at: w.a.now(),
            completion: None,
            submission: None,
            checklist: Vec::new(),
            withdrawn_at: None,
        };
        let completions: Vec<_> = (0..4)
            .map(|i| {
                let (w, auth, id) = (w.clone(), auth.clone(), task.id);
                tokio::spawn(async move {
                    let p = if i % 2 == 0 { &w.a } else { &w.b };
                    p.complete_task(&auth, id, Some("raced"), &req()).await
                })
            })
            .collect();
        w.a.store()
            .insert_task(&task, system_entry(&w, AuditAction::TaskCreated))
            .await
            .unwrap();
        let mut completed = 0;
        for c in completions {
            match c.await.unwrap() {
                Ok(t) => {
                    // Never a row without its title, client or evidence.
                    assert_eq!(
                        (t.id, &t.title, t.client_id, &t.description),
                        (task.id, &task.title, task.client_id, &task.description)
                    );
                    assert_eq!(t.status, TaskStatus::Completed);
                    completed += 1;
                }
                Err(TaskError::NotFound) => {}
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        let stored = w.a.store().task(task.id).await.unwrap().unwrap();
        assert_eq!(stored.title, task.title);
        let entries = w
            .audit(AuditAction::TaskCompleted)
            .await
            .into_iter()
            .filter(|e| e.entry.detail.starts_with(&format!("task={} ", task.id)))
            .count();
        // Completed once and recorded once, or not at all: no entry for a completion
        // of a task that did not exist yet.
        assert_eq!(
            (stored.status == TaskStatus::Completed, entries),
            (completed > 0, usize::from(completed > 0)),
            "round {round}"
        );
    }
}

pub async fn an_invitation_racing_its_clients_creation_is_whole_or_absent(f: Fixture) {
    use crate::client::Client;
    use crate::id::ClientId;
    let w = Arc::new(World::new(f).await);
    for round in 0..RACES {
        let client = Client {
            id: ClientId::generate(w.a.secrets()).unwrap(),
            firm_id: w.firm.id,
            name: format!("New client {round}"),
            created_at: w.a.now(),
        };
        let email = format!("raced{round}@example.com");
        let audit_before = w.a.store().audit_head(w.firm.id).await.unwrap();
        let invite = {
            let (w, email, ids) = (w.clone(), email.clone(), vec![w.client1.id, client.id]);
            tokio::spawn(async move {
                let inv = Invitation {
                    email,
                    first_name: "Raced".into(),
                    phone: None,
                    client_ids: ids,
                    permissions: Permissions::TASKS,
                };
                w.b.invite(&w.staff, inv).await
            })
        };
        w.a.store().insert_client(&client).await.unwrap();
        let outcome = invite.await.unwrap();
        let canonical = EmailAddress::parse(&email).unwrap();
        let found =
            w.a.store()
                .contact_by_email(w.firm.id, canonical.canonical())
                .await
                .unwrap();
        match outcome {
            Ok(summary) => {
                let contact = found.expect("the contact invited");
                assert_eq!(contact.id, summary.contact.id);
                let mut granted: Vec<_> =
                    w.a.store()
                        .grants(contact.id)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|g| g.client_id)
                        .collect();
                granted.sort();
                let mut want = vec![w.client1.id, client.id];
                want.sort();
                assert_eq!(granted, want, "every grant, round {round}");
            }
            Err(StaffError::NotFound) => {
                // The client was not there yet: nothing of the invitation was written,
                // not the contact, not its grant to the client that existed, no entry.
                assert!(found.is_none(), "half an invitation, round {round}");
                assert_eq!(
                    w.a.store().audit_head(w.firm.id).await.unwrap(),
                    audit_before,
                    "round {round}"
                );
            }
            Err(e) => panic!("round {round}: {e:?}"),
        }
    }
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
}
