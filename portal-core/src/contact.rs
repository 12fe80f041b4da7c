//! Contacts: the people who log in, and the state of their access.

use crate::clock::Timestamp;
use crate::email::EmailAddress;
use crate::id::{ContactId, FirmId};
use crate::phone::PhoneNumber;

/// A person who uses the portal. Belongs to one firm; reaches clients through grants.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// Where mail goes (as stored) and how it is found (canonical form).
    pub email: EmailAddress,
    /// First name, for greetings (`{{contact.first_name}}`).
    pub first_name: String,
    /// Where text messages go ([`Channel::Text`](crate::notify::Channel::Text)), if
    /// staff gave a number.
    pub phone: Option<PhoneNumber>,
    /// Whether it may log in.
    pub status: ContactStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last invited.
    pub invited_at: Option<Timestamp>,
    /// When it first logged in.
    pub joined_at: Option<Timestamp>,
    /// When it was last seen (login or visit).
    pub last_seen_at: Option<Timestamp>,
}

/// Whether a contact may log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// It may.
    Active,
    /// Temporarily not; lifted by staff without a new invitation.
    Suspended,
    /// Not until invited again.
    Revoked,
}

impl ContactStatus {
    /// Stable name for storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Active => "active",
            ContactStatus::Suspended => "suspended",
            ContactStatus::Revoked => "revoked",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            ContactStatus::Active,
            ContactStatus::Suspended,
            ContactStatus::Revoked,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in [
            ContactStatus::Active,
            ContactStatus::Suspended,
            ContactStatus::Revoked,
        ] {
            assert_eq!(ContactStatus::from_name(s.as_str()), Some(s));
        }
        assert_eq!(ContactStatus::from_name("x"), None);
    }
}
