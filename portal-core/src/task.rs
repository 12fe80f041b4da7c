//! Tasks: what a client (or the firm) has to do, by phase, with the evidence each asks
//! for ([`crate::evidence`]: its definition, and what is submitted for it).
//!
//! Rules: a contact sees the tasks of a client it holds a grant to, with the `tasks`
//! permission; a task of any other client answers as if it did not exist. A contact
//! completes only the client's side of the work. Completing and un-completing are
//! idempotent: doing it twice leaves the first completion as it was. The first
//! submission of a task stands: the same again changes nothing, another is refused.
//! Staff may withdraw a task; it is kept, and contacts no longer see it.

use std::net::IpAddr;

use crate::audit::Actor;
use crate::clock::Timestamp;
pub use crate::evidence::Evidence;
use crate::evidence::Submission;
use crate::id::{ClientId, FirmId, PhaseId, TaskId};
use crate::phase::Phase;

/// Who is expected to do a task; written `client` or `firm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Side {
    /// The client's contacts.
    Client,
    /// The firm's staff.
    Firm,
}

/// Where a task stands; written `pending`, `in_progress`, `completed` or `blocked`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Who completed a task, when, from where, with what note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Who.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
    /// The note given, if any.
    pub note: Option<String>,
    /// The IP address the completion came from, as the web layer determined it.
    pub ip: Option<IpAddr>,
}

/// Who checked one item of a checklist, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemCheck {
    /// Who: a contact or a member of staff.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
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
    /// The phase it is grouped under, if any.
    pub phase_id: Option<PhaseId>,
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
    /// Order within the client's list (a phase's tasks follow it too).
    pub position: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last written: created, edited, answered, checked, withdrawn. A
    /// meeting's invitation is stamped with it, so that calendars take the latest.
    pub updated_at: Timestamp,
    /// Its completion, while completed.
    pub completion: Option<Completion>,
    /// What was submitted for it: the first submission stands.
    pub submission: Option<Submission>,
    /// For a checklist, one entry per item, in order: who checked it, if anyone. Empty
    /// for every other type.
    pub checklist: Vec<Option<ItemCheck>>,
    /// When staff withdrew it; a withdrawn task is kept, and contacts no longer see it.
    pub withdrawn_at: Option<Timestamp>,
}

/// What staff give to create a task.
#[derive(Clone, Debug)]
pub struct NewTask {
    /// The name of its phase, if any (one line; blank is none). A name the client has
    /// no phase of makes a new phase, after the client's others.
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

/// What staff may change of a task: everything here replaces what the task has. The
/// definition changes only while nothing was given for the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEdit {
    /// Its phase.
    pub phase_id: Option<PhaseId>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Due date.
    pub due_on: Option<Timestamp>,
    /// Who does it.
    pub assignee: Side,
    /// Order within the client's list.
    pub position: i64,
    /// What it asks for.
    pub evidence: Evidence,
}

impl From<&Task> for TaskEdit {
    /// The edit that leaves `task` as it is, to change a field of.
    fn from(task: &Task) -> Self {
        TaskEdit {
            phase_id: task.phase_id,
            title: task.title.clone(),
            description: task.description.clone(),
            due_on: task.due_on,
            assignee: task.assignee,
            position: task.position,
            evidence: task.evidence.clone(),
        }
    }
}

/// What a conditional write to a task found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskOutcome {
    /// It wrote: the task as it now is.
    Changed(Task),
    /// The task already was as asked; nothing written.
    Unchanged(Task),
    /// The task holds something the write may not replace (another submission, a
    /// definition already answered); nothing written.
    Conflict(Task),
}

impl TaskOutcome {
    /// The task, whatever happened.
    #[must_use]
    pub fn into_task(self) -> Task {
        match self {
            TaskOutcome::Changed(t) | TaskOutcome::Unchanged(t) | TaskOutcome::Conflict(t) => t,
        }
    }
}

impl Task {
    /// Whether anything was given for it: a completion, a submission, a checked item.
    /// Its definition is fixed from then on.
    #[must_use]
    pub fn answered(&self) -> bool {
        self.completion.is_some() || self.submission.is_some() || self.checked_items() > 0
    }

    /// How many checklist items are checked.
    #[must_use]
    pub fn checked_items(&self) -> usize {
        self.checklist.iter().flatten().count()
    }

    /// The task with `edit` applied at `at`, as every store decides it: `Unchanged`
    /// when it changes nothing, `Conflict` when it would change an answered task's
    /// definition.
    #[must_use]
    pub fn edited(&self, edit: &TaskEdit, at: Timestamp) -> TaskOutcome {
        if edit.evidence != self.evidence && self.answered() {
            return TaskOutcome::Conflict(self.clone());
        }
        let mut next = Task {
            phase_id: edit.phase_id,
            title: edit.title.clone(),
            description: edit.description.clone(),
            due_on: edit.due_on,
            assignee: edit.assignee,
            position: edit.position,
            evidence: edit.evidence.clone(),
            ..self.clone()
        };
        if next == *self {
            return TaskOutcome::Unchanged(next);
        }
        if next.evidence != self.evidence {
            next.checklist = empty_checklist(&next.evidence);
        }
        next.updated_at = at;
        TaskOutcome::Changed(next)
    }

    /// What submitting `submission`, checked against the definition `checked_against`,
    /// does, as every store decides it: the first submission of a task not yet
    /// completed, whose definition is still that one, stands (`Changed`, the task
    /// completed with `completion`); the same again is `Unchanged`; any other is a
    /// `Conflict`.
    #[must_use]
    pub fn submitted(
        &self,
        checked_against: &Evidence,
        submission: &Submission,
        completion: &Completion,
    ) -> TaskOutcome {
        if self.submission.is_none()
            && self.status != TaskStatus::Completed
            && self.evidence == *checked_against
        {
            return TaskOutcome::Changed(Task {
                status: TaskStatus::Completed,
                completion: Some(completion.clone()),
                submission: Some(submission.clone()),
                updated_at: completion.at,
                ..self.clone()
            });
        }
        if self.submission.as_ref() == Some(submission) {
            TaskOutcome::Unchanged(self.clone())
        } else {
            TaskOutcome::Conflict(self.clone())
        }
    }
}

impl Task {
    /// What setting `status` does: nothing if the task has it already (a completion
    /// stands); otherwise the status, with `completion` when it becomes completed and
    /// none when it is anything else, stamped `at`.
    #[must_use]
    pub fn with_status(
        &self,
        status: TaskStatus,
        completion: Option<&Completion>,
        at: Timestamp,
    ) -> TaskOutcome {
        if self.status == status {
            return TaskOutcome::Unchanged(self.clone());
        }
        TaskOutcome::Changed(Task {
            status,
            completion: completion
                .filter(|_| status == TaskStatus::Completed)
                .cloned(),
            updated_at: at,
            ..self.clone()
        })
    }

    /// What withdrawing it at `at` does: nothing if it was withdrawn already.
    #[must_use]
    pub fn withdrawn(&self, at: Timestamp) -> TaskOutcome {
        if self.withdrawn_at.is_some() {
            return TaskOutcome::Unchanged(self.clone());
        }
        TaskOutcome::Changed(Task {
            withdrawn_at: Some(at),
            updated_at: at,
            ..self.clone()
        })
    }

    /// What checking (`Some`) or unchecking (`None`) checklist item `item` does: a
    /// checked item keeps its first check, an unchecked one stays so; otherwise the
    /// item, the status the checked items give ([`checklist_status`]) and the
    /// completion that goes with it ([`checklist_completion`]), stamped `at`. `Conflict` for a task that is no checklist or has no such item.
    #[must_use]
    pub fn with_item(&self, item: usize, check: Option<&ItemCheck>, at: Timestamp) -> TaskOutcome {
        let Some(current) = self.checklist.get(item) else {
            return TaskOutcome::Conflict(self.clone());
        };
        if current.is_some() == check.is_some() {
            return TaskOutcome::Unchanged(self.clone());
        }
        let mut next = self.clone();
        next.checklist[item] = check.cloned();
        next.status = checklist_status(next.checked_items(), next.checklist.len());
        next.completion = checklist_completion(&next, check);
        next.updated_at = at;
        TaskOutcome::Changed(next)
    }
}

/// A checklist's completion after a check changed it: the check of its last item,
/// when that made it complete (no note, and no address: a check records neither);
/// none when it is not complete.
#[must_use]
pub fn checklist_completion(task: &Task, check: Option<&ItemCheck>) -> Option<Completion> {
    match check {
        Some(check) if task.status == TaskStatus::Completed => Some(Completion {
            by: check.by.clone(),
            at: check.at,
            note: None,
            ip: None,
        }),
        _ => None,
    }
}

/// The checklist entries of a fresh task with this definition: none checked.
#[must_use]
pub fn empty_checklist(evidence: &Evidence) -> Vec<Option<ItemCheck>> {
    match evidence {
        Evidence::Checklist(c) => vec![None; c.items.len()],
        _ => Vec::new(),
    }
}

/// The status a checklist's checked items give it: completed when all are checked,
/// in progress when some are, pending when none is.
#[must_use]
pub fn checklist_status(checked: usize, items: usize) -> TaskStatus {
    match checked {
        0 => TaskStatus::Pending,
        n if n >= items => TaskStatus::Completed,
        _ => TaskStatus::InProgress,
    }
}

/// Progress of one phase, for the "Our progress" timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseProgress {
    /// The phase (`None` for the tasks without one).
    pub phase: Option<Phase>,
    /// Pending (nothing done), in progress (some done or started), completed (all done).
    pub status: TaskStatus,
    /// Units done: a task is one unit, a checklist one per item.
    pub done: usize,
    /// Units in all.
    pub total: usize,
    /// `done` as a whole percentage of `total` (0 when there is nothing).
    pub percent: u32,
}

/// A client's progress: its phases with their status, and the overall percentage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The phases in their order, then the tasks without a phase (if any).
    pub phases: Vec<PhaseProgress>,
    /// Units done as a whole percentage of all units.
    pub percent: u32,
}

fn percent(done: usize, total: usize) -> u32 {
    u32::try_from((done * 100).checked_div(total).unwrap_or(0)).unwrap_or(100)
}

/// Groups `tasks` by phase in the order of `phases` (the tasks without a phase, or of a
/// phase not given, in a group of their own at the end), counting a checklist by its
/// items (checked ones done, all of them once it is completed) and every other task as
/// one unit. Withdrawn tasks count nowhere.
#[must_use]
pub fn progress(phases: &[Phase], tasks: &[Task]) -> Progress {
    let mut groups: Vec<PhaseProgress> = phases
        .iter()
        .map(|p| PhaseProgress {
            phase: Some(p.clone()),
            status: TaskStatus::Pending,
            done: 0,
            total: 0,
            percent: 0,
        })
        .collect();
    let mut rest = PhaseProgress {
        phase: None,
        status: TaskStatus::Pending,
        done: 0,
        total: 0,
        percent: 0,
    };
    for t in tasks.iter().filter(|t| t.withdrawn_at.is_none()) {
        let group = match groups
            .iter_mut()
            .find(|g| g.phase.as_ref().map(|p| p.id) == t.phase_id && t.phase_id.is_some())
        {
            Some(g) => g,
            None => &mut rest,
        };
        let (done, total) = match (&t.evidence, t.status) {
            (Evidence::Checklist(c), TaskStatus::Completed) => (c.items.len(), c.items.len()),
            (Evidence::Checklist(c), _) => (t.checked_items(), c.items.len()),
            (_, TaskStatus::Completed) => (1, 1),
            _ => (0, 1),
        };
        group.done += done;
        group.total += total;
        if t.status == TaskStatus::InProgress {
            group.status = TaskStatus::InProgress;
        }
    }
    if rest.total > 0 {
        groups.push(rest);
    }
    for g in &mut groups {
        g.status = if g.total > 0 && g.done == g.total {
            TaskStatus::Completed
        } else if g.done > 0 || g.status == TaskStatus::InProgress {
            TaskStatus::InProgress
        } else {
            TaskStatus::Pending
        };
        g.percent = percent(g.done, g.total);
    }
    let done = groups.iter().map(|g| g.done).sum();
    let total = groups.iter().map(|g| g.total).sum();
    Progress {
        phases: groups,
        percent: percent(done, total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Checklist;

    fn phase(n: u8, name: &str) -> Phase {
        Phase {
            id: PhaseId::from_bytes([n; 16]),
            firm_id: FirmId::from_bytes([0; 16]),
            client_id: ClientId::from_bytes([0; 16]),
            name: name.into(),
            position: i64::from(n),
            created_at: Timestamp::EPOCH,
        }
    }

    fn task(phase: Option<u8>, status: TaskStatus) -> Task {
        Task {
            id: TaskId::from_bytes([0; 16]),
            firm_id: FirmId::from_bytes([0; 16]),
            client_id: ClientId::from_bytes([0; 16]),
            phase_id: phase.map(|n| PhaseId::from_bytes([n; 16])),
            title: "t".into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            status,
            evidence: Evidence::Standard,
            position: 0,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
            completion: None,
            submission: None,
            checklist: Vec::new(),
            withdrawn_at: None,
        }
    }

    fn statuses(p: &Progress) -> Vec<TaskStatus> {
        p.phases.iter().map(|g| g.status).collect()
    }

    #[test]
    fn progress_by_phase_in_the_phases_order() {
        let phases = [
            phase(1, "Onboarding"),
            phase(2, "Month end"),
            phase(3, "Year end"),
        ];
        // Listed out of the phases' order: the groups follow the phases.
        let tasks = [
            task(Some(2), TaskStatus::Completed),
            task(Some(1), TaskStatus::Completed),
            task(Some(1), TaskStatus::Completed),
            task(Some(2), TaskStatus::Pending),
            task(Some(3), TaskStatus::Pending),
        ];
        let p = progress(&phases, &tasks);
        assert_eq!(
            statuses(&p),
            [
                TaskStatus::Completed,
                TaskStatus::InProgress,
                TaskStatus::Pending
            ]
        );
        let names: Vec<_> = p
            .phases
            .iter()
            .map(|g| g.phase.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(names, ["Onboarding", "Month end", "Year end"]);
        assert_eq!(p.phases[1].percent, 50);
        assert_eq!(p.percent, 60);
        assert_eq!(progress(&[], &[]).percent, 0);
    }

    #[test]
    fn tasks_without_a_phase_come_last_and_withdrawn_ones_count_nowhere() {
        let phases = [phase(1, "Onboarding")];
        let mut withdrawn = task(Some(1), TaskStatus::Pending);
        withdrawn.withdrawn_at = Some(Timestamp::EPOCH);
        let tasks = [
            task(None, TaskStatus::InProgress),
            withdrawn,
            task(Some(1), TaskStatus::Completed),
            task(Some(9), TaskStatus::Pending),
        ];
        let p = progress(&phases, &tasks);
        assert_eq!(
            statuses(&p),
            [TaskStatus::Completed, TaskStatus::InProgress]
        );
        assert_eq!(p.phases[1].phase, None);
        assert_eq!((p.phases[1].done, p.phases[1].total), (0, 2));
        assert_eq!(p.percent, 33);
    }

    #[test]
    fn a_checklist_counts_by_its_items() {
        let mut list = task(None, TaskStatus::InProgress);
        list.evidence = Evidence::Checklist(Checklist::new(&["a", "b", "c"]).unwrap());
        let check = ItemCheck {
            by: Actor::System,
            at: Timestamp::EPOCH,
        };
        list.checklist = vec![Some(check), None, None];
        let p = progress(&[], &[list.clone(), task(None, TaskStatus::Completed)]);
        assert_eq!((p.phases[0].done, p.phases[0].total), (2, 4));
        assert_eq!(p.percent, 50);
        list.status = TaskStatus::Completed;
        assert_eq!(progress(&[], &[list]).percent, 100, "completed is all done");
        assert_eq!(checklist_status(0, 3), TaskStatus::Pending);
        assert_eq!(checklist_status(2, 3), TaskStatus::InProgress);
        assert_eq!(checklist_status(3, 3), TaskStatus::Completed);
    }

    #[test]
    fn the_first_submission_stands_and_a_definition_is_fixed_once_answered() {
        let t = task(None, TaskStatus::Pending);
        let done = Completion {
            by: Actor::System,
            at: Timestamp::from_unix_millis(5),
            note: None,
            ip: None,
        };
        let TaskOutcome::Changed(first) = t.submitted(&t.evidence, &Submission::Watched, &done)
        else {
            panic!("the first stands");
        };
        assert_eq!(
            (first.status, first.updated_at),
            (TaskStatus::Completed, done.at)
        );
        assert!(matches!(
            first.submitted(&t.evidence, &Submission::Watched, &done),
            TaskOutcome::Unchanged(_)
        ));
        let other = Submission::answer("x").unwrap();
        assert!(
            matches!(
                t.submitted(
                    &Evidence::Checklist(Checklist::new(&["a"]).unwrap()),
                    &other,
                    &done
                ),
                TaskOutcome::Conflict(_)
            ),
            "checked against a definition the task no longer has"
        );
        assert!(matches!(
            first.submitted(&t.evidence, &other, &done),
            TaskOutcome::Conflict(_)
        ));
        let edit = TaskEdit {
            phase_id: None,
            title: "t".into(),
            description: String::new(),
            due_on: None,
            assignee: Side::Client,
            position: 0,
            evidence: Evidence::Checklist(Checklist::new(&["a"]).unwrap()),
        };
        let at = Timestamp::from_unix_millis(9);
        assert!(matches!(first.edited(&edit, at), TaskOutcome::Conflict(_)));
        let TaskOutcome::Changed(edited) = t.edited(&edit, at) else {
            panic!("nothing was given yet");
        };
        assert_eq!(edited.checklist, [None]);
        assert_eq!(edited.updated_at, at);
        assert!(matches!(
            edited.edited(&edit, at),
            TaskOutcome::Unchanged(_)
        ));
        assert_eq!(TaskEdit::from(&edited), edit);
    }
}
