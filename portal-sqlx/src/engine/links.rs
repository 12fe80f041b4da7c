//! Magic links, password links and personal links.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::contact::ContactStatus;
use portal_core::id::{ContactId, FirmId};
use portal_core::magic_link::LinkProblem;
use portal_core::magic_link::{LinkRedemption, LinkRedemptionRequest, MagicLinkRecord};
use portal_core::outbox::QueuedMessage;
use portal_core::password::PasswordLinkRecord;
use portal_core::personal_link::PersonalLinkRecord;
use portal_core::store::AuditFn;
use portal_core::token::TokenDigest;

use super::outbox::queue_in;
use super::{Engine, append_audit, commit, lock_contact, lock_for_login, start_session_in};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::stmt::{SqlRow, Stmt, sql};

pub(super) const INVALIDATE_MAGIC_LINKS: &str = "UPDATE portal_magic_links \
     SET invalidated_at = $2 \
     WHERE contact_id = $1 AND consumed_at IS NULL AND invalidated_at IS NULL";

const INSERT_MAGIC_LINK: &str = "INSERT INTO portal_magic_links (token_hash, contact_id, \
     firm_id, created_at, expires_at, next_path, binding_hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

const LIVE_MAGIC_LINK: &str = "SELECT contact_id FROM portal_magic_links \
     WHERE token_hash = $1 AND consumed_at IS NULL AND invalidated_at IS NULL \
       AND expires_at > $2";

const READ_MAGIC_LINK: &str = "SELECT firm_id, contact_id, expires_at, consumed_at, \
     invalidated_at, binding_hash FROM portal_magic_links WHERE token_hash = $1";

/// The single statement that decides a redemption: of any number of concurrent ones,
/// exactly one finds the row still unconsumed. `$3` is 1 when the browser's binding
/// must match, `$4` the binding it presented.
const CONSUME_MAGIC_LINK: &str = "UPDATE portal_magic_links SET consumed_at = $2 \
     WHERE token_hash = $1 AND firm_id = $5 \
       AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 \
       AND ($3 = 0 OR binding_hash = $4) \
     RETURNING next_path, binding_hash";

pub(super) const INVALIDATE_PASSWORD_LINKS: &str = "UPDATE portal_password_links \
     SET invalidated_at = $2 \
     WHERE contact_id = $1 AND used_at IS NULL AND invalidated_at IS NULL";

const INSERT_PASSWORD_LINK: &str = "INSERT INTO portal_password_links (token_hash, \
     contact_id, firm_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";

const LIVE_PASSWORD_LINK: &str = "SELECT contact_id FROM portal_password_links \
     WHERE token_hash = $1 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > $2";

const USE_PASSWORD_LINK: &str = "UPDATE portal_password_links SET used_at = $2 \
     WHERE token_hash = $1 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 \
     RETURNING contact_id";

const SET_PASSWORD: &str = "UPDATE portal_contacts SET password_hash = $2 WHERE id = $1";

const INSERT_PERSONAL_LINK: &str = "INSERT INTO portal_personal_links (token_hash, \
     contact_id, firm_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";

const LIVE_PERSONAL_LINK: &str = "SELECT p.contact_id FROM portal_personal_links p \
     JOIN portal_contacts c ON c.id = p.contact_id \
     WHERE p.token_hash = $1 AND p.expires_at > $2 AND c.status <> 'revoked'";

/// A magic link's state, as read for classifying a refusal.
struct LinkState {
    firm_id: FirmId,
    contact_id: ContactId,
    expires_at: Timestamp,
    consumed: bool,
    invalidated: bool,
    binding: Option<TokenDigest>,
}

impl LinkState {
    fn read<DB: Dialect>(r: &SqlRow<DB>) -> Result<Self, StoreError> {
        Ok(LinkState {
            firm_id: FirmId::from_uuid(r.id("firm_id")?),
            contact_id: ContactId::from_uuid(r.id("contact_id")?),
            expires_at: r.ts("expires_at")?,
            consumed: r.opt_int("consumed_at")?.is_some(),
            invalidated: r.opt_int("invalidated_at")?.is_some(),
            binding: r.opt_digest("binding_hash")?,
        })
    }

    /// Why this link cannot be redeemed by `req`, in the order the memory store checks;
    /// `None` if it can. Every reason but the binding only ever becomes true, so a
    /// stale read that finds one is still right.
    fn problem(&self, req: &LinkRedemptionRequest) -> Option<LinkProblem> {
        if self.firm_id != req.seed.firm_id {
            Some(LinkProblem::Unknown)
        } else if self.consumed {
            Some(LinkProblem::AlreadyUsed)
        } else if self.invalidated {
            Some(LinkProblem::Superseded)
        } else if req.seed.created_at >= self.expires_at {
            Some(LinkProblem::Expired)
        } else if req.require_binding
            && !(self.binding.is_some() && self.binding == req.presented_binding)
        {
            Some(LinkProblem::NeedsCode)
        } else {
            None
        }
    }
}

fn refused(problem: LinkProblem, state: &LinkState) -> LinkRedemption {
    LinkRedemption::Refused {
        problem,
        // A link presented at another firm's portal is unknown there, contact and all.
        contact_id: (problem != LinkProblem::Unknown).then_some(state.contact_id),
    }
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn issue_magic_link(
        &self,
        link: &MagicLinkRecord,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let insert = || {
            sql::<DB>(INSERT_MAGIC_LINK)
                .digest(&link.digest)
                .id(link.contact_id.as_uuid())
                .id(link.firm_id.as_uuid())
                .ts(link.created_at)
                .ts(link.expires_at)
                .opt_text(link.next.as_deref())
                .opt_digest(link.binding.as_ref())
        };
        self.issue_newest(
            link.contact_id,
            link.created_at,
            INVALIDATE_MAGIC_LINKS,
            insert,
            Some(&audit),
            &[],
            "magic link digest",
        )
        .await
    }

    pub(crate) async fn redeem_magic_link(
        &self,
        req: &LinkRedemptionRequest,
        audit: AuditFn<'_, LinkRedemption>,
    ) -> Result<LinkRedemption, StoreError> {
        // Dead links stay dead, so a plain read may refuse them: an unknown or spent
        // token costs no write lock (on SQLite, the database's only one).
        let state = {
            let mut c = self.conn().await?;
            match read_link::<DB>(&mut c, &req.digest).await? {
                Some(row) => LinkState::read(&row)?,
                None => return Ok(unknown()),
            }
        };
        if let Some(problem) = state.problem(req) {
            let outcome = refused(problem, &state);
            if let Some(draft) = audit(&outcome) {
                let mut tx = self.write().await?;
                append_audit::<DB>(&mut tx, draft).await?;
                commit::<DB>(tx).await?;
            }
            return Ok(outcome);
        }
        let mut tx = self.write().await?;
        let outcome = redeem_live::<DB>(&mut tx, req, &state).await?;
        if let Some(draft) = audit(&outcome) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        // A refusal decided here commits too: its audit entry is its only change.
        commit::<DB>(tx).await?;
        Ok(outcome)
    }

    pub(crate) async fn issue_password_link(
        &self,
        link: &PasswordLinkRecord,
        audit: AuditDraft,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let insert = || {
            sql::<DB>(INSERT_PASSWORD_LINK)
                .digest(&link.digest)
                .id(link.contact_id.as_uuid())
                .id(link.firm_id.as_uuid())
                .ts(link.created_at)
                .ts(link.expires_at)
        };
        self.issue_newest(
            link.contact_id,
            link.created_at,
            INVALIDATE_PASSWORD_LINKS,
            insert,
            Some(&audit),
            messages,
            "password link digest",
        )
        .await
    }

    pub(crate) async fn password_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(LIVE_PASSWORD_LINK)
            .digest(link)
            .ts(now)
            .optional(&mut c)
            .await?
            .map(|r| r.id("contact_id").map(ContactId::from_uuid))
            .transpose()
    }

    pub(crate) async fn set_password_with_link(
        &self,
        link: &TokenDigest,
        now: Timestamp,
        password_hash: &str,
        audit: AuditFn<'_, ContactId>,
    ) -> Result<Option<ContactId>, StoreError> {
        let mut tx = self.write().await?;
        let Some(owner) =
            sql::<DB>("SELECT contact_id FROM portal_password_links WHERE token_hash = $1")
                .digest(link)
                .optional(&mut tx)
                .await?
        else {
            return Ok(None);
        };
        let contact = ContactId::from_uuid(owner.id("contact_id")?);
        let active = lock_contact::<DB>(&mut tx, contact)
            .await?
            .is_some_and(|c| c.status == ContactStatus::Active);
        if !active {
            return Ok(None);
        }
        if sql::<DB>(USE_PASSWORD_LINK)
            .digest(link)
            .ts(now)
            .optional(&mut tx)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        sql::<DB>(SET_PASSWORD)
            .id(contact.as_uuid())
            .text(password_hash)
            .run(&mut tx)
            .await?;
        sql::<DB>(super::CLEAR_FAILURES)
            .id(contact.as_uuid())
            .run(&mut tx)
            .await?;
        // Whoever held a session may be whoever made the reset necessary.
        sql::<DB>("DELETE FROM portal_sessions WHERE contact_id = $1")
            .id(contact.as_uuid())
            .run(&mut tx)
            .await?;
        if let Some(draft) = audit(&contact) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Some(contact))
    }

    pub(crate) async fn password_hash(
        &self,
        contact: ContactId,
    ) -> Result<Option<String>, StoreError> {
        let mut c = self.conn().await?;
        Ok(
            match sql::<DB>("SELECT password_hash FROM portal_contacts WHERE id = $1")
                .id(contact.as_uuid())
                .optional(&mut c)
                .await?
            {
                Some(r) => r.opt_text("password_hash")?,
                None => None,
            },
        )
    }

    pub(crate) async fn issue_personal_link(
        &self,
        link: &PersonalLinkRecord,
        audit: AuditDraft,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let insert = sql::<DB>(INSERT_PERSONAL_LINK)
            .digest(&link.digest)
            .id(link.contact_id.as_uuid())
            .id(link.firm_id.as_uuid())
            .ts(link.created_at)
            .ts(link.expires_at);
        self.insert_link(insert, "personal link digest", audit, messages)
            .await
    }

    /// Queues `messages`, runs `insert` of a link and appends `audit`, in one
    /// transaction: a digest already held is a conflict named `digest`, a contact that
    /// is not one another; either leaves no message queued.
    pub(crate) async fn insert_link(
        &self,
        insert: Stmt<'_, DB>,
        digest: &'static str,
        audit: AuditDraft,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        queue_in::<DB>(&mut tx, messages).await?;
        match insert.insert(&mut tx).await? {
            Ok(_) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict(digest)),
            Err(Violation::ForeignKey) => return Err(StoreError::Conflict("unknown contact")),
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    /// The contact of the link `live` finds by its digest and the time (`$1`, `$2`):
    /// one not used, not replaced and not expired.
    pub(crate) async fn live_link_contact(
        &self,
        live: &'static str,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(live)
            .digest(link)
            .ts(now)
            .optional(&mut c)
            .await?
            .map(|r| r.id("contact_id").map(ContactId::from_uuid))
            .transpose()
    }

    pub(crate) async fn magic_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        self.live_link_contact(LIVE_MAGIC_LINK, link, now).await
    }

    pub(crate) async fn personal_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        self.live_link_contact(LIVE_PERSONAL_LINK, link, now).await
    }
}

fn unknown() -> LinkRedemption {
    LinkRedemption::Refused {
        problem: LinkProblem::Unknown,
        contact_id: None,
    }
}

/// The redemption of a link that `state` (read just before) shows live, inside the
/// caller's transaction. Refusals change nothing.
async fn redeem_live<DB: Dialect>(
    c: &mut DB::Connection,
    req: &LinkRedemptionRequest,
    state: &LinkState,
) -> Result<LinkRedemption, StoreError> {
    let Some(grant) = lock_for_login::<DB>(c, state.contact_id, req.seed.firm_id).await? else {
        return Ok(refused(LinkProblem::ContactUnavailable, state));
    };
    let consumed = sql::<DB>(CONSUME_MAGIC_LINK)
        .digest(&req.digest)
        .ts(req.seed.created_at)
        .int(i64::from(req.require_binding))
        .opt_digest(req.presented_binding.as_ref())
        .id(req.seed.firm_id.as_uuid())
        .optional(c)
        .await?;
    let Some(consumed) = consumed else {
        // Another redemption or issuance won the row since it was read; this new
        // statement sees what that one committed.
        return Ok(match read_link::<DB>(c, &req.digest).await? {
            None => unknown(),
            Some(row) => {
                let state = LinkState::read(&row)?;
                let problem = state.problem(req).unwrap_or(LinkProblem::AlreadyUsed);
                refused(problem, &state)
            }
        });
    };
    let binding = consumed.opt_digest("binding_hash")?;
    let same_browser = binding.is_some() && binding == req.presented_binding;
    let next = consumed.opt_text("next_path")?;
    let session = start_session_in::<DB>(c, state.contact_id, grant, &req.seed).await?;
    Ok(LinkRedemption::Redeemed {
        session,
        next,
        same_browser,
    })
}

async fn read_link<DB: Dialect>(
    c: &mut DB::Connection,
    digest: &TokenDigest,
) -> Result<Option<SqlRow<DB>>, StoreError> {
    sql::<DB>(READ_MAGIC_LINK).digest(digest).optional(c).await
}
