//! The store traits, implemented for each public store type by forwarding to its
//! [`Engine`](super::Engine). Forwarding happens in the concrete type's impl, so the
//! futures are checked `Send` for a real driver rather than for every possible one.

/// Implements every `portal-core` store trait for `$store`, whose field `engine` is an
/// [`Engine`](super::Engine).
macro_rules! delegate_store {
    ($store:ty) => {
        const _: () = {
            use std::time::Duration;

            use async_trait::async_trait;
            use portal_core::StoreError;
            use portal_core::audit::{AuditDraft, AuditEvent, ChainHead};
            use portal_core::client::Client;
            use portal_core::clock::Timestamp;
            use portal_core::contact::{Contact, ContactStatus};
            use portal_core::email::CanonicalEmail;
            use portal_core::email_code::{
                ChallengeRecord, ChallengeRedemption, GuessReservation, ResendOutcome,
            };
            use portal_core::failure::FailureState;
            use portal_core::firm::Firm;
            use portal_core::grant::{Grant, Permissions};
            use portal_core::id::{ClientId, ContactId, FirmId, SessionId, TaskId};
            use portal_core::magic_link::{LinkRedemption, LinkRedemptionRequest, MagicLinkRecord};
            use portal_core::password::PasswordLinkRecord;
            use portal_core::personal_link::PersonalLinkRecord;
            use portal_core::policy::RateLimit;
            use portal_core::session::{SessionRecord, SessionRenewal, SessionSeed};
            use portal_core::staff::{InvitationRecord, Invited};
            use portal_core::store::{
                AuditFn, AuditStore, DirectoryStore, InviteAuditFn, LoginStore, MaintenanceStore,
                PurgeReport, RefusalAuditFn, SessionStore, TaskStore,
            };
            use portal_core::task::{Completion, Task};
            use portal_core::throttle::{Refusal, ThrottleDecision};
            use portal_core::token::TokenDigest;

            #[async_trait]
            impl DirectoryStore for $store {
                async fn insert_firm(&self, firm: &Firm) -> Result<(), StoreError> {
                    self.engine.insert_firm(firm).await
                }
                async fn update_firm(&self, firm: &Firm) -> Result<bool, StoreError> {
                    self.engine.update_firm(firm).await
                }
                async fn firm(&self, id: FirmId) -> Result<Option<Firm>, StoreError> {
                    self.engine.firm(id).await
                }
                async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
                    self.engine.insert_client(client).await
                }
                async fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError> {
                    self.engine.client(id).await
                }
                async fn clients(&self, firm: FirmId) -> Result<Vec<Client>, StoreError> {
                    self.engine.clients(firm).await
                }
                async fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError> {
                    self.engine.contact(id).await
                }
                async fn contact_by_email(
                    &self,
                    firm: FirmId,
                    email: &CanonicalEmail,
                ) -> Result<Option<Contact>, StoreError> {
                    self.engine.contact_by_email(firm, email).await
                }
                async fn contacts(&self, firm: FirmId) -> Result<Vec<Contact>, StoreError> {
                    self.engine.contacts(firm).await
                }
                async fn invite(
                    &self,
                    invitation: &InvitationRecord,
                    audit: InviteAuditFn<'_>,
                ) -> Result<Invited, StoreError> {
                    self.engine.invite(invitation, audit).await
                }
                async fn set_contact_status(
                    &self,
                    contact: ContactId,
                    status: ContactStatus,
                    only_from: Option<ContactStatus>,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError> {
                    self.engine
                        .set_contact_status(contact, status, only_from, audit)
                        .await
                }
                async fn put_grant(
                    &self,
                    grant: &Grant,
                    audit: AuditDraft,
                ) -> Result<(), StoreError> {
                    self.engine.put_grant(grant, audit).await
                }
                async fn remove_grant(
                    &self,
                    contact: ContactId,
                    client: ClientId,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError> {
                    self.engine.remove_grant(contact, client, audit).await
                }
                async fn grants(&self, contact: ContactId) -> Result<Vec<Grant>, StoreError> {
                    self.engine.grants(contact).await
                }
                async fn granted_clients(
                    &self,
                    contact: ContactId,
                ) -> Result<Vec<(Client, Permissions)>, StoreError> {
                    self.engine.granted_clients(contact).await
                }
            }

            #[async_trait]
            impl LoginStore for $store {
                async fn issue_magic_link(
                    &self,
                    link: &MagicLinkRecord,
                    audit: AuditDraft,
                ) -> Result<(), StoreError> {
                    self.engine.issue_magic_link(link, audit).await
                }
                async fn redeem_magic_link(
                    &self,
                    request: &LinkRedemptionRequest,
                    audit: AuditFn<'_, LinkRedemption>,
                ) -> Result<LinkRedemption, StoreError> {
                    self.engine.redeem_magic_link(request, audit).await
                }
                async fn magic_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError> {
                    self.engine.magic_link_contact(link, now).await
                }
                async fn issue_challenge(
                    &self,
                    challenge: &ChallengeRecord,
                    audit: Option<AuditDraft>,
                ) -> Result<(), StoreError> {
                    self.engine.issue_challenge(challenge, audit).await
                }
                async fn challenge_contact(
                    &self,
                    challenge: &TokenDigest,
                ) -> Result<Option<ContactId>, StoreError> {
                    self.engine.challenge_contact(challenge).await
                }
                async fn resend_code(
                    &self,
                    challenge: &TokenDigest,
                    code_hash: &str,
                    now: Timestamp,
                    expires_at: Timestamp,
                    max_codes: u32,
                    audit: AuditFn<'_, ContactId>,
                ) -> Result<ResendOutcome, StoreError> {
                    self.engine
                        .resend_code(challenge, code_hash, now, expires_at, max_codes, audit)
                        .await
                }
                async fn reserve_guess(
                    &self,
                    challenge: &TokenDigest,
                    now: Timestamp,
                    max_guesses: u32,
                ) -> Result<GuessReservation, StoreError> {
                    self.engine.reserve_guess(challenge, now, max_guesses).await
                }
                async fn redeem_challenge(
                    &self,
                    request: &ChallengeRedemption,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<(SessionRecord, Option<String>)>, StoreError> {
                    self.engine.redeem_challenge(request, audit).await
                }
                async fn issue_password_link(
                    &self,
                    link: &PasswordLinkRecord,
                    audit: AuditDraft,
                ) -> Result<(), StoreError> {
                    self.engine.issue_password_link(link, audit).await
                }
                async fn password_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError> {
                    self.engine.password_link_contact(link, now).await
                }
                async fn set_password_with_link(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                    password_hash: &str,
                    audit: AuditFn<'_, ContactId>,
                ) -> Result<Option<ContactId>, StoreError> {
                    self.engine
                        .set_password_with_link(link, now, password_hash, audit)
                        .await
                }
                async fn password_hash(
                    &self,
                    contact: ContactId,
                ) -> Result<Option<String>, StoreError> {
                    self.engine.password_hash(contact).await
                }
                async fn issue_personal_link(
                    &self,
                    link: &PersonalLinkRecord,
                    audit: AuditDraft,
                ) -> Result<(), StoreError> {
                    self.engine.issue_personal_link(link, audit).await
                }
                async fn personal_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError> {
                    self.engine.personal_link_contact(link, now).await
                }
                async fn throttle_hit(
                    &self,
                    key: &TokenDigest,
                    limit: RateLimit,
                    now: Timestamp,
                ) -> Result<ThrottleDecision, StoreError> {
                    self.engine.throttle_hit(key, limit, now).await
                }
                async fn record_failure(
                    &self,
                    subject: ContactId,
                    now: Timestamp,
                    seen: u32,
                ) -> Result<Option<FailureState>, StoreError> {
                    self.engine.record_failure(subject, now, seen).await
                }
                async fn failure_state(
                    &self,
                    subject: ContactId,
                ) -> Result<FailureState, StoreError> {
                    self.engine.failure_state(subject).await
                }
                async fn count_refusal(&self, refusal: &Refusal) -> Result<u64, StoreError> {
                    self.engine.count_refusal(refusal).await
                }
            }

            #[async_trait]
            impl SessionStore for $store {
                async fn start_session(
                    &self,
                    contact: ContactId,
                    seed: &SessionSeed,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<SessionRecord>, StoreError> {
                    self.engine.start_session(contact, seed, audit).await
                }
                async fn session(
                    &self,
                    digest: &TokenDigest,
                ) -> Result<Option<SessionRecord>, StoreError> {
                    self.engine.session(digest).await
                }
                async fn renew_session(
                    &self,
                    digest: &TokenDigest,
                    renewal: &SessionRenewal,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError> {
                    self.engine.renew_session(digest, renewal, audit).await
                }
                async fn switch_client(
                    &self,
                    digest: &TokenDigest,
                    client: ClientId,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<SessionRecord>, StoreError> {
                    self.engine.switch_client(digest, client, audit).await
                }
                async fn end_session(
                    &self,
                    digest: &TokenDigest,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError> {
                    self.engine.end_session(digest, audit).await
                }
                async fn revoke_session(
                    &self,
                    contact: ContactId,
                    session: SessionId,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError> {
                    self.engine.revoke_session(contact, session, audit).await
                }
                async fn revoke_contact_access(
                    &self,
                    contact: ContactId,
                    audit: AuditDraft,
                ) -> Result<u64, StoreError> {
                    self.engine.revoke_contact_access(contact, audit).await
                }
                async fn sessions(
                    &self,
                    contact: ContactId,
                ) -> Result<Vec<portal_core::session::SessionSummary>, StoreError> {
                    self.engine.sessions(contact).await
                }
            }

            #[async_trait]
            impl TaskStore for $store {
                async fn insert_task(&self, task: &Task) -> Result<(), StoreError> {
                    self.engine.insert_task(task).await
                }
                async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
                    self.engine.task(id).await
                }
                async fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError> {
                    self.engine.tasks(client).await
                }
                async fn set_task_completion(
                    &self,
                    task: TaskId,
                    completion: Option<&Completion>,
                    audit: AuditDraft,
                ) -> Result<Option<Task>, StoreError> {
                    self.engine
                        .set_task_completion(task, completion, audit)
                        .await
                }
            }

            #[async_trait]
            impl AuditStore for $store {
                async fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, StoreError> {
                    self.engine.append_audit(draft).await
                }
                async fn audit_events(
                    &self,
                    firm: FirmId,
                    contact: Option<ContactId>,
                    after: u64,
                    limit: usize,
                ) -> Result<Vec<AuditEvent>, StoreError> {
                    self.engine.audit_events(firm, contact, after, limit).await
                }
                async fn audit_head(&self, firm: FirmId) -> Result<Option<ChainHead>, StoreError> {
                    self.engine.audit_head(firm).await
                }
            }

            #[async_trait]
            impl MaintenanceStore for $store {
                async fn purge_expired(
                    &self,
                    now: Timestamp,
                    grace: Duration,
                    batch: u32,
                ) -> Result<PurgeReport, StoreError> {
                    self.engine.purge_expired(now, grace, batch).await
                }
                async fn summarize_refusals(
                    &self,
                    now: Timestamp,
                    batch: u32,
                    summary: RefusalAuditFn<'_>,
                ) -> Result<u64, StoreError> {
                    self.engine.summarize_refusals(now, batch, summary).await
                }
            }
        };
    };
}

pub(crate) use delegate_store;
