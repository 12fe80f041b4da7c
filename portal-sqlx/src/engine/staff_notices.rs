//! What staff hear of client activity: each staff member's choice
//! (`portal_staff_recipients`), how far each firm's audit log was read
//! (`portal_staff_cursors`, the cancelled sequence numbers as one compact text, see
//! [`rows::cancelled_text`]) and the digest lines waiting (`portal_digest_items`).
//!
//! Moving a cursor and sending a digest are compare-and-set steps, each one conditional
//! `UPDATE` whose count of changed rows decides: on PostgreSQL a concurrent step on the
//! same row waits for the first to end and then finds the row changed, so it changes
//! nothing, and its transaction, the messages it queued first included, is rolled back.
//! A staff member's choice is one upsert that leaves the last digest time as it was,
//! then the audit entry, then the firm's cursor at that entry if the firm has none:
//! the head of the audit chain is locked by then, so the cursor starts at the entry
//! this step appended, whatever other steps append at once. The lock order is the
//! recipient's row, then the audit head.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::id::{FirmId, StaffId};
use portal_core::outbox::QueuedMessage;
use portal_core::staff_notice::{DigestItem, StaffCursor, StaffRecipient};

use super::{Engine, append_audit, commit, outbox};
use crate::columns::{digest_item_columns, staff_recipient_columns};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows::{self, cancelled_text, stored_seq};
use crate::stmt::sql;

/// Puts a staff member's choice; a replaced one keeps its `last_digest_at`.
const PUT_RECIPIENT: &str = concat!(
    "INSERT INTO portal_staff_recipients (",
    staff_recipient_columns!(),
    ") VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (firm_id, staff_id) \
     DO UPDATE SET email = excluded.email, mode = excluded.mode"
);

/// Starts firm `$1`'s cursor at sequence number `$2`, unless it has one.
const START_CURSOR: &str = "INSERT INTO portal_staff_cursors (firm_id, last_seq, cancelled) \
     VALUES ($1, $2, '') ON CONFLICT (firm_id) DO NOTHING";

const RECIPIENTS: &str = concat!(
    "SELECT ",
    staff_recipient_columns!(),
    " FROM portal_staff_recipients WHERE firm_id = $1 ORDER BY staff_id"
);

const CURSORS: &str =
    "SELECT firm_id, last_seq, cancelled FROM portal_staff_cursors ORDER BY firm_id";

/// Moves firm `$1`'s cursor to (`$4`, `$5`) if it is still (`$2`, `$3`).
const ADVANCE: &str = "UPDATE portal_staff_cursors SET last_seq = $4, cancelled = $5 \
     WHERE firm_id = $1 AND last_seq = $2 AND cancelled = $3";

const INSERT_ITEM: &str = concat!(
    "INSERT INTO portal_digest_items (",
    digest_item_columns!(),
    ") VALUES ($1, $2, $3, $4, $5)"
);

const ITEMS: &str = concat!(
    "SELECT ",
    digest_item_columns!(),
    " FROM portal_digest_items WHERE firm_id = $1 AND staff_id = $2 ORDER BY seq"
);

/// Sets the last digest time of staff member `$2` of firm `$1` to `$4` if it is still
/// `$3` (`NULL` for none yet).
const DIGEST_SENT: &str = "UPDATE portal_staff_recipients SET last_digest_at = $4 \
     WHERE firm_id = $1 AND staff_id = $2 AND last_digest_at IS NOT DISTINCT FROM $3";

const REMOVE_ITEMS: &str = "DELETE FROM portal_digest_items \
     WHERE firm_id = $1 AND staff_id = $2 AND seq <= $3";

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn put_staff_recipient(
        &self,
        recipient: &StaffRecipient,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let firm = recipient.firm_id.as_uuid();
        let mut tx = self.write().await?;
        let put = sql::<DB>(PUT_RECIPIENT)
            .id(firm)
            .text(recipient.staff_id.as_str())
            .text(recipient.email.as_str())
            .text(recipient.mode.as_str())
            .insert(&mut tx)
            .await?;
        if put.is_err() {
            return Err(StoreError::Conflict("unknown firm"));
        }
        let head = append_audit::<DB>(&mut tx, audit).await?.seq;
        sql::<DB>(START_CURSOR)
            .id(firm)
            .int(stored_seq(head)?)
            .run(&mut tx)
            .await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn staff_recipients(
        &self,
        firm: FirmId,
    ) -> Result<Vec<StaffRecipient>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(RECIPIENTS)
            .id(firm.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::staff_recipient)
            .collect()
    }

    pub(crate) async fn staff_cursors(&self) -> Result<Vec<(FirmId, StaffCursor)>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CURSORS)
            .all(&mut c)
            .await?
            .iter()
            .map(rows::staff_cursor)
            .collect()
    }

    pub(crate) async fn advance_staff_cursor(
        &self,
        firm: FirmId,
        from: &StaffCursor,
        to: &StaffCursor,
        digest: &[DigestItem],
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        // A cursor past what can be stored was never stored: no cursor is still it.
        let Ok(from_seq) = i64::try_from(from.last_seq) else {
            return Ok(false);
        };
        let (from_cancelled, to_cancelled) = (
            cancelled_text(&from.cancelled),
            cancelled_text(&to.cancelled),
        );
        // A refusal returns with the transaction unfinished: dropped, it rolls back,
        // the messages with the rest.
        let mut tx = self.write().await?;
        outbox::queue_in::<DB>(&mut tx, messages).await?;
        let moved = sql::<DB>(ADVANCE)
            .id(firm.as_uuid())
            .int(from_seq)
            .text(&from_cancelled)
            .int(stored_seq(to.last_seq)?)
            .text(&to_cancelled)
            .run(&mut tx)
            .await?;
        if moved == 0 {
            return Ok(false);
        }
        for item in digest {
            let inserted = sql::<DB>(INSERT_ITEM)
                .id(item.firm_id.as_uuid())
                .text(item.staff_id.as_str())
                .int(stored_seq(item.seq)?)
                .ts(item.at)
                .text(&item.line)
                .insert(&mut tx)
                .await?;
            match inserted {
                Ok(_) => {}
                Err(Violation::Unique) => return Err(StoreError::Conflict("digest item")),
                Err(Violation::ForeignKey) => return Err(StoreError::Conflict("unknown firm")),
            }
        }
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn digest_items(
        &self,
        firm: FirmId,
        staff: &StaffId,
    ) -> Result<Vec<DigestItem>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(ITEMS)
            .id(firm.as_uuid())
            .text(staff.as_str())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::digest_item)
            .collect()
    }

    pub(crate) async fn send_digest(
        &self,
        firm: FirmId,
        staff: &StaffId,
        last: Option<Timestamp>,
        up_to: u64,
        at: Timestamp,
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        // Every stored sequence number is at most `i64::MAX`: past it, all go.
        let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
        let mut tx = self.write().await?;
        outbox::queue_in::<DB>(&mut tx, messages).await?;
        let sent = sql::<DB>(DIGEST_SENT)
            .id(firm.as_uuid())
            .text(staff.as_str())
            .opt_ts(last)
            .ts(at)
            .run(&mut tx)
            .await?;
        if sent == 0 {
            return Ok(false);
        }
        sql::<DB>(REMOVE_ITEMS)
            .id(firm.as_uuid())
            .text(staff.as_str())
            .int(up_to)
            .run(&mut tx)
            .await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }
}
