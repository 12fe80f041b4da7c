//! Purging what expired, in batches the host can schedule.

use std::time::Duration;

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::store::PurgeReport;

use super::Engine;
use crate::db::sql;
use crate::dialect::Dialect;

/// One bounded delete per table: at most `$2` rows that expired before `$1`, found
/// through the table's expiry index. Each runs as its own short statement, so a purge
/// never holds locks for long, whatever the backlog.
const PURGES: [&str; 6] = [
    "DELETE FROM portal_magic_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_magic_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_challenges WHERE token_hash IN (SELECT token_hash \
     FROM portal_challenges WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_password_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_password_links WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM portal_personal_links WHERE token_hash IN (SELECT token_hash \
     FROM portal_personal_links WHERE expires_at < $1 LIMIT $2)",
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
        Ok(report)
    }
}
