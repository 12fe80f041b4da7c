//! Email codes: six digits typed into the page that asked for them, for devices where
//! the email is read elsewhere.
//!
//! A code lives 10 minutes (configurable up to 30) and is stored only as a salted
//! argon2id hash: six digits are 20 bits, so a plain SHA-256 would fall to a table in
//! microseconds. A login attempt ("challenge") may send at most 5 codes; each code
//! survives at most 5 wrong guesses, each taken atomically *before* the hash is
//! checked, so concurrent guesses cannot exceed the limit. Wrong guesses also count
//! against the contact (see [`crate::failure`]).
//!
//! An address no active contact has gets a challenge too, on its
//! [stand-in](crate::failure::stand_in), with a code nobody receives: its guesses,
//! resends and back-off run exactly as a contact's do, so that an answer decided
//! without checking the code (a dead code, back-off, no live challenge) hashes
//! nothing and still tells nobody whether the address is known.

use crate::clock::Timestamp;
use crate::id::{ContactId, FirmId};
use crate::random::{RandomnessUnavailable, SecretSource, uniform_below};
use crate::session::SessionSeed;
use crate::token::{Token, TokenDigest};

/// A stored login attempt with its current code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Digest of the challenge token (the page's hidden field).
    pub digest: TokenDigest,
    /// Whom it logs in.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When the current code stops working.
    pub expires_at: Timestamp,
    /// argon2id PHC string of the current code.
    pub code_hash: String,
    /// Where the login lands.
    pub next: Option<String>,
}

/// What a resend did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The challenge has a new code.
    Resent {
        /// Whose challenge it is.
        contact_id: ContactId,
    },
    /// The challenge already had its maximum of codes; nothing changed.
    LimitReached,
    /// No live challenge (unknown, consumed, superseded); nothing changed.
    NotLive,
}

/// What taking a guess found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuessReservation {
    /// A guess was taken: check the code against this hash.
    Reserved {
        /// Whose challenge it is.
        contact_id: ContactId,
        /// Its firm.
        firm_id: FirmId,
        /// The current code's hash.
        code_hash: String,
        /// Which code of the challenge this is (1 for the first, +1 per resend).
        generation: u32,
    },
    /// The current code has had all its guesses: it is dead.
    Exhausted {
        /// Whose challenge it is.
        contact_id: ContactId,
        /// Its firm.
        firm_id: FirmId,
    },
    /// No live code (unknown, expired, consumed, superseded).
    NotLive,
}

/// A verified code, for the store to consume.
#[derive(Clone, Debug)]
pub struct ChallengeRedemption {
    /// The challenge.
    pub digest: TokenDigest,
    /// The generation whose code was verified; a resend since makes this fail.
    pub generation: u32,
    /// The session to start.
    pub seed: SessionSeed,
}

/// What asking for a code gives the page, whatever the address.
#[derive(Debug)]
pub struct CodeRequested {
    /// The challenge token, for the code page's hidden field.
    pub challenge: Token,
}

/// Six uniformly random digits.
pub fn generate_code(source: &dyn SecretSource) -> Result<String, RandomnessUnavailable> {
    Ok(format!("{:06}", uniform_below(source, 1_000_000)?))
}

/// The code as typed, without spaces or dashes, if it is six ASCII digits.
#[must_use]
pub fn normalize_code(typed: &str) -> Option<String> {
    if typed.len() > 32 {
        return None;
    }
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;

    #[test]
    fn codes_are_six_digits() {
        let s = SeededSecretSource::new(5);
        for _ in 0..1000 {
            let c = generate_code(&s).unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalize_code("123 456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", "", &"1".repeat(100)] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }
}
