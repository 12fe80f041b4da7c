//! The outbox worker on the manual clock: a temporary failure is tried again after its
//! back-off and a permanent one never; a message is given up after its last attempt;
//! staff see every attempt with the reply; and without a vault, an instance delivers
//! only what it sealed itself, what it leaves behind being given up a day later.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portal_core::notify::{Accepted, Delivery, DeliveryError, Message, MessageKind};
use portal_core::outbox::{AttemptOutcome, MAX_ATTEMPTS, MessageState, MessageStatus, backoff};
use portal_core::testing::{Fixture, VAULT_KEY, World};
use portal_core::{MemoryStore, Portal};

/// A delivery that answers from a script (then accepts), counting what it accepted.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<VecDeque<Result<(), DeliveryError>>>,
    accepted: Mutex<Vec<Message>>,
}

#[derive(Debug)]
struct Shared(Arc<Scripted>);

#[portal_core::async_trait]
impl Delivery for Shared {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        let next = self.0.answers.lock().unwrap().pop_front();
        if let Some(Err(e)) = next {
            return Err(e);
        }
        self.0.accepted.lock().unwrap().push(message.clone());
        Ok(Accepted {
            reply: Some("250 2.0.0 queued".into()),
        })
    }
}

async fn world() -> World {
    World::new(Fixture::single(Arc::new(MemoryStore::new()))).await
}

/// An instance over the world's store delivering through `script`, with the world's
/// vault (or none).
fn instance(w: &World, script: &Arc<Scripted>, vault: bool) -> Portal {
    let builder = Portal::builder_shared(w.store().clone())
        .clock(w.clock.clone())
        .delivery(Shared(script.clone()))
        .outbox_every(Duration::from_secs(24 * 3600));
    let builder = if vault {
        builder.vault(World::vault(&[VAULT_KEY]))
    } else {
        builder
    };
    builder.build().unwrap()
}

fn script(answers: impl IntoIterator<Item = Result<(), DeliveryError>>) -> Arc<Scripted> {
    Arc::new(Scripted {
        answers: Mutex::new(answers.into_iter().collect()),
        accepted: Mutex::default(),
    })
}

/// Jane's login email, as staff see it (her invitation was queued at the same instant).
async fn login_mail(w: &World, p: &Portal) -> MessageStatus {
    p.contact_messages(&w.staff, w.jane.id, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == MessageKind::Login)
        .expect("a login message")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_temporary_failure_is_tried_again_after_its_back_off() {
    let w = world().await;
    let s = script([Err(DeliveryError::temporary("451 4.3.0 busy"))]);
    let p = instance(&w, &s, true);
    p.send_login_email(&w.staff, w.jane.id).await.unwrap();
    p.settle().await;
    let m = login_mail(&w, &p).await;
    assert_eq!(m.state, MessageState::Queued);
    assert_eq!(m.attempts.len(), 1);
    assert_eq!(m.attempts[0].outcome, AttemptOutcome::Deferred);
    assert_eq!(m.attempts[0].reply, "451 4.3.0 busy");
    assert!(s.accepted.lock().unwrap().is_empty());

    // Not before its back-off...
    w.advance(backoff(1) - Duration::from_millis(1));
    assert_eq!(p.deliver_queued().await.unwrap().sent, 0);
    // ...then once.
    w.advance(Duration::from_millis(1));
    assert_eq!(p.deliver_queued().await.unwrap().sent, 1);
    assert_eq!(p.deliver_queued().await.unwrap().sent, 0);
    let m = login_mail(&w, &p).await;
    assert_eq!(m.state, MessageState::Sent);
    assert_eq!(
        m.attempts.iter().map(|a| a.outcome).collect::<Vec<_>>(),
        [AttemptOutcome::Deferred, AttemptOutcome::Accepted]
    );
    assert_eq!(m.attempts[1].reply, "250 2.0.0 queued");
    let sent = s.accepted.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, m.id, "the message keeps its id across attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_failure_is_never_tried_again() {
    let w = world().await;
    let s = script([Err(DeliveryError::permanent("554 5.7.1 refused"))]);
    let p = instance(&w, &s, true);
    p.send_login_email(&w.staff, w.jane.id).await.unwrap();
    p.settle().await;
    w.advance(Duration::from_secs(24 * 3600));
    assert_eq!(p.deliver_queued().await.unwrap().sent, 0);
    let m = login_mail(&w, &p).await;
    assert_eq!(m.state, MessageState::Failed);
    assert_eq!(m.attempts.len(), 1);
    assert_eq!(m.attempts[0].outcome, AttemptOutcome::Failed);
    assert_eq!(m.attempts[0].reply, "554 5.7.1 refused");
    assert!(s.accepted.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_is_given_up_after_its_last_attempt() {
    let w = world().await;
    let s = script((0..MAX_ATTEMPTS + 5).map(|_| Err(DeliveryError::temporary("421 down"))));
    let p = instance(&w, &s, true);
    p.send_login_email(&w.staff, w.jane.id).await.unwrap();
    p.settle().await;
    for n in 1..MAX_ATTEMPTS {
        w.advance(backoff(n));
        let report = p.deliver_queued().await.unwrap();
        assert_eq!(report.deferred + report.failed, 1, "attempt {}", n + 1);
    }
    let m = login_mail(&w, &p).await;
    assert_eq!(m.state, MessageState::Failed);
    assert_eq!(m.attempts.len(), MAX_ATTEMPTS as usize);
    w.advance(Duration::from_secs(24 * 3600));
    assert_eq!(p.deliver_queued().await.unwrap(), Default::default());
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_vault_an_instance_delivers_only_what_it_sealed() {
    let w = world().await;
    let (mine, theirs) = (script([]), script([]));
    let (p, other) = (instance(&w, &mine, false), instance(&w, &theirs, false));
    // `p` queues and, being stopped at once, never delivers (a script of temporary
    // failures stands for a process that died before its message went out).
    mine.answers
        .lock()
        .unwrap()
        .extend((0..3).map(|_| Err(DeliveryError::temporary("down"))));
    p.send_login_email(&w.staff, w.jane.id).await.unwrap();
    p.settle().await;
    drop(p);
    w.advance(Duration::from_secs(3600));
    assert_eq!(
        other.deliver_queued().await.unwrap(),
        Default::default(),
        "sealed under a key only the first instance had"
    );
    assert!(theirs.accepted.lock().unwrap().is_empty());
    // A day after it was queued, maintenance gives it up, and says why.
    w.advance(Duration::from_secs(23 * 3600 + 60));
    let report = other.maintain().await.unwrap();
    assert_eq!(report.messages_given_up, 1);
    let m = login_mail(&w, &other).await;
    assert_eq!(m.state, MessageState::Failed);
    assert!(
        m.attempts.last().unwrap().reply.contains("given up"),
        "{m:?}"
    );
}
