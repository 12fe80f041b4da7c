//! The audit log: appends, pages of entries, the chain head.

use portal_core::StoreError;
use portal_core::audit::{AuditDraft, AuditEvent, ChainHead};
use portal_core::id::{ContactId, FirmId};

use super::{Engine, append_audit, commit};
use crate::columns::audit_columns;
use crate::dialect::Dialect;
use crate::rows;
use crate::stmt::sql;

const EVENTS: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM portal_audit_events WHERE firm_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
);

// A statement of its own rather than `($4 IS NULL OR contact_id = $4)`, so that a
// cached generic plan still uses the per-contact index.
const CONTACT_EVENTS: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM portal_audit_events WHERE firm_id = $1 AND seq > $2 AND contact_id = $4 \
     ORDER BY seq LIMIT $3"
);

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, StoreError> {
        let mut tx = self.write().await?;
        let event = append_audit::<DB>(&mut tx, draft).await?;
        commit::<DB>(tx).await?;
        Ok(event)
    }

    pub(crate) async fn audit_events(
        &self,
        firm: FirmId,
        contact: Option<ContactId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let q = sql::<DB>(if contact.is_some() {
            CONTACT_EVENTS
        } else {
            EVENTS
        })
        .id(firm.as_uuid())
        .int(after)
        .int(limit);
        let q = match contact {
            Some(contact) => q.id(contact.as_uuid()),
            None => q,
        };
        let mut c = self.conn().await?;
        q.all(&mut c).await?.iter().map(rows::audit_event).collect()
    }

    pub(crate) async fn audit_head(&self, firm: FirmId) -> Result<Option<ChainHead>, StoreError> {
        let mut c = self.conn().await?;
        Ok(
            match sql::<DB>("SELECT seq, hash FROM portal_audit_heads WHERE firm_id = $1")
                .id(firm.as_uuid())
                .optional(&mut c)
                .await?
            {
                Some(r) => rows::audit_head(&r)?,
                None => None,
            },
        )
    }
}
