//! A store wrapper that records which operations were called, for tests that two
//! paths make the same calls (e.g. known and unknown addresses), and that can hold
//! the callers of one operation until they are all there, for races that must
//! interleave exactly (two requests that both read before either writes).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit::{AuditDraft, AuditEvent, ChainHead};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::contact::{Contact, ContactStatus};
use crate::email::CanonicalEmail;
use crate::email_code::{ChallengeRecord, ChallengeRedemption, GuessReservation, ResendOutcome};
use crate::failure::FailureState;
use crate::firm::Firm;
use crate::grant::{Grant, Permissions};
use crate::id::{ClientId, ContactId, FirmId, SessionId, TaskId};
use crate::magic_link::{LinkRedemption, LinkRedemptionRequest, MagicLinkRecord};
use crate::password::PasswordLinkRecord;
use crate::personal_link::PersonalLinkRecord;
use crate::policy::RateLimit;
use crate::session::{SessionRecord, SessionRenewal, SessionSeed, SessionSummary};
use crate::staff::{InvitationRecord, Invited};
use crate::store::{
    AuditFn, AuditStore, DirectoryStore, InviteAuditFn, LoginStore, MaintenanceStore, PurgeReport,
    RefusalAuditFn, SessionStore, Store, StoreError, TaskStore,
};
use crate::task::{Completion, Task};
use crate::throttle::{Refusal, ThrottleDecision};
use crate::token::TokenDigest;

/// Delegates to a store and records the name of every operation called.
#[derive(Debug)]
pub struct RecordingStore {
    inner: Arc<dyn Store>,
    calls: Mutex<Vec<&'static str>>,
    held: Mutex<Option<(&'static str, Arc<tokio::sync::Barrier>)>>,
}

impl RecordingStore {
    /// Wraps `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn Store>) -> Self {
        RecordingStore {
            inner,
            calls: Mutex::new(Vec::new()),
            held: Mutex::new(None),
        }
    }

    /// From now on, each call of `operation` waits, once the store has answered it,
    /// until `callers` calls of it have: they all return together, each with what the
    /// store answered before any of them went on. [`RecordingStore::release`] ends it.
    pub fn hold_after(&self, operation: &'static str, callers: usize) {
        if let Ok(mut h) = self.held.lock() {
            *h = Some((operation, Arc::new(tokio::sync::Barrier::new(callers))));
        }
    }

    /// Ends [`RecordingStore::hold_after`].
    pub fn release(&self) {
        if let Ok(mut h) = self.held.lock() {
            *h = None;
        }
    }

    async fn meet(&self, name: &'static str) {
        let barrier = self.held.lock().ok().and_then(|h| {
            h.as_ref()
                .filter(|(op, _)| *op == name)
                .map(|(_, b)| b.clone())
        });
        if let Some(barrier) = barrier {
            barrier.wait().await;
        }
    }

    /// The operations called since the last [`RecordingStore::take_calls`], in order.
    pub fn take_calls(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    fn record(&self, name: &'static str) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(name);
        }
    }
}

macro_rules! delegate {
    ($trait:ident { $( fn $name:ident(&self $(, $arg:ident : $ty:ty)* ) -> $ret:ty; )* }) => {
        #[async_trait::async_trait]
        impl $trait for RecordingStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.record(stringify!($name));
                    let answer = self.inner.$name($($arg),*).await;
                    self.meet(stringify!($name)).await;
                    answer
                }
            )*
        }
    };
}

delegate!(DirectoryStore {
    fn insert_firm(&self, firm: &Firm) -> Result<(), StoreError>;
    fn update_firm(&self, firm: &Firm) -> Result<bool, StoreError>;
    fn firm(&self, id: FirmId) -> Result<Option<Firm>, StoreError>;
    fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
    fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError>;
    fn clients(&self, firm: FirmId) -> Result<Vec<Client>, StoreError>;
    fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError>;
    fn contact_by_email(&self, firm: FirmId, email: &CanonicalEmail) -> Result<Option<Contact>, StoreError>;
    fn contacts(&self, firm: FirmId) -> Result<Vec<Contact>, StoreError>;
    fn invite(&self, invitation: &InvitationRecord, audit: InviteAuditFn<'_>) -> Result<Invited, StoreError>;
    fn set_contact_status(&self, contact: ContactId, status: ContactStatus, only_from: Option<ContactStatus>, audit: AuditDraft) -> Result<bool, StoreError>;
    fn put_grant(&self, grant: &Grant, audit: AuditDraft) -> Result<(), StoreError>;
    fn remove_grant(&self, contact: ContactId, client: ClientId, audit: AuditDraft) -> Result<bool, StoreError>;
    fn grants(&self, contact: ContactId) -> Result<Vec<Grant>, StoreError>;
    fn granted_clients(&self, contact: ContactId) -> Result<Vec<(Client, Permissions)>, StoreError>;
});

delegate!(LoginStore {
    fn issue_magic_link(&self, link: &MagicLinkRecord, audit: AuditDraft) -> Result<(), StoreError>;
    fn redeem_magic_link(&self, request: &LinkRedemptionRequest, audit: AuditFn<'_, LinkRedemption>) -> Result<LinkRedemption, StoreError>;
    fn magic_link_contact(&self, link: &TokenDigest, now: Timestamp) -> Result<Option<ContactId>, StoreError>;
    fn issue_challenge(&self, challenge: &ChallengeRecord, audit: Option<AuditDraft>) -> Result<(), StoreError>;
    fn challenge_contact(&self, challenge: &TokenDigest) -> Result<Option<ContactId>, StoreError>;
    fn resend_code(&self, challenge: &TokenDigest, code_hash: &str, now: Timestamp, expires_at: Timestamp, max_codes: u32, audit: AuditFn<'_, ContactId>) -> Result<ResendOutcome, StoreError>;
    fn reserve_guess(&self, challenge: &TokenDigest, now: Timestamp, max_guesses: u32) -> Result<GuessReservation, StoreError>;
    fn redeem_challenge(&self, request: &ChallengeRedemption, audit: AuditFn<'_, SessionRecord>) -> Result<Option<(SessionRecord, Option<String>)>, StoreError>;
    fn issue_password_link(&self, link: &PasswordLinkRecord, audit: AuditDraft) -> Result<(), StoreError>;
    fn password_link_contact(&self, link: &TokenDigest, now: Timestamp) -> Result<Option<ContactId>, StoreError>;
    fn set_password_with_link(&self, link: &TokenDigest, now: Timestamp, password_hash: &str, audit: AuditFn<'_, ContactId>) -> Result<Option<ContactId>, StoreError>;
    fn password_hash(&self, contact: ContactId) -> Result<Option<String>, StoreError>;
    fn issue_personal_link(&self, link: &PersonalLinkRecord, audit: AuditDraft) -> Result<(), StoreError>;
    fn personal_link_contact(&self, link: &TokenDigest, now: Timestamp) -> Result<Option<ContactId>, StoreError>;
    fn throttle_hit(&self, key: &TokenDigest, limit: RateLimit, now: Timestamp) -> Result<ThrottleDecision, StoreError>;
    fn record_failure(&self, subject: ContactId, now: Timestamp, seen: u32) -> Result<Option<FailureState>, StoreError>;
    fn failure_state(&self, subject: ContactId) -> Result<FailureState, StoreError>;
    fn count_refusal(&self, refusal: &Refusal) -> Result<u64, StoreError>;
});

delegate!(SessionStore {
    fn start_session(&self, contact: ContactId, seed: &SessionSeed, audit: AuditFn<'_, SessionRecord>) -> Result<Option<SessionRecord>, StoreError>;
    fn session(&self, digest: &TokenDigest) -> Result<Option<SessionRecord>, StoreError>;
    fn renew_session(&self, digest: &TokenDigest, renewal: &SessionRenewal, audit: AuditDraft) -> Result<bool, StoreError>;
    fn switch_client(&self, digest: &TokenDigest, client: ClientId, audit: AuditFn<'_, SessionRecord>) -> Result<Option<SessionRecord>, StoreError>;
    fn end_session(&self, digest: &TokenDigest, audit: AuditDraft) -> Result<bool, StoreError>;
    fn revoke_session(&self, contact: ContactId, session: SessionId, audit: AuditDraft) -> Result<bool, StoreError>;
    fn revoke_contact_access(&self, contact: ContactId, audit: AuditDraft) -> Result<u64, StoreError>;
    fn sessions(&self, contact: ContactId) -> Result<Vec<SessionSummary>, StoreError>;
});

delegate!(TaskStore {
    fn insert_task(&self, task: &Task) -> Result<(), StoreError>;
    fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError>;
    fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError>;
    fn set_task_completion(&self, task: TaskId, completion: Option<&Completion>, audit: AuditDraft) -> Result<Option<Task>, StoreError>;
});

delegate!(AuditStore {
    fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, StoreError>;
    fn audit_events(&self, firm: FirmId, contact: Option<ContactId>, after: u64, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;
    fn audit_head(&self, firm: FirmId) -> Result<Option<ChainHead>, StoreError>;
});

delegate!(MaintenanceStore {
    fn purge_expired(&self, now: Timestamp, grace: Duration, batch: u32) -> Result<PurgeReport, StoreError>;
    fn summarize_refusals(&self, now: Timestamp, batch: u32, summary: RefusalAuditFn<'_>) -> Result<u64, StoreError>;
});
