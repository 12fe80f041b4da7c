//! What clients hear of their tasks, and when: a new task is announced after a grace
//! period, an open one is reminded of on the firm's policy
//! ([`NotificationPolicy`]), and a contact may have its reminders paused until a date.
//!
//! The store keeps, per announced task, when it was announced, how many reminders went
//! out and when the next one is due; the next one is always placed inside the firm's
//! sending hours, so that what is due is what may be sent now, whatever the zone.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::contact::{Contact, ContactStatus};
use crate::grant::Permissions;
use crate::id::TaskId;
use crate::local_time::TimeZone;
use crate::policy::NotificationPolicy;
use crate::task::{Side, Task, TaskStatus};

/// What was sent to clients about one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskNotices {
    /// The task.
    pub task_id: TaskId,
    /// When it was announced.
    pub announced_at: Timestamp,
    /// Reminders sent so far.
    pub reminders_sent: u32,
    /// When the next reminder is due; `None` when no more will be sent.
    pub next_reminder_at: Option<Timestamp>,
}

/// A contact a client's notices may go to: an active contact with a grant to the
/// client.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    /// The contact.
    pub contact: Contact,
    /// Its grant's permissions on the client.
    pub permissions: Permissions,
    /// Until when its reminders are paused, if they are.
    pub reminders_paused_until: Option<Timestamp>,
}

impl Recipient {
    /// Whether it hears of the client's tasks at all: active, and allowed to see them.
    #[must_use]
    pub fn sees_tasks(&self) -> bool {
        self.contact.status == ContactStatus::Active
            && self.permissions.contains(Permissions::TASKS)
    }

    /// Whether it gets a reminder sent at `now`: it sees tasks and its reminders are
    /// not paused (a pause skips the reminders that fall in it; it does not postpone
    /// them).
    #[must_use]
    pub fn takes_reminders(&self, now: Timestamp) -> bool {
        self.sees_tasks() && self.reminders_paused_until.is_none_or(|until| now >= until)
    }
}

/// Whether a task is one to tell its client about: the client's to do, still open.
#[must_use]
pub fn is_open_for_client(task: &Task) -> bool {
    task.assignee == Side::Client
        && task.withdrawn_at.is_none()
        && task.status != TaskStatus::Completed
}

/// Whether `task` is due to be announced at `now`: open for the client, and created at
/// least the grace period ago.
#[must_use]
pub fn announcement_due(task: &Task, now: Timestamp, policy: &NotificationPolicy) -> bool {
    is_open_for_client(task) && task.created_at + policy.announce_after <= now
}

/// When the reminder after `sent` reminders (the first after the announcement, at
/// `after`) is due: `remind_every` later, moved forward into the firm's sending hours;
/// `None` when the policy allows no more.
#[must_use]
pub fn next_reminder(
    after: Timestamp,
    sent: u32,
    policy: &NotificationPolicy,
) -> Option<Timestamp> {
    (sent < policy.reminders).then(|| {
        next_sending_time(
            after + policy.remind_every,
            &policy.time_zone,
            &policy.sending_hours,
            policy.weekends,
        )
    })
}

/// The step at which sending times are looked for: a quarter of an hour, so that the
/// start of an hour falls on one in every zone (some are 30 or 45 minutes off UTC).
const STEP: Duration = Duration::from_secs(15 * 60);

/// The first instant from `at` inside `hours` (on a weekday unless `weekends`), in
/// `zone`: `at` itself if it is inside, else the start of the next local hour that is,
/// found within eight days (past them, `at`: a policy with no hour at all is refused
/// when the portal is built).
#[must_use]
pub fn next_sending_time(
    at: Timestamp,
    zone: &TimeZone,
    hours: &std::ops::Range<u8>,
    weekends: bool,
) -> Timestamp {
    if zone.within(at, hours, weekends) {
        return at;
    }
    let step = i64::try_from(STEP.as_millis()).unwrap_or(i64::MAX);
    let mut t = Timestamp::from_unix_millis(at.unix_millis().div_euclid(step) * step);
    for _ in 0..(8 * 24 * 4) {
        t = t + STEP;
        if zone.within(t, hours, weekends) {
            return t;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_written(&rfc3339.replace('Z', ".000Z")).unwrap()
    }

    #[test]
    fn a_sending_time_is_the_next_working_hour_of_the_firm() {
        let london = TimeZone::named("Europe/London").unwrap();
        let hours = 9..17;
        // Inside: at once.
        let t = at("2026-01-14T10:07:00Z");
        assert_eq!(next_sending_time(t, &london, &hours, false), t);
        // Wednesday evening: Thursday 09:00.
        assert_eq!(
            next_sending_time(at("2026-01-14T18:20:00Z"), &london, &hours, false),
            at("2026-01-15T09:00:00Z")
        );
        // Friday evening: Monday 09:00, or Saturday 09:00 when weekends are allowed.
        assert_eq!(
            next_sending_time(at("2026-01-16T17:00:00Z"), &london, &hours, false),
            at("2026-01-19T09:00:00Z")
        );
        assert_eq!(
            next_sending_time(at("2026-01-16T17:00:00Z"), &london, &hours, true),
            at("2026-01-17T09:00:00Z")
        );
        // Summer time: 09:00 in London is 08:00 UTC.
        assert_eq!(
            next_sending_time(at("2026-07-15T05:00:00Z"), &london, &hours, false),
            at("2026-07-15T08:00:00Z")
        );
        // A zone half an hour off UTC: 09:00 in Kolkata is 03:30 UTC.
        let kolkata = TimeZone::named("Asia/Kolkata").unwrap();
        assert_eq!(
            next_sending_time(at("2026-01-14T00:00:00Z"), &kolkata, &hours, false),
            at("2026-01-14T03:30:00Z")
        );
    }

    #[test]
    fn reminders_stop_at_the_policy_s_count() {
        let policy = NotificationPolicy {
            time_zone: TimeZone::utc(),
            weekends: true,
            ..NotificationPolicy::default()
        };
        let t = at("2026-01-14T10:00:00Z");
        assert_eq!(next_reminder(t, 0, &policy), Some(t + policy.remind_every));
        assert!(next_reminder(t, policy.reminders - 1, &policy).is_some());
        assert_eq!(next_reminder(t, policy.reminders, &policy), None);
    }
}
