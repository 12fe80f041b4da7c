//! Typed identifiers: a `ClientId` can never be passed where a `ContactId` is expected.
//!
//! Ids are random UUIDs (version 4) drawn from the injected [`SecretSource`], so they
//! reveal neither counts nor creation order. They are not secrets: authorisation never
//! rests on an id being unguessable.

use std::fmt;
use std::str::FromStr;

use crate::random::{RandomnessUnavailable, SecretSource};

/// An id that is not a well-formed, hyphenated UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed id")]
pub struct IdParseError;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                // All 128 bits in one write: SipHash keys take all of them, and
                // maps of Portal's own random ids can fold them instead
                // (`token::BuildDigestHasher`).
                state.write_u128(self.0.as_u128());
            }
        }

        impl $name {
            /// A new random id.
            pub fn generate(source: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
                let mut bytes = [0u8; 16];
                source.fill(&mut bytes)?;
                Ok($name(uuid::Builder::from_random_bytes(bytes).into_uuid()))
            }

            /// The id from its 16 raw bytes (as read back from a store).
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                $name(uuid::Uuid::from_bytes(bytes))
            }

            /// The 16 raw bytes.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// The id as a `uuid::Uuid` (for stores with a native UUID type).
            #[must_use]
            pub const fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }

            /// The id from a `uuid::Uuid`.
            #[must_use]
            pub const fn from_uuid(id: uuid::Uuid) -> Self {
                $name(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            /// Only the canonical 36-character hyphenated form is accepted.
            fn from_str(s: &str) -> Result<Self, IdParseError> {
                if s.len() != 36 {
                    return Err(IdParseError);
                }
                uuid::Uuid::try_parse(s).map($name).map_err(|_| IdParseError)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                // Formatted on the stack: ids fill every JSON answer.
                let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
                s.serialize_str(self.0.hyphenated().encode_lower(&mut buf))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

typed_id!(
    /// A firm: the business that runs a portal (a tenant).
    FirmId
);
typed_id!(
    /// A client of a firm: a company whose contacts use the portal.
    ClientId
);
typed_id!(
    /// A contact: a person who logs in to the portal.
    ContactId
);
typed_id!(
    /// A session, as staff see it (for revoking one). Not the session's secret token.
    SessionId
);
typed_id!(
    /// A task of a client.
    TaskId
);
typed_id!(
    /// A phase of a client's work, which groups its tasks.
    PhaseId
);
typed_id!(
    /// A stored file: an upload, a published document.
    FileId
);
typed_id!(
    /// One upload of files for a document request, reviewed as a whole.
    UploadId
);
typed_id!(
    /// A comment on a task.
    CommentId
);
typed_id!(
    /// A question a contact asked the firm.
    QuestionId
);
typed_id!(
    /// A message in the outbox: the same id for every attempt to deliver it, so that a
    /// receiver can tell a message sent again from a new one.
    MessageId
);
typed_id!(
    /// A worker's claim on messages of the outbox: only the claim that took a message
    /// may record how its delivery went.
    ClaimId
);

/// The id of a member of the firm's staff, as the host application knows them.
///
/// Portal does not authenticate staff: the host does, and hands Portal this id for
/// every staff operation so that the audit log says who did it.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct StaffId(String);

/// A staff id that is empty, longer than 128 bytes, or holds control characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a staff id has 1 to 128 printable characters")]
pub struct StaffIdError;

impl StaffId {
    /// Validates a host-supplied staff id.
    pub fn new(id: impl Into<String>) -> Result<Self, StaffIdError> {
        let id = id.into();
        if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
            return Err(StaffIdError);
        }
        Ok(StaffId(id))
    }

    /// The id's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaffId({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;

    #[test]
    fn keyed_hashers_see_every_bit_of_an_id() {
        use std::hash::BuildHasher as _;
        // Equal halves fold to zero: ids anyone can write that a hash of the folded
        // halves would collide.
        let a = ClientId::from_bytes([7; 16]);
        let b = ClientId::from_bytes([9; 16]);
        let sip = std::collections::hash_map::RandomState::new();
        assert_ne!(sip.hash_one(a), sip.hash_one(b));
        let digest = crate::token::BuildDigestHasher::default();
        let c = ClientId::from_bytes([[7; 8], [9; 8]].concat().try_into().unwrap());
        assert_ne!(digest.hash_one(a), digest.hash_one(c));
    }

    #[test]
    fn ids_round_trip_and_parse_strictly() {
        let id = ClientId::generate(&SeededSecretSource::new(1)).unwrap();
        let s = id.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(s.parse::<ClientId>(), Ok(id));
        assert_eq!(s.replace('-', "").parse::<ClientId>(), Err(IdParseError));
        assert_eq!(format!("{{{s}}}").parse::<ClientId>(), Err(IdParseError));
        assert_eq!("../../etc/passwd".parse::<ClientId>(), Err(IdParseError));
        assert_eq!("é".repeat(18).parse::<ClientId>(), Err(IdParseError));
    }

    #[test]
    fn staff_ids_are_validated() {
        assert!(StaffId::new("alice@firm").is_ok());
        assert_eq!(StaffId::new(""), Err(StaffIdError));
        assert_eq!(StaffId::new("a\nb"), Err(StaffIdError));
        assert_eq!(StaffId::new("x".repeat(129)), Err(StaffIdError));
    }
}
