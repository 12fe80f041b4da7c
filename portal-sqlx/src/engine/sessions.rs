//! Sessions: start, verify, renew, switch, end, revoke.
//!
//! # The session invariant
//!
//! A row of `portal_sessions` exists only while its contact is active and holds a
//! grant to the row's `active_client`, and its `permissions` are that grant's. So
//! verification ([`SESSION`]) reads the one row by its primary key and joins nothing,
//! as the memory store reads one map entry. Every operation that could break the
//! invariant mends it in its own transaction:
//!
//! - starting a session copies the permissions of the grant it lands on;
//! - switching the active client checks the grant and copies its permissions;
//! - changing a grant's permissions (`put_grant`) rewrites them in the contact's
//!   sessions on that client;
//! - removing a grant deletes the contact's sessions on that client;
//! - leaving `active` (suspension, revocation) deletes the contact's sessions, and so
//!   do a password set and a staff "revoke access".
//!
//! Deleting a session (logout, staff revoking one, purging) cannot break it.
//!
//! # Why it holds under concurrency
//!
//! Each of the operations above locks the contact row first (`lock_contact`; the
//! status change locks it with its own `UPDATE`, which takes the same lock), and only
//! then reads or writes the contact's grants and sessions, each in a statement of its
//! own. On PostgreSQL (`READ COMMITTED`) a statement sees what was committed before it
//! started; an operation on the same contact that committed before this one got the
//! lock committed before these statements started, and one that comes later waits for
//! the lock until this one has committed. So two operations on one contact behave as
//! if one ran entirely after the other, whichever order they race in. For example:
//!
//! - a permission change racing a `switch_client` to the same client: if the change
//!   gets the lock first, the switch's `UPDATE ... FROM portal_grants` runs after its
//!   commit and copies the new permissions; if the switch gets it first, the change's
//!   `UPDATE` of the sessions runs after the switch committed and finds the session on
//!   that client. Without the lock in `switch_client`, the switch could copy the old
//!   permissions into a row the change's `UPDATE` had already passed over.
//! - a permission change (or a removed grant) racing a new login: the login reads the
//!   grant it lands on in a statement after taking the lock (see `lock_for_login`), so
//!   it copies what the change committed; or the change's statements run after the
//!   login committed and update (or delete) the new session.
//! - a suspension racing a login: the login either sees the new status when it locks
//!   the contact and starts nothing, or commits first and the suspension's `DELETE`,
//!   run after the commit, removes the new session.
//!
//! On SQLite each writing transaction holds the database's write lock from `BEGIN
//! IMMEDIATE` to its end, so writers never interleave at all, and verification reads
//! only committed rows.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::id::{ClientId, ContactId, SessionId};
use portal_core::session::{SessionRecord, SessionRenewal, SessionSeed, SessionSummary};
use portal_core::store::AuditFn;
use portal_core::token::TokenDigest;

use super::{
    Engine, append_audit, commit, kill_login_secrets, lock_contact, lock_for_login,
    start_session_in,
};
use crate::columns::session_columns;
use crate::dialect::Dialect;
use crate::rows;
use crate::stmt::sql;

/// Verification: one primary-key probe of `portal_sessions`. The invariant above makes
/// the row's existence mean that its contact is active and holds the grant, and makes
/// its permissions the grant's, so there is nothing to join.
const SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM portal_sessions s WHERE s.token_hash = $1"
);

/// The staff listing reads the same rows as verification: every one of them is live
/// in every respect but expiry.
const CONTACT_SESSIONS: &str = concat!(
    "SELECT ",
    session_columns!(),
    ", s.ip, s.user_agent FROM portal_sessions s \
     WHERE s.contact_id = $1 ORDER BY s.created_at DESC"
);

/// The renewal itself: written only by the first request after the interval (the
/// others find `renewed_at` moved on), never past either expiry.
const RENEW: &str = "UPDATE portal_sessions SET renewed_at = $2, idle_expires_at = $3 \
     WHERE token_hash = $1 AND renewed_at <= $4 \
       AND idle_expires_at > $2 AND absolute_expires_at > $2";

/// Moves the session to a client its contact holds a grant to, taking that grant's
/// permissions; changes nothing without one. Runs under the contact's lock.
const SWITCH_CLIENT: &str = "UPDATE portal_sessions \
     SET active_client = g.client_id, permissions = g.permissions \
     FROM portal_grants g \
     WHERE portal_sessions.token_hash = $1 \
       AND g.contact_id = portal_sessions.contact_id AND g.client_id = $2";

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn start_session(
        &self,
        contact: ContactId,
        seed: &SessionSeed,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut tx = self.write().await?;
        let Some(grant) = lock_for_login::<DB>(&mut tx, contact, seed.firm_id).await? else {
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
        // A session's contact never changes, so it may be read before the lock.
        let Some(owner) = sql::<DB>("SELECT contact_id FROM portal_sessions WHERE token_hash = $1")
            .digest(digest)
            .optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        // Contact first: no grant change of this contact may fall between the grant
        // read and the session write below (see the module documentation).
        lock_contact::<DB>(&mut tx, ContactId::from_uuid(owner.id("contact_id")?)).await?;
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
