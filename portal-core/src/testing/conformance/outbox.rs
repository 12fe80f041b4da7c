//! The outbox in the store: messages queued with the operation that causes them and
//! with nothing when it fails; claims that never share a message, across instances and
//! under races, and that end with their lease; attempts recorded only by the claim that
//! holds the message; and, through two portal instances, every message delivered
//! exactly once even when a worker dies mid-delivery.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use crate::clock::Timestamp;
use crate::email_code::ChallengeRecord;
use crate::id::{ClaimId, ContactId, MessageId};
use crate::notify::{Accepted, Channel, Delivery, DeliveryError, Email, Message, MessageKind};
use crate::outbox::{
    AttemptOutcome, Claim, DeliveryAttempt, LEASE, MessageState, MessageStatus, QueuedMessage,
};
use crate::password::PasswordLinkRecord;
use crate::personal_link::PersonalLinkRecord;
use crate::portal::Portal;
use crate::store::StoreError;
use crate::vault::KeyId;

/// The key the cases' own instances seal with: one the world's instances lack, so that
/// their background rounds leave the cases' messages alone.
const CASE_KEY: (&str, u8) = ("outbox-case", 9);

fn message_id(n: u128) -> MessageId {
    MessageId::from_bytes(n.to_be_bytes())
}

fn claim_id() -> ClaimId {
    ClaimId::generate(&crate::random::OsSecretSource).unwrap()
}

/// Message `n` to `contact`, queued and due at `at`, sealed under `key` if given (the
/// store keeps the payload as opaque bytes).
fn queued(
    w: &World,
    n: u128,
    contact: ContactId,
    at: Timestamp,
    key: Option<&str>,
) -> QueuedMessage {
    QueuedMessage {
        id: message_id(n),
        firm_id: w.firm.id,
        contact_id: Some(contact),
        kind: MessageKind::Login,
        recipient: format!("n{n}@example.com"),
        payload: format!("payload {n}").into_bytes(),
        key: key.map(|k| KeyId::new(k).unwrap()),
        queued_at: at,
        due_at: at,
        attempts: 0,
    }
}

fn claim(now: Timestamp, limit: u32, keys: &[&str]) -> Claim {
    Claim {
        id: claim_id(),
        now,
        until: now + LEASE,
        keys: keys.iter().map(|k| KeyId::new(k).unwrap()).collect(),
        limit,
    }
}

/// Whether `id` is one of the cases' own (the world's invitations have random ids).
fn ours(id: MessageId) -> bool {
    u128::from_be_bytes(*id.as_bytes()) < 1 << 32
}

/// The ids of a contact's messages that the case queued, in the order listed.
async fn listed(store: &dyn Store, contact: ContactId, limit: u32) -> Vec<MessageId> {
    store
        .contact_messages(contact, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .filter(|id| ours(*id))
        .collect()
}

fn ids(messages: &[QueuedMessage]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

fn accepted(at: Timestamp) -> DeliveryAttempt {
    DeliveryAttempt::new(at, AttemptOutcome::Accepted, "250 2.0.0 Ok")
}

async fn status(store: &dyn Store, contact: ContactId, id: MessageId) -> MessageStatus {
    store
        .contact_messages(contact, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("message {id} not listed"))
}

pub async fn queued_messages_are_claimed_by_one_claim_until_its_lease_ends(f: Fixture) {
    let w = World::new(f).await;
    let (a, b) = (w.a.store(), w.b.store());
    let t = START;
    let later = queued(&w, 4, w.jane.id, t + MINUTE, None);
    a.queue_messages(&[
        queued(&w, 3, w.jane.id, t, None),
        queued(&w, 1, w.jane.id, t, None),
        queued(&w, 2, w.bob.id, t, None),
        later.clone(),
    ])
    .await
    .unwrap();

    // Earliest due first, then by id; a claim takes at most its limit.
    let first = a.claim_messages(&claim(t, 2, &[])).await.unwrap();
    assert_eq!(ids(&first), [message_id(1), message_id(2)]);
    assert_eq!(first[0], queued(&w, 1, w.jane.id, t, None), "as queued");
    let second = b.claim_messages(&claim(t, 10, &[])).await.unwrap();
    assert_eq!(
        ids(&second),
        [message_id(3)],
        "the other instance takes the rest"
    );
    assert!(
        a.claim_messages(&claim(t, 10, &[]))
            .await
            .unwrap()
            .is_empty(),
        "nothing is claimed twice, nothing before it is due"
    );
    // Unrecorded claims end with their lease: the messages are claimable again, with
    // the one now due.
    let again = b.claim_messages(&claim(t + LEASE, 10, &[])).await.unwrap();
    assert_eq!(
        ids(&again),
        [message_id(1), message_id(2), message_id(3), message_id(4)]
    );
    assert_eq!(again[3], later);
}

pub async fn racing_claims_never_share_a_message(f: Fixture) {
    let w = World::new(f).await;
    let messages: Vec<QueuedMessage> = (1..=60)
        .map(|n| queued(&w, n, w.jane.id, START, None))
        .collect();
    w.a.store().queue_messages(&messages).await.unwrap();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = if i % 2 == 0 { w.a.store() } else { w.b.store() }.clone();
            tokio::spawn(async move { store.claim_messages(&claim(START, 7, &[])).await })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for task in tasks {
        for m in task.await.unwrap().unwrap() {
            assert!(seen.insert(m.id), "message {} claimed twice", m.id);
        }
    }
    assert_eq!(seen.len(), 60, "12 claims of 7 cover all 60 messages");
}

pub async fn claims_leave_messages_sealed_under_keys_they_lack(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    s.queue_messages(&[
        queued(&w, 1, w.jane.id, START, Some("k-old")),
        queued(&w, 2, w.jane.id, START, Some("k-new")),
        queued(&w, 3, w.jane.id, START, None),
    ])
    .await
    .unwrap();
    let taken = s
        .claim_messages(&claim(START, 10, &["k-new"]))
        .await
        .unwrap();
    assert_eq!(ids(&taken), [message_id(2), message_id(3)]);
    let rest = s
        .claim_messages(&claim(START, 10, &["k-old", "k-new"]))
        .await
        .unwrap();
    assert_eq!(ids(&rest), [message_id(1)]);
}

pub async fn an_attempt_is_recorded_only_by_the_claim_holding_the_message(f: Fixture) {
    let w = World::new(f).await;
    let (a, b) = (w.a.store(), w.b.store());
    let id = message_id(1);
    a.queue_messages(&[queued(&w, 1, w.jane.id, START, None)])
        .await
        .unwrap();
    let first = claim(START, 1, &[]);
    assert_eq!(a.claim_messages(&first).await.unwrap().len(), 1);
    assert!(
        !a.record_attempt(id, claim_id(), &accepted(START), None)
            .await
            .unwrap(),
        "a forged claim records nothing"
    );
    // The first claim's lease runs out and another instance takes the message over:
    // the first worker, late, can no longer record.
    let takeover = claim(START + LEASE, 1, &[]);
    assert_eq!(b.claim_messages(&takeover).await.unwrap().len(), 1);
    assert!(
        !a.record_attempt(id, first.id, &accepted(START + LEASE), None)
            .await
            .unwrap()
    );
    assert_eq!(
        status(&**a, w.jane.id, id).await.attempts,
        [],
        "refused attempts leave no trace"
    );
    assert!(
        b.record_attempt(id, takeover.id, &accepted(START + LEASE), None)
            .await
            .unwrap()
    );
    let sent = status(&**b, w.jane.id, id).await;
    assert_eq!(sent.state, MessageState::Sent);
    assert_eq!(sent.attempts, [accepted(START + LEASE)]);
    assert!(
        !b.record_attempt(id, takeover.id, &accepted(START + LEASE), None)
            .await
            .unwrap(),
        "a final message takes no further attempt"
    );
    assert!(
        a.claim_messages(&claim(START + 10 * LEASE, 10, &[]))
            .await
            .unwrap()
            .is_empty(),
        "a sent message is never claimed again"
    );
}

pub async fn a_deferred_message_is_due_again_at_its_retry_and_a_failed_one_never(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let id = message_id(1);
    s.queue_messages(&[queued(&w, 1, w.jane.id, START, Some("k"))])
        .await
        .unwrap();
    let c = claim(START, 1, &["k"]);
    s.claim_messages(&c).await.unwrap();
    let deferred = DeliveryAttempt::new(START, AttemptOutcome::Deferred, "451 4.3.0 busy");
    let retry = START + 5 * MINUTE;
    assert!(
        s.record_attempt(id, c.id, &deferred, Some(retry))
            .await
            .unwrap()
    );
    let waiting = status(&**s, w.jane.id, id).await;
    assert_eq!(waiting.state, MessageState::Queued);
    assert_eq!(waiting.attempts, std::slice::from_ref(&deferred));
    assert!(
        s.claim_messages(&claim(retry - Duration::from_millis(1), 1, &["k"]))
            .await
            .unwrap()
            .is_empty(),
        "not due before its retry, though its claim was released"
    );
    let c2 = claim(retry, 1, &["k"]);
    let again = s.claim_messages(&c2).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1, "the attempt was counted");
    assert_eq!(again[0].due_at, retry);
    assert_eq!(
        again[0].payload, b"payload 1",
        "the body is kept while it waits"
    );
    let refused = DeliveryAttempt::new(retry, AttemptOutcome::Failed, "554 5.7.1 refused");
    // A permanent failure ends it, whatever retry time is offered.
    assert!(
        s.record_attempt(id, c2.id, &refused, Some(retry + MINUTE))
            .await
            .unwrap()
    );
    let failed = status(&**s, w.jane.id, id).await;
    assert_eq!(failed.state, MessageState::Failed);
    assert_eq!(failed.attempts, [deferred, refused]);
    assert!(
        s.claim_messages(&claim(retry + 60 * MINUTE, 1, &["k"]))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn queueing_is_all_or_none_and_a_failed_operation_queues_nothing(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let contact = w.bob.id;
    s.queue_messages(&[queued(&w, 1, contact, START, None)])
        .await
        .unwrap();
    // A batch with one id taken queues none of its messages.
    assert!(matches!(
        s.queue_messages(&[
            queued(&w, 2, contact, START, None),
            queued(&w, 1, contact, START, None)
        ])
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(listed(&**s, contact, 100).await, [message_id(1)]);

    // Each operation that causes a message, made to fail after its message was handed
    // to it (a digest that exists already): nothing of it stays, the message included.
    let digest = TokenDigest::from_bytes([7; 32]);
    let challenge = ChallengeRecord {
        digest,
        contact_id: contact,
        firm_id: w.firm.id,
        created_at: START,
        expires_at: START + 10 * MINUTE,
        code_hash: "hash".into(),
        next: None,
    };
    s.issue_challenge(&challenge, None, &[queued(&w, 10, contact, START, None)])
        .await
        .unwrap();
    assert!(
        s.issue_challenge(&challenge, None, &[queued(&w, 11, contact, START, None)])
            .await
            .is_err()
    );
    let password = PasswordLinkRecord {
        digest,
        contact_id: contact,
        firm_id: w.firm.id,
        created_at: START,
        expires_at: START + 10 * MINUTE,
    };
    let entry = || system_entry(&w, AuditAction::PasswordLinkIssued);
    s.issue_password_link(&password, entry(), &[queued(&w, 20, contact, START, None)])
        .await
        .unwrap();
    assert!(
        s.issue_password_link(&password, entry(), &[queued(&w, 21, contact, START, None)])
            .await
            .is_err()
    );
    let personal = PersonalLinkRecord {
        digest,
        contact_id: contact,
        firm_id: w.firm.id,
        created_at: START,
        expires_at: START + 10 * MINUTE,
    };
    let entry = || system_entry(&w, AuditAction::PersonalLinkIssued);
    s.issue_personal_link(&personal, entry(), &[queued(&w, 30, contact, START, None)])
        .await
        .unwrap();
    assert!(
        s.issue_personal_link(&personal, entry(), &[queued(&w, 31, contact, START, None)])
            .await
            .is_err()
    );
    // A resend refused (no such challenge) queues nothing; one allowed queues its mail.
    let unknown = TokenDigest::from_bytes([8; 32]);
    let none = |_: &ContactId| None;
    s.resend_code(
        &unknown,
        "h",
        START,
        START + MINUTE,
        5,
        &none,
        &[queued(&w, 40, contact, START, None)],
    )
    .await
    .unwrap();
    s.resend_code(
        &digest,
        "h2",
        START,
        START + MINUTE,
        5,
        &none,
        &[queued(&w, 41, contact, START, None)],
    )
    .await
    .unwrap();
    assert_eq!(
        listed(&**s, contact, 100).await,
        [
            message_id(41),
            message_id(30),
            message_id(20),
            message_id(10),
            message_id(1)
        ],
        "newest first by time then id: only the operations that took effect queued"
    );
}

pub async fn a_contact_s_messages_are_listed_newest_first_with_their_attempts(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let t = START + 60 * MINUTE;
    s.queue_messages(&[
        queued(&w, 2, w.bob.id, t, None),
        queued(&w, 1, w.bob.id, t, None),
        queued(&w, 3, w.bob.id, t + MINUTE, None),
        queued(&w, 4, w.jane.id, t + 2 * MINUTE, None),
    ])
    .await
    .unwrap();
    let c = claim(t + MINUTE, 10, &[]);
    s.claim_messages(&c).await.unwrap();
    let deferred = DeliveryAttempt::new(t + MINUTE, AttemptOutcome::Deferred, "421 try later");
    s.record_attempt(message_id(3), c.id, &deferred, Some(t + 2 * MINUTE))
        .await
        .unwrap();
    let c2 = claim(t + 2 * MINUTE, 10, &[]);
    s.claim_messages(&c2).await.unwrap();
    s.record_attempt(message_id(3), c2.id, &accepted(t + 2 * MINUTE), None)
        .await
        .unwrap();
    assert_eq!(
        listed(&**s, w.bob.id, 100).await,
        [message_id(3), message_id(2), message_id(1)],
        "newest first, then by id; another contact's never"
    );
    let listed = s.contact_messages(w.bob.id, 100).await.unwrap();
    let m = &listed[0];
    assert_eq!(
        (
            m.contact_id,
            m.kind,
            m.recipient.as_str(),
            m.queued_at,
            m.state
        ),
        (
            Some(w.bob.id),
            MessageKind::Login,
            "n3@example.com",
            t + MINUTE,
            MessageState::Sent
        )
    );
    assert_eq!(m.attempts, [deferred, accepted(t + 2 * MINUTE)]);
    assert_eq!(listed[1].state, MessageState::Queued);
    assert_eq!(
        s.contact_messages(w.bob.id, 2).await.unwrap().len(),
        2,
        "at most the limit"
    );
}

pub async fn stale_messages_are_given_up_unless_a_claim_holds_them(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    s.queue_messages(&[
        queued(&w, 1, w.jane.id, START, Some("gone")),
        queued(&w, 2, w.jane.id, START, None),
        queued(&w, 3, w.jane.id, START + 30 * MINUTE, None),
    ])
    .await
    .unwrap();
    // Message 2 is being delivered right now.
    let now = START + 60 * MINUTE;
    let held = Claim {
        limit: 1,
        ..claim(now, 1, &[])
    };
    assert_eq!(
        ids(&s.claim_messages(&held).await.unwrap()),
        [message_id(2)]
    );
    let give_up = DeliveryAttempt::new(now, AttemptOutcome::Failed, "not delivered in time");
    let cutoff = START + 10 * MINUTE;
    assert_eq!(s.give_up_messages(cutoff, &give_up, 10).await.unwrap(), 1);
    let first = status(&**s, w.jane.id, message_id(1)).await;
    assert_eq!(first.state, MessageState::Failed);
    assert_eq!(first.attempts, std::slice::from_ref(&give_up));
    assert_eq!(
        status(&**s, w.jane.id, message_id(2)).await.state,
        MessageState::Queued,
        "held by a live claim"
    );
    assert_eq!(
        status(&**s, w.jane.id, message_id(3)).await.state,
        MessageState::Queued,
        "queued after the cutoff"
    );
    assert_eq!(
        s.give_up_messages(cutoff, &give_up, 10).await.unwrap(),
        0,
        "given up once"
    );
}

/// A delivery that records what it accepts by message id, and that never returns for
/// the message `hang` names (a worker stuck mid-delivery, until it is killed).
#[derive(Debug, Default)]
struct Counting {
    accepted: Mutex<HashMap<MessageId, u32>>,
    hang: Option<MessageId>,
    started_hang: tokio::sync::Notify,
}

#[crate::async_trait]
impl Delivery for Counting {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        if Some(message.id) == self.hang {
            self.started_hang.notify_one();
            std::future::pending::<()>().await;
        }
        *self.accepted.lock().unwrap().entry(message.id).or_default() += 1;
        Ok(Accepted::default())
    }
}

/// An instance over `store` of the world, delivering to `delivery`, sealing with the
/// cases' key, and looking for due messages only when told.
fn worker(w: &World, store: &Portal, delivery: Arc<Counting>) -> Portal {
    #[derive(Debug)]
    struct Shared(Arc<Counting>);
    #[crate::async_trait]
    impl Delivery for Shared {
        async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
            self.0.deliver(message).await
        }
    }
    Portal::builder_shared(store.store().clone())
        .clock(w.clock.clone())
        .delivery(Shared(delivery))
        .vault(World::vault(&[CASE_KEY]))
        .outbox_every(Duration::from_secs(3600))
        .build()
        .unwrap()
}

/// `count` login emails to jane, sealed under the cases' key.
async fn queue_logins(w: &World, count: u128) -> Vec<MessageId> {
    let vault = World::vault(&[CASE_KEY]);
    let messages: Vec<QueuedMessage> = (1..=count)
        .map(|n| {
            let message = Message {
                id: message_id(1_000_000 + n),
                firm_id: w.firm.id,
                contact_id: Some(w.jane.id),
                kind: MessageKind::Login,
                channel: Channel::Email(Email {
                    from: "\"Acme\" <hello@acme.example>".into(),
                    reply_to: None,
                    to: "jane@example.com".into(),
                    subject: format!("Login {n}"),
                    text: format!("link {n}"),
                    html: format!("<p>link {n}</p>"),
                }),
                links: Vec::new(),
            };
            QueuedMessage::new(&message, w.a.now(), &vault, &crate::random::OsSecretSource).unwrap()
        })
        .collect();
    for chunk in messages.chunks(100) {
        w.a.store().queue_messages(chunk).await.unwrap();
    }
    messages.iter().map(|m| m.id).collect()
}

pub async fn two_instances_deliver_every_message_exactly_once(f: Fixture) {
    let w = World::new(f).await;
    let queued = queue_logins(&w, 1000).await;
    let delivery = Arc::new(Counting::default());
    let (one, two) = (
        worker(&w, &w.a, delivery.clone()),
        worker(&w, &w.b, delivery.clone()),
    );
    let rounds: Vec<_> = [one.clone(), two.clone(), one, two]
        .into_iter()
        .map(|p| tokio::spawn(async move { p.deliver_queued().await.unwrap() }))
        .collect();
    let mut sent = 0;
    for round in rounds {
        let report = round.await.unwrap();
        assert_eq!((report.failed, report.lost), (0, 0), "{report:?}");
        sent += report.sent;
    }
    assert_eq!(sent, 1000);
    let accepted = delivery.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1000, "none lost");
    assert!(
        accepted.values().all(|n| *n == 1),
        "none doubled: {:?}",
        accepted.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert!(queued.iter().all(|id| accepted.contains_key(id)));
    let states = w.store().contact_messages(w.jane.id, 2000).await.unwrap();
    assert!(
        states
            .iter()
            .filter(|m| queued.contains(&m.id))
            .all(|m| m.state == MessageState::Sent && m.attempts.len() == 1)
    );
}

pub async fn a_worker_killed_mid_delivery_loses_and_doubles_nothing(f: Fixture) {
    let w = World::new(f).await;
    let queued = queue_logins(&w, 40).await;
    // The first instance delivers until it is stuck on the 20th message, then dies.
    let stuck = Arc::new(Counting {
        hang: Some(queued[19]),
        ..Counting::default()
    });
    let dying = worker(&w, &w.a, stuck.clone());
    let round = tokio::spawn(async move { dying.deliver_queued().await });
    stuck.started_hang.notified().await;
    round.abort();
    assert!(round.await.unwrap_err().is_cancelled());
    let before = stuck.accepted.lock().unwrap().clone();
    assert_eq!(before.len(), 19, "delivered before it died");

    // Another instance, started at once, finds the dead worker's claim still held...
    let survivor = Arc::new(Counting::default());
    let restarted = worker(&w, &w.b, survivor.clone());
    restarted.deliver_queued().await.unwrap();
    assert!(
        !survivor.accepted.lock().unwrap().contains_key(&queued[19]),
        "the message being delivered when the worker died waits for its claim to end"
    );
    // ...and once the lease ends, delivers what was never accepted, once.
    w.advance(LEASE);
    let report = restarted.deliver_queued().await.unwrap();
    assert_eq!(report.lost, 0);
    let mut all = before;
    for (id, n) in survivor.accepted.lock().unwrap().iter() {
        *all.entry(*id).or_default() += n;
    }
    assert_eq!(all.len(), 40, "none lost");
    assert!(all.values().all(|n| *n == 1), "none doubled: {all:?}");
}
