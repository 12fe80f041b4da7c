//! Credentials through the portal on a store: handed over sealed, replaced until the
//! first reveal, revealed with a reason under a limit, purged by staff or by policy,
//! refused where a key is missing or a value was moved, and rotated to a new key while
//! contacts hand over and staff reveal.

use std::collections::BTreeMap;

use super::*;
use crate::clock::Clock as _;
use crate::credential::{CredentialRefusal, CredentialValues};
use crate::evidence::{CredentialRequest, Evidence};
use crate::id::TaskId;
use crate::policy::CredentialPolicy;
use crate::portal::Portal;
use crate::portal::credential::{CredentialError, Unreadable};
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::staff::StaffContext;
use crate::task::{NewTask, Side, TaskStatus};
use crate::testing::VAULT_KEY;
use crate::vault::{SecretText, VaultError};

fn values(pairs: &[(&str, &str)]) -> CredentialValues {
    CredentialValues(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretText::new((*v).to_owned())))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn new_task(title: &str, evidence: Evidence) -> NewTask {
    NewTask {
        phase: None,
        title: title.into(),
        description: String::new(),
        due_on: None,
        assignee: Side::Client,
        evidence,
    }
}

fn login_request(title: &str) -> NewTask {
    new_task(title, Evidence::Credential(CredentialRequest::login()))
}

async fn login_task(w: &World, title: &str) -> TaskId {
    w.a.create_task(&w.staff, w.client1.id, login_request(title))
        .await
        .unwrap()
        .id
}

async fn session(w: &World, portal: &Portal, contact: crate::id::ContactId) -> Authenticated {
    let cookie = w.login(contact).await.token.expose_secret();
    portal
        .authenticate(w.firm.id, &cookie, &req())
        .await
        .unwrap()
}

/// The values a reveal gives, by field name.
async fn revealed(portal: &Portal, w: &World, task: TaskId) -> Vec<(String, String)> {
    portal
        .reveal_credential(&w.staff, task, "setting up the client's payroll")
        .await
        .unwrap()
        .values
        .iter()
        .map(|v| (v.name.clone(), v.value.expose().to_owned()))
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

pub async fn a_credential_is_sealed_and_its_contact_reads_back_no_value(f: Fixture) {
    let w = World::new(f).await;
    let task = login_task(&w, "Payroll login").await;
    let jane = session(&w, &w.a, w.jane.id).await;
    let secret = "Tr0ub4dor&3-unique-7731";
    let status =
        w.a.submit_credential(
            &jane,
            task,
            values(&[("username", "payroll-admin"), ("password", secret)]),
            &req(),
        )
        .await
        .unwrap();
    let filled: Vec<_> = status
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.filled))
        .collect();
    assert_eq!(
        filled,
        [
            ("username", true),
            ("password", true),
            ("url", false),
            ("notes", false)
        ]
    );
    let handed = status.handed_over.clone().unwrap();
    assert_eq!((handed.version, handed.submitted_by), (1, w.jane.id));
    assert!(status.replaceable());
    // The other instance reads the same status, and the task is done.
    let bob = session(&w, &w.b, w.bob.id).await;
    assert_eq!(w.b.credential_status(&bob, task).await.unwrap(), status);
    assert_eq!(
        w.b.client_task(&bob, task).await.unwrap().status,
        TaskStatus::Completed
    );
    // What the store holds is sealed: no value's bytes, a key id, one nonce each.
    let stored = w.b.store().credential(task).await.unwrap().unwrap();
    assert_eq!(stored.key_id.as_str(), VAULT_KEY.0);
    let dump = format!("{stored:?}");
    for value in [secret, "payroll-admin"] {
        assert!(!dump.contains(value));
        for field in &stored.fields {
            let sealed = field.value.as_ref().unwrap();
            assert!(
                !sealed
                    .ciphertext
                    .windows(value.len())
                    .any(|w| w == value.as_bytes())
            );
        }
    }
    let nonces: Vec<_> = stored
        .fields
        .iter()
        .map(|f| f.value.as_ref().unwrap().nonce.clone())
        .collect();
    assert_ne!(nonces[0], nonces[1]);
    let entries = w.audit(AuditAction::CredentialSubmitted).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].entry.detail,
        format!("task={task} fields=username,password")
    );
}

pub async fn a_credential_is_replaced_until_revealed_and_stands_after(f: Fixture) {
    let w = World::new(f).await;
    let task = login_task(&w, "Bank login").await;
    let jane = session(&w, &w.a, w.jane.id).await;
    let first = values(&[("username", "u1"), ("password", "p1")]);
    w.a.submit_credential(&jane, task, first, &req())
        .await
        .unwrap();
    let bob = session(&w, &w.b, w.bob.id).await;
    let second = values(&[("username", "u2"), ("password", "p2"), ("notes", "second")]);
    let status =
        w.b.submit_credential(&bob, task, second, &req())
            .await
            .unwrap();
    let handed = status.handed_over.unwrap();
    assert_eq!((handed.version, handed.submitted_by), (2, w.bob.id));

    w.clock.advance(MINUTE);
    let shown = revealed(&w.a, &w, task).await;
    assert_eq!(
        shown,
        pairs(&[("username", "u2"), ("password", "p2"), ("notes", "second")])
    );
    let first_reveal = w.clock.now();
    let late = values(&[("username", "u3"), ("password", "p3")]);
    assert!(matches!(
        w.a.submit_credential(&jane, task, late, &req()).await,
        Err(CredentialError::Refused(CredentialRefusal::Revealed))
    ));
    w.clock.advance(MINUTE);
    assert_eq!(revealed(&w.b, &w, task).await, shown);
    let status = w.a.credential_status(&jane, task).await.unwrap();
    let handed = status.handed_over.clone().unwrap();
    assert_eq!(
        (handed.version, handed.revealed_at),
        (2, Some(first_reveal))
    );
    assert!(!status.replaceable());
    let reveals = w.audit(AuditAction::CredentialRevealed).await;
    assert_eq!(reveals.len(), 2);
    assert_eq!(
        reveals[0].entry.detail,
        format!(
            "task={task} fields=username,password,notes reason=setting up the client's payroll"
        )
    );
    assert!(matches!(&reveals[0].entry.actor, Actor::Staff(s) if s.as_str() == "alice"));
    w.a.reveal_credential(&w.staff, task, "x fields=url task=forged")
        .await
        .unwrap();
    let forged = w.audit(AuditAction::CredentialRevealed).await;
    assert_eq!(
        forged[2].entry.detail,
        format!("task={task} fields=username,password,notes reason=x fields%3Durl task%3Dforged")
    );
}

pub async fn a_reveal_needs_a_reason_the_firm_and_room_under_the_hourly_limit(f: Fixture) {
    let policy = Policy {
        credentials: CredentialPolicy {
            reveals_per_staff_hour: Some(2),
            ..CredentialPolicy::default()
        },
        ..Policy::default()
    };
    let w = World::with_policy(f, policy).await;
    let task = login_task(&w, "Tax office login").await;
    let jane = session(&w, &w.a, w.jane.id).await;
    let pair = values(&[("username", "u"), ("password", "p")]);
    w.a.submit_credential(&jane, task, pair, &req())
        .await
        .unwrap();

    for reason in ["", "   ", "a\u{7}b"] {
        assert!(matches!(
            w.a.reveal_credential(&w.staff, task, reason).await,
            Err(CredentialError::Reason(_))
        ));
    }
    let other = w.b.reveal_credential(&w.other_staff, task, "curious").await;
    assert!(matches!(other, Err(CredentialError::NotFound)));
    let stored = w.a.store().credential(task).await.unwrap().unwrap();
    assert_eq!(stored.revealed_at, None, "nothing refused reveals anything");

    revealed(&w.a, &w, task).await;
    revealed(&w.b, &w, task).await;
    let third = w.a.reveal_credential(&w.staff, task, "once more").await;
    assert!(matches!(third, Err(CredentialError::TooManyReveals)));
    let refused = w.audit(AuditAction::CredentialRevealRefused).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].entry.outcome, AuditOutcome::Refused);
    // The limit is per staff member, over a sliding hour.
    let colleague = StaffContext {
        staff: crate::id::StaffId::new("carol").unwrap(),
        ..w.staff.clone()
    };
    w.a.reveal_credential(&colleague, task, "payroll")
        .await
        .unwrap();
    w.clock.advance(Duration::from_secs(3601));
    revealed(&w.a, &w, task).await;
    assert_eq!(w.audit(AuditAction::CredentialRevealed).await.len(), 4);
}

pub async fn a_purged_credential_keeps_its_record_and_gives_nothing(f: Fixture) {
    let w = World::new(f).await;
    let task = login_task(&w, "Shop admin").await;
    let jane = session(&w, &w.a, w.jane.id).await;
    let pair = values(&[("username", "u"), ("password", "p")]);
    w.a.submit_credential(&jane, task, pair, &req())
        .await
        .unwrap();
    w.clock.advance(MINUTE);
    let status = w.b.purge_credential(&w.staff, task).await.unwrap();
    let purged_at = status.handed_over.as_ref().unwrap().purged_at;
    assert_eq!(purged_at, Some(w.clock.now()));
    assert!(status.fields.iter().filter(|f| f.filled).count() == 2);
    let stored = w.a.store().credential(task).await.unwrap().unwrap();
    assert!(stored.fields.iter().all(|f| f.value.is_none()));
    assert!(matches!(
        w.a.reveal_credential(&w.staff, task, "too late").await,
        Err(CredentialError::Refused(CredentialRefusal::Purged))
    ));
    let again = values(&[("username", "u"), ("password", "p")]);
    assert!(matches!(
        w.a.submit_credential(&jane, task, again, &req()).await,
        Err(CredentialError::Refused(CredentialRefusal::Purged))
    ));
    // Purging again changes nothing and records nothing more.
    w.clock.advance(MINUTE);
    let twice = w.a.purge_credential(&w.staff, task).await.unwrap();
    assert_eq!(twice.handed_over.unwrap().purged_at, purged_at);
    assert_eq!(w.audit(AuditAction::CredentialPurged).await.len(), 1);
    assert_eq!(w.audit(AuditAction::CredentialRevealed).await.len(), 0);
    // Reopened, the task still cannot become another type: its record stays a
    // credential's.
    w.a.set_task_status(&w.staff, task, TaskStatus::Pending)
        .await
        .unwrap();
    let current = w.a.staff_task(&w.staff, task).await.unwrap();
    let edit = crate::task::TaskEdit {
        evidence: Evidence::Standard,
        ..crate::task::TaskEdit::from(&current)
    };
    assert!(matches!(
        w.a.edit_task(&w.staff, task, edit).await,
        Err(StaffError::Conflict(_))
    ));
}

pub async fn credentials_are_refused_to_other_clients_and_without_a_vault(f: Fixture) {
    let w = World::new(f).await;
    let task = login_task(&w, "VPN").await;
    // Bob holds no grant on the second client; Olga is another firm's.
    let on_client2 =
        w.a.create_task(&w.staff, w.client2.id, login_request("Other"))
            .await
            .unwrap()
            .id;
    let bob = session(&w, &w.a, w.bob.id).await;
    let url =
        w.a.generate_magic_link(&w.other_staff, w.olga.id)
            .await
            .unwrap();
    let token = url.rsplit('/').next().unwrap();
    let olga_login =
        w.a.redeem_magic_link(w.other_firm.id, token, None, None, &req())
            .await
            .unwrap();
    let olga =
        w.a.authenticate(w.other_firm.id, &olga_login.token.expose_secret(), &req())
            .await
            .unwrap();
    let pair = || values(&[("username", "u"), ("password", "p")]);
    for (auth, id) in [(&bob, on_client2), (&olga, task)] {
        assert!(matches!(
            w.a.submit_credential(auth, id, pair(), &req()).await,
            Err(CredentialError::NotFound)
        ));
        assert!(matches!(
            w.a.credential_status(auth, id).await,
            Err(CredentialError::NotFound)
        ));
    }
    // A task of another type is not a credential task.
    let standard =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Plain", Evidence::Standard),
        )
        .await
        .unwrap()
        .id;
    assert!(matches!(
        w.a.submit_credential(&bob, standard, pair(), &req()).await,
        Err(CredentialError::NotACredentialTask)
    ));
    // Values that do not meet the fields are refused, naming the field only.
    let long = "x".repeat(5_000);
    let bad = values(&[("username", "u"), ("password", &long)]);
    match w.a.submit_credential(&bob, task, bad, &req()).await {
        Err(CredentialError::Invalid(e)) => {
            assert_eq!(e.field, "password");
            assert!(!e.to_string().contains("xxxx"));
        }
        other => panic!("expected invalid values, got {other:?}"),
    }
    // An instance without a vault refuses to ask for credentials and to take them.
    let bare = w.instance(&w.a, None);
    assert!(!bare.has_vault());
    let refused = bare
        .create_task(&w.staff, w.client1.id, login_request("No vault"))
        .await;
    assert!(matches!(refused, Err(StaffError::Invalid(_))));
    let bob_bare = session(&w, &bare, w.bob.id).await;
    assert!(matches!(
        bare.submit_credential(&bob_bare, task, pair(), &req())
            .await,
        Err(CredentialError::NoVault)
    ));
    assert_eq!(w.a.store().credential(task).await.unwrap(), None);
    assert_eq!(w.a.store().credential(on_client2).await.unwrap(), None);
    assert!(w.audit(AuditAction::CredentialSubmitted).await.is_empty());
}

pub async fn a_moved_or_altered_value_and_a_missing_key_are_reported_never_opened(f: Fixture) {
    let w = World::new(f).await;
    let (t1, t2) = (login_task(&w, "One").await, login_task(&w, "Two").await);
    let jane = session(&w, &w.a, w.jane.id).await;
    for (task, secret) in [(t1, "first-secret"), (t2, "second-secret")] {
        let v = values(&[("username", "u"), ("password", secret)]);
        w.a.submit_credential(&jane, task, v, &req()).await.unwrap();
    }
    let store = w.a.store();
    let one = store.credential(t1).await.unwrap().unwrap();
    let two = store.credential(t2).await.unwrap().unwrap();
    // Task two's row given task one's sealed values, as someone with write access to
    // the database might: they were bound to task one.
    let moved = crate::credential::Credential {
        fields: one.fields.clone(),
        ..two.clone()
    };
    assert!(store.rewrap_credential(&moved).await.unwrap());
    let err =
        w.a.reveal_credential(&w.staff, t2, "check")
            .await
            .unwrap_err();
    assert!(matches!(
        err,
        CredentialError::Unreadable(VaultError::Tampered)
    ));
    assert!(!err.to_string().contains("secret"));
    // Within one credential, the password's value put in the username's place.
    let mut swapped = one.clone();
    let (a, b) = (
        swapped.fields[0].value.take(),
        swapped.fields[1].value.take(),
    );
    (swapped.fields[0].value, swapped.fields[1].value) = (b, a);
    assert!(store.rewrap_credential(&swapped).await.unwrap());
    let err =
        w.a.reveal_credential(&w.staff, t1, "check")
            .await
            .unwrap_err();
    assert!(matches!(
        err,
        CredentialError::Unreadable(VaultError::Tampered)
    ));
    // One flipped bit.
    let mut flipped = one.clone();
    if let Some(v) = flipped.fields[1].value.as_mut() {
        v.ciphertext[0] ^= 1;
    }
    assert!(store.rewrap_credential(&flipped).await.unwrap());
    assert!(matches!(
        w.a.reveal_credential(&w.staff, t1, "check").await,
        Err(CredentialError::Unreadable(VaultError::Tampered))
    ));
    assert_eq!(w.audit(AuditAction::CredentialRevealRefused).await.len(), 3);
    // Restored as sealed, it opens again.
    assert!(store.rewrap_credential(&one).await.unwrap());
    assert_eq!(
        revealed(&w.a, &w, t1).await,
        pairs(&[("username", "u"), ("password", "first-secret")])
    );
    // An instance that lost the key says which one is missing.
    let forgetful = w.instance(&w.b, Some(World::vault(&[("k9", 9)])));
    assert!(matches!(
        forgetful.reveal_credential(&w.staff, t1, "check").await,
        Err(CredentialError::Unreadable(VaultError::UnknownKey(k))) if k.as_str() == "k1"
    ));
    // Refused before the reveal is recorded: the contact may still replace it.
    let t3 = login_task(&w, "Three").await;
    let v = values(&[("username", "u"), ("password", "third")]);
    w.a.submit_credential(&jane, t3, v, &req()).await.unwrap();
    assert!(matches!(
        forgetful.reveal_credential(&w.staff, t3, "check").await,
        Err(CredentialError::Unreadable(VaultError::UnknownKey(_)))
    ));
    assert_eq!(
        store.credential(t3).await.unwrap().unwrap().revealed_at,
        None
    );
    let again = values(&[("username", "u"), ("password", "again")]);
    w.a.submit_credential(&jane, t3, again, &req())
        .await
        .unwrap();
    let report = forgetful.rotate_vault(None, 10).await.unwrap();
    assert_eq!(report.rotated, 0);
    assert_eq!(report.left, 3);
    assert!(
        report
            .unreadable
            .iter()
            .all(|(_, why)| matches!(why, Unreadable::MissingKey(k) if k.as_str() == "k1"))
    );
    assert_eq!(
        store.credential(t1).await.unwrap().unwrap().key_id.as_str(),
        "k1"
    );
}

pub async fn rotation_reseals_everything_while_contacts_hand_over_and_staff_reveal(f: Fixture) {
    let policy = Policy {
        credentials: CredentialPolicy {
            reveals_per_staff_hour: None,
            ..CredentialPolicy::default()
        },
        ..Policy::default()
    };
    let w = World::with_policy(f, policy).await;
    let jane = session(&w, &w.a, w.jane.id).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let task = login_task(&w, &format!("System {i}")).await;
        let v = values(&[
            ("username", &format!("user{i}")),
            ("password", &format!("old{i}")),
        ]);
        w.a.submit_credential(&jane, task, v, &req()).await.unwrap();
        tasks.push(task);
    }
    // Every instance now has k2 active and k1 kept to open what it sealed.
    let keys = [("k2", 2), VAULT_KEY];
    let (pa, pb) = (
        w.instance(&w.a, Some(World::vault(&keys))),
        w.instance(&w.b, Some(World::vault(&keys))),
    );
    // Another firm's staff rotate their own firm's credentials only (it has none), and
    // their log says what they did.
    let theirs = pa.staff_rotate_vault(&w.other_staff, 10).await.unwrap();
    assert_eq!((theirs.rotated, theirs.left), (0, 0), "{theirs:?}");
    let stored = w.b.store().credential(tasks[0]).await.unwrap().unwrap();
    assert_eq!(
        stored.key_id.as_str(),
        "k1",
        "this firm's credentials untouched"
    );
    let logged =
        w.a.store()
            .audit_events(w.other_firm.id, None, 0, 1000)
            .await
            .unwrap();
    assert!(
        logged
            .iter()
            .any(|e| e.entry.action == AuditAction::VaultRotated
                && e.entry.detail == "rotated=0 superseded=0 unreadable=0 left=0")
    );
    let rotation = {
        let pa = pa.clone();
        tokio::spawn(async move { pa.rotate_vault(None, 3).await.unwrap() })
    };
    let replaced: Vec<TaskId> = tasks.iter().copied().step_by(3).collect();
    let replacing = {
        let (pb, replaced) = (pb.clone(), replaced.clone());
        let bob = session(&w, &pb, w.bob.id).await;
        tokio::spawn(async move {
            for (n, task) in replaced.into_iter().enumerate() {
                let v = values(&[("username", &format!("new{n}")), ("password", "rotated-in")]);
                pb.submit_credential(&bob, task, v, &req()).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let reveals = {
        let (pb, staff) = (pb.clone(), w.staff.clone());
        let watched: Vec<TaskId> = tasks.iter().copied().skip(1).step_by(3).collect();
        tokio::spawn(async move {
            for task in watched {
                let r = pb.reveal_credential(&staff, task, "audit").await.unwrap();
                assert_eq!(r.values.len(), 2);
                tokio::task::yield_now().await;
            }
        })
    };
    let report = rotation.await.unwrap();
    replacing.await.unwrap();
    reveals.await.unwrap();
    assert!(report.unreadable.is_empty());
    assert_eq!(report.left, 0, "{report:?}");
    // A second run finds nothing left; every value still opens and is the last given.
    let again = pb.rotate_vault(None, 5).await.unwrap();
    assert_eq!((again.rotated, again.left), (0, 0));
    let k2_only = w.instance(&w.a, Some(World::vault(&[("k2", 2)])));
    for (i, task) in tasks.iter().enumerate() {
        let stored = w.b.store().credential(*task).await.unwrap().unwrap();
        assert_eq!(stored.key_id.as_str(), "k2");
        let shown = revealed(&k2_only, &w, *task).await;
        let expected = match replaced.iter().position(|t| t == task) {
            Some(n) => pairs(&[("username", &format!("new{n}")), ("password", "rotated-in")]),
            None => pairs(&[
                ("username", &format!("user{i}")),
                ("password", &format!("old{i}")),
            ]),
        };
        assert_eq!(shown, expected, "task {i}");
    }
}

pub async fn closed_credentials_are_purged_after_the_policy_s_delay(f: Fixture) {
    let day = Duration::from_secs(86_400);
    let policy = Policy {
        credentials: CredentialPolicy {
            purge_after_closed: Some(day),
            ..CredentialPolicy::default()
        },
        ..Policy::default()
    };
    let w = World::with_policy(f, policy).await;
    let (done, open) = (login_task(&w, "Done").await, login_task(&w, "Open").await);
    let jane = session(&w, &w.a, w.jane.id).await;
    let pair = || values(&[("username", "u"), ("password", "p")]);
    w.a.submit_credential(&jane, done, pair(), &req())
        .await
        .unwrap();
    // The other one is handed over, then reopened by staff: not closed.
    w.a.submit_credential(&jane, open, pair(), &req())
        .await
        .unwrap();
    w.a.set_task_status(&w.staff, open, TaskStatus::Pending)
        .await
        .unwrap();

    w.clock.advance(day - MINUTE);
    assert_eq!(w.b.maintain().await.unwrap().purged_credentials, 0);
    w.clock.advance(2 * MINUTE);
    let (ra, rb) = tokio::join!(w.a.maintain(), w.b.maintain());
    assert_eq!(
        ra.unwrap().purged_credentials + rb.unwrap().purged_credentials,
        1
    );
    let store = w.a.store();
    assert!(store.credential(done).await.unwrap().unwrap().purged());
    assert!(!store.credential(open).await.unwrap().unwrap().purged());
    let purges = w.audit(AuditAction::CredentialPurged).await;
    assert_eq!(purges.len(), 1);
    assert_eq!(purges[0].entry.actor, Actor::System);
    assert_eq!(w.a.maintain().await.unwrap().purged_credentials, 0);
}
