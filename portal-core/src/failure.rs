//! The contact-level failure counter: consecutive failed codes and passwords.
//!
//! It belongs to the contact, not to a code, an attempt, a cookie or an IP, so none of
//! those resets it: only a successful login does. Past the policy's threshold every
//! further code or password try waits out an exponential back-off. Magic links keep
//! working throughout: they prove control of the inbox, which guessing does not.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::email::CanonicalEmail;
use crate::id::ContactId;
use crate::policy::FailureBackoff;
use crate::token::TokenDigest;

/// How long a failure counter is kept after its last failure: then it is forgotten,
/// for contacts and stand-ins alike (see [`stand_in`]), so that the counters of
/// addresses nobody has do not pile up, and so that forgetting tells no one which
/// counters belong to contacts. Thirty days is far past the longest back-off (a day).
pub const FORGET_FAILURES_AFTER: Duration = Duration::from_secs(30 * 86_400);

/// The subject that stands in for a contact when an attempt names an address no
/// active contact of the firm has: its failures are counted, its back-off applies, its
/// email codes are stored, exactly as a contact's are, so that refusing an attempt
/// without checking its secret (in back-off, or a code that had all its guesses)
/// takes the same time for every address and tells nobody which ones are known.
///
/// A version-8 UUID derived from the canonical address: never a contact's id (those
/// are random, version 4), and the same for the address every time.
#[must_use]
pub fn stand_in(email: &CanonicalEmail) -> ContactId {
    let digest = TokenDigest::of(format!("stand-in\0{}", email.as_str()).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_bytes()[..16]);
    ContactId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// Whether `subject` is a [`stand_in`] rather than a contact.
#[must_use]
pub fn is_stand_in(subject: ContactId) -> bool {
    subject.as_uuid().get_version_num() == 8
}

/// The contact a subject is, for the audit log: none for a stand-in.
#[must_use]
pub(crate) fn contact_of(subject: ContactId) -> Option<ContactId> {
    (!is_stand_in(subject)).then_some(subject)
}

/// A contact's consecutive failures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureState {
    /// Failed codes and passwords since the last successful login.
    pub consecutive: u32,
    /// When the last one happened.
    pub last_failure_at: Option<Timestamp>,
}

impl FailureState {
    /// Until when code and password attempts are refused, if they are at `now`.
    #[must_use]
    pub fn locked_until(&self, backoff: &FailureBackoff, now: Timestamp) -> Option<Timestamp> {
        let wait = backoff.wait_after(self.consecutive);
        let until = self.last_failure_at? + wait;
        (!wait.is_zero() && now < until).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::EmailAddress;
    use crate::random::SeededSecretSource;

    #[test]
    fn a_stand_in_is_stable_per_address_and_never_a_contact_id() {
        let a = EmailAddress::parse("Nobody@Example.com").unwrap();
        let b = EmailAddress::parse("nobody@example.com").unwrap();
        let c = EmailAddress::parse("somebody@example.com").unwrap();
        assert_eq!(stand_in(a.canonical()), stand_in(b.canonical()));
        assert_ne!(stand_in(a.canonical()), stand_in(c.canonical()));
        assert!(is_stand_in(stand_in(a.canonical())));
        assert_eq!(contact_of(stand_in(a.canonical())), None);
        let source = SeededSecretSource::new(3);
        for _ in 0..100 {
            let id = ContactId::generate(&source).unwrap();
            assert!(!is_stand_in(id));
            assert_eq!(contact_of(id), Some(id));
        }
    }

    #[test]
    fn backoff_starts_at_the_threshold() {
        let b = FailureBackoff::default();
        let t = Timestamp::from_unix_millis(1_000_000);
        let state = |n| FailureState {
            consecutive: n,
            last_failure_at: Some(t),
        };
        assert_eq!(state(19).locked_until(&b, t), None);
        assert_eq!(
            state(20).locked_until(&b, t),
            Some(t + Duration::from_secs(30))
        );
        assert_eq!(
            state(20).locked_until(&b, t + Duration::from_secs(30)),
            None
        );
        assert_eq!(
            state(22).locked_until(&b, t + Duration::from_secs(60)),
            Some(t + Duration::from_secs(120))
        );
    }
}
