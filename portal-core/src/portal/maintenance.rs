//! Housekeeping a host runs every few minutes: expired rows go, and the per-IP refusal
//! windows that ended are summarised in the audit log. A host calls
//! [`Portal::maintain`] from its own scheduler, or has the portal run it
//! ([`PortalBuilder::maintain_every`](crate::PortalBuilder::maintain_every)).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::portal::{InternalError, Portal};
use crate::throttle::RefusalCount;

/// How long expired rows are kept, so that support can still explain a link that
/// stopped working a moment ago.
const GRACE: Duration = Duration::from_secs(3600);

/// Rows per table and statement: small batches keep each statement short.
const BATCH: u32 = 1000;

/// Batches per run, so that one run is bounded whatever the backlog; the next run
/// carries on.
const ROUNDS: usize = 100;

/// How often a process sweeps its file storage for orphaned blobs.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(3600);

/// What one run of [`Portal::maintain`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Rows removed (expired links, codes, sessions, throttle entries, forgotten
    /// failure counters).
    pub purged: u64,
    /// Refusal windows summarised in the audit log.
    pub summarised: u64,
    /// Files whose expiry passed (secure file drops), removed with their blobs.
    pub expired_files: usize,
    /// Credentials purged because their task was closed longer ago than the firm's
    /// [`purge_after_closed`](crate::policy::CredentialPolicy::purge_after_closed).
    pub purged_credentials: u64,
    /// Messages given up because no worker delivered them within a day (see
    /// [`crate::outbox::GIVE_UP_AFTER`]).
    pub messages_given_up: u64,
    /// Orphaned blobs deleted (see [`Portal::sweep_files`]); the sweep lists the whole
    /// file storage, so it runs at most once per [`SWEEP_PERIOD`] in a process.
    pub orphans_deleted: usize,
    /// Whether work was left for the next run.
    pub more: bool,
}

impl Portal {
    /// Removes what expired more than an hour ago, the files whose expiry passed (at
    /// once: a dropped file is unreadable from its expiry on, and its bytes go at the
    /// next run), the values of credentials whose task was closed longer ago than
    /// their firm's policy keeps them, gives up the messages no worker delivered within
    /// a day, and writes one audit entry per IP
    /// block and window of requests refused by the per-IP limit (`login.throttled`,
    /// with the count). Bounded per run; schedule it every few minutes. Safe to run
    /// from several instances at once: each window is summarised once.
    pub async fn maintain(&self) -> Result<MaintenanceReport, InternalError> {
        let store = &self.inner.store;
        let mut report = MaintenanceReport::default();
        for _ in 0..ROUNDS {
            let expired = self.expire_files(BATCH).await?;
            report.expired_files += expired;
            if expired < BATCH as usize {
                break;
            }
        }
        report.purged_credentials = self.purge_closed_credentials(ROUNDS).await?;
        for _ in 0..ROUNDS {
            let given_up = self.give_up_stale_messages(BATCH).await?;
            report.messages_given_up += given_up;
            if given_up < u64::from(BATCH) {
                break;
            }
        }
        if self.sweep_due() {
            report.orphans_deleted = self.sweep_files().await?;
        }
        for _ in 0..ROUNDS {
            let purged = store.purge_expired(self.now(), GRACE, BATCH).await?;
            report.purged += purged.removed;
            report.more = purged.more;
            if !purged.more {
                break;
            }
        }
        let summary = |c: &RefusalCount| {
            let r = &c.refusal;
            let ip = r.block.split('/').next().and_then(|ip| ip.parse().ok());
            self.audit(
                r.firm_id,
                Actor::System,
                AuditAction::LoginThrottled,
                None,
                &RequestInfo {
                    ip,
                    user_agent: None,
                },
                format!(
                    "block={} refused={} window_start={} window_end={}",
                    r.block,
                    c.refused,
                    r.window_start.unix_millis(),
                    r.window_end.unix_millis()
                ),
            )
            .refused()
        };
        for _ in 0..ROUNDS {
            let done = store
                .summarize_refusals(self.now(), BATCH, &summary)
                .await?;
            report.summarised += done;
            if done < u64::from(BATCH) {
                return Ok(report);
            }
        }
        report.more = true;
        Ok(report)
    }
}

impl Portal {
    /// Whether this process last swept its file storage [`SWEEP_PERIOD`] ago or more
    /// (or never): claims the sweep when it is due.
    fn sweep_due(&self) -> bool {
        let now = self.now().unix_millis();
        let period = i64::try_from(SWEEP_PERIOD.as_millis()).unwrap_or(i64::MAX);
        let last = &self.inner.last_sweep;
        let previous = last.load(std::sync::atomic::Ordering::Relaxed);
        (previous == i64::MIN || now.saturating_sub(previous) >= period)
            && last
                .compare_exchange(
                    previous,
                    now,
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
    }
}

/// Runs [`Portal::maintain`] every `period` on `runtime` until the last handle on
/// `portal` is gone.
pub(super) fn spawn(portal: &Portal, period: Duration, runtime: &tokio::runtime::Handle) {
    // Only a weak reference between runs: a strong one would keep the portal, its store
    // and its pool alive after the host dropped every handle, and the task forever.
    let weak = Arc::downgrade(&portal.inner);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(period);
        // A run that overran (a large backlog, a slow database) is followed by a whole
        // period of rest, not by a burst of runs catching up.
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            match (Portal { inner }).maintain().await {
                Ok(report) => tracing::debug!(
                    purged = report.purged,
                    summarised = report.summarised,
                    more = report.more,
                    "maintenance ran"
                ),
                Err(e) => tracing::warn!(error = %e, "maintenance failed"),
            }
        }
    });
}
