//! The in-memory store: thread-safe, for development, tests and single-process
//! deployments that accept losing state on restart.
//!
//! One read-write lock guards everything but sessions, so every multi-row operation is
//! trivially atomic and reads do not wait for each other. Sessions live in a sharded map behind read-write locks, keyed by their
//! (already uniform) digest with a pass-through hasher, so that verifying a session
//! takes one uncontended read lock and one hash-table probe. Operations that touch both
//! take the lock first, then a shard: one lock order, no deadlock.
//!
//! Expired rows are removed by [`MaintenanceStore::purge_expired`](super::MaintenanceStore),
//! which `Portal::maintain` calls and a host schedules every few minutes (or has the
//! portal run, with `PortalBuilder::maintain_every`); throttle windows also prune
//! themselves on every hit. The audit log is
//! append-only and lives as long as the process.

mod conversation;
mod credentials;
mod directory;
mod files;
mod login;
mod notice;
mod outbox;
mod preview;
mod sessions;
mod staff_notice;
mod tasks;

use std::collections::{HashMap, VecDeque};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::{AuditStore, MaintenanceStore, PurgeReport, RefusalAuditFn, StoreError};
use crate::audit::{AuditDraft, AuditEvent, ChainHead, seal};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::contact::Contact;
use crate::email::CanonicalEmail;
use crate::email_code::ChallengeRecord;
use crate::failure::FailureState;
use crate::firm::{Firm, FirmKey};
use crate::grant::Grant;
use crate::id::{ClientId, ContactId, FirmId};
use crate::magic_link::MagicLinkRecord;
use crate::password::PasswordLinkRecord;
use crate::personal_link::PersonalLinkRecord;
use crate::throttle::RefusalCount;
use crate::token::{BuildDigestHasher, TokenDigest};

use sessions::SessionShards;

type DigestMap<V> = HashMap<TokenDigest, V, BuildDigestHasher>;
/// Maps keyed by Portal's random ids pass their bits through too (see `id`); keys that
/// people type, such as addresses, keep SipHash.
type IdMap<K, V> = HashMap<K, V, BuildDigestHasher>;

/// The most throttle keys kept: past it, windows that ended are dropped first, and a
/// new key is refused (counted as over its limit) rather than let memory grow.
const MAX_THROTTLE_KEYS: usize = 100_000;
/// The most failure counters kept: past it, the stand-ins (addresses nobody has) that
/// failed longest ago are forgotten first; contacts' counters are always kept.
const MAX_FAILURE_SUBJECTS: usize = 100_000;
/// The most refusal windows kept until they are summarised: past it, refusals in new
/// windows are not counted (they are still refused).
const MAX_REFUSAL_WINDOWS: usize = 10_000;

/// A thread-safe in-memory [`Store`](super::Store).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<State>,
    sessions: SessionShards,
}

#[derive(Debug)]
struct ContactRow {
    contact: Contact,
    password_hash: Option<String>,
}

#[derive(Debug)]
struct LinkRow {
    record: MagicLinkRecord,
    consumed: bool,
    invalidated: bool,
}

#[derive(Debug)]
struct PreviewLinkRow {
    record: crate::preview::PreviewLinkRecord,
    consumed: bool,
}

#[derive(Debug)]
struct ChallengeRow {
    record: ChallengeRecord,
    codes_sent: u32,
    guesses: u32,
    generation: u32,
    consumed: bool,
    invalidated: bool,
}

#[derive(Debug)]
struct PasswordLinkRow {
    record: PasswordLinkRecord,
    used: bool,
    invalidated: bool,
}

/// Issues `row` as `contact`'s live secret of its kind ("newest wins"), invalidating
/// the one it replaces; a digest issued before is a conflict (a secret is never taken
/// over).
fn issue_newest<R>(
    rows: &mut DigestMap<R>,
    live: &mut IdMap<ContactId, TokenDigest>,
    (contact, digest): (ContactId, TokenDigest),
    row: R,
    invalidate: fn(&mut R),
    what: &'static str,
) -> Result<(), StoreError> {
    if rows.contains_key(&digest) {
        return Err(StoreError::Conflict(what));
    }
    if let Some(old) = live.insert(contact, digest)
        && let Some(r) = rows.get_mut(&old)
    {
        invalidate(r);
    }
    rows.insert(digest, row);
    Ok(())
}

#[derive(Debug, Default)]
struct State {
    firms: IdMap<FirmId, Firm>,
    firm_by_key: HashMap<FirmKey, FirmId>,
    clients: IdMap<ClientId, Client>,
    contacts: IdMap<ContactId, ContactRow>,
    contact_by_email: HashMap<(FirmId, CanonicalEmail), ContactId>,
    grants: IdMap<ContactId, Vec<Grant>>,
    links: DigestMap<LinkRow>,
    challenges: DigestMap<ChallengeRow>,
    password_links: DigestMap<PasswordLinkRow>,
    personal_links: DigestMap<PersonalLinkRecord>,
    preview_links: DigestMap<PreviewLinkRow>,
    // Newest-wins secrets: at most one live one per contact, so invalidating "every
    // older one" is invalidating this one.
    live_link: IdMap<ContactId, TokenDigest>,
    live_challenge: IdMap<ContactId, TokenDigest>,
    live_password_link: IdMap<ContactId, TokenDigest>,
    // Per key: the window last used with it, and the recorded hits inside it.
    throttle: DigestMap<(Duration, VecDeque<Timestamp>)>,
    // Consecutive failures of contacts and stand-ins alike.
    failures: IdMap<ContactId, FailureState>,
    // Requests refused by the per-IP limit, per firm, block and window.
    refusals: HashMap<(FirmId, TokenDigest, Timestamp), RefusalCount>,
    sessions_by_contact: IdMap<ContactId, Vec<TokenDigest>>,
    // Where each session's login came from, for staff; kept out of the session map so
    // that verification copies only what it needs.
    session_origins: DigestMap<(Option<std::net::IpAddr>, Option<String>)>,
    audit: IdMap<FirmId, Vec<AuditEvent>>,
    tasks: IdMap<crate::id::TaskId, crate::task::Task>,
    phases: IdMap<crate::id::PhaseId, crate::phase::Phase>,
    uploads: IdMap<crate::id::UploadId, crate::document::Upload>,
    files: IdMap<crate::id::FileId, crate::file::StoredFile>,
    credentials: IdMap<crate::id::TaskId, crate::credential::Credential>,
    comments: IdMap<crate::id::TaskId, Vec<crate::conversation::Comment>>,
    questions: Vec<crate::conversation::Question>,
    outbox: IdMap<crate::id::MessageId, outbox::OutboxRow>,
    notices: IdMap<crate::id::TaskId, crate::notice::TaskNotices>,
    reminder_pauses: IdMap<ContactId, Timestamp>,
    staff_recipients: HashMap<(FirmId, crate::id::StaffId), crate::staff_notice::StaffRecipient>,
    staff_cursors: IdMap<FirmId, crate::staff_notice::StaffCursor>,
    digest_items: Vec<crate::staff_notice::DigestItem>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// The state for an operation that writes.
    fn lock(&self) -> Result<RwLockWriteGuard<'_, State>, StoreError> {
        self.state
            .write()
            .map_err(|_| StoreError::Corrupt("memory store lock poisoned".into()))
    }

    /// The state for an operation that only reads: readers do not wait for each other.
    fn read(&self) -> Result<RwLockReadGuard<'_, State>, StoreError> {
        self.state
            .read()
            .map_err(|_| StoreError::Corrupt("memory store lock poisoned".into()))
    }
}

impl State {
    fn append(&mut self, draft: AuditDraft) -> AuditEvent {
        let chain = self.audit.entry(draft.firm_id).or_default();
        let head = chain.last().map(|e| ChainHead {
            seq: e.seq,
            hash: e.hash,
        });
        let event = seal(head, draft);
        chain.push(event.clone());
        event
    }

    fn append_opt(&mut self, draft: Option<AuditDraft>) {
        if let Some(d) = draft {
            self.append(d);
        }
    }

    /// Forgets a tenth of the stand-ins' failure counters, those that failed longest
    /// ago: the bound on memory that addresses nobody has can take.
    fn forget_oldest_stand_ins(&mut self) {
        let mut stand_ins: Vec<(Option<Timestamp>, ContactId)> = self
            .failures
            .iter()
            .filter(|(id, _)| crate::failure::is_stand_in(**id))
            .map(|(id, f)| (f.last_failure_at, *id))
            .collect();
        stand_ins.sort_unstable();
        for (_, id) in stand_ins.iter().take(MAX_FAILURE_SUBJECTS / 10 + 1) {
            self.failures.remove(id);
        }
    }

    /// Kills the contact's live magic link, challenge and password link.
    fn invalidate_login_secrets(&mut self, contact: ContactId) {
        if let Some(d) = self.live_link.remove(&contact)
            && let Some(r) = self.links.get_mut(&d)
        {
            r.invalidated = true;
        }
        if let Some(d) = self.live_challenge.remove(&contact)
            && let Some(r) = self.challenges.get_mut(&d)
        {
            r.invalidated = true;
        }
        if let Some(d) = self.live_password_link.remove(&contact)
            && let Some(r) = self.password_links.get_mut(&d)
        {
            r.invalidated = true;
        }
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, StoreError> {
        Ok(self.lock()?.append(draft))
    }

    async fn audit_events(
        &self,
        firm: FirmId,
        contact: Option<ContactId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let state = self.read()?;
        Ok(state
            .audit
            .get(&firm)
            .map(|chain| {
                chain
                    .iter()
                    .filter(|e| {
                        e.seq > after && (contact.is_none() || e.entry.contact_id == contact)
                    })
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn client_audit(
        &self,
        firm: FirmId,
        client: ClientId,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let state = self.read()?;
        Ok(state
            .audit
            .get(&firm)
            .map(|chain| {
                chain
                    .iter()
                    .rev()
                    .filter(|e| {
                        e.entry.client_id == Some(client) && before.is_none_or(|b| e.seq < b)
                    })
                    .take(limit as usize)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn audit_head(&self, firm: FirmId) -> Result<Option<ChainHead>, StoreError> {
        let state = self.read()?;
        Ok(state
            .audit
            .get(&firm)
            .and_then(|c| c.last())
            .map(|e| ChainHead {
                seq: e.seq,
                hash: e.hash,
            }))
    }
}

#[async_trait]
impl MaintenanceStore for MemoryStore {
    async fn purge_expired(
        &self,
        now: Timestamp,
        grace: Duration,
        batch: u32,
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = now - grace;
        let batch = batch as usize;
        let mut report = PurgeReport::default();
        let mut state = self.lock()?;
        let purge = |n: usize, removed: &mut u64, more: &mut bool| {
            *removed += n.min(batch) as u64;
            *more |= n > batch;
        };
        macro_rules! purge_map {
            ($map:expr, $expired:expr) => {{
                let doomed: Vec<TokenDigest> = $map
                    .iter()
                    .filter(|(_, v)| $expired(*v))
                    .map(|(k, _)| *k)
                    .collect();
                purge(doomed.len(), &mut report.removed, &mut report.more);
                for k in doomed.into_iter().take(batch) {
                    $map.remove(&k);
                }
            }};
        }
        purge_map!(state.links, |r: &LinkRow| r.record.expires_at < cutoff);
        purge_map!(state.challenges, |r: &ChallengeRow| r.record.expires_at
            < cutoff);
        purge_map!(state.password_links, |r: &PasswordLinkRow| r
            .record
            .expires_at
            < cutoff);
        purge_map!(state.personal_links, |r: &PersonalLinkRecord| r.expires_at
            < cutoff);
        purge_map!(state.preview_links, |r: &PreviewLinkRow| r
            .record
            .expires_at
            < cutoff);
        let State {
            links,
            challenges,
            password_links,
            live_link,
            live_challenge,
            live_password_link,
            ..
        } = &mut *state;
        live_link.retain(|_, d| links.contains_key(d));
        live_challenge.retain(|_, d| challenges.contains_key(d));
        live_password_link.retain(|_, d| password_links.contains_key(d));
        state.throttle.retain(|_, (window, hits)| {
            while hits.front().is_some_and(|t| *t + *window < cutoff) {
                hits.pop_front();
            }
            !hits.is_empty()
        });
        let forget_before = now - crate::failure::FORGET_FAILURES_AFTER;
        let before = state.failures.len();
        state
            .failures
            .retain(|_, f| f.last_failure_at.is_none_or(|t| t >= forget_before));
        report.removed += (before - state.failures.len()) as u64;
        let (removed, more) = self.sessions.purge(&mut state, cutoff, batch);
        report.removed += removed;
        report.more |= more;
        Ok(report)
    }

    async fn summarize_refusals(
        &self,
        now: Timestamp,
        batch: u32,
        summary: RefusalAuditFn<'_>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let mut closed: Vec<_> = state
            .refusals
            .iter()
            .filter(|(_, c)| c.refusal.window_end <= now)
            .map(|(k, c)| (c.refusal.window_start, *k))
            .collect();
        closed.sort_unstable_by_key(|(start, _)| *start);
        let mut done = 0;
        for (_, key) in closed.into_iter().take(batch as usize) {
            if let Some(count) = state.refusals.remove(&key) {
                state.append(summary(&count));
                done += 1;
            }
        }
        Ok(done)
    }
}
