//! What Portal persists, as traits of atomic domain operations.
//!
//! Each method is one operation that a backend performs atomically (one statement or
//! one transaction): "redeem this link and start a session", "invalidate older links
//! and issue this one", "count this failure and return the total". Callers never read,
//! decide and write back, so the guarantees hold under concurrent requests and across
//! application instances sharing one database. The conformance suite
//! (`portal_core::testing`, feature `testing`) holds every implementation to the same
//! behaviour, races included.
//!
//! Operations that change security state take the audit entry to append with them, so
//! that the change and its record commit together. Where the entry depends on what the
//! operation found, they take an [`AuditFn`] that builds it from the outcome.
//!
//! # The operations are listed once
//!
//! The twelve traits are not written out one by one: the macro `store_operations!` (in
//! this file) holds every trait and every operation, with the doc comments that make up
//! the contract, and hands that one list to another macro to expand; rustdoc shows the
//! traits it makes as any others. In this module the list is expanded
//! into the trait definitions; `forward_store!` expands it into impls that forward each
//! operation to a field of the type, which the SQL stores (to their engine) and the
//! recording test store (to the store it wraps) use. Adding an operation is therefore
//! one entry in the list, plus the method that does the work in each store (the
//! compiler names every store that lacks it), plus its conformance cases and its entry
//! in the guide below; there is no forwarding list to keep in step.
//!
//! Forwarding stays, rather than one generic impl, because the SQL engine is generic
//! over the driver: an impl of the traits for every driver would have to prove its
//! futures `Send` for any driver, where an impl for the concrete store type proves it
//! for PostgreSQL's and SQLite's.
//!
#![doc = include_str!("../../docs/writing-a-store.md")]

mod memory;

pub use memory::MemoryStore;

use macro_support::*;

/// What the macros `store_operations!` and `forward_store!` need in scope where they
/// expand: every type the operations' signatures name, and `async_trait`. Not an API.
#[doc(hidden)]
pub mod macro_support {
    pub use std::time::Duration;

    pub use async_trait::async_trait;

    pub use super::{AuditFn, InviteAuditFn, PurgeReport, RefusalAuditFn, StoreError};
    pub use crate::audit::{AuditDraft, AuditEvent, ChainHead};
    pub use crate::blob::BlobName;
    pub use crate::client::Client;
    pub use crate::clock::Timestamp;
    pub use crate::contact::{Contact, ContactStatus};
    pub use crate::conversation::{Comment, Question};
    pub use crate::credential::{Credential, CredentialRefusal};
    pub use crate::document::{Review, Upload, UploadAdded, UploadChange};
    pub use crate::email::CanonicalEmail;
    pub use crate::email_code::{
        ChallengeRecord, ChallengeRedemption, GuessReservation, ResendOutcome,
    };
    pub use crate::evidence::{Evidence, Submission};
    pub use crate::failure::FailureState;
    pub use crate::file::{DropDeletion, StoredFile};
    pub use crate::firm::{Firm, FirmKey, FirmSettings};
    pub use crate::grant::{Grant, Permissions};
    pub use crate::id::{
        ClaimId, ClientId, ContactId, FileId, FirmId, MessageId, PhaseId, QuestionId, SessionId,
        StaffId, TaskId, UploadId,
    };
    pub use crate::magic_link::{LinkRedemption, LinkRedemptionRequest, MagicLinkRecord};
    pub use crate::notice::{Recipient, TaskNotices};
    pub use crate::outbox::{Claim, DeliveryAttempt, MessageStatus, QueuedMessage};
    pub use crate::password::PasswordLinkRecord;
    pub use crate::personal_link::PersonalLinkRecord;
    pub use crate::phase::Phase;
    pub use crate::phone::PhoneNumber;
    pub use crate::policy::RateLimit;
    pub use crate::preview::{PreviewLinkRecord, PreviewRedemption, PreviewRedemptionRequest};
    pub use crate::session::{SessionRecord, SessionRenewal, SessionSeed, SessionSummary};
    pub use crate::staff::{InvitationRecord, Invited};
    pub use crate::staff_notice::{DigestItem, StaffCursor, StaffRecipient};
    pub use crate::task::{Completion, ItemCheck, Task, TaskEdit, TaskOutcome, TaskStatus};
    pub use crate::throttle::{Refusal, RefusalCount, ThrottleDecision};
    pub use crate::token::TokenDigest;
    pub use crate::vault::KeyId;
}

/// Builds the audit entry of an operation from its outcome; `None` records nothing.
pub type AuditFn<'a, T> = &'a (dyn Fn(&T) -> Option<AuditDraft> + Send + Sync);

/// Builds the audit entry that summarises a closed window of refused requests.
pub type RefusalAuditFn<'a> = &'a (dyn Fn(&RefusalCount) -> AuditDraft + Send + Sync);

/// Builds the audit entries of an invitation for the contact it found or inserted.
pub type InviteAuditFn<'a> = &'a (dyn Fn(&Contact) -> Vec<AuditDraft> + Send + Sync);

/// A store operation failed. Nothing it was doing took effect.
///
/// The web layer answers [`StoreError::Unavailable`] with 503 and `Retry-After` (the
/// same request may well succeed in a moment) and every other variant with an opaque
/// 500 (trying again will not help).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend cannot serve anyone right now, and may again soon: it could not be
    /// reached, the connection was lost, no pooled connection came free in time, the
    /// server is shutting down, or a lock stayed held past the wait allowed.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The backend refused this operation (a statement or a setting it rejects):
    /// trying it again would fail again.
    #[error("the store refused the operation")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A row read back does not decode (e.g. an unknown status name).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// An insert collided with an existing row that must be unique (e.g. a firm id).
    #[error("already exists: {0}")]
    Conflict(&'static str),
}

/// Hands the store contract, written once here, to the macro `$callback`: every store
/// trait with its doc, and in each every operation with its doc and signature (and the
/// body of a provided method).
///
/// `store_operations!(cb)` expands to `cb! { [] LIST }`, and `store_operations!(cb, ARGS)`
/// to `cb! { [ARGS] LIST }`. `LIST` is the traits as they would be written by hand but
/// for `pub`, `async` and the supertraits: `trait Name { fn op(&self, arg: Type) ->
/// Result<T, StoreError>; ... }`, each item under its doc comment, a provided method
/// ending in its body instead of `;`. The callback must expand where the names of
/// [`macro_support`] are in scope. Not an API: what this crate and `portal-sqlx` build
/// their traits and forwarding impls from.
#[doc(hidden)]
#[macro_export]
macro_rules! store_operations {
    ($callback:path $(, $($arg:tt)*)?) => {
        $callback! {
            [$($($arg)*)?]

            /// Firms, clients, contacts and grants.
            trait DirectoryStore {
                /// Inserts a firm; [`StoreError::Conflict`] if its id exists, or another firm has
                /// its key.
                fn insert_firm(&self, firm: &Firm) -> Result<(), StoreError>;
                /// Replaces a firm's name, URL, branding and sender (never its id, key or
                /// creation time); `false` if it does not exist.
                fn update_firm(&self, firm: &Firm) -> Result<bool, StoreError>;
                /// A firm by id.
                fn firm(&self, id: FirmId) -> Result<Option<Firm>, StoreError>;
                /// The firm with `key`, given `settings`: inserted with the id `id` and the
                /// creation time `now` if no firm has the key, else that firm with its name, URL,
                /// branding and sender replaced (its id and creation time kept). One step that the
                /// key's uniqueness decides, so that of calls racing with one key exactly one
                /// inserts and the others find its firm. Returns the firm as stored;
                /// [`StoreError::Conflict`] if `id` is another firm's.
                fn ensure_firm(
                    &self,
                    key: &FirmKey,
                    settings: &FirmSettings,
                    id: FirmId,
                    now: Timestamp,
                ) -> Result<Firm, StoreError>;
                /// The firm with `key`.
                fn firm_by_key(&self, key: &FirmKey) -> Result<Option<Firm>, StoreError>;
                /// Inserts a client; [`StoreError::Conflict`] if its id exists.
                fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
                /// A client by id.
                fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError>;
                /// A firm's clients, by name.
                fn clients(&self, firm: FirmId) -> Result<Vec<Client>, StoreError>;
                /// A contact by id.
                fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError>;
                /// A firm's contact by canonical email.
                fn contact_by_email(
                    &self,
                    firm: FirmId,
                    email: &CanonicalEmail,
                ) -> Result<Option<Contact>, StoreError>;
                /// A firm's contacts, by email.
                fn contacts(&self, firm: FirmId) -> Result<Vec<Contact>, StoreError>;
                /// Records an invitation in one operation. Finds the contact of the candidate's
                /// firm with the same canonical email, or inserts the candidate (one unique key, no
                /// check-then-insert). Unless it is suspended: puts each grant as
                /// [`DirectoryStore::put_grant`] does, sets `invited_at`, makes a revoked contact
                /// active again, and appends the entries `audit` makes for the contact. Of a
                /// contact found, only the phone is taken from the candidate, and only when the
                /// candidate has one (staff typed a new number; none keeps the stored one): its
                /// name and address stay as stored. A suspension ends only when lifted: a
                /// suspended contact gets [`Invited::Suspended`] and nothing is written.
                fn invite(
                    &self,
                    invitation: &InvitationRecord,
                    audit: InviteAuditFn<'_>,
                ) -> Result<Invited, StoreError>;
                /// Sets a contact's status, if `only_from` is `None` or is its status now (the
                /// check and the write are one step, so a change racing this one is never undone).
                /// Leaving `Active` also deletes its sessions and kills its outstanding magic
                /// links, codes and password links; `Revoked` also deletes its personal links, its
                /// grants and its password, so that a new invitation gives exactly the access it
                /// names. `false` if the contact does not exist or is not in `only_from`.
                fn set_contact_status(
                    &self,
                    contact: ContactId,
                    status: ContactStatus,
                    only_from: Option<ContactStatus>,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// Sets a contact's phone number, or clears it with `None`, and appends `audit`,
                /// in one step. `false` if the contact does not exist (nothing appended).
                fn set_contact_phone(
                    &self,
                    contact: ContactId,
                    phone: Option<&PhoneNumber>,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// Inserts a grant or replaces its permissions. Sessions of the contact whose
                /// active client it is see the new permissions at their next verification.
                fn put_grant(&self, grant: &Grant, audit: AuditDraft) -> Result<(), StoreError>;
                /// Removes a grant and deletes the contact's sessions whose active client it was.
                /// `false` if there was no such grant.
                fn remove_grant(
                    &self,
                    contact: ContactId,
                    client: ClientId,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// A contact's grants, oldest first.
                fn grants(&self, contact: ContactId) -> Result<Vec<Grant>, StoreError>;
                /// The clients a contact holds grants to, each with the grant's permissions, oldest
                /// grant first: [`DirectoryStore::grants`] and [`DirectoryStore::client`] in one
                /// read (the portal shows them on every page).
                ///
                /// The default makes those calls one after the other; the stores of this workspace
                /// answer in one read.
                fn granted_clients(
                    &self,
                    contact: ContactId,
                ) -> Result<Vec<(Client, Permissions)>, StoreError> {
                    let mut out = Vec::new();
                    for grant in self.grants(contact).await? {
                        if let Some(client) = self.client(grant.client_id).await? {
                            out.push((client, grant.permissions));
                        }
                    }
                    Ok(out)
                }
            }

            /// Magic links, email codes, password links, personal links, throttling, failure
            /// counters.
            trait LoginStore {
                /// In one transaction: invalidates every unused magic link of the contact (expired
                /// ones included), then inserts `link`. Newest link wins, even under races.
                fn issue_magic_link(
                    &self,
                    link: &MagicLinkRecord,
                    audit: AuditDraft,
                ) -> Result<(), StoreError>;
                /// Atomically consumes a live link and starts a session of its contact (deleting
                /// the session it replaces), or reports why not without changing anything but the
                /// audit log. Of any number of concurrent redemptions of one link, exactly one
                /// succeeds.
                fn redeem_magic_link(
                    &self,
                    request: &LinkRedemptionRequest,
                    audit: AuditFn<'_, LinkRedemption>,
                ) -> Result<LinkRedemption, StoreError>;
                /// The contact of a live magic link (neither consumed nor invalidated, and not
                /// expired at `now`), changing nothing: the confirmation page names the address
                /// the link logs in as before anything is spent.
                fn magic_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError>;

                /// Invalidates every live challenge of the contact, then inserts `challenge`. The
                /// contact may be a [stand-in](crate::failure::stand_in) for an address nobody has:
                /// its challenges are kept exactly as a contact's (there is no contact row to refer
                /// to), and come with no audit entry. Queues `messages` ([`OutboxStore`]) in the
                /// same step.
                fn issue_challenge(
                    &self,
                    challenge: &ChallengeRecord,
                    audit: Option<AuditDraft>,
                    messages: &[QueuedMessage],
                ) -> Result<(), StoreError>;
                /// The contact of a live challenge (not consumed, not superseded), so that a resend
                /// can be counted against the contact's address before its code is replaced.
                fn challenge_contact(
                    &self,
                    challenge: &TokenDigest,
                ) -> Result<Option<ContactId>, StoreError>;
                /// Replaces a live challenge's code (new hash, fresh guesses, new expiry) unless it
                /// already had `max_codes` codes; with the audit entry `audit` builds for the
                /// challenge's contact and the `messages` it queues, when it does (nothing is
                /// queued when it does not).
                fn resend_code(
                    &self,
                    challenge: &TokenDigest,
                    code_hash: &str,
                    now: Timestamp,
                    expires_at: Timestamp,
                    max_codes: u32,
                    audit: AuditFn<'_, ContactId>,
                    messages: &[QueuedMessage],
                ) -> Result<ResendOutcome, StoreError>;
                /// Atomically takes one guess of a live challenge's current code, if any is left.
                fn reserve_guess(
                    &self,
                    challenge: &TokenDigest,
                    now: Timestamp,
                    max_guesses: u32,
                ) -> Result<GuessReservation, StoreError>;
                /// Atomically consumes a challenge whose code generation is still `generation` and
                /// starts a session; returns it with the challenge's `next`. `None` if it was
                /// consumed, replaced or killed meanwhile, or its contact can no longer log in.
                fn redeem_challenge(
                    &self,
                    request: &ChallengeRedemption,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<(SessionRecord, Option<String>)>, StoreError>;

                /// Invalidates the contact's unused password links, then inserts `link`, and
                /// queues `messages`, in one step.
                fn issue_password_link(
                    &self,
                    link: &PasswordLinkRecord,
                    audit: AuditDraft,
                    messages: &[QueuedMessage],
                ) -> Result<(), StoreError>;
                /// The contact of a live password link.
                fn password_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError>;
                /// Atomically consumes a live password link, stores the new hash, deletes every
                /// session of the contact and clears its failure counter.
                fn set_password_with_link(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                    password_hash: &str,
                    audit: AuditFn<'_, ContactId>,
                ) -> Result<Option<ContactId>, StoreError>;
                /// A contact's password hash (PHC string), if it has set one.
                fn password_hash(&self, contact: ContactId) -> Result<Option<String>, StoreError>;

                /// Inserts a personal portal link and queues `messages`, in one step.
                fn issue_personal_link(
                    &self,
                    link: &PersonalLinkRecord,
                    audit: AuditDraft,
                    messages: &[QueuedMessage],
                ) -> Result<(), StoreError>;
                /// The contact a live personal link identifies (and that is not revoked).
                fn personal_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError>;

                /// Inserts a staff preview link and appends `audit`: a plain insert, since a
                /// contact may be previewed by several staff members at once and a new preview
                /// link kills no other secret. [`StoreError::Conflict`] if its digest exists.
                fn issue_preview_link(
                    &self,
                    link: &PreviewLinkRecord,
                    audit: AuditDraft,
                ) -> Result<(), StoreError>;
                /// The contact of a live preview link (not consumed, not expired at `now`),
                /// changing nothing: its confirmation page names the contact before anything
                /// is spent.
                fn preview_link_contact(
                    &self,
                    link: &TokenDigest,
                    now: Timestamp,
                ) -> Result<Option<ContactId>, StoreError>;
                /// Atomically consumes a live preview link and starts a preview session of its
                /// contact on the contact's oldest grant, its `preview_by` the link's staff
                /// member (deleting the session it replaces); or reports why not, changing
                /// nothing but the audit log. Unlike a login it leaves the contact's
                /// `joined_at`, `last_seen_at` and failure counter as they are. Of any number
                /// of concurrent redemptions of one link, exactly one succeeds.
                fn redeem_preview_link(
                    &self,
                    request: &PreviewRedemptionRequest,
                    audit: AuditFn<'_, PreviewRedemption>,
                ) -> Result<PreviewRedemption, StoreError>;

                /// Records one event under `key` and tells whether it is within `limit` over the
                /// sliding window ending `now`. Refused events are not recorded, so a flood cannot
                /// extend its own ban. Concurrent hits on one key are serialised.
                fn throttle_hit(
                    &self,
                    key: &TokenDigest,
                    limit: RateLimit,
                    now: Timestamp,
                ) -> Result<ThrottleDecision, StoreError>;
                /// Counts one more consecutive failure of `subject` (a contact, or a
                /// [stand-in](crate::failure::stand_in) for an address nobody has: both are
                /// counted alike) if its count is still `seen` (as [`LoginStore::failure_state`]
                /// read it), and returns the new state: the check and the count are one step, so
                /// attempts racing each other cannot all pass one back-off check. `None` if another
                /// attempt counted first (read again).
                fn record_failure(
                    &self,
                    subject: ContactId,
                    now: Timestamp,
                    seen: u32,
                ) -> Result<Option<FailureState>, StoreError>;
                /// The consecutive failures of a contact or stand-in (none if never counted).
                fn failure_state(&self, subject: ContactId) -> Result<FailureState, StoreError>;
                /// Counts one request refused by the per-IP limit in its block's window and returns
                /// the window's count so far (1 for the first). Windows are summarised in the audit
                /// log by [`MaintenanceStore::summarize_refusals`] once they end.
                fn count_refusal(&self, refusal: &Refusal) -> Result<u64, StoreError>;
            }

            /// Sessions.
            trait SessionStore {
                /// Starts a session of an active contact on its oldest grant (deleting the session
                /// it replaces, clearing its failure counter, setting `joined_at` and
                /// `last_seen_at`); `None` if the contact is not active or has no grant.
                fn start_session(
                    &self,
                    contact: ContactId,
                    seed: &SessionSeed,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<SessionRecord>, StoreError>;
                /// The session with this digest, if its contact is active and still holds a grant
                /// to its active client (one indexed read), a preview's `preview_by` with it.
                /// Expiry is the caller's to check.
                fn session(
                    &self,
                    digest: &TokenDigest,
                ) -> Result<Option<SessionRecord>, StoreError>;
                /// Renews a session if its last renewal is at or before `renewal.due_before` (so
                /// that concurrent requests write once) and it has not expired; updates the
                /// contact's `last_seen_at`. `true` if this call wrote.
                fn renew_session(
                    &self,
                    digest: &TokenDigest,
                    renewal: &SessionRenewal,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// Makes `client` the session's active client if its contact holds a grant to it.
                fn switch_client(
                    &self,
                    digest: &TokenDigest,
                    client: ClientId,
                    audit: AuditFn<'_, SessionRecord>,
                ) -> Result<Option<SessionRecord>, StoreError>;
                /// Deletes a session (logout); `false` if it did not exist.
                fn end_session(
                    &self,
                    digest: &TokenDigest,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// Deletes one session of a contact (staff); `false` if there is no such session.
                fn revoke_session(
                    &self,
                    contact: ContactId,
                    session: SessionId,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// Deletes every session of a contact and kills its outstanding magic links, codes
                /// and password links; returns the number of sessions deleted.
                fn revoke_contact_access(
                    &self,
                    contact: ContactId,
                    audit: AuditDraft,
                ) -> Result<u64, StoreError>;
                /// A contact's sessions, newest first.
                fn sessions(&self, contact: ContactId) -> Result<Vec<SessionSummary>, StoreError>;
            }

            /// Tasks and the phases that group them.
            ///
            /// The writes that may find nothing to do answer [`TaskOutcome`] (`None` for a
            /// task that does not exist): `Changed` when they wrote, and then appended
            /// `audit` in the same step; `Unchanged` or `Conflict` when they wrote nothing,
            /// and appended nothing.
            trait TaskStore {
                /// Inserts a phase and appends `audit`; [`StoreError::Conflict`] if its id
                /// exists, its client is unknown, or its client has a phase of that name.
                fn insert_phase(&self, phase: &Phase, audit: AuditDraft) -> Result<(), StoreError>;
                /// Renames a phase; returns it as it now is, `None` if it does not exist,
                /// [`StoreError::Conflict`] if its client has another phase of that name.
                /// `audit` only when the name changed.
                fn rename_phase(
                    &self,
                    phase: PhaseId,
                    name: &str,
                    audit: AuditDraft,
                ) -> Result<Option<Phase>, StoreError>;
                /// Gives a client's phases the positions 1, 2, ... in the order of `order`,
                /// which must name each of its phases exactly once (checked in the same step);
                /// `false` and nothing written otherwise. `audit` only when a phase moved.
                fn reorder_phases(
                    &self,
                    client: ClientId,
                    order: &[PhaseId],
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// A client's phases by position (then id).
                fn phases(&self, client: ClientId) -> Result<Vec<Phase>, StoreError>;
                /// A phase by id.
                fn phase(&self, id: PhaseId) -> Result<Option<Phase>, StoreError>;
                /// Inserts a task with its definition and appends `audit`;
                /// [`StoreError::Conflict`] if its id exists, or its client or phase is
                /// unknown.
                fn insert_task(&self, task: &Task, audit: AuditDraft) -> Result<(), StoreError>;
                /// A task by id, withdrawn or not.
                fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError>;
                /// A client's tasks by position (then id), withdrawn ones included.
                fn tasks(&self, client: ClientId) -> Result<Vec<Task>, StoreError>;
                /// Gives a client's tasks the positions 1, 2, ... in the order of `order`,
                /// which must name each of its tasks (withdrawn ones included) exactly once
                /// (checked in the same step); `false` and nothing written otherwise.
                /// `audit` only when a task moved. A task's `updated_at` stays: where it
                /// sits in the list is not part of what it asks.
                fn reorder_tasks(
                    &self,
                    client: ClientId,
                    order: &[TaskId],
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
                /// [`phases`](TaskStore::phases) and [`tasks`](TaskStore::tasks) of a
                /// client read together, for the list a contact sees: one connection
                /// (and one check of it) instead of two.
                fn phases_and_tasks(
                    &self,
                    client: ClientId,
                ) -> Result<(Vec<Phase>, Vec<Task>), StoreError>;
                /// Applies `edit` at `at` as [`Task::edited`] decides, in one step;
                /// [`StoreError::Conflict`] if its phase is unknown.
                fn edit_task(
                    &self,
                    task: TaskId,
                    edit: &TaskEdit,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<TaskOutcome>, StoreError>;
                /// Withdraws a task at `at` (`Unchanged` if it already was): it stays, with
                /// its answers.
                fn withdraw_task(
                    &self,
                    task: TaskId,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<TaskOutcome>, StoreError>;
                /// Sets a task's status as [`Task::with_status`] decides: `completion` is
                /// recorded when it becomes completed, and cleared when it stops being so.
                fn set_task_status(
                    &self,
                    task: TaskId,
                    status: TaskStatus,
                    completion: Option<&Completion>,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<TaskOutcome>, StoreError>;
                /// Completes a task (`Some`), keeping an existing completion untouched, or makes it
                /// pending again (`None`); returns the task as it now is, `None` if it does not
                /// exist. Doing either twice changes nothing the second time. `audit` is appended
                /// in the same operation, only when the task changed.
                fn set_task_completion(
                    &self,
                    task: TaskId,
                    completion: Option<&Completion>,
                    audit: AuditDraft,
                ) -> Result<Option<Task>, StoreError>;
                /// Records `submission`, checked against the definition `checked_against`, as
                /// [`Task::submitted`] decides, in one conditional step: of any number of
                /// submissions racing (and edits of the definition), the first stands and
                /// completes the task with `completion`; each other one is `Unchanged` if it is
                /// the same, else a `Conflict`.
                fn submit_task(
                    &self,
                    task: TaskId,
                    checked_against: &Evidence,
                    submission: &Submission,
                    completion: &Completion,
                    audit: AuditDraft,
                ) -> Result<Option<TaskOutcome>, StoreError>;
                /// Checks (`Some`) or unchecks (`None`) item `item` of a checklist task, and
                /// sets its status as [`checklist_status`](crate::task::checklist_status) says,
                /// in the same step, stamped `at`. Checking a checked item keeps the first check
                /// and unchecking an unchecked one changes nothing (`Unchanged`); either side
                /// may do either at once. `Conflict` for a task that is no checklist or has no
                /// such item.
                fn set_checklist_item(
                    &self,
                    task: TaskId,
                    item: usize,
                    check: Option<&ItemCheck>,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<TaskOutcome>, StoreError>;
            }

            /// Stored files' rows and the uploads that answer document requests. The
            /// bytes live in a [`BlobStore`](crate::blob::BlobStore); a row names its
            /// blob, and a row that stops naming it does so in the same step as whatever
            /// removed it (see [`crate::file`]).
            trait FileStore {
                /// Adds `upload` and its `files` to the upload's task in one step, if
                /// [`Upload::may_add`] allows it given the task's uploads and the client's
                /// readable files with these stay within `quota` bytes; the task becomes what
                /// [`Upload::task_after_adding`] says, and `audit` is appended. `None` if the
                /// task does not exist. Racing uploads to one task: one is added, the others
                /// are refused as awaiting review.
                fn add_upload(
                    &self,
                    upload: &Upload,
                    files: &[StoredFile],
                    quota: u64,
                    audit: AuditDraft,
                ) -> Result<Option<UploadAdded>, StoreError>;
                /// Reviews an upload as [`Upload::reviewed`] decides, in one step with its
                /// task (`audit` when it changed); `None` if there is no such upload. Of a
                /// review and a withdrawal racing, exactly one changes the upload.
                fn review_upload(
                    &self,
                    upload: UploadId,
                    review: &Review,
                    audit: AuditDraft,
                ) -> Result<Option<UploadChange>, StoreError>;
                /// Withdraws an upload at `at` as [`Upload::withdrawn`] decides, in one step
                /// with its task (`audit` when it changed); its files are removed at `at` and
                /// forget their blobs, which are returned for the caller to delete. `None` if
                /// there is no such upload.
                fn withdraw_upload(
                    &self,
                    upload: UploadId,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<(UploadChange, Vec<BlobName>)>, StoreError>;
                /// An upload by id.
                fn upload(&self, id: UploadId) -> Result<Option<Upload>, StoreError>;
                /// A task's uploads in the order they came, each with its files (removed ones
                /// included, as records).
                fn uploads(
                    &self,
                    task: TaskId,
                ) -> Result<Vec<(Upload, Vec<StoredFile>)>, StoreError>;
                /// Every upload to a client's tasks, in the order they came.
                fn client_uploads(&self, client: ClientId) -> Result<Vec<Upload>, StoreError>;
                /// Inserts a file the firm adds for its client (a published document, a
                /// document to sign; no upload) and appends `audit`; [`StoreError::Conflict`] if its id exists or its client is
                /// unknown.
                fn publish_file(&self, file: &StoredFile, audit: AuditDraft) -> Result<(), StoreError>;
                /// A file by id, removed or not.
                fn file(&self, id: FileId) -> Result<Option<StoredFile>, StoreError>;
                /// A client's files not removed, in the order they were added (then id).
                fn client_files(&self, client: ClientId) -> Result<Vec<StoredFile>, StoreError>;
                /// Adds dropped `files` to their task, a file drop not withdrawn, in one step:
                /// the client's readable files with these stay within `quota` bytes; the task
                /// is completed with `completion` (a completion it has stays) and `audit`
                /// appended. `None` if the task does not exist; refused
                /// ([`UploadRefusal::NotRequested`](crate::document::UploadRefusal)) if it is
                /// no file drop or was withdrawn.
                fn add_drop_files(
                    &self,
                    task: TaskId,
                    files: &[StoredFile],
                    quota: u64,
                    completion: &Completion,
                    audit: AuditDraft,
                ) -> Result<Option<UploadAdded>, StoreError>;
                /// Deletes a dropped file at `at` as [`StoredFile::deleted`] decides, in one
                /// step (`audit` when it did): its blob is cleared and returned; when no
                /// readable file of its task remains, the task is pending again. `None` if
                /// there is no such file. Of a deletion and a staff download racing, exactly
                /// one happens.
                fn delete_drop_file(
                    &self,
                    file: FileId,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<DropDeletion>, StoreError>;
                /// Records a staff member's download of a file readable at `at`: its first
                /// staff download time is set if unset, and `audit` appended, in one step.
                /// The file as it now is; `None` if there is no such readable file.
                fn record_staff_download(
                    &self,
                    file: FileId,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<StoredFile>, StoreError>;
                /// Removes at most `batch` files whose expiry is at or before `now`, not
                /// removed yet: each is removed at its expiry and forgets its blob, in one
                /// step; the blobs are returned for the caller to delete.
                fn expire_files(&self, now: Timestamp, batch: u32) -> Result<Vec<BlobName>, StoreError>;
                /// Those of `names` that a file row names: the blobs the sweep of orphans
                /// must keep.
                fn referenced_blobs(&self, names: &[BlobName]) -> Result<Vec<BlobName>, StoreError>;
            }

            /// Credentials handed over in credential tasks, sealed (see
            /// [`crate::credential`]): one per task, apart from the task's row. No
            /// operation sees a plaintext.
            trait CredentialStore {
                /// Stores `credential` (version 1) for its task in one step, if the task exists
                /// (`None` otherwise), is not withdrawn and still has the definition
                /// `checked_against` ([`CredentialRefusal::NotRequested`] otherwise): over the
                /// task's credential, if any, as [`Credential::replaced_by`] decides. The task is
                /// completed with `completion` (a completion it has stays) and `audit` appended.
                /// The credential as stored. Of a replacement and a reveal racing, the
                /// replacement either comes first and is what the reveal reads, or is refused.
                fn submit_credential(
                    &self,
                    credential: &Credential,
                    checked_against: &Evidence,
                    completion: &Completion,
                    audit: AuditDraft,
                ) -> Result<Option<Result<Credential, CredentialRefusal>>, StoreError>;
                /// A task's credential, purged or not.
                fn credential(&self, task: TaskId) -> Result<Option<Credential>, StoreError>;
                /// Reveals a task's credential at `at` as [`Credential::revealed`] decides, and
                /// appends the entry `audit` builds from it, in one step. The credential as
                /// stored; `None` if there is none or it was purged (nothing appended).
                fn reveal_credential(
                    &self,
                    task: TaskId,
                    at: Timestamp,
                    audit: AuditFn<'_, Credential>,
                ) -> Result<Option<Credential>, StoreError>;
                /// Purges a task's credential at `at` as [`Credential::purged_now`] decides,
                /// appending `audit` when it did, in one step. The credential as it now is, and
                /// whether this call purged it (not if it was purged already); `None` if there
                /// is none.
                fn purge_credential(
                    &self,
                    task: TaskId,
                    at: Timestamp,
                    audit: AuditDraft,
                ) -> Result<Option<(Credential, bool)>, StoreError>;
                /// At most `batch` credentials not purged whose task was closed (completed, at
                /// its completion's time, or withdrawn; see [`crate::credential::closed_at`])
                /// at or before `closed_before`, whose task id comes after `after` (if given)
                /// in the ids' byte order, in that order: what automatic purging considers
                /// (each firm's policy decides, and [`CredentialStore::purge_credential`]
                /// purges).
                fn closed_credentials(
                    &self,
                    closed_before: Timestamp,
                    after: Option<TaskId>,
                    batch: u32,
                ) -> Result<Vec<Credential>, StoreError>;
                /// At most `batch` credentials not purged and not sealed under `active`, whose
                /// task id comes after `after` (if given) in the ids' byte order, in that
                /// order: what a rotation re-seals next.
                fn credentials_to_rotate(
                    &self,
                    active: &KeyId,
                    after: Option<TaskId>,
                    batch: u32,
                ) -> Result<Vec<Credential>, StoreError>;
                /// Replaces the key and the sealed values of the stored credential of
                /// `rewrapped`'s task as [`Credential::rewrapped`] decides, in one step:
                /// whether it did (not if a replacement or a purge came first).
                fn rewrap_credential(&self, rewrapped: &Credential) -> Result<bool, StoreError>;
            }

            /// Comments on tasks and questions to the firm (see [`crate::conversation`]).
            trait ConversationStore {
                /// Stores `comment` and appends `audit`, in one step, if its task exists and is
                /// not withdrawn: whether it did.
                fn add_comment(&self, comment: &Comment, audit: AuditDraft) -> Result<bool, StoreError>;
                /// A task's comments, oldest first (by time, then id).
                fn comments(&self, task: TaskId) -> Result<Vec<Comment>, StoreError>;
                /// Stores `question` and appends `audit`, in one step.
                fn ask_question(&self, question: &Question, audit: AuditDraft) -> Result<(), StoreError>;
                /// A firm's questions, of one client if given, newest first (by time, then
                /// id), strictly before `before` in that order if given, at most `limit`.
                fn questions(
                    &self,
                    firm: FirmId,
                    client: Option<ClientId>,
                    before: Option<(Timestamp, QuestionId)>,
                    limit: u32,
                ) -> Result<Vec<Question>, StoreError>;
            }

            /// The outbox: messages queued with their cause, claimed by workers under a lease,
            /// every attempt recorded (see [`crate::outbox`]).
            ///
            /// The operations of other traits that cause a message take it and write it in
            /// their own step, before the rest of their writes, so that their failure
            /// leaves no message behind. In every operation here, a message is claimable
            /// when it is queued, due (`due_at` at or before the claim's `now`), not under
            /// a live claim (none, or one that ended at or before `now`), and either not
            /// sealed or sealed under one of the claim's keys.
            trait OutboxStore {
                /// Queues `messages` in one step: all or none. [`StoreError::Conflict`] if an
                /// id exists.
                fn queue_messages(&self, messages: &[QueuedMessage]) -> Result<(), StoreError>;
                /// Claims at most `claim.limit` claimable messages, earliest due first (then by
                /// id), until `claim.until`, in one step; returns them. Claims made at the same
                /// time by any number of workers, on any number of instances, never share a
                /// message.
                fn claim_messages(&self, claim: &Claim) -> Result<Vec<QueuedMessage>, StoreError>;
                /// Records `attempt` on a message still queued and held by the claim `claim`,
                /// in one step: counts it, keeps it beside the message, and moves the message
                /// to [`MessageState::after`](crate::outbox::MessageState::after) the outcome
                /// (due again at `retry_at` when it stays queued), releasing the claim. A
                /// sealed message's body is dropped once its state is final. `false`, changing
                /// nothing, when the message is gone, final, or held by another claim (the
                /// lease ran out and another worker took it).
                fn record_attempt(
                    &self,
                    message: MessageId,
                    claim: ClaimId,
                    attempt: &DeliveryAttempt,
                    retry_at: Option<Timestamp>,
                ) -> Result<bool, StoreError>;
                /// Gives up at most `batch` messages still queued since before
                /// `queued_before` and not under a live claim at `attempt.at`: records
                /// `attempt` (whose outcome is `Failed`) on each and makes it failed, dropping
                /// a sealed body, in one step per message. Returns how many.
                fn give_up_messages(
                    &self,
                    queued_before: Timestamp,
                    attempt: &DeliveryAttempt,
                    batch: u32,
                ) -> Result<u64, StoreError>;
                /// A contact's messages, newest first (by queue time, then id), at most
                /// `limit`, each with its attempts oldest first, without bodies.
                fn contact_messages(
                    &self,
                    contact: ContactId,
                    limit: u32,
                ) -> Result<Vec<MessageStatus>, StoreError>;
            }

            /// What clients hear of their tasks: announcements and reminders (see
            /// [`crate::notice`]). A task is *open for the client* when it is the client's
            /// to do, not completed and not withdrawn
            /// ([`is_open_for_client`](crate::notice::is_open_for_client)).
            trait NoticeStore {
                /// At most `batch` tasks open for the client, never announced, created at or
                /// before `created_before`, earliest created first (then by id).
                fn tasks_to_announce(
                    &self,
                    created_before: Timestamp,
                    batch: u32,
                ) -> Result<Vec<Task>, StoreError>;
                /// In one step, if every task of `tasks` is still open for the client and not
                /// announced: marks each announced at `at`, with no reminder sent and its
                /// first reminder due at the time given with it, and queues `messages`.
                /// Otherwise (a task withdrawn, completed or announced meanwhile, by this
                /// instance or another) changes nothing: `false`.
                fn announce_tasks(
                    &self,
                    tasks: &[(TaskId, Option<Timestamp>)],
                    at: Timestamp,
                    messages: &[QueuedMessage],
                ) -> Result<bool, StoreError>;
                /// At most `batch` announced tasks open for the client whose next reminder is
                /// due at or before `now`, with their notices, earliest due first (then by
                /// task id).
                fn tasks_to_remind(
                    &self,
                    now: Timestamp,
                    batch: u32,
                ) -> Result<Vec<(Task, TaskNotices)>, StoreError>;
                /// In one step, if each task of `reminded` is still open for the client and
                /// its next reminder is still due at the first time given with it: counts
                /// one more reminder sent for each, sets its next reminder to the second
                /// time given, and queues `messages`. Otherwise changes nothing: `false`.
                fn record_reminders(
                    &self,
                    reminded: &[(TaskId, Timestamp, Option<Timestamp>)],
                    messages: &[QueuedMessage],
                ) -> Result<bool, StoreError>;
                /// The contacts holding a grant to `client`, each with the grant's permissions
                /// and its reminder pause, in no particular order.
                fn client_recipients(&self, client: ClientId) -> Result<Vec<Recipient>, StoreError>;
                /// Pauses a contact's reminders until `until`, or lifts the pause (`None`),
                /// appending `audit`, in one step: `false` (nothing written) if there is no
                /// such contact.
                fn pause_reminders(
                    &self,
                    contact: ContactId,
                    until: Option<Timestamp>,
                    audit: AuditDraft,
                ) -> Result<bool, StoreError>;
            }

            /// What staff hear of client activity (see [`crate::staff_notice`]): who hears it
            /// and how, how far each firm's audit log was read, and the digests waiting.
            trait StaffNoticeStore {
                /// Puts a staff member's choice, replacing the one it had (its last digest
                /// time kept), and appends `audit`, in one step. If the firm has no activity
                /// cursor yet, it starts at the end of the firm's audit log (`audit`
                /// included): activity from before anyone asked to hear of it is not reported.
                fn put_staff_recipient(
                    &self,
                    recipient: &StaffRecipient,
                    audit: AuditDraft,
                ) -> Result<(), StoreError>;
                /// A firm's staff recipients, by staff id.
                fn staff_recipients(&self, firm: FirmId) -> Result<Vec<StaffRecipient>, StoreError>;
                /// Every firm that has an activity cursor, with it.
                fn staff_cursors(&self) -> Result<Vec<(FirmId, StaffCursor)>, StoreError>;
                /// In one step, if the firm's cursor is still `from`: sets it to `to`, stores
                /// the `digest` items and queues `messages`. Otherwise (another instance read
                /// the same entries first) changes nothing: `false`.
                fn advance_staff_cursor(
                    &self,
                    firm: FirmId,
                    from: &StaffCursor,
                    to: &StaffCursor,
                    digest: &[DigestItem],
                    messages: &[QueuedMessage],
                ) -> Result<bool, StoreError>;
                /// A staff member's waiting digest items, oldest first (by sequence number).
                fn digest_items(
                    &self,
                    firm: FirmId,
                    staff: &StaffId,
                ) -> Result<Vec<DigestItem>, StoreError>;
                /// In one step, if the staff member's last digest time is still `last`:
                /// removes its items up to sequence number `up_to`, sets its last digest time
                /// to `at`, and queues `messages`. Otherwise changes nothing: `false`.
                fn send_digest(
                    &self,
                    firm: FirmId,
                    staff: &StaffId,
                    last: Option<Timestamp>,
                    up_to: u64,
                    at: Timestamp,
                    messages: &[QueuedMessage],
                ) -> Result<bool, StoreError>;
            }

            /// The audit log.
            trait AuditStore {
                /// Appends one entry to its firm's chain.
                fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, StoreError>;
                /// Entries of a firm with `seq > after`, oldest first, at most `limit`; only those
                /// concerning `contact` if given.
                fn audit_events(
                    &self,
                    firm: FirmId,
                    contact: Option<ContactId>,
                    after: u64,
                    limit: usize,
                ) -> Result<Vec<AuditEvent>, StoreError>;
                /// Entries of a firm about `client` (their
                /// [`client_id`](crate::audit::AuditDraft::client_id)), newest first, with
                /// `seq < before` if given, at most `limit`: what a client's activity lists.
                fn client_audit(
                    &self,
                    firm: FirmId,
                    client: ClientId,
                    before: Option<u64>,
                    limit: u32,
                ) -> Result<Vec<AuditEvent>, StoreError>;
                /// The head of a firm's chain, kept apart from the entries.
                fn audit_head(&self, firm: FirmId) -> Result<Option<ChainHead>, StoreError>;
            }

            /// Housekeeping.
            trait MaintenanceStore {
                /// Removes, in batches of at most `batch` rows per table, what expired before `now
                /// - grace`: sessions, magic links, challenges, password links, personal links,
                /// preview links, throttle entries; and the failure counters whose last failure
                /// is older than [`FORGET_FAILURES_AFTER`](crate::failure::FORGET_FAILURES_AFTER).
                /// Audit entries are never removed.
                fn purge_expired(
                    &self,
                    now: Timestamp,
                    grace: Duration,
                    batch: u32,
                ) -> Result<PurgeReport, StoreError>;
                /// For at most `batch` refusal windows ([`LoginStore::count_refusal`]) that ended
                /// at or before `now`: appends the audit entry `summary` builds from the window's
                /// count and forgets the window, in one step, so that each window is summarised
                /// exactly once even when several instances run this at once. Returns how many
                /// were summarised.
                fn summarize_refusals(
                    &self,
                    now: Timestamp,
                    batch: u32,
                    summary: RefusalAuditFn<'_>,
                ) -> Result<u64, StoreError>;
            }

        }
    };
}

/// Expands the list of [`store_operations!`] into the trait definitions, and (for the
/// test support) the names of the operations.
macro_rules! define_store_traits {
    (
        []
        $(
            $(#[$trait_doc:meta])*
            trait $trait:ident {
                $(
                    $(#[$doc:meta])*
                    fn $op:ident(&$self:ident $(, $arg:ident: $ty:ty)* $(,)?)
                        -> Result<$ok:ty, StoreError> $body:tt
                )*
            }
        )*
    ) => {
        $(
            $(#[$trait_doc])*
            // An operation takes what its one step decides on, which for a few (a code
            // resend with its audit entry and its messages) is more than seven values.
            #[allow(clippy::too_many_arguments)]
            #[async_trait]
            pub trait $trait: Send + Sync + 'static {
                $(
                    $(#[$doc])*
                    async fn $op(&$self $(, $arg: $ty)*) -> Result<$ok, StoreError> $body
                )*
            }
        )*

        /// Every store trait with the names of its operations, in the order declared.
        #[cfg(feature = "testing")]
        pub(crate) const OPERATIONS: &[(&str, &[&str])] =
            &[$((stringify!($trait), &[$(stringify!($op)),*])),*];
    };
}

store_operations!(define_store_traits);

/// What [`MaintenanceStore::purge_expired`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Rows removed (links, codes, sessions, throttle entries, ...).
    pub removed: u64,
    /// Whether rows may remain to purge (the batch limit was reached somewhere).
    pub more: bool,
}

/// Everything Portal persists. Implemented for every type that implements the parts.
pub trait Store:
    DirectoryStore
    + LoginStore
    + SessionStore
    + TaskStore
    + FileStore
    + CredentialStore
    + ConversationStore
    + OutboxStore
    + NoticeStore
    + StaffNoticeStore
    + AuditStore
    + MaintenanceStore
{
}

impl<T> Store for T where
    T: DirectoryStore
        + LoginStore
        + SessionStore
        + TaskStore
        + FileStore
        + CredentialStore
        + ConversationStore
        + OutboxStore
        + NoticeStore
        + StaffNoticeStore
        + AuditStore
        + MaintenanceStore
{
}

/// Implements every store trait for a type by forwarding each operation to one of its
/// fields, which implements them (or has inherent methods of the same signatures).
///
/// `forward_store!(MyStore => inner)` makes each operation `self.inner.op(args).await`;
/// `forward_store!(MyStore => inner through observe)` makes it
/// `self.observe("op", self.inner.op(args)).await`, for a method
/// `async fn observe<T>(&self, operation: &'static str, call: impl Future<Output = T>) -> T`
/// that runs code around each call. Built on [`store_operations!`], so that no list of
/// operations is written again. Not an API: for `portal-sqlx` and the recording store.
#[doc(hidden)]
#[macro_export]
macro_rules! forward_store {
    (
        [@impls $store:ty, $field:ident, $wrap:tt]
        $(
            $(#[$trait_doc:meta])*
            trait $trait:ident {
                $(
                    $(#[$doc:meta])*
                    fn $op:ident(&self $(, $arg:ident: $ty:ty)* $(,)?)
                        -> Result<$ok:ty, StoreError> $body:tt
                )*
            }
        )*
    ) => {
        const _: () = {
            use $crate::store::macro_support::*;
            $(
                #[async_trait]
                impl $crate::store::$trait for $store {
                    $(
                        async fn $op(&self $(, $arg: $ty)*) -> Result<$ok, StoreError> {
                            $crate::forward_store!(@call self, $field, $wrap, $op($($arg),*))
                        }
                    )*
                }
            )*
        };
    };
    (@call $self:ident, $field:ident, [], $op:ident($($arg:ident),*)) => {
        $self.$field.$op($($arg),*).await
    };
    (@call $self:ident, $field:ident, [$wrap:ident], $op:ident($($arg:ident),*)) => {
        $self.$wrap(stringify!($op), $self.$field.$op($($arg),*)).await
    };
    // Last: a `ty` fragment that fails to parse ends the expansion with an error
    // instead of trying the next arm, and the internal arms' input is no type.
    ($store:ty => $field:ident $(through $wrap:ident)?) => {
        $crate::store_operations!($crate::forward_store, @impls $store, $field, [$($wrap)?]);
    };
}
