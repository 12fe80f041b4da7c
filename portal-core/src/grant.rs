//! Grants: which clients a contact may see, and what it may do there.
//!
//! A contact may hold grants to several clients of its own firm ("merged" access: one
//! login, a switcher between businesses). Every request of a contact is scoped to one
//! granted client; an id of any other client answers as if it did not exist.

use std::fmt;

use crate::clock::Timestamp;
use crate::id::{ClientId, ContactId};

/// What a contact may do for one client.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions(u8);

impl Permissions {
    /// See and complete tasks.
    pub const TASKS: Permissions = Permissions(1);
    /// See and upload documents and files.
    pub const DOCUMENTS: Permissions = Permissions(2);
    /// See financial reports the firm publishes.
    pub const REPORTS: Permissions = Permissions(4);
    /// Approve or reject what the firm submits.
    pub const APPROVALS: Permissions = Permissions(8);
    /// Nothing.
    pub const NONE: Permissions = Permissions(0);
    /// Everything.
    pub const ALL: Permissions = Permissions(15);

    const NAMES: [(Permissions, &'static str); 4] = [
        (Permissions::TASKS, "tasks"),
        (Permissions::DOCUMENTS, "documents"),
        (Permissions::REPORTS, "reports"),
        (Permissions::APPROVALS, "approvals"),
    ];

    /// Whether every permission in `other` is included.
    #[must_use]
    pub const fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union.
    #[must_use]
    pub const fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }

    /// The bits, for storage.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// From stored bits; unknown bits are dropped.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Permissions {
        Permissions(bits & Permissions::ALL.0)
    }

    /// The permissions' names.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(p, _)| self.contains(*p))
            .map(|(_, n)| n)
    }

    /// Parses names such as `["tasks", "documents"]`; an unknown name is an error.
    pub fn from_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Permissions, UnknownPermission> {
        names.into_iter().try_fold(Permissions::NONE, |acc, name| {
            Self::NAMES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(p, _)| acc.union(*p))
                .ok_or(UnknownPermission)
        })
    }
}

/// A permission name that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission (expected tasks, documents, reports, approvals)")]
pub struct UnknownPermission;

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl serde::Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

/// A contact's access to one client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Who.
    pub contact_id: ContactId,
    /// To which client.
    pub client_id: ClientId,
    /// What it may do.
    pub permissions: Permissions,
    /// Since when.
    pub granted_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let p = Permissions::TASKS.union(Permissions::APPROVALS);
        assert_eq!(p.names().collect::<Vec<_>>(), ["tasks", "approvals"]);
        assert_eq!(Permissions::from_names(p.names()), Ok(p));
        assert_eq!(Permissions::from_names(["admin"]), Err(UnknownPermission));
        assert!(Permissions::ALL.contains(p));
        assert!(!p.contains(Permissions::DOCUMENTS));
        assert_eq!(Permissions::from_bits(0xff), Permissions::ALL);
    }
}
