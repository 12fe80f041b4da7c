//! The store operations, written once for both dialects.
//!
//! Each public operation of the store traits is one method of [`Engine`]: one
//! statement, or one transaction whose statements decide together (the single-use
//! consume, the session it starts and the audit entry commit or vanish as one). The
//! steps shared by several operations (locking a contact, starting a session,
//! appending to the audit chain, killing a contact's login secrets) live here and run
//! inside the caller's transaction.
//!
//! The public store types implement the store traits by forwarding each operation to
//! their engine (`portal_core::forward_store!`, from the one list of operations). The
//! impls are for the concrete types rather than one for every `Engine<DB>`, so that
//! the compiler checks the futures `Send` for the real drivers, not for any driver.

mod audit;
mod codes;
mod conversation;
mod credentials;
mod directory;
mod files;
mod links;
mod maintenance;
mod notices;
mod outbox;
mod previews;
mod sessions;
mod staff_notices;
mod tasks;

use std::fmt;

use portal_core::StoreError;
use portal_core::audit::{AuditDraft, AuditEvent, ChainHash, seal};
use portal_core::clock::Timestamp;
use portal_core::contact::ContactStatus;
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId, FirmId, StaffId};
use portal_core::outbox::QueuedMessage;
use portal_core::session::{SessionRecord, SessionSeed};
use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};

use crate::dialect::Dialect;
use crate::error::{Violation, store_error};
use crate::rows;
use crate::stmt::{Stmt, sql};

/// The shared implementation of every store trait over one pool.
pub(crate) struct Engine<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> Clone for Engine<DB> {
    fn clone(&self) -> Self {
        Engine {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: sqlx::Database> fmt::Debug for Engine<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("pool_size", &self.pool.size())
            .finish()
    }
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        Engine { pool }
    }

    pub(crate) fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// A connection for reads and single-statement writes.
    async fn conn(&self) -> Result<PoolConnection<DB>, StoreError> {
        self.pool.acquire().await.map_err(store_error)
    }

    /// A transaction that will write. Dropping it without [`commit`] rolls it back.
    async fn write(&self) -> Result<Transaction<'static, DB>, StoreError> {
        DB::begin_write(&self.pool).await.map_err(store_error)
    }
}

async fn commit<DB: Dialect>(tx: Transaction<'static, DB>) -> Result<(), StoreError> {
    tx.commit().await.map_err(store_error)
}

/// A contact as read under its lock.
struct LockedContact {
    status: ContactStatus,
    firm_id: FirmId,
}

/// Locks a contact row until the transaction ends (PostgreSQL; on SQLite the
/// transaction's write lock already excludes every other writer) and reads its status
/// and firm; `None` if there is no such contact.
///
/// This lock is what keeps the session invariant (see `sessions.rs`): every operation
/// that writes a contact's grants or sessions in a way that depends on its status or
/// grants takes it first, so such operations on one contact run one after the other.
async fn lock_contact<DB: Dialect>(
    c: &mut DB::Connection,
    contact: ContactId,
) -> Result<Option<LockedContact>, StoreError> {
    let Some(r) = sql::<DB>(DB::LOCK_CONTACT)
        .id(contact.as_uuid())
        .optional(c)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(LockedContact {
        status: rows::contact_status(&r, "status")?,
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
    }))
}

/// The oldest grant (grants are numbered by `seq` as they are made).
const OLDEST_GRANT: &str = "SELECT client_id, permissions FROM portal_grants \
     WHERE contact_id = $1 ORDER BY seq LIMIT 1";

/// Locks a contact and returns the grant a login at `firm` lands on (its oldest), if
/// the contact may log in there.
///
/// The grant is read by its own statement, after the lock is held: on PostgreSQL at
/// `READ COMMITTED` each statement sees what was committed before it started, and
/// whoever changed the grants held this lock until their commit, so this read sees
/// their change; a read inside the locking statement would see the grants as they were
/// before it waited.
async fn lock_for_login<DB: Dialect>(
    c: &mut DB::Connection,
    contact: ContactId,
    firm: FirmId,
) -> Result<Option<(ClientId, Permissions)>, StoreError> {
    let may_log_in = lock_contact::<DB>(c, contact)
        .await?
        .is_some_and(|l| l.status == ContactStatus::Active && l.firm_id == firm);
    if !may_log_in {
        return Ok(None);
    }
    sql::<DB>(OLDEST_GRANT)
        .id(contact.as_uuid())
        .optional(c)
        .await?
        .map(|r| {
            Ok((
                ClientId::from_uuid(r.id("client_id")?),
                rows::permissions(&r, "permissions")?,
            ))
        })
        .transpose()
}

const INSERT_SESSION: &str = "INSERT INTO portal_sessions (token_hash, id, contact_id, \
     firm_id, active_client, permissions, created_at, renewed_at, idle_expires_at, \
     absolute_expires_at, ip, user_agent, preview_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12)";

const CONTACT_LOGGED_IN: &str = "UPDATE portal_contacts SET joined_at = COALESCE(joined_at, $2), \
     last_seen_at = $2 WHERE id = $1";

/// A successful login or a new password ends the run of failures.
const CLEAR_FAILURES: &str = "DELETE FROM portal_login_failures WHERE subject = $1";

/// Starts a session of a contact already checked (and locked) by [`lock_for_login`],
/// on the grant it returned: deletes the session it replaces, inserts the new one with
/// the grant's permissions (never over an existing digest), clears the failure counter
/// and records the visit.
async fn start_session_in<DB: Dialect>(
    c: &mut DB::Connection,
    contact: ContactId,
    (client, permissions): (ClientId, Permissions),
    seed: &SessionSeed,
) -> Result<SessionRecord, StoreError> {
    let now = seed.created_at;
    if let Some(old) = &seed.replaces {
        // Session fixation: the browser's previous session dies with this login,
        // whoever it belonged to.
        sql::<DB>("DELETE FROM portal_sessions WHERE token_hash = $1")
            .digest(old)
            .run(c)
            .await?;
    }
    let ip = seed.request.ip.map(|ip| ip.to_string());
    let inserted = sql::<DB>(INSERT_SESSION)
        .digest(&seed.digest)
        .id(seed.id.as_uuid())
        .id(contact.as_uuid())
        .id(seed.firm_id.as_uuid())
        .id(client.as_uuid())
        .int(i64::from(permissions.bits()))
        .ts(now)
        .ts(seed.idle_expires_at)
        .ts(seed.absolute_expires_at)
        .opt_text(ip.as_deref())
        .opt_text(seed.request.user_agent.as_deref())
        .opt_text(seed.preview_by.as_ref().map(StaffId::as_str))
        .insert(c)
        .await?;
    if inserted.is_err() {
        // A 256-bit digest collision (or a reused session id): never overwrite.
        return Err(StoreError::Conflict("session digest"));
    }
    // A staff preview is no login of the contact: it neither joins nor is seen, and
    // ends no run of failures.
    if seed.preview_by.is_none() {
        sql::<DB>(CONTACT_LOGGED_IN)
            .id(contact.as_uuid())
            .ts(now)
            .run(c)
            .await?;
        sql::<DB>(CLEAR_FAILURES)
            .id(contact.as_uuid())
            .run(c)
            .await?;
    }
    Ok(SessionRecord {
        id: seed.id,
        digest: seed.digest,
        contact_id: contact,
        firm_id: seed.firm_id,
        active_client: client,
        permissions,
        created_at: now,
        renewed_at: now,
        idle_expires_at: seed.idle_expires_at,
        absolute_expires_at: seed.absolute_expires_at,
        preview_by: seed.preview_by.clone(),
    })
}

/// Gives a firm the head of an empty audit chain, unless it has one: firms get theirs
/// when inserted, so that appends always find a row to lock.
async fn create_audit_head<DB: Dialect>(
    c: &mut DB::Connection,
    firm: FirmId,
) -> Result<(), StoreError> {
    sql::<DB>(
        "INSERT INTO portal_audit_heads (firm_id, seq, hash) \
         VALUES ($1, 0, $2) ON CONFLICT (firm_id) DO NOTHING",
    )
    .id(firm.as_uuid())
    .bytes(ChainHash::GENESIS.as_bytes())
    .run(c)
    .await?;
    Ok(())
}

const INSERT_AUDIT_EVENT: &str = "INSERT INTO portal_audit_events (firm_id, seq, at, actor, \
     action, contact_id, client_id, task_id, ip, user_agent, outcome, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Appends `draft` to its firm's chain inside the caller's transaction. The firm's head
/// row is locked from the read to the commit, so concurrent appends queue instead of
/// forking the chain. Callers append last, just before committing: the head is the
/// most contended lock and the last one taken.
async fn append_audit<DB: Dialect>(
    c: &mut DB::Connection,
    draft: AuditDraft,
) -> Result<AuditEvent, StoreError> {
    let firm = draft.firm_id.as_uuid();
    let head = match sql::<DB>(DB::LOCK_AUDIT_HEAD).id(firm).optional(c).await? {
        Some(r) => rows::audit_head(&r)?,
        None => {
            // Firms get their head row when inserted; this covers any other firm id.
            create_audit_head::<DB>(c, draft.firm_id).await?;
            let r = sql::<DB>(DB::LOCK_AUDIT_HEAD)
                .id(firm)
                .optional(c)
                .await?
                .ok_or_else(|| StoreError::Corrupt("audit head vanished".into()))?;
            rows::audit_head(&r)?
        }
    };
    let event = seal(head, draft);
    let seq = i64::try_from(event.seq)
        .map_err(|_| StoreError::Corrupt("audit sequence overflow".into()))?;
    let e = &event.entry;
    let (actor, ip) = (e.actor.to_stored(), e.request.ip.map(|ip| ip.to_string()));
    let inserted = sql::<DB>(INSERT_AUDIT_EVENT)
        .id(firm)
        .int(seq)
        .ts(e.at)
        .text(&actor)
        .text(e.action.as_str())
        .opt_id(e.contact_id.map(|c| c.as_uuid()))
        // Both are part of the entry's hash when present: stored exactly, or the
        // chain no longer verifies.
        .opt_id(e.client_id.map(|c| c.as_uuid()))
        .opt_id(e.task_id.map(|t| t.as_uuid()))
        .opt_text(ip.as_deref())
        .opt_text(e.request.user_agent.as_deref())
        .text(e.outcome.as_str())
        .text(&e.detail)
        .bytes(event.prev_hash.as_bytes())
        .bytes(event.hash.as_bytes())
        .insert(c)
        .await?;
    if inserted.is_err() {
        return Err(StoreError::Conflict("audit sequence number"));
    }
    sql::<DB>("UPDATE portal_audit_heads SET seq = $2, hash = $3 WHERE firm_id = $1")
        .id(firm)
        .int(seq)
        .bytes(event.hash.as_bytes())
        .run(c)
        .await?;
    Ok(event)
}

/// Kills the contact's live magic link, code challenge and password link.
async fn kill_login_secrets<DB: Dialect>(
    c: &mut DB::Connection,
    contact: ContactId,
    at: Timestamp,
) -> Result<(), StoreError> {
    for statement in [
        links::INVALIDATE_MAGIC_LINKS,
        codes::INVALIDATE_CHALLENGES,
        links::INVALIDATE_PASSWORD_LINKS,
    ] {
        sql::<DB>(statement)
            .id(contact.as_uuid())
            .ts(at)
            .run(c)
            .await?;
    }
    Ok(())
}

/// How often a "newest wins" issuance is retried after losing a race on its contact's
/// live-secret index. The contact lock makes such a loss rare; a digest collision
/// fails every attempt and ends as a conflict.
const ISSUE_ATTEMPTS: usize = 3;

impl<DB: Dialect> Engine<DB> {
    /// Newest wins, in one transaction: locks the contact, queues `messages` (before
    /// any other write, so that a failure anywhere after leaves none of them), kills its
    /// live secret of this kind (`invalidate`, which also covers expired but unused ones,
    /// since the unique index over live secrets cannot mention the clock), inserts the
    /// new one and appends `audit`. A concurrent issuance that got in first makes the
    /// insert hit the index; the whole transaction is then retried.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private helper of the four issuances, each argument named at its call"
    )]
    async fn issue_newest<'q>(
        &self,
        contact: ContactId,
        at: Timestamp,
        invalidate: &'static str,
        insert: impl Fn() -> Stmt<'q, DB>,
        audit: Option<&AuditDraft>,
        messages: &[QueuedMessage],
        what: &'static str,
    ) -> Result<(), StoreError> {
        for _ in 0..ISSUE_ATTEMPTS {
            let mut tx = self.write().await?;
            lock_contact::<DB>(&mut tx, contact).await?;
            outbox::queue_in::<DB>(&mut tx, messages).await?;
            sql::<DB>(invalidate)
                .id(contact.as_uuid())
                .ts(at)
                .run(&mut tx)
                .await?;
            match insert().insert(&mut tx).await? {
                Ok(_) => {
                    if let Some(draft) = audit {
                        append_audit::<DB>(&mut tx, draft.clone()).await?;
                    }
                    return commit::<DB>(tx).await;
                }
                Err(Violation::Unique) => continue,
                Err(Violation::ForeignKey) => return Err(StoreError::Conflict("unknown contact")),
            }
        }
        Err(StoreError::Conflict(what))
    }
}
