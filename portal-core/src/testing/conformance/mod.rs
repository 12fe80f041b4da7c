//! The store conformance cases. Each takes a fresh [`Fixture`] and panics when the
//! store breaks the rule it is named after. Race cases spread their calls over both
//! handles of the fixture, as two application instances would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use super::Fixture;
use super::world::{START, World};
use crate::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
use crate::contact::ContactStatus;
use crate::email::EmailAddress;
use crate::grant::Permissions;
use crate::magic_link::LinkProblem;
use crate::policy::{LinkRedemption, Policy, RateLimit};
use crate::portal::login::LoginError;
use crate::portal::session::SessionError;
use crate::store::Store;
use crate::throttle::ThrottleDecision;
use crate::token::{Token, TokenDigest};

mod access;
mod audit;
mod codes;
mod construction;
mod conversation;
mod conversation_store;
mod credential_store;
mod credentials;
mod documents;
mod evidence;
mod firms;
mod floods;
mod input;
mod links;
mod notices;
mod outbox;
mod passwords;
mod phases;
mod previews;
mod puzzling;
mod robustness;
mod sessions;
mod skew;
mod staff_tasks;
mod tasks;

pub use access::*;
pub use audit::*;
pub use codes::*;
pub use construction::*;
pub use conversation::*;
pub use conversation_store::*;
pub use credential_store::*;
pub use credentials::*;
pub use documents::*;
pub use evidence::*;
pub use firms::*;
pub use floods::*;
pub use input::*;
pub use links::*;
pub use notices::*;
pub use outbox::*;
pub use passwords::*;
pub use phases::*;
pub use previews::*;
pub use puzzling::*;
pub use robustness::*;
pub use sessions::*;
pub use skew::*;
pub use staff_tasks::*;
pub use tasks::*;

pub(super) const MINUTE: Duration = Duration::from_secs(60);

pub(super) fn req() -> RequestInfo {
    World::req()
}

pub(super) fn link_problem<T: std::fmt::Debug>(r: Result<T, LoginError>) -> LinkProblem {
    match r {
        Err(LoginError::Link(p)) => p,
        other => panic!("expected a refused link, got {other:?}"),
    }
}

/// An entry of the fixture's firm by Portal itself, for cases that call the store
/// directly.
pub(super) fn system_entry(w: &World, action: AuditAction) -> AuditDraft {
    AuditDraft {
        firm_id: w.firm.id,
        at: w.a.now(),
        actor: Actor::System,
        action,
        contact_id: None,
        client_id: None,
        task_id: None,
        request: req(),
        outcome: AuditOutcome::Success,
        detail: String::new(),
    }
}

/// Every session of `contact` that the store lists verifies, on a client the contact
/// holds a grant to, with that grant's permissions.
pub(super) async fn sessions_match_grants(store: &dyn Store, contact: crate::id::ContactId) {
    let grants = store.grants(contact).await.unwrap();
    for listed in store.sessions(contact).await.unwrap() {
        let s = listed.session;
        let grant = grants
            .iter()
            .find(|g| g.client_id == s.active_client)
            .unwrap_or_else(|| panic!("a session on a client without a grant: {s:?}"));
        assert_eq!(s.permissions, grant.permissions, "listed: {s:?}");
        let verified = store.session(&s.digest).await.unwrap().expect("verifies");
        assert_eq!(verified.active_client, grant.client_id);
        assert_eq!(
            verified.permissions, grant.permissions,
            "verified: {verified:?}"
        );
    }
}
