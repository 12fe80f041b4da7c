//! Staff preview links: issued by a plain insert, consumed once with the preview
//! session they start, under the state lock.

use super::{MemoryStore, PreviewLinkRow};
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::id::ContactId;
use crate::magic_link::LinkProblem;
use crate::preview::{PreviewLinkRecord, PreviewRedemption, PreviewRedemptionRequest};
use crate::store::{AuditFn, StoreError};
use crate::token::TokenDigest;

impl MemoryStore {
    pub(super) fn insert_preview_link(
        &self,
        link: &PreviewLinkRecord,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if state.preview_links.contains_key(&link.digest) {
            return Err(StoreError::Conflict("preview link digest"));
        }
        state.preview_links.insert(
            link.digest,
            PreviewLinkRow {
                record: link.clone(),
                consumed: false,
            },
        );
        state.append(audit);
        Ok(())
    }

    pub(super) fn live_preview_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        Ok(self
            .read()?
            .preview_links
            .get(link)
            .filter(|r| !r.consumed && now < r.record.expires_at)
            .map(|r| r.record.contact_id))
    }

    pub(super) fn consume_preview_link(
        &self,
        request: &PreviewRedemptionRequest,
        audit: AuditFn<'_, PreviewRedemption>,
    ) -> Result<PreviewRedemption, StoreError> {
        let mut state = self.lock()?;
        let refused = |problem, contact_id| PreviewRedemption::Refused {
            problem,
            contact_id,
        };
        let outcome = match state.preview_links.get(&request.digest) {
            None => refused(LinkProblem::Unknown, None),
            Some(r) if r.record.firm_id != request.seed.firm_id => {
                refused(LinkProblem::Unknown, None)
            }
            Some(r) if r.consumed => refused(LinkProblem::AlreadyUsed, Some(r.record.contact_id)),
            Some(r) if request.seed.created_at >= r.record.expires_at => {
                refused(LinkProblem::Expired, Some(r.record.contact_id))
            }
            Some(r) => {
                let contact = r.record.contact_id;
                let mut seed = request.seed.clone();
                seed.preview_by = Some(r.record.staff.clone());
                match self.sessions.start(&mut state, contact, &seed) {
                    None => refused(LinkProblem::ContactUnavailable, Some(contact)),
                    Some(session) => {
                        if let Some(r) = state.preview_links.get_mut(&request.digest) {
                            r.consumed = true;
                        }
                        PreviewRedemption::Started { session }
                    }
                }
            }
        };
        state.append_opt(audit(&outcome));
        Ok(outcome)
    }
}
