//! What the firm's staff hear of their clients' activity: a contact completing or
//! reopening a task, checking an item, handing something over, uploading, commenting,
//! asking. Each staff member chooses to hear at once, in a daily digest, or not at all.
//!
//! The activity is read from the firm's audit log, where every such change is recorded
//! in the step that made it, from a cursor that the store moves forward in one step
//! with the messages and digest entries it leads to, so that no instance reports an
//! entry twice. An entry is reported only once the coalescing window has passed after
//! it, and a change undone within that window (a task completed then reopened, an item
//! checked then unchecked) is not reported at all, neither the change nor its undoing.

use std::time::Duration;

use crate::audit::{Actor, AuditAction, AuditEvent};
use crate::clock::Timestamp;
use crate::email::EmailAddress;
use crate::id::{FirmId, StaffId};

/// How a staff member hears of client activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffNotifyMode {
    /// An email per round of activity, within minutes.
    Instant,
    /// One email a day, from the firm's digest hour on, with the activity since the
    /// last one.
    Daily,
    /// Nothing.
    Off,
}

impl StaffNotifyMode {
    /// Stable name for storage and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            StaffNotifyMode::Instant => "instant",
            StaffNotifyMode::Daily => "daily",
            StaffNotifyMode::Off => "off",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            StaffNotifyMode::Instant,
            StaffNotifyMode::Daily,
            StaffNotifyMode::Off,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A staff member's choice of how to hear of client activity, and where.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StaffRecipient {
    // Fields in alphabetical order: the staff API's JSON lists keys so.
    /// Where the emails go.
    pub email: EmailAddress,
    /// The firm.
    pub firm_id: FirmId,
    /// When its last digest was sent.
    pub last_digest_at: Option<Timestamp>,
    /// How often.
    pub mode: StaffNotifyMode,
    /// The staff member, as the host knows them.
    pub staff_id: StaffId,
}

/// How far a firm's activity was read: the last audit entry reported (or passed over),
/// and the later entries already known to be undone by an earlier one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffCursor {
    /// The sequence number of the last entry read.
    pub last_seq: u64,
    /// Entries after it that undo an entry already passed over: skipped when read.
    pub cancelled: Vec<u64>,
}

/// One line of a staff member's next digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestItem {
    /// The firm.
    pub firm_id: FirmId,
    /// The staff member it is for.
    pub staff_id: StaffId,
    /// The audit entry it reports (its order in the digest).
    pub seq: u64,
    /// When the activity happened.
    pub at: Timestamp,
    /// What it says.
    pub line: String,
}

/// Whether an entry is client activity staff hear of: something a contact did.
#[must_use]
pub fn is_client_activity(event: &AuditEvent) -> bool {
    matches!(event.entry.actor, Actor::Contact(_))
        && event.entry.client_id.is_some()
        && matches!(
            event.entry.action,
            AuditAction::TaskCompleted
                | AuditAction::TaskReopened
                | AuditAction::TaskSubmitted
                | AuditAction::CredentialSubmitted
                | AuditAction::ItemChecked
                | AuditAction::ItemUnchecked
                | AuditAction::FilesUploaded
                | AuditAction::CommentAdded
                | AuditAction::QuestionAsked
        )
}

/// What an entry toggles, if it toggles something that a later entry may undo: the
/// thing (the task, or the task's item) and which way.
fn toggle(event: &AuditEvent) -> Option<((Option<crate::id::TaskId>, &str), bool)> {
    let e = &event.entry;
    match e.action {
        AuditAction::TaskCompleted => Some(((e.task_id, ""), true)),
        AuditAction::TaskReopened => Some(((e.task_id, ""), false)),
        AuditAction::ItemChecked => Some(((e.task_id, e.detail.as_str()), true)),
        AuditAction::ItemUnchecked => Some(((e.task_id, e.detail.as_str()), false)),
        _ => None,
    }
}

/// What one reading of a firm's activity found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRound {
    /// The entries to report, oldest first.
    pub report: Vec<AuditEvent>,
    /// Where the next reading starts.
    pub cursor: StaffCursor,
}

/// Reads `events` (the firm's entries after `cursor.last_seq`, oldest first, without
/// gaps) at `now`: the entries at least `window` old are passed over, and those of them
/// that are client activity and not undone within `window` are reported. An entry
/// whose undoing comes within `window` after it is dropped with that undoing, which the
/// cursor remembers until it is read.
#[must_use]
pub fn read_activity(
    cursor: &StaffCursor,
    events: &[AuditEvent],
    now: Timestamp,
    window: Duration,
) -> ActivityRound {
    let mut cancelled = cursor.cancelled.clone();
    let mut report = Vec::new();
    let mut last_seq = cursor.last_seq;
    for (i, event) in events.iter().enumerate() {
        if event.entry.at + window > now {
            break;
        }
        last_seq = event.seq;
        if let Some(at) = cancelled.iter().position(|s| *s == event.seq) {
            cancelled.swap_remove(at);
            continue;
        }
        if !is_client_activity(event) {
            continue;
        }
        if let Some((thing, on)) = toggle(event) {
            // The next entry about the same thing, if it comes within the window, and
            // undoes this one: both go unreported.
            let next = events[i + 1..]
                .iter()
                .filter(|later| is_client_activity(later))
                .find(|later| toggle(later).is_some_and(|(t, _)| t == thing));
            if let Some(undo) = next
                && toggle(undo).is_some_and(|(_, way)| way != on)
                && undo.entry.at <= event.entry.at + window
            {
                cancelled.push(undo.seq);
                continue;
            }
        }
        report.push(event.clone());
    }
    cancelled.retain(|s| *s > last_seq);
    cancelled.sort_unstable();
    ActivityRound {
        report,
        cursor: StaffCursor {
            last_seq,
            cancelled,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditDraft, AuditOutcome, ChainHash, RequestInfo};
    use crate::id::{ClientId, ContactId, TaskId};

    const MINUTE: Duration = Duration::from_secs(60);

    fn event(seq: u64, minute: u64, action: AuditAction, task: u8, detail: &str) -> AuditEvent {
        AuditEvent {
            seq,
            entry: AuditDraft {
                firm_id: FirmId::from_bytes([1; 16]),
                at: Timestamp::from_unix_millis(0) + Duration::from_secs(60 * minute),
                actor: Actor::Contact(ContactId::from_bytes([2; 16])),
                action,
                contact_id: None,
                client_id: Some(ClientId::from_bytes([3; 16])),
                task_id: Some(TaskId::from_bytes([task; 16])),
                request: RequestInfo::default(),
                outcome: AuditOutcome::Success,
                detail: detail.into(),
            },
            prev_hash: ChainHash::GENESIS,
            hash: ChainHash::GENESIS,
        }
    }

    fn seqs(round: &ActivityRound) -> Vec<u64> {
        round.report.iter().map(|e| e.seq).collect()
    }

    fn at(minute: u64) -> Timestamp {
        Timestamp::from_unix_millis(0) + Duration::from_secs(60 * minute)
    }

    #[test]
    fn a_change_undone_within_the_window_is_never_reported() {
        let window = 10 * MINUTE;
        let events = [
            event(1, 0, AuditAction::TaskCompleted, 1, ""),
            event(2, 4, AuditAction::TaskReopened, 1, ""),
            event(3, 5, AuditAction::ItemChecked, 2, "item=0"),
            event(4, 6, AuditAction::ItemChecked, 2, "item=1"),
            event(5, 7, AuditAction::ItemUnchecked, 2, "item=0"),
            event(6, 8, AuditAction::CommentAdded, 2, ""),
        ];
        // At minute 14 only the first two are ripe: both dropped, nothing reported.
        let first = read_activity(&StaffCursor::default(), &events, at(14), window);
        assert_eq!(seqs(&first), Vec::<u64>::new());
        assert_eq!(first.cursor.last_seq, 2);
        // At minute 20 the rest: item 0 checked and unchecked is dropped, item 1 and
        // the comment are reported.
        let second = read_activity(&first.cursor, &events[2..], at(20), window);
        assert_eq!(seqs(&second), [4, 6]);
        assert_eq!(
            second.cursor,
            StaffCursor {
                last_seq: 6,
                cancelled: vec![]
            }
        );
    }

    #[test]
    fn an_undoing_read_later_is_remembered_and_a_slow_one_is_reported() {
        let window = 10 * MINUTE;
        let events = [
            event(1, 0, AuditAction::TaskCompleted, 1, ""),
            event(2, 9, AuditAction::TaskReopened, 1, ""),
            event(3, 30, AuditAction::TaskCompleted, 1, ""),
            event(4, 45, AuditAction::TaskReopened, 1, ""),
        ];
        // At minute 10 the completion is ripe; its undoing, not yet, but it cancels it.
        let first = read_activity(&StaffCursor::default(), &events, at(10), window);
        assert_eq!(seqs(&first), Vec::<u64>::new());
        assert_eq!(
            first.cursor,
            StaffCursor {
                last_seq: 1,
                cancelled: vec![2]
            }
        );
        // The second completion is undone 15 minutes later: both are reported.
        let second = read_activity(&first.cursor, &events[1..], at(60), window);
        assert_eq!(seqs(&second), [3, 4]);
        assert!(second.cursor.cancelled.is_empty());
    }

    #[test]
    fn only_what_contacts_do_for_a_client_is_activity() {
        let mut by_staff = event(1, 0, AuditAction::TaskCompleted, 1, "");
        by_staff.entry.actor = Actor::Staff(StaffId::new("alice").unwrap());
        let login = event(2, 0, AuditAction::LinkRedeemed, 1, "");
        let question = event(3, 0, AuditAction::QuestionAsked, 1, "");
        let round = read_activity(
            &StaffCursor::default(),
            &[by_staff, login, question],
            at(60),
            10 * MINUTE,
        );
        assert_eq!(seqs(&round), [3]);
        assert_eq!(round.cursor.last_seq, 3);
    }
}
