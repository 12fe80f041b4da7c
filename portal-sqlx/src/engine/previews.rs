//! Staff preview links: a plain insert to issue one; one transaction to consume one
//! and start the preview session it opens.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::id::{ContactId, FirmId, StaffId};
use portal_core::magic_link::LinkProblem;
use portal_core::preview::{PreviewLinkRecord, PreviewRedemption, PreviewRedemptionRequest};
use portal_core::store::AuditFn;
use portal_core::token::TokenDigest;

use super::{Engine, append_audit, commit, lock_for_login, start_session_in};
use crate::dialect::Dialect;
use crate::stmt::{SqlRow, sql};

const INSERT_PREVIEW_LINK: &str = "INSERT INTO portal_preview_links (token_hash, contact_id, \
     firm_id, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";

const LIVE_PREVIEW_LINK: &str = "SELECT contact_id FROM portal_preview_links \
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2";

const READ_PREVIEW_LINK: &str = "SELECT firm_id, contact_id, staff_id, expires_at, \
     consumed_at FROM portal_preview_links WHERE token_hash = $1";

/// The single statement that decides a redemption: of any number of concurrent ones,
/// exactly one finds the row still unconsumed.
const CONSUME_PREVIEW_LINK: &str = "UPDATE portal_preview_links SET consumed_at = $2 \
     WHERE token_hash = $1 AND firm_id = $3 AND consumed_at IS NULL AND expires_at > $2";

/// A preview link's state, as read for deciding a redemption.
struct PreviewState {
    firm_id: FirmId,
    contact_id: ContactId,
    staff: StaffId,
    expires_at: Timestamp,
    consumed: bool,
}

impl PreviewState {
    fn read<DB: Dialect>(r: &SqlRow<DB>) -> Result<Self, StoreError> {
        Ok(PreviewState {
            firm_id: FirmId::from_uuid(r.id("firm_id")?),
            contact_id: ContactId::from_uuid(r.id("contact_id")?),
            staff: StaffId::new(r.text("staff_id")?)
                .map_err(|_| StoreError::Corrupt("column staff_id: not a staff id".into()))?,
            expires_at: r.ts("expires_at")?,
            consumed: r.opt_int("consumed_at")?.is_some(),
        })
    }

    /// Why this link cannot be redeemed by `req`, in the order the memory store checks;
    /// `None` if it can. Each reason only ever becomes true, so a stale read that finds
    /// one is still right.
    fn problem(&self, req: &PreviewRedemptionRequest) -> Option<LinkProblem> {
        if self.firm_id != req.seed.firm_id {
            Some(LinkProblem::Unknown)
        } else if self.consumed {
            Some(LinkProblem::AlreadyUsed)
        } else if req.seed.created_at >= self.expires_at {
            Some(LinkProblem::Expired)
        } else {
            None
        }
    }

    fn refused(&self, problem: LinkProblem) -> PreviewRedemption {
        PreviewRedemption::Refused {
            problem,
            // A link presented at another firm's portal is unknown there, contact and all.
            contact_id: (problem != LinkProblem::Unknown).then_some(self.contact_id),
        }
    }
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn issue_preview_link(
        &self,
        link: &PreviewLinkRecord,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let insert = sql::<DB>(INSERT_PREVIEW_LINK)
            .digest(&link.digest)
            .id(link.contact_id.as_uuid())
            .id(link.firm_id.as_uuid())
            .text(link.staff.as_str())
            .ts(link.created_at)
            .ts(link.expires_at);
        self.insert_link(insert, "preview link digest", audit, &[])
            .await
    }

    pub(crate) async fn preview_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        self.live_link_contact(LIVE_PREVIEW_LINK, link, now).await
    }

    pub(crate) async fn redeem_preview_link(
        &self,
        req: &PreviewRedemptionRequest,
        audit: AuditFn<'_, PreviewRedemption>,
    ) -> Result<PreviewRedemption, StoreError> {
        // An unknown token costs no write lock (on SQLite, the database's only one).
        {
            let mut c = self.conn().await?;
            if sql::<DB>(READ_PREVIEW_LINK)
                .digest(&req.digest)
                .optional(&mut c)
                .await?
                .is_none()
            {
                return Ok(PreviewRedemption::Refused {
                    problem: LinkProblem::Unknown,
                    contact_id: None,
                });
            }
        }
        let mut tx = self.write().await?;
        let outcome = redeem_in::<DB>(&mut tx, req).await?;
        if let Some(draft) = audit(&outcome) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        // A refusal commits too: its audit entry is its only change (a refusal
        // decided after the consume returns before it, so nothing else was written).
        commit::<DB>(tx).await?;
        Ok(outcome)
    }
}

/// The redemption inside the caller's transaction: the link's contact locked first
/// (as every operation on a contact's sessions does), then the one consuming
/// statement, then the session. Refusals write nothing.
async fn redeem_in<DB: Dialect>(
    c: &mut DB::Connection,
    req: &PreviewRedemptionRequest,
) -> Result<PreviewRedemption, StoreError> {
    let unknown = PreviewRedemption::Refused {
        problem: LinkProblem::Unknown,
        contact_id: None,
    };
    let Some(row) = sql::<DB>(READ_PREVIEW_LINK)
        .digest(&req.digest)
        .optional(c)
        .await?
    else {
        return Ok(unknown);
    };
    let state = PreviewState::read(&row)?;
    if let Some(problem) = state.problem(req) {
        return Ok(state.refused(problem));
    }
    let Some(grant) = lock_for_login::<DB>(c, state.contact_id, req.seed.firm_id).await? else {
        return Ok(state.refused(LinkProblem::ContactUnavailable));
    };
    let consumed = sql::<DB>(CONSUME_PREVIEW_LINK)
        .digest(&req.digest)
        .ts(req.seed.created_at)
        .id(req.seed.firm_id.as_uuid())
        .run(c)
        .await?;
    if consumed == 0 {
        // Another redemption won the row since it was read.
        return Ok(state.refused(LinkProblem::AlreadyUsed));
    }
    let mut seed = req.seed.clone();
    seed.preview_by = Some(state.staff.clone());
    let session = start_session_in::<DB>(c, state.contact_id, grant, &seed).await?;
    Ok(PreviewRedemption::Started { session })
}
