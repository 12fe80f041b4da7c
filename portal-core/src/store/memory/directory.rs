use async_trait::async_trait;

use super::{ContactRow, MemoryStore, State};
use crate::audit::AuditDraft;
use crate::client::Client;
use crate::clock::Timestamp;
use crate::contact::{Contact, ContactStatus};
use crate::email::CanonicalEmail;
use crate::firm::{Firm, FirmKey, FirmSettings};
use crate::grant::{Grant, Permissions};
use crate::id::{ClientId, ContactId, FirmId};
use crate::phone::PhoneNumber;
use crate::staff::{InvitationRecord, Invited};
use crate::store::{DirectoryStore, InviteAuditFn, StoreError};

#[async_trait]
impl DirectoryStore for MemoryStore {
    async fn insert_firm(&self, firm: &Firm) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.firms.contains_key(&firm.id) {
            return Err(StoreError::Conflict("firm id"));
        }
        if let Some(key) = &firm.key {
            if state.firm_by_key.contains_key(key) {
                return Err(StoreError::Conflict("firm key"));
            }
            state.firm_by_key.insert(key.clone(), firm.id);
        }
        state.firms.insert(firm.id, firm.clone());
        Ok(())
    }

    async fn update_firm(&self, firm: &Firm) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        Ok(match state.firms.get_mut(&firm.id) {
            Some(f) => {
                *f = Firm {
                    key: f.key.take(),
                    created_at: f.created_at,
                    ..firm.clone()
                };
                true
            }
            None => false,
        })
    }

    async fn firm(&self, id: FirmId) -> Result<Option<Firm>, StoreError> {
        Ok(self.read()?.firms.get(&id).cloned())
    }

    async fn ensure_firm(
        &self,
        key: &FirmKey,
        settings: &FirmSettings,
        id: FirmId,
        now: Timestamp,
    ) -> Result<Firm, StoreError> {
        let mut state = self.lock()?;
        let found = state.firm_by_key.get(key).copied();
        let firm = match found.and_then(|found| state.firms.get_mut(&found)) {
            Some(firm) => {
                *firm = firm.clone().with_settings(settings.clone());
                firm.clone()
            }
            None => {
                if state.firms.contains_key(&id) {
                    return Err(StoreError::Conflict("firm id"));
                }
                let firm = settings.clone().into_firm(id, Some(key.clone()), now);
                state.firm_by_key.insert(key.clone(), id);
                state.firms.insert(id, firm.clone());
                firm
            }
        };
        Ok(firm)
    }

    async fn firm_by_key(&self, key: &FirmKey) -> Result<Option<Firm>, StoreError> {
        let state = self.read()?;
        Ok(state
            .firm_by_key
            .get(key)
            .and_then(|id| state.firms.get(id))
            .cloned())
    }

    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.clients.contains_key(&client.id) {
            return Err(StoreError::Conflict("client id"));
        }
        state.clients.insert(client.id, client.clone());
        Ok(())
    }

    async fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self.read()?.clients.get(&id).cloned())
    }

    async fn clients(&self, firm: FirmId) -> Result<Vec<Client>, StoreError> {
        let state = self.read()?;
        let mut out: Vec<Client> = state
            .clients
            .values()
            .filter(|c| c.firm_id == firm)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn invite(
        &self,
        invitation: &InvitationRecord,
        audit: InviteAuditFn<'_>,
    ) -> Result<Invited, StoreError> {
        let mut state = self.lock()?;
        let candidate = &invitation.candidate;
        let key = (candidate.firm_id, candidate.email.canonical().clone());
        let existing = state.contact_by_email.get(&key).copied();
        // Checked in the SQL stores' order, so that every store answers alike: the
        // contact's status, then its grants' clients; nothing is written before.
        let status = match existing {
            Some(id) => state.contacts.get(&id).map(|r| r.contact.status),
            None => Some(candidate.status),
        };
        if status == Some(ContactStatus::Suspended) {
            return Ok(Invited::Suspended);
        }
        if existing.is_none() && !state.firms.contains_key(&candidate.firm_id) {
            return Err(StoreError::Conflict("contact of an unknown firm"));
        }
        if existing.is_none() && state.contacts.contains_key(&candidate.id) {
            return Err(StoreError::Conflict("contact id"));
        }
        if !invitation
            .grants
            .iter()
            .all(|(client, _)| state.clients.contains_key(client))
        {
            return Err(StoreError::Conflict("grant of an unknown client"));
        }
        let id = match existing {
            Some(id) => id,
            None => {
                state.contact_by_email.insert(key, candidate.id);
                let row = ContactRow {
                    contact: candidate.clone(),
                    password_hash: None,
                };
                state.contacts.insert(candidate.id, row);
                candidate.id
            }
        };
        let Some(row) = state.contacts.get_mut(&id) else {
            return Err(StoreError::Corrupt(
                "contact index without its contact".into(),
            ));
        };
        row.contact.invited_at = Some(invitation.at);
        if candidate.phone.is_some() {
            row.contact.phone.clone_from(&candidate.phone);
        }
        if row.contact.status == ContactStatus::Revoked {
            row.contact.status = ContactStatus::Active;
        }
        let contact = row.contact.clone();
        for grant in invitation.grants_for(id) {
            self.put_grant_locked(&mut state, &grant);
        }
        for entry in audit(&contact) {
            state.append(entry);
        }
        Ok(Invited::Contact(contact))
    }

    async fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError> {
        Ok(self.read()?.contacts.get(&id).map(|r| r.contact.clone()))
    }

    async fn contact_by_email(
        &self,
        firm: FirmId,
        email: &CanonicalEmail,
    ) -> Result<Option<Contact>, StoreError> {
        let state = self.read()?;
        Ok(state
            .contact_by_email
            .get(&(firm, email.clone()))
            .and_then(|id| state.contacts.get(id))
            .map(|r| r.contact.clone()))
    }

    async fn contacts(&self, firm: FirmId) -> Result<Vec<Contact>, StoreError> {
        let state = self.read()?;
        let mut out: Vec<Contact> = state
            .contacts
            .values()
            .filter(|r| r.contact.firm_id == firm)
            .map(|r| r.contact.clone())
            .collect();
        out.sort_by(|a, b| a.email.canonical().cmp(b.email.canonical()));
        Ok(out)
    }

    async fn set_contact_status(
        &self,
        contact: ContactId,
        status: ContactStatus,
        only_from: Option<ContactStatus>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state
            .contacts
            .get_mut(&contact)
            .filter(|row| only_from.is_none_or(|from| row.contact.status == from))
        else {
            return Ok(false);
        };
        row.contact.status = status;
        if status == ContactStatus::Revoked {
            row.password_hash = None;
        }
        if status != ContactStatus::Active {
            state.invalidate_login_secrets(contact);
            self.sessions.remove_where(&mut state, contact, |_| true);
        }
        if status == ContactStatus::Revoked {
            state.personal_links.retain(|_, p| p.contact_id != contact);
            state.grants.remove(&contact);
        }
        state.append(audit);
        Ok(true)
    }

    async fn set_contact_phone(
        &self,
        contact: ContactId,
        phone: Option<&PhoneNumber>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state.contacts.get_mut(&contact) else {
            return Ok(false);
        };
        row.contact.phone = phone.cloned();
        state.append(audit);
        Ok(true)
    }

    async fn put_grant(&self, grant: &Grant, audit: AuditDraft) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if !state.contacts.contains_key(&grant.contact_id)
            || !state.clients.contains_key(&grant.client_id)
        {
            return Err(StoreError::Conflict(
                "grant of an unknown contact or client",
            ));
        }
        self.put_grant_locked(&mut state, grant);
        state.append(audit);
        Ok(())
    }

    async fn remove_grant(
        &self,
        contact: ContactId,
        client: ClientId,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(grants) = state.grants.get_mut(&contact) else {
            return Ok(false);
        };
        let before = grants.len();
        grants.retain(|g| g.client_id != client);
        if grants.len() == before {
            return Ok(false);
        }
        self.sessions
            .remove_where(&mut state, contact, |s| s.active_client == client);
        state.append(audit);
        Ok(true)
    }

    async fn granted_clients(
        &self,
        contact: ContactId,
    ) -> Result<Vec<(Client, Permissions)>, StoreError> {
        let state = self.read()?;
        Ok(state
            .grants
            .get(&contact)
            .into_iter()
            .flatten()
            .filter_map(|g| Some((state.clients.get(&g.client_id)?.clone(), g.permissions)))
            .collect())
    }

    async fn grants(&self, contact: ContactId) -> Result<Vec<Grant>, StoreError> {
        Ok(self
            .lock()?
            .grants
            .get(&contact)
            .cloned()
            .unwrap_or_default())
    }
}

impl MemoryStore {
    /// Inserts a grant or replaces its permissions, and rewrites them into the
    /// contact's sessions on that client, under the lock the caller holds.
    fn put_grant_locked(&self, state: &mut State, grant: &Grant) {
        let grants = state.grants.entry(grant.contact_id).or_default();
        match grants.iter_mut().find(|g| g.client_id == grant.client_id) {
            Some(g) => g.permissions = grant.permissions,
            None => grants.push(grant.clone()),
        }
        self.sessions
            .set_permissions(state, grant.contact_id, grant.client_id, grant.permissions);
    }
}
