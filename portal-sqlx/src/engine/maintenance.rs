//! Purging what expired, and summarising refusal windows in the audit log, in batches
//! the host can schedule.

use std::time::Duration;

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::failure::FORGET_FAILURES_AFTER;
use portal_core::id::FirmId;
use portal_core::store::{PurgeReport, RefusalAuditFn};
use portal_core::throttle::{Refusal, RefusalCount};

use super::{Engine, append_audit, commit};
use crate::dialect::Dialect;
use crate::stmt::sql;

/// Failure counters whose last failure is older than `$1`, at most `$2` of them.
const FORGET_FAILURES: &str = "DELETE FROM portal_login_failures WHERE subject IN \
     (SELECT subject FROM portal_login_failures WHERE last_failure_at < $1 LIMIT $2)";

/// The oldest refusal window that ended by `$1`.
const CLOSED_REFUSAL_WINDOW: &str = "SELECT firm_id, throttle_key, window_start, window_end, \
     block FROM portal_throttle_refusals WHERE window_end <= $1 ORDER BY window_end LIMIT 1";

/// Takes a window, with its final count; nothing if another instance took it first.
const TAKE_REFUSAL_WINDOW: &str = "DELETE FROM portal_throttle_refusals \
     WHERE firm_id = $1 AND throttle_key = $2 AND window_start = $3 RETURNING refused";

/// One bounded delete per table: at most `$2` rows that expired before `$1`, found
/// through the table's expiry index. Each runs as its own short statement, so a purge
/// never holds locks for long, whatever the backlog.
const PURGES: [&str; 7] = [
    "DELETE FROM portal_magic_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_magic_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_challenges WHERE token_hash IN (SELECT token_hash \
     FROM portal_challenges WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_password_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_password_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_personal_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_personal_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_preview_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_preview_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_sessions WHERE token_hash IN (SELECT token_hash \
     FROM portal_sessions WHERE idle_expires_at < $1 OR absolute_expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_throttle_hits WHERE id IN (SELECT id \
     FROM portal_throttle_hits WHERE expires_at < $1 LIMIT $2)",
];

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn purge_expired(
        &self,
        now: Timestamp,
        grace: Duration,
        batch: u32,
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = now - grace;
        let mut report = PurgeReport::default();
        let mut c = self.conn().await?;
        for statement in PURGES {
            let removed = sql::<DB>(statement)
                .ts(cutoff)
                .int(i64::from(batch))
                .run(&mut c)
                .await?;
            report.removed += removed;
            // A full batch may have left more behind.
            report.more |= removed >= u64::from(batch);
        }
        let forgotten = sql::<DB>(FORGET_FAILURES)
            .ts(now - FORGET_FAILURES_AFTER)
            .int(i64::from(batch))
            .run(&mut c)
            .await?;
        report.removed += forgotten;
        report.more |= forgotten >= u64::from(batch);
        Ok(report)
    }

    pub(crate) async fn summarize_refusals(
        &self,
        now: Timestamp,
        batch: u32,
        summary: RefusalAuditFn<'_>,
    ) -> Result<u64, StoreError> {
        let mut done = 0;
        for _ in 0..batch {
            let mut tx = self.write().await?;
            let Some(r) = sql::<DB>(CLOSED_REFUSAL_WINDOW)
                .ts(now)
                .optional(&mut tx)
                .await?
            else {
                break;
            };
            let refusal = Refusal {
                firm_id: FirmId::from_uuid(r.id("firm_id")?),
                key: r.digest("throttle_key")?,
                block: r.text("block")?,
                window_start: r.ts("window_start")?,
                window_end: r.ts("window_end")?,
            };
            let taken = sql::<DB>(TAKE_REFUSAL_WINDOW)
                .id(refusal.firm_id.as_uuid())
                .digest(&refusal.key)
                .ts(refusal.window_start)
                .optional(&mut tx)
                .await?;
            if let Some(t) = taken {
                let refused = u64::try_from(t.int("refused")?).unwrap_or(0);
                append_audit::<DB>(&mut tx, summary(&RefusalCount { refusal, refused })).await?;
                done += 1;
            }
            commit::<DB>(tx).await?;
        }
        Ok(done)
    }
}
