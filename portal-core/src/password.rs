//! Passwords (optional): set through a single-use link, checked off the async workers.
//!
//! Rules (NIST SP 800-63B-4 for a password that is the only factor): at least 15
//! characters, at most 128, counted after NFKC normalisation; no composition rules; no
//! common or context-derived passwords. Hashing is argon2id (m = 19456 KiB, t = 2,
//! p = 1) on the bounded hashing pool; an unknown address costs one hash too. A password
//! set through a link revokes every session of the contact.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization as _;

use crate::clock::Timestamp;
use crate::id::{ContactId, FirmId};
use crate::policy::PasswordPolicy;
use crate::token::TokenDigest;

/// A stored password set/reset link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordLinkRecord {
    /// Digest of the link's token.
    pub digest: TokenDigest,
    /// Whose password it sets.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer characters than the policy's minimum.
    #[error("use at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than the policy's maximum.
    #[error("use at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// A commonly used or trivially patterned password.
    #[error("this password is too common; choose another")]
    Common,
    /// Mostly the email address or the firm's name.
    #[error("this password is too close to your email or the firm's name")]
    Contextual,
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("common_passwords.txt").lines().collect())
}

/// A string made of one short unit repeated ("abcabcabc...", "aaaa...").
fn is_repetition(chars: &[char]) -> bool {
    (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])
    })
}

/// A run up or down the alphabet or the digits ("abcdef...", "987654...", "890123...").
fn is_sequence(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> i64 {
        let (a, b) = (a as i64, b as i64);
        match (a, b) {
            (57, 48) => 1,  // 9 -> 0
            (48, 57) => -1, // 0 -> 9
            _ => b - a,
        }
    };
    chars.len() > 2 && {
        let first = step(chars[0], chars[1]);
        (first == 1 || first == -1) && chars.windows(2).all(|w| step(w[0], w[1]) == first)
    }
}

/// Checks a new password against the policy and the context words (the local part of
/// the contact's email, the firm's name). Returns the NFKC form to hash.
pub fn check_password(
    password: &str,
    policy: &PasswordPolicy,
    context: &[&str],
) -> Result<String, PasswordProblem> {
    let normalized: String = password.nfkc().collect();
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() < policy.min_chars {
        return Err(PasswordProblem::TooShort {
            min: policy.min_chars,
        });
    }
    if chars.len() > policy.max_chars {
        return Err(PasswordProblem::TooLong {
            max: policy.max_chars,
        });
    }
    let lower = normalized.to_lowercase();
    let lower_chars: Vec<char> = lower.chars().collect();
    if common_passwords().contains(lower.as_str())
        || is_repetition(&lower_chars)
        || is_sequence(&lower_chars)
    {
        return Err(PasswordProblem::Common);
    }
    let words = context.iter().flat_map(|w| {
        let w = w.trim().to_lowercase();
        [w.split_whitespace().collect::<String>(), w]
    });
    for word in words {
        if word.chars().count() >= 4 && lower.contains(&word) {
            let rest = lower.replace(&word, "");
            if rest.chars().count() * 2 < lower_chars.len() {
                return Err(PasswordProblem::Contextual);
            }
        }
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<String, PasswordProblem> {
        check_password(
            p,
            &PasswordPolicy::default(),
            &["jane.doe", "Acme Accounting"],
        )
    }

    #[test]
    fn length_is_counted_in_characters_after_nfkc() {
        assert_eq!(
            check("short one here"),
            Err(PasswordProblem::TooShort { min: 15 })
        );
        assert!(check("fifteen chars!!").is_ok());
        assert_eq!(
            check(&"x1y2z3".repeat(22)),
            Err(PasswordProblem::TooLong { max: 128 })
        );
        // 15 non-ASCII characters are 15 characters, not 30 bytes.
        assert!(check("ĉĝĥĵŝŭ ĉĝĥĵŝŭ ĉ").is_ok());
        // Fullwidth letters normalise to ASCII before hashing.
        assert_eq!(
            check("ｍｅａｄｏｗ ｌａｒｋ ｔｕｎｅｓ").unwrap(),
            "meadow lark tunes"
        );
    }

    #[test]
    fn common_and_patterned_passwords_are_refused() {
        for p in [
            "passwordpassword",
            "PasswordPassword",
            "123456789012345",
            "aaaaaaaaaaaaaaaaaaaa",
            "abcabcabcabcabcabc",
            "abcdefghijklmnopq",
            "9876543210987654",
            "correct horse battery staple",
        ] {
            assert_eq!(check(p), Err(PasswordProblem::Common), "{p}");
        }
    }

    #[test]
    fn no_composition_rules() {
        assert!(check("all lower case words here").is_ok());
        assert!(check("ALLUPPERCASEWORDS").is_ok());
    }

    #[test]
    fn context_words_are_refused() {
        assert_eq!(
            check("jane.doe-jane.doe!"),
            Err(PasswordProblem::Contextual)
        );
        assert_eq!(
            check("AcmeAccounting2026"),
            Err(PasswordProblem::Contextual)
        );
        assert!(check("jane.doe likes blue herons").is_ok());
    }
}
