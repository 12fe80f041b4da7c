//! Sessions: start, verify, renew, switch, end, revoke.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::id::{ClientId, ContactId, SessionId};
use portal_core::session::{SessionRecord, SessionRenewal, SessionSeed, SessionSummary};
use portal_core::store::AuditFn;
use portal_core::token::TokenDigest;

use super::{Engine, append_audit, commit, kill_login_secrets, lock_contact, start_session_in};
use crate::db::sql;
use crate::dialect::Dialect;
use crate::rows::{self, session_columns};

/// Verification: one statement, three primary-key probes. The joins enforce the rule
/// that a session counts only while its contact is active and holds a grant to the
/// session's client; the grant supplies the permissions, so a changed grant reaches
/// live sessions at their next request.
const SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM portal_sessions s \
     JOIN portal_contacts c ON c.id = s.contact_id \
     JOIN portal_grants g ON g.contact_id = s.contact_id AND g.client_id = s.active_client \
     WHERE s.token_hash = $1 AND c.status = 'active'"
);

const CONTACT_SESSIONS: &str = concat!(
    "SELECT ",
    session_columns!(),
    ", s.ip, s.user_agent FROM portal_sessions s \
     JOIN portal_contacts c ON c.id = s.contact_id \
     JOIN portal_grants g ON g.contact_id = s.contact_id AND g.client_id = s.active_client \
     WHERE s.contact_id = $1 AND c.status = 'active' \
     ORDER BY s.created_at DESC"
);

/// The renewal itself: written only by the first request after the interval (the
/// others find `renewed_at` moved on), never past either expiry.
const RENEW: &str = "UPDATE portal_sessions SET renewed_at = $2, idle_expires_at = $3 \
     WHERE token_hash = $1 AND renewed_at <= $4 \
       AND idle_expires_at > $2 AND absolute_expires_at > $2";

const SWITCH_CLIENT: &str = "UPDATE portal_sessions SET active_client = $2 \
     WHERE token_hash = $1 AND EXISTS (SELECT 1 FROM portal_grants g \
       WHERE g.contact_id = portal_sessions.contact_id AND g.client_id = $2)";

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn start_session(
        &self,
        contact: ContactId,
        seed: &SessionSeed,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut tx = self.write().await?;
        let Some(grant) = lock_contact::<DB>(&mut tx, contact)
            .await?
            .and_then(|c| c.login_grant(seed.firm_id))
        else {
            return Ok(None);
        };
        let session = start_session_in::<DB>(&mut tx, contact, grant, seed).await?;
        if let Some(draft) = audit(&session) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Some(session))
    }

    pub(crate) async fn session(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(SESSION)
            .digest(digest)
            .optional(&mut c)
            .await?
            .map(|r| rows::session(&r))
            .transpose()
    }

    pub(crate) async fn renew_session(
        &self,
        digest: &TokenDigest,
        renewal: &SessionRenewal,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let Some(due) = sql::<DB>(
            "SELECT contact_id FROM portal_sessions WHERE token_hash = $1 AND renewed_at <= $2",
        )
        .digest(digest)
        .ts(renewal.due_before)
        .optional(&mut tx)
        .await?
        else {
            return Ok(false);
        };
        let contact = due.id("contact_id")?;
        // Contact first, as every operation locks it before its sessions.
        lock_contact::<DB>(&mut tx, ContactId::from_uuid(contact)).await?;
        let renewed = sql::<DB>(RENEW)
            .digest(digest)
            .ts(renewal.now)
            .ts(renewal.idle_expires_at)
            .ts(renewal.due_before)
            .run(&mut tx)
            .await?;
        if renewed == 0 {
            return Ok(false);
        }
        sql::<DB>("UPDATE portal_contacts SET last_seen_at = $2 WHERE id = $1")
            .id(contact)
            .ts(renewal.now)
            .run(&mut tx)
            .await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn switch_client(
        &self,
        digest: &TokenDigest,
        client: ClientId,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut tx = self.write().await?;
        let switched = sql::<DB>(SWITCH_CLIENT)
            .digest(digest)
            .id(client.as_uuid())
            .run(&mut tx)
            .await?;
        if switched == 0 {
            return Ok(None);
        }
        let Some(session) = sql::<DB>(SESSION)
            .digest(digest)
            .optional(&mut tx)
            .await?
            .map(|r| rows::session(&r))
            .transpose()?
        else {
            return Ok(None);
        };
        if let Some(draft) = audit(&session) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Some(session))
    }

    pub(crate) async fn end_session(
        &self,
        digest: &TokenDigest,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let ended = sql::<DB>("DELETE FROM portal_sessions WHERE token_hash = $1")
            .digest(digest)
            .run(&mut tx)
            .await?;
        if ended == 0 {
            return Ok(false);
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn revoke_session(
        &self,
        contact: ContactId,
        session: SessionId,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let revoked = sql::<DB>("DELETE FROM portal_sessions WHERE contact_id = $1 AND id = $2")
            .id(contact.as_uuid())
            .id(session.as_uuid())
            .run(&mut tx)
            .await?;
        if revoked == 0 {
            return Ok(false);
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn revoke_contact_access(
        &self,
        contact: ContactId,
        audit: AuditDraft,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        lock_contact::<DB>(&mut tx, contact).await?;
        kill_login_secrets::<DB>(&mut tx, contact, audit.at).await?;
        let ended = sql::<DB>("DELETE FROM portal_sessions WHERE contact_id = $1")
            .id(contact.as_uuid())
            .run(&mut tx)
            .await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(ended)
    }

    pub(crate) async fn sessions(
        &self,
        contact: ContactId,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CONTACT_SESSIONS)
            .id(contact.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::session_summary)
            .collect()
    }
}
