//! Tasks: what a client (or the firm) has to do, by phase, with the evidence each asks
//! for.
//!
//! This first slice implements the `standard` evidence type (mark complete, optional
//! note). [`Evidence`] is the extension point for the other evidence types
//! (question, document upload, signature, credential handoff, secure file drop,
//! meeting, training, survey, checklist, approval): each adds a variant and its
//! submission operation; the access rules below apply to all of them.
//!
//! Rules: a contact sees the tasks of a client it holds a grant to, with the `tasks`
//! permission; a task of any other client answers as if it did not exist. A contact
//! completes only the client's side of the work. Completing and un-completing are
//! idempotent: doing it twice leaves the first completion as it was.

use crate::audit::Actor;
use crate::clock::Timestamp;
use crate::id::{ClientId, FirmId, TaskId};

/// Who is expected to do a task; written `client` or `firm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Side {
    /// The client's contacts.
    Client,
    /// The firm's staff.
    Firm,
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not started.
    Pending,
    /// Started.
    InProgress,
    /// Done.
    Completed,
    /// Waiting on something else.
    Blocked,
}

/// What a task asks for as proof of completion.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// Mark complete, with an optional note.
    Standard,
}

macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Stable name, for storage and JSON.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }

            /// From the stored name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some($ty::$variant),)* _ => None }
            }
        }
    };
}

stored_names!(Side { Client => "client", Firm => "firm" });

impl TryFrom<String> for Side {
    type Error = &'static str;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Side::from_name(&name).ok_or("expected client or firm")
    }
}
stored_names!(TaskStatus {
    Pending => "pending",
    InProgress => "in_progress",
    Completed => "completed",
    Blocked => "blocked",
});

impl Evidence {
    /// Stable name of the evidence type, for storage.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Evidence::Standard => "standard",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "standard" => Some(Evidence::Standard),
            _ => None,
        }
    }
}

/// Who completed a task, when, with what note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Who.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
    /// The note given, if any.
    pub note: Option<String>,
}

/// A task of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// The firm.
    pub firm_id: FirmId,
    /// The client it belongs to.
    pub client_id: ClientId,
    /// The phase it is grouped under, if any (e.g. "Onboarding").
    pub phase: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Due date (midnight UTC of the day).
    pub due_on: Option<Timestamp>,
    /// Who does it.
    pub assignee: Side,
    /// Where it stands.
    pub status: TaskStatus,
    /// What it asks for.
    pub evidence: Evidence,
    /// Order within the client's list.
    pub position: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its completion, while completed.
    pub completion: Option<Completion>,
}

/// What staff give to create a task.
#[derive(Clone, Debug)]
pub struct NewTask {
    /// Phase name, if any (one line; blank is none).
    pub phase: Option<String>,
    /// Title (one line, 1 to 200 characters).
    pub title: String,
    /// Description (at most 10,000 characters; line breaks are kept).
    pub description: String,
    /// Due date.
    pub due_on: Option<Timestamp>,
    /// Who does it.
    pub assignee: Side,
    /// What it asks for.
    pub evidence: Evidence,
}

/// Progress of one phase, for the "Our progress" timeline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PhaseProgress {
    /// The phase name (`None` for tasks without a phase).
    pub phase: Option<String>,
    /// Pending (nothing done), in progress (some done or started), completed (all done).
    pub status: TaskStatus,
    /// Tasks done.
    pub done: usize,
    /// Tasks in all.
    pub total: usize,
}

/// Phases in order of first appearance, with their status, and the overall percentage.
#[must_use]
pub fn progress(tasks: &[Task]) -> (Vec<PhaseProgress>, u32) {
    let mut phases: Vec<PhaseProgress> = Vec::new();
    for t in tasks {
        let i = match phases.iter().position(|p| p.phase == t.phase) {
            Some(i) => i,
            None => {
                phases.push(PhaseProgress {
                    phase: t.phase.clone(),
                    status: TaskStatus::Pending,
                    done: 0,
                    total: 0,
                });
                phases.len() - 1
            }
        };
        let p = &mut phases[i];
        p.total += 1;
        if t.status == TaskStatus::Completed {
            p.done += 1;
        }
        if t.status == TaskStatus::InProgress {
            p.status = TaskStatus::InProgress;
        }
    }
    for p in &mut phases {
        p.status = match (p.done, p.total) {
            (d, t) if d == t => TaskStatus::Completed,
            (0, _) if p.status != TaskStatus::InProgress => TaskStatus::Pending,
            _ => TaskStatus::InProgress,
        };
    }
    let done: usize = phases.iter().map(|p| p.done).sum();
    let total: usize = phases.iter().map(|p| p.total).sum();
    let percent = u32::try_from((done * 100).checked_div(total).unwrap_or(0)).unwrap_or(100);
    (phases, percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(phase: &str, status: TaskStatus) -> Task {
        Task {
            id: TaskId::from_bytes([0; 16]),
            firm_id: FirmId::from_bytes([0; 16]),
            client_id: ClientId::from_bytes([0; 16]),
            phase: Some(phase.into()),
            title: "t".into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            status,
            evidence: Evidence::Standard,
            position: 0,
            created_at: Timestamp::EPOCH,
            completion: None,
        }
    }

    #[test]
    fn progress_by_phase() {
        let tasks = [
            task("Onboarding", TaskStatus::Completed),
            task("Onboarding", TaskStatus::Completed),
            task("Month end", TaskStatus::Completed),
            task("Month end", TaskStatus::Pending),
            task("Year end", TaskStatus::Pending),
        ];
        let (phases, percent) = progress(&tasks);
        let statuses: Vec<TaskStatus> = phases.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            [
                TaskStatus::Completed,
                TaskStatus::InProgress,
                TaskStatus::Pending
            ]
        );
        assert_eq!(percent, 60);
        assert_eq!(progress(&[]).1, 0);
    }
}
