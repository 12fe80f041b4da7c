//! Credentials in the store: submitted and replaced until revealed, revealed with an
//! entry each time, purged to a record, swept once their task closed, listed and
//! re-sealed for a key rotation that a replacement or a purge beats; a replacement
//! racing a reveal is what the reveal reads, or refused. The cases call the store
//! directly, with credentials sealed by a vault as Portal seals them.

use super::*;
use crate::credential::{Credential, CredentialRefusal, SealedField};
use crate::evidence::{CredentialFieldKind, CredentialRequest, Evidence};
use crate::id::TaskId;
use crate::random::SeededSecretSource;
use crate::task::{Completion, NewTask, Side, Task, TaskEdit, TaskStatus};
use crate::vault::{KeyId, SealContext, Vault, VaultKey};

/// A vault and the source of its nonces.
struct Sealer {
    vault: Vault,
    source: SeededSecretSource,
}

impl Sealer {
    /// A vault whose first key seals; each key is its id's byte repeated.
    fn new(keys: &[(&str, u8)]) -> Sealer {
        let mut keys = keys
            .iter()
            .map(|(id, byte)| VaultKey::new(KeyId::new(id).unwrap(), &[*byte; 32]).unwrap());
        let active = keys.next().unwrap();
        Sealer {
            vault: Vault::new(active, keys).unwrap(),
            source: SeededSecretSource::new(17),
        }
    }

    /// The credential `values` make for `task`, version 1, sealed under the active key
    /// and submitted by Bob at the clock's time.
    fn seal(&self, w: &World, task: &Task, values: &[(&str, &str)]) -> Credential {
        let fields = values
            .iter()
            .map(|(name, value)| SealedField {
                name: (*name).to_owned(),
                value: Some(
                    self.vault
                        .seal(value.as_bytes(), &context(task, name), &self.source)
                        .unwrap(),
                ),
            })
            .collect();
        Credential {
            task_id: task.id,
            firm_id: task.firm_id,
            client_id: task.client_id,
            key_id: self.vault.active().clone(),
            fields,
            version: 1,
            submitted_by: w.bob.id,
            submitted_at: w.a.now(),
            revealed_at: None,
            purged_at: None,
        }
    }

    /// The value of field `name` of `credential`, opened.
    fn open(&self, task: &Task, credential: &Credential, name: &str) -> String {
        let field = credential.fields.iter().find(|f| f.name == name).unwrap();
        let value = field.value.as_ref().expect("a value not purged");
        self.vault
            .open_text(&credential.key_id, value, &context(task, name))
            .unwrap()
            .expose()
            .to_owned()
    }

    /// `credential` re-sealed under the active key, as a rotation does.
    fn rewrapped(&self, task: &Task, credential: &Credential) -> Credential {
        let fields = credential
            .fields
            .iter()
            .map(|f| {
                let plain = self.open(task, credential, &f.name);
                SealedField {
                    name: f.name.clone(),
                    value: Some(
                        self.vault
                            .seal(plain.as_bytes(), &context(task, &f.name), &self.source)
                            .unwrap(),
                    ),
                }
            })
            .collect();
        Credential {
            key_id: self.vault.active().clone(),
            fields,
            ..credential.clone()
        }
    }
}

fn context<'a>(task: &Task, field: &'a str) -> SealContext<'a> {
    SealContext {
        firm: task.firm_id,
        client: task.client_id,
        task: task.id,
        field,
    }
}

fn login() -> Evidence {
    Evidence::Credential(CredentialRequest::login())
}

async fn credential_task(w: &World, title: &str) -> Task {
    w.a.create_task(
        &w.staff,
        w.client1.id,
        NewTask {
            phase: None,
            title: title.into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            evidence: login(),
        },
    )
    .await
    .unwrap()
}

/// Bob's completion at the clock's time.
fn completion(w: &World) -> Completion {
    Completion {
        by: Actor::Contact(w.bob.id),
        at: w.a.now(),
        note: None,
        ip: None,
    }
}

/// An entry of the firm about `task` at the clock's time.
fn entry(w: &World, action: AuditAction, task: TaskId) -> AuditDraft {
    AuditDraft {
        detail: format!("task={task}"),
        ..system_entry(w, action)
    }
}

/// Submits `credential` through `store` against the login definition, as Bob.
async fn submit(
    store: &dyn Store,
    w: &World,
    credential: &Credential,
) -> Option<Result<Credential, CredentialRefusal>> {
    submit_against(store, w, credential, &login()).await
}

async fn submit_against(
    store: &dyn Store,
    w: &World,
    credential: &Credential,
    checked_against: &Evidence,
) -> Option<Result<Credential, CredentialRefusal>> {
    store
        .submit_credential(
            credential,
            checked_against,
            &completion(w),
            entry(w, AuditAction::CredentialSubmitted, credential.task_id),
        )
        .await
        .unwrap()
}

/// Reveals `task`'s credential through `store` at the clock's time, recording it.
async fn reveal(store: &dyn Store, w: &World, task: TaskId) -> Option<Credential> {
    let draft = entry(w, AuditAction::CredentialRevealed, task);
    store
        .reveal_credential(task, w.a.now(), &|_| Some(draft.clone()))
        .await
        .unwrap()
}

async fn purge(store: &dyn Store, w: &World, task: TaskId) -> Option<Credential> {
    store
        .purge_credential(
            task,
            w.a.now(),
            entry(w, AuditAction::CredentialPurged, task),
        )
        .await
        .unwrap()
        .map(|(c, _)| c)
}

async fn count(w: &World, action: AuditAction) -> usize {
    w.audit(action).await.len()
}

pub async fn a_submitted_credential_is_version_1_and_completes_its_task(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Bank login").await;
    w.advance(MINUTE);
    let credential = sealer.seal(&w, &task, &[("username", "admin"), ("password", " p w ")]);
    let stored = submit(w.a.store().as_ref(), &w, &credential)
        .await
        .expect("the task exists")
        .expect("stored");
    assert_eq!(stored, credential);
    assert_eq!(stored.version, 1);
    // Read back exactly as written, from the other instance, and still opening.
    let read = w.b.store().credential(task.id).await.unwrap().unwrap();
    assert_eq!(read, credential);
    assert_eq!(sealer.open(&task, &read, "username"), "admin");
    assert_eq!(sealer.open(&task, &read, "password"), " p w ");
    assert_eq!(read.filled().collect::<Vec<_>>(), ["username", "password"]);
    // The task is completed by the submission, and holds none of it.
    let done = w.b.store().task(task.id).await.unwrap().unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    assert_eq!(done.completion, Some(completion(&w)));
    assert_eq!(done.updated_at, w.a.now());
    assert_eq!(done.submission, None);
    assert_eq!(done.evidence, login());
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
    // Nothing answers for a task without a credential, nor for one that does not exist.
    let other = credential_task(&w, "No credential yet").await;
    let nowhere = TaskId::generate(&SeededSecretSource::new(99)).unwrap();
    let store = w.a.store();
    for id in [other.id, nowhere] {
        assert_eq!(store.credential(id).await.unwrap(), None);
        assert_eq!(reveal(store.as_ref(), &w, id).await, None);
        assert_eq!(purge(store.as_ref(), &w, id).await, None);
        let mut elsewhere = credential.clone();
        elsewhere.task_id = id;
        assert!(!store.rewrap_credential(&elsewhere).await.unwrap());
    }
    let mut unknown = credential.clone();
    unknown.task_id = nowhere;
    assert_eq!(submit(store.as_ref(), &w, &unknown).await, None);
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
    assert_eq!(count(&w, AuditAction::CredentialRevealed).await, 0);
    assert_eq!(count(&w, AuditAction::CredentialPurged).await, 0);
}

pub async fn a_credential_replaced_before_its_reveal_is_the_next_version(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Payroll login").await;
    let first_done = {
        let first = sealer.seal(&w, &task, &[("username", "a"), ("password", "one")]);
        submit(w.a.store().as_ref(), &w, &first)
            .await
            .unwrap()
            .unwrap();
        completion(&w)
    };
    for (n, password) in [(2, "two"), (3, "three")] {
        w.advance(MINUTE);
        let next = sealer.seal(
            &w,
            &task,
            &[
                ("username", "a"),
                ("password", password),
                ("url", "https://x"),
            ],
        );
        let store = if n == 2 { w.b.store() } else { w.a.store() };
        let stored = submit(store.as_ref(), &w, &next).await.unwrap().unwrap();
        assert_eq!(stored.version, n);
        assert_eq!(stored.fields, next.fields, "the new values are kept");
        assert_eq!(stored.submitted_at, w.a.now());
        let read = w.a.store().credential(task.id).await.unwrap().unwrap();
        assert_eq!(read, stored);
        assert_eq!(sealer.open(&task, &read, "password"), password);
        assert_eq!(sealer.open(&task, &read, "url"), "https://x");
    }
    // The task's first completion stands.
    let done = w.a.store().task(task.id).await.unwrap().unwrap();
    assert_eq!(done.completion, Some(first_done));
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 3);
}

pub async fn a_revealed_credential_cannot_be_replaced(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Tax login").await;
    let first = sealer.seal(&w, &task, &[("username", "a"), ("password", "one")]);
    submit(w.a.store().as_ref(), &w, &first)
        .await
        .unwrap()
        .unwrap();
    w.advance(MINUTE);
    let revealed = reveal(w.b.store().as_ref(), &w, task.id).await.unwrap();
    assert_eq!(revealed.revealed_at, Some(w.a.now()));
    let task_then = w.a.store().task(task.id).await.unwrap().unwrap();
    w.advance(MINUTE);
    let next = sealer.seal(&w, &task, &[("username", "a"), ("password", "two")]);
    for store in [w.a.store(), w.b.store()] {
        assert_eq!(
            submit(store.as_ref(), &w, &next).await,
            Some(Err(CredentialRefusal::Revealed))
        );
    }
    // Nothing of the refused replacements was written.
    let read = w.a.store().credential(task.id).await.unwrap().unwrap();
    assert_eq!(read, revealed);
    assert_eq!(sealer.open(&task, &read, "password"), "one");
    assert_eq!(w.b.store().task(task.id).await.unwrap().unwrap(), task_then);
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
}

pub async fn a_credential_reveal_keeps_the_first_time_and_is_recorded_each_time(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Shop login").await;
    let credential = sealer.seal(&w, &task, &[("username", "a"), ("password", "one")]);
    submit(w.a.store().as_ref(), &w, &credential)
        .await
        .unwrap()
        .unwrap();
    w.advance(MINUTE);
    let first_at = w.a.now();
    let first = reveal(w.a.store().as_ref(), &w, task.id).await.unwrap();
    assert_eq!(
        first,
        Credential {
            revealed_at: Some(first_at),
            ..credential.clone()
        }
    );
    w.advance(MINUTE);
    // The entry is built from the credential as stored: the first reveal's time.
    let seen = std::sync::Mutex::new(Vec::new());
    let second =
        w.b.store()
            .reveal_credential(task.id, w.a.now(), &|c| {
                seen.lock().unwrap().push(c.clone());
                Some(entry(&w, AuditAction::CredentialRevealed, c.task_id))
            })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(second, first);
    assert_eq!(seen.into_inner().unwrap(), std::slice::from_ref(&first));
    assert_eq!(count(&w, AuditAction::CredentialRevealed).await, 2);
    // An entry the function declines is not appended; the reveal still answers.
    let third =
        w.a.store()
            .reveal_credential(task.id, w.a.now(), &|_| None)
            .await
            .unwrap();
    assert_eq!(third, Some(first.clone()));
    assert_eq!(count(&w, AuditAction::CredentialRevealed).await, 2);
    assert_eq!(
        w.b.store().credential(task.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(sealer.open(&task, &first, "password"), "one");
}

pub async fn a_purged_credential_keeps_its_record_and_refuses_replacement_and_reveal(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Old login").await;
    let credential = sealer.seal(&w, &task, &[("username", "a"), ("password", "one")]);
    submit(w.a.store().as_ref(), &w, &credential)
        .await
        .unwrap()
        .unwrap();
    w.advance(MINUTE);
    let purged_at = w.a.now();
    let purged = purge(w.b.store().as_ref(), &w, task.id).await.unwrap();
    assert_eq!(purged.purged_at, Some(purged_at));
    assert!(purged.purged());
    assert_eq!(
        purged.fields,
        [
            SealedField {
                name: "username".into(),
                value: None
            },
            SealedField {
                name: "password".into(),
                value: None
            },
        ]
    );
    assert_eq!(
        (
            purged.version,
            purged.submitted_by,
            purged.submitted_at,
            &purged.key_id
        ),
        (1, w.bob.id, credential.submitted_at, &credential.key_id)
    );
    assert_eq!(
        w.a.store().credential(task.id).await.unwrap(),
        Some(purged.clone())
    );
    assert_eq!(count(&w, AuditAction::CredentialPurged).await, 1);
    // Purged once: again, it is returned as it is, said not to be purged by this call,
    // and nothing is recorded, even at the same instant.
    let draft = entry(&w, AuditAction::CredentialPurged, task.id);
    assert_eq!(
        w.a.store()
            .purge_credential(task.id, purged_at, draft)
            .await
            .unwrap(),
        Some((purged.clone(), false))
    );
    assert_eq!(count(&w, AuditAction::CredentialPurged).await, 1);
    // Nothing can be replaced, revealed or re-sealed any more.
    let next = sealer.seal(&w, &task, &[("username", "a"), ("password", "two")]);
    assert_eq!(
        submit(w.b.store().as_ref(), &w, &next).await,
        Some(Err(CredentialRefusal::Purged))
    );
    assert_eq!(reveal(w.a.store().as_ref(), &w, task.id).await, None);
    assert!(!w.b.store().rewrap_credential(&credential).await.unwrap());
    let active = KeyId::new("k2").unwrap();
    assert!(
        w.a.store()
            .credentials_to_rotate(&active, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(w.b.store().credential(task.id).await.unwrap(), Some(purged));
    assert_eq!(count(&w, AuditAction::CredentialRevealed).await, 0);
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
}

pub async fn a_credential_against_a_changed_definition_is_refused(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let task = credential_task(&w, "Login").await;
    let checked = sealer.seal(&w, &task, &[("username", "a"), ("password", "one")]);
    // Staff change the fields while the client's values were checked against the old.
    let api_key = Evidence::Credential(
        CredentialRequest::new(vec![CredentialFieldKind::ApiKey.field(true)]).unwrap(),
    );
    let edited =
        w.a.edit_task(
            &w.staff,
            task.id,
            TaskEdit {
                evidence: api_key.clone(),
                ..TaskEdit::from(&task)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        submit(w.b.store().as_ref(), &w, &checked).await,
        Some(Err(CredentialRefusal::NotRequested))
    );
    assert_eq!(w.a.store().credential(task.id).await.unwrap(), None);
    assert_eq!(w.a.store().task(task.id).await.unwrap(), Some(edited));
    // A task of another type asks for no credential, whatever it is checked against.
    let standard =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            NewTask {
                phase: None,
                title: "Standard".into(),
                description: String::new(),
                due_on: None,
                assignee: Side::Client,
                evidence: Evidence::Standard,
            },
        )
        .await
        .unwrap();
    let misplaced = sealer.seal(&w, &standard, &[("password", "one")]);
    for against in [Evidence::Standard, login()] {
        assert_eq!(
            submit_against(w.a.store().as_ref(), &w, &misplaced, &against).await,
            Some(Err(CredentialRefusal::NotRequested))
        );
    }
    assert_eq!(w.a.store().credential(standard.id).await.unwrap(), None);
    assert_eq!(
        w.b.store().task(standard.id).await.unwrap().unwrap().status,
        TaskStatus::Pending
    );
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 0);
    // Checked against the definition as it now is, it is stored.
    let rechecked = sealer.seal(&w, &task, &[("api_key", "sk_live")]);
    let stored = submit_against(w.a.store().as_ref(), &w, &rechecked, &api_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, rechecked);
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
}

pub async fn a_withdrawn_task_refuses_its_credential(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    // Withdrawn before any credential.
    let empty = credential_task(&w, "Withdrawn empty").await;
    w.a.withdraw_task(&w.staff, empty.id).await.unwrap();
    let credential = sealer.seal(&w, &empty, &[("username", "a"), ("password", "one")]);
    assert_eq!(
        submit(w.b.store().as_ref(), &w, &credential).await,
        Some(Err(CredentialRefusal::NotRequested))
    );
    assert_eq!(w.a.store().credential(empty.id).await.unwrap(), None);
    let task = w.a.store().task(empty.id).await.unwrap().unwrap();
    assert_eq!((task.status, task.completion), (TaskStatus::Pending, None));
    // Withdrawn after one: it stays as it was, not replaced.
    let held = credential_task(&w, "Withdrawn with one").await;
    let first = sealer.seal(&w, &held, &[("username", "a"), ("password", "one")]);
    let stored = submit(w.a.store().as_ref(), &w, &first)
        .await
        .unwrap()
        .unwrap();
    w.advance(MINUTE);
    w.b.withdraw_task(&w.staff, held.id).await.unwrap();
    let next = sealer.seal(&w, &held, &[("username", "a"), ("password", "two")]);
    assert_eq!(
        submit(w.a.store().as_ref(), &w, &next).await,
        Some(Err(CredentialRefusal::NotRequested))
    );
    assert_eq!(w.b.store().credential(held.id).await.unwrap(), Some(stored));
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 1);
}

pub async fn credentials_of_closed_tasks_are_listed_in_id_order_after_the_last(f: Fixture) {
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let store = w.a.store().clone();
    let mut made = Vec::new();
    for title in ["A", "B", "C", "D", "E", "F", "G", "H"] {
        let task = credential_task(&w, title).await;
        let credential = sealer.seal(&w, &task, &[("username", "a"), ("password", title)]);
        submit(store.as_ref(), &w, &credential)
            .await
            .unwrap()
            .unwrap();
        made.push(task);
    }
    // A to D closed before the cutoff: A and B completed, C withdrawn after completing,
    // D reopened, then withdrawn (a withdrawal closes a task whatever its status).
    w.advance(MINUTE);
    w.a.withdraw_task(&w.staff, made[2].id).await.unwrap();
    w.a.set_task_status(&w.staff, made[3].id, TaskStatus::Pending)
        .await
        .unwrap();
    w.a.withdraw_task(&w.staff, made[3].id).await.unwrap();
    // E was reopened: not closed. F was purged by staff already.
    w.a.set_task_status(&w.staff, made[4].id, TaskStatus::Pending)
        .await
        .unwrap();
    purge(store.as_ref(), &w, made[5].id).await.unwrap();
    w.advance(MINUTE);
    let cutoff = w.a.now();
    // G completed again after the cutoff; H withdrawn after it (its withdrawal, not its
    // earlier completion, is when it closed).
    w.advance(MINUTE);
    w.a.set_task_status(&w.staff, made[6].id, TaskStatus::Pending)
        .await
        .unwrap();
    w.a.set_task_status(&w.staff, made[6].id, TaskStatus::Completed)
        .await
        .unwrap();
    w.a.withdraw_task(&w.staff, made[7].id).await.unwrap();
    w.advance(MINUTE);
    let at = w.a.now();

    let listed = |closed_before, after, batch| {
        let store = store.clone();
        async move {
            store
                .closed_credentials(closed_before, after, batch)
                .await
                .unwrap()
                .iter()
                .map(|c| c.task_id)
                .collect::<Vec<TaskId>>()
        }
    };
    let mut due: Vec<TaskId> = made[..4].iter().map(|t| t.id).collect();
    due.sort();
    assert_eq!(
        listed(cutoff, None, 10).await,
        due,
        "each closed one, no other"
    );
    assert!(listed(cutoff, None, 0).await.is_empty());
    assert_eq!(listed(cutoff, None, 1).await, due[..1]);
    assert_eq!(listed(cutoff, Some(due[0]), 2).await, due[1..3]);
    assert!(
        w.b.store()
            .closed_credentials(cutoff, Some(due[3]), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A purged one is no longer listed; what closed since is, later.
    purge(store.as_ref(), &w, due[1]).await.unwrap();
    let mut later: Vec<TaskId> = vec![due[0], due[2], due[3], made[6].id, made[7].id];
    later.sort();
    assert_eq!(listed(at, None, 10).await, later);
    for (i, task) in made.iter().enumerate() {
        let c = store.credential(task.id).await.unwrap().unwrap();
        if task.id != due[1] && i != 5 {
            assert_eq!(
                sealer.open(task, &c, "password"),
                task.title,
                "listing changes nothing"
            );
        }
    }
}

pub async fn credentials_to_rotate_are_listed_in_id_order_after_the_last(f: Fixture) {
    let w = World::new(f).await;
    let old = Sealer::new(&[("k1", 1)]);
    let new = Sealer::new(&[("k2", 2), ("k1", 1)]);
    let (k1, k2) = (KeyId::new("k1").unwrap(), KeyId::new("k2").unwrap());
    let store = w.a.store().clone();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let task = credential_task(&w, &format!("T{i}")).await;
        // One sealed under the new key already; the rest under the old.
        let sealer = if i == 3 { &new } else { &old };
        let credential = sealer.seal(&w, &task, &[("username", "u"), ("password", "p")]);
        submit(store.as_ref(), &w, &credential)
            .await
            .unwrap()
            .unwrap();
        tasks.push(task);
    }
    purge(store.as_ref(), &w, tasks[5].id).await.unwrap();
    let mut due: Vec<TaskId> = tasks
        .iter()
        .enumerate()
        .filter(|(i, _)| ![3, 5].contains(i))
        .map(|(_, t)| t.id)
        .collect();
    due.sort();
    // In pages of two, each after the last id of the one before, from either instance.
    let mut listed = Vec::new();
    let mut after = None;
    for page in 0.. {
        let s = if page % 2 == 0 {
            w.a.store()
        } else {
            w.b.store()
        };
        let batch = s.credentials_to_rotate(&k2, after, 2).await.unwrap();
        assert!(batch.len() <= 2);
        let Some(last) = batch.last() else { break };
        after = Some(last.task_id);
        for c in &batch {
            assert_eq!(c.key_id, k1);
            assert!(!c.purged());
            assert_eq!(Some(c), store.credential(c.task_id).await.unwrap().as_ref());
        }
        listed.extend(batch.iter().map(|c| c.task_id));
    }
    assert_eq!(listed, due, "in the ids' byte order, each once");
    // Under the old key as the active one, only the new key's credential is due.
    let under_old = store.credentials_to_rotate(&k1, None, 10).await.unwrap();
    assert_eq!(
        under_old.iter().map(|c| c.task_id).collect::<Vec<_>>(),
        [tasks[3].id]
    );
    let first_half = store.credentials_to_rotate(&k2, None, 3).await.unwrap();
    assert_eq!(
        first_half.iter().map(|c| c.task_id).collect::<Vec<_>>(),
        due[..3]
    );
    // Re-sealed one by one, each is left out from then on; what a reader sees stays.
    for c in store.credentials_to_rotate(&k2, None, 10).await.unwrap() {
        let task = tasks.iter().find(|t| t.id == c.task_id).unwrap();
        let rewrapped = new.rewrapped(task, &c);
        assert!(w.b.store().rewrap_credential(&rewrapped).await.unwrap());
        let read = store.credential(c.task_id).await.unwrap().unwrap();
        assert_eq!(
            read,
            Credential {
                key_id: k2.clone(),
                fields: rewrapped.fields.clone(),
                ..c.clone()
            }
        );
        assert_eq!(new.open(task, &read, "password"), "p");
    }
    assert!(
        store
            .credentials_to_rotate(&k2, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A rotation changes no version and records nothing.
    assert_eq!(count(&w, AuditAction::CredentialSubmitted).await, 8);
    assert_eq!(count(&w, AuditAction::CredentialPurged).await, 1);
}

pub async fn a_credential_rewrap_loses_to_a_replacement_or_a_purge(f: Fixture) {
    let w = World::new(f).await;
    let old = Sealer::new(&[("k1", 1)]);
    let new = Sealer::new(&[("k2", 2), ("k1", 1)]);
    let k2 = KeyId::new("k2").unwrap();
    let task = credential_task(&w, "Replaced").await;
    let first = old.seal(&w, &task, &[("username", "u"), ("password", "one")]);
    submit(w.a.store().as_ref(), &w, &first)
        .await
        .unwrap()
        .unwrap();
    // The rotation reads version 1; the client replaces it before the rotation writes.
    let read =
        w.a.store()
            .credentials_to_rotate(&k2, None, 10)
            .await
            .unwrap();
    assert_eq!(read.len(), 1);
    let rewrapped = new.rewrapped(&task, &read[0]);
    w.advance(MINUTE);
    let next = old.seal(&w, &task, &[("username", "u"), ("password", "two")]);
    let replaced = submit(w.b.store().as_ref(), &w, &next)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.version, 2);
    assert!(!w.a.store().rewrap_credential(&rewrapped).await.unwrap());
    let kept = w.b.store().credential(task.id).await.unwrap().unwrap();
    assert_eq!(kept, replaced, "the replacement stands, under its own key");
    assert_eq!(old.open(&task, &kept, "password"), "two");
    // Read again at version 2, it is re-sealed.
    let again = new.rewrapped(&task, &kept);
    assert!(w.b.store().rewrap_credential(&again).await.unwrap());
    let now = w.a.store().credential(task.id).await.unwrap().unwrap();
    assert_eq!((now.version, &now.key_id), (2, &k2));
    assert_eq!(new.open(&task, &now, "password"), "two");
    // A purge between the read and the write wins as well.
    let purged_task = credential_task(&w, "Purged").await;
    let credential = old.seal(&w, &purged_task, &[("username", "u"), ("password", "p")]);
    submit(w.a.store().as_ref(), &w, &credential)
        .await
        .unwrap()
        .unwrap();
    let read =
        w.a.store()
            .credentials_to_rotate(&k2, None, 10)
            .await
            .unwrap();
    assert_eq!(read.len(), 1);
    let rewrapped = new.rewrapped(&purged_task, &read[0]);
    let purged = purge(w.b.store().as_ref(), &w, purged_task.id)
        .await
        .unwrap();
    assert!(!w.a.store().rewrap_credential(&rewrapped).await.unwrap());
    assert_eq!(
        w.a.store().credential(purged_task.id).await.unwrap(),
        Some(purged)
    );
}

pub async fn a_credential_replacement_racing_a_reveal_is_read_or_refused(f: Fixture) {
    const REPLACEMENTS: usize = 6;
    let w = World::new(f).await;
    let sealer = Sealer::new(&[("k1", 1)]);
    let mut accepted_in_all = 0;
    for round in 0..4 {
        let task = credential_task(&w, &format!("Race {round}")).await;
        let first = sealer.seal(&w, &task, &[("username", "u"), ("password", "first")]);
        submit(w.a.store().as_ref(), &w, &first)
            .await
            .unwrap()
            .unwrap();
        let mut racers = Vec::new();
        for i in 0..REPLACEMENTS {
            let store = if i % 2 == 0 { w.a.store() } else { w.b.store() }.clone();
            let next = sealer.seal(
                &w,
                &task,
                &[("username", "u"), ("password", &format!("p{i}"))],
            );
            let (done, draft) = (
                completion(&w),
                entry(&w, AuditAction::CredentialSubmitted, task.id),
            );
            racers.push(tokio::spawn(async move {
                let stored = store
                    .submit_credential(&next, &login(), &done, draft)
                    .await
                    .unwrap()
                    .unwrap();
                (next, stored)
            }));
        }
        let (store, at) = (w.b.store().clone(), w.a.now());
        let draft = entry(&w, AuditAction::CredentialRevealed, task.id);
        let revealing = tokio::spawn(async move {
            store
                .reveal_credential(task.id, at, &|_| Some(draft.clone()))
                .await
                .unwrap()
                .unwrap()
        });
        let mut outcomes = Vec::new();
        for racer in racers {
            outcomes.push(racer.await.unwrap());
        }
        let revealed = revealing.await.unwrap();
        let last = w.a.store().credential(task.id).await.unwrap().unwrap();
        // The reveal read the last version: every later replacement was refused.
        assert_eq!(revealed, last, "round {round}");
        assert_eq!(revealed.revealed_at, Some(at));
        let mut versions = Vec::new();
        for (given, outcome) in &outcomes {
            match outcome {
                Ok(stored) => {
                    versions.push(stored.version);
                    if stored.version == last.version {
                        assert_eq!(stored.fields, given.fields);
                        assert_eq!(last.fields, given.fields, "round {round}");
                    }
                }
                Err(refusal) => assert_eq!(*refusal, CredentialRefusal::Revealed),
            }
        }
        // No replacement was lost: each accepted one took the next version.
        versions.sort_unstable();
        let expected: Vec<u32> = (2..=last.version).collect();
        assert_eq!(versions, expected, "round {round}");
        if versions.is_empty() {
            assert_eq!(last.fields, first.fields);
        }
        accepted_in_all += 1 + versions.len();
        assert_eq!(
            count(&w, AuditAction::CredentialSubmitted).await,
            accepted_in_all
        );
        assert_eq!(count(&w, AuditAction::CredentialRevealed).await, round + 1);
    }
}
