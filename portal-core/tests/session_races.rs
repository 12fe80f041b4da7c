//! Session verification racing itself, interleaved exactly: the store holds the
//! callers of one operation until they are all there (`RecordingStore::hold_after`),
//! so that what a race may do is shown every run, not one run in many.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use portal_core::audit::AuditAction;
use portal_core::testing::{Fixture, RecordingStore, START, World};
use portal_core::token::Token;
use portal_core::{MemoryStore, Store};

#[tokio::test]
async fn two_requests_that_read_a_session_due_for_renewal_together_renew_it_once() {
    let recording = Arc::new(RecordingStore::new(Arc::new(MemoryStore::new())));
    let store: Arc<dyn Store> = recording.clone();
    let w = World::new(Fixture::single(store)).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(Duration::from_secs(16 * 60));
    // Both read the session before either renews it: both see the renewal due, and
    // only the store's condition (renewed no later than one interval ago) tells the
    // second that the first has written.
    let req = World::req();
    recording.hold_after("session", 2);
    let (first, second) = tokio::join!(
        w.a.authenticate(w.firm.id, &cookie, &req),
        w.b.authenticate(w.firm.id, &cookie, &req),
    );
    recording.release();
    let renewed = [first.unwrap().renewed, second.unwrap().renewed];
    assert_eq!(
        renewed.iter().filter(|r| **r).count(),
        1,
        "one renewal written: {renewed:?}"
    );
    assert_eq!(w.audit(AuditAction::Visit).await.len(), 1, "one visit");
    let digest = Token::parse(&cookie).unwrap().digest();
    let session = w.store().session(&digest).await.unwrap().unwrap();
    let renewal = START + Duration::from_secs(16 * 60);
    assert_eq!(session.renewed_at, renewal);
    assert_eq!(
        session.idle_expires_at,
        renewal + Duration::from_secs(24 * 3600)
    );
}
