//! Phases: the stages a client's work goes through ("Onboarding", "Month end"), each
//! grouping tasks.
//!
//! A client's phases are ordered by position, and their names (one line) are unique
//! within the client. A task belongs to at most one phase; the tasks of a phase keep
//! the order of the client's list. Progress groups the tasks by phase, in the phases'
//! order ([`crate::task::progress`]).

use crate::clock::Timestamp;
use crate::id::{ClientId, FirmId, PhaseId};

/// A phase of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Its id.
    pub id: PhaseId,
    /// The firm.
    pub firm_id: FirmId,
    /// The client whose work it groups.
    pub client_id: ClientId,
    /// Its name, unique within the client ([`crate::text::TASK_PHASE`]).
    pub name: String,
    /// Order among the client's phases.
    pub position: i64,
    /// When it was created.
    pub created_at: Timestamp,
}
