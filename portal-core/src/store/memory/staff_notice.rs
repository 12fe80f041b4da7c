use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::id::{FirmId, StaffId};
use crate::outbox::QueuedMessage;
use crate::staff_notice::{DigestItem, StaffCursor, StaffRecipient};
use crate::store::{StaffNoticeStore, StoreError};

#[async_trait]
impl StaffNoticeStore for MemoryStore {
    async fn put_staff_recipient(
        &self,
        recipient: &StaffRecipient,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let key = (recipient.firm_id, recipient.staff_id.clone());
        let last_digest_at = state
            .staff_recipients
            .get(&key)
            .and_then(|r| r.last_digest_at);
        state.staff_recipients.insert(
            key,
            StaffRecipient {
                last_digest_at,
                ..recipient.clone()
            },
        );
        let head = state.append(audit).seq;
        state
            .staff_cursors
            .entry(recipient.firm_id)
            .or_insert(StaffCursor {
                last_seq: head,
                cancelled: Vec::new(),
            });
        Ok(())
    }

    async fn staff_recipients(&self, firm: FirmId) -> Result<Vec<StaffRecipient>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<StaffRecipient> = state
            .staff_recipients
            .values()
            .filter(|r| r.firm_id == firm)
            .cloned()
            .collect();
        found.sort_by(|a, b| a.staff_id.as_str().cmp(b.staff_id.as_str()));
        Ok(found)
    }

    async fn staff_cursors(&self) -> Result<Vec<(FirmId, StaffCursor)>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<(FirmId, StaffCursor)> = state
            .staff_cursors
            .iter()
            .map(|(firm, cursor)| (*firm, cursor.clone()))
            .collect();
        found.sort_by_key(|(firm, _)| *firm);
        Ok(found)
    }

    async fn advance_staff_cursor(
        &self,
        firm: FirmId,
        from: &StaffCursor,
        to: &StaffCursor,
        digest: &[DigestItem],
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        if state.staff_cursors.get(&firm) != Some(from) {
            return Ok(false);
        }
        state.staff_cursors.insert(firm, to.clone());
        state.digest_items.extend(digest.iter().cloned());
        state.queue(messages);
        Ok(true)
    }

    async fn digest_items(
        &self,
        firm: FirmId,
        staff: &StaffId,
    ) -> Result<Vec<DigestItem>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<DigestItem> = state
            .digest_items
            .iter()
            .filter(|i| i.firm_id == firm && i.staff_id == *staff)
            .cloned()
            .collect();
        found.sort_by_key(|i| i.seq);
        Ok(found)
    }

    async fn send_digest(
        &self,
        firm: FirmId,
        staff: &StaffId,
        last: Option<Timestamp>,
        up_to: u64,
        at: Timestamp,
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        let Some(recipient) = state
            .staff_recipients
            .get_mut(&(firm, staff.clone()))
            .filter(|r| r.last_digest_at == last)
        else {
            return Ok(false);
        };
        recipient.last_digest_at = Some(at);
        state
            .digest_items
            .retain(|i| !(i.firm_id == firm && i.staff_id == *staff && i.seq <= up_to));
        state.queue(messages);
        Ok(true)
    }
}
