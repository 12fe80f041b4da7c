use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::contact::ContactStatus;
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, SessionId};
use crate::session::{SessionRecord, SessionRenewal, SessionSeed, SessionSummary};
use crate::store::{AuditFn, SessionStore, StoreError};
use crate::token::{BuildDigestHasher, TokenDigest};

const SHARDS: usize = 64;

type Shard = HashMap<TokenDigest, SessionRecord, BuildDigestHasher>;

/// Sessions by digest, in shards so concurrent verifications rarely share a lock.
#[derive(Debug)]
pub(super) struct SessionShards(Box<[RwLock<Shard>]>);

impl Default for SessionShards {
    fn default() -> Self {
        SessionShards((0..SHARDS).map(|_| RwLock::new(Shard::default())).collect())
    }
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("memory store lock poisoned".into())
}

impl SessionShards {
    fn shard(&self, digest: &TokenDigest) -> &RwLock<Shard> {
        // The map hashes the first bytes; the shard comes from the last one.
        &self.0[usize::from(digest.as_bytes()[31]) % SHARDS]
    }

    fn read(&self, digest: &TokenDigest) -> Result<RwLockReadGuard<'_, Shard>, StoreError> {
        self.shard(digest).read().map_err(|_| poisoned())
    }

    fn write(&self, digest: &TokenDigest) -> Result<RwLockWriteGuard<'_, Shard>, StoreError> {
        self.shard(digest).write().map_err(|_| poisoned())
    }

    fn remove(&self, state: &mut State, digest: &TokenDigest) -> Option<SessionRecord> {
        let removed = self.write(digest).ok()?.remove(digest)?;
        state.session_origins.remove(digest);
        if let Some(list) = state.sessions_by_contact.get_mut(&removed.contact_id) {
            list.retain(|d| d != digest);
        }
        Some(removed)
    }

    /// Removes the contact's sessions matching `pred`; returns how many.
    pub(super) fn remove_where(
        &self,
        state: &mut State,
        contact: ContactId,
        pred: impl Fn(&SessionRecord) -> bool,
    ) -> u64 {
        let digests = state
            .sessions_by_contact
            .remove(&contact)
            .unwrap_or_default();
        let mut kept = Vec::new();
        let mut removed = 0;
        for d in digests {
            let Ok(mut shard) = self.write(&d) else {
                continue;
            };
            match shard.get(&d) {
                Some(s) if pred(s) => {
                    shard.remove(&d);
                    state.session_origins.remove(&d);
                    removed += 1;
                }
                Some(_) => kept.push(d),
                None => {}
            }
        }
        if !kept.is_empty() {
            state.sessions_by_contact.insert(contact, kept);
        }
        removed
    }

    pub(super) fn set_permissions(
        &self,
        state: &State,
        contact: ContactId,
        client: ClientId,
        permissions: Permissions,
    ) {
        for d in state
            .sessions_by_contact
            .get(&contact)
            .into_iter()
            .flatten()
        {
            if let Ok(mut shard) = self.write(d)
                && let Some(s) = shard.get_mut(d).filter(|s| s.active_client == client)
            {
                s.permissions = permissions;
            }
        }
    }

    /// Starts a session of an active contact on its oldest grant, replacing
    /// `seed.replaces`; the caller holds the state lock.
    pub(super) fn start(
        &self,
        state: &mut State,
        contact: ContactId,
        seed: &SessionSeed,
    ) -> Option<SessionRecord> {
        let grant = state.grants.get(&contact)?.first()?.clone();
        let row = state.contacts.get_mut(&contact)?;
        if row.contact.status != ContactStatus::Active || row.contact.firm_id != seed.firm_id {
            return None;
        }
        let now = seed.created_at;
        // A staff preview is no login of the contact: it neither joins nor is seen,
        // and ends no run of failures.
        if seed.preview_by.is_none() {
            row.contact.joined_at.get_or_insert(now);
            row.contact.last_seen_at = Some(now);
            state.failures.remove(&contact);
        }
        if let Some(old) = &seed.replaces {
            self.remove(state, old);
        }
        let record = SessionRecord {
            id: seed.id,
            digest: seed.digest,
            contact_id: contact,
            firm_id: seed.firm_id,
            active_client: grant.client_id,
            permissions: grant.permissions,
            created_at: now,
            renewed_at: now,
            idle_expires_at: seed.idle_expires_at,
            absolute_expires_at: seed.absolute_expires_at,
            preview_by: seed.preview_by.clone(),
        };
        let mut shard = self.write(&seed.digest).ok()?;
        // A digest collision of 256-bit random tokens does not happen; if it did, the
        // new session must not overwrite another contact's.
        if shard.contains_key(&seed.digest) {
            return None;
        }
        shard.insert(seed.digest, record.clone());
        state.session_origins.insert(
            seed.digest,
            (seed.request.ip, seed.request.user_agent.clone()),
        );
        state
            .sessions_by_contact
            .entry(contact)
            .or_default()
            .push(seed.digest);
        Some(record)
    }

    pub(super) fn purge(&self, state: &mut State, cutoff: Timestamp, batch: usize) -> (u64, bool) {
        let mut removed = 0u64;
        let mut more = false;
        for lock in self.0.iter() {
            let Ok(mut shard) = lock.write() else {
                continue;
            };
            let doomed: Vec<(TokenDigest, ContactId)> = shard
                .iter()
                .filter(|(_, s)| s.expires_at() < cutoff)
                .map(|(d, s)| (*d, s.contact_id))
                .collect();
            more |= doomed.len() > batch;
            for (d, contact) in doomed.into_iter().take(batch) {
                shard.remove(&d);
                state.session_origins.remove(&d);
                removed += 1;
                if let Some(list) = state.sessions_by_contact.get_mut(&contact) {
                    list.retain(|x| x != &d);
                }
            }
        }
        state.sessions_by_contact.retain(|_, l| !l.is_empty());
        (removed, more)
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn start_session(
        &self,
        contact: ContactId,
        seed: &SessionSeed,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut state = self.lock()?;
        let session = self.sessions.start(&mut state, contact, seed);
        if let Some(s) = &session {
            state.append_opt(audit(s));
        }
        Ok(session)
    }

    async fn session(&self, digest: &TokenDigest) -> Result<Option<SessionRecord>, StoreError> {
        // Stores keep the invariant that a session exists only while its contact is
        // active and holds its active client's grant, so one read answers.
        Ok(self.sessions.read(digest)?.get(digest).cloned())
    }

    async fn renew_session(
        &self,
        digest: &TokenDigest,
        renewal: &SessionRenewal,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let contact = {
            let mut shard = self.sessions.write(digest)?;
            match shard.get_mut(digest) {
                Some(s) if s.renewed_at <= renewal.due_before && renewal.now < s.expires_at() => {
                    s.renewed_at = renewal.now;
                    s.idle_expires_at = renewal.idle_expires_at;
                    s.contact_id
                }
                _ => return Ok(false),
            }
        };
        if let Some(row) = state.contacts.get_mut(&contact) {
            row.contact.last_seen_at = Some(renewal.now);
        }
        state.append(audit);
        Ok(true)
    }

    async fn switch_client(
        &self,
        digest: &TokenDigest,
        client: ClientId,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut state = self.lock()?;
        let switched = {
            let mut shard = self.sessions.write(digest)?;
            let Some(s) = shard.get_mut(digest) else {
                return Ok(None);
            };
            let Some(grant) = state
                .grants
                .get(&s.contact_id)
                .and_then(|g| g.iter().find(|g| g.client_id == client))
            else {
                return Ok(None);
            };
            s.active_client = client;
            s.permissions = grant.permissions;
            s.clone()
        };
        state.append_opt(audit(&switched));
        Ok(Some(switched))
    }

    async fn end_session(
        &self,
        digest: &TokenDigest,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let ended = self.sessions.remove(&mut state, digest).is_some();
        if ended {
            state.append(audit);
        }
        Ok(ended)
    }

    async fn revoke_session(
        &self,
        contact: ContactId,
        session: SessionId,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let removed = self
            .sessions
            .remove_where(&mut state, contact, |s| s.id == session)
            > 0;
        if removed {
            state.append(audit);
        }
        Ok(removed)
    }

    async fn revoke_contact_access(
        &self,
        contact: ContactId,
        audit: AuditDraft,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        state.invalidate_login_secrets(contact);
        let n = self.sessions.remove_where(&mut state, contact, |_| true);
        state.append(audit);
        Ok(n)
    }

    async fn sessions(&self, contact: ContactId) -> Result<Vec<SessionSummary>, StoreError> {
        let state = self.read()?;
        let mut out: Vec<SessionSummary> = state
            .sessions_by_contact
            .get(&contact)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let session = self.sessions.read(d).ok()?.get(d).cloned()?;
                let (ip, user_agent) = state.session_origins.get(d).cloned().unwrap_or_default();
                Some(SessionSummary {
                    session,
                    ip,
                    user_agent,
                })
            })
            .collect();
        out.sort_by_key(|s| std::cmp::Reverse(s.session.created_at));
        Ok(out)
    }
}
