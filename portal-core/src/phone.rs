//! Phone numbers, kept in E.164 form: `+`, then 8 to 15 digits, the first not 0.
//!
//! Staff type numbers the way they are printed (`+44 20 7946 0958`, `+1 (555)
//! 010-0199`); the separators between digits go, and what is kept is the one form a
//! text-message provider takes. A number without its country code is refused rather
//! than guessed: Portal serves firms in any country, so `020 7946 0958` could be
//! anywhere. For the same reason a leading `00` is not read as `+`: it is the
//! international prefix of many countries but not all (`011` in North America), so
//! staff are asked to write the `+` themselves.

use std::fmt;

/// The fewest digits an E.164 number has, country code included (the shortest
/// numbers in use, e.g. some small countries' subscriber numbers, have 8).
pub const MIN_PHONE_DIGITS: usize = 8;

/// The most digits E.164 allows, country code included.
pub const MAX_PHONE_DIGITS: usize = 15;

/// Why a string is not an acceptable phone number. The messages name the rule, never
/// the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but whitespace.
    #[error("enter a phone number")]
    Empty,
    /// Starts with `00`, the international prefix of some countries.
    #[error("write the phone number with + instead of the leading 00")]
    InternationalPrefix,
    /// No `+` and country code in front.
    #[error("start the phone number with + and the country code")]
    MissingPlus,
    /// A letter, a second `+` or another sign.
    #[error("a phone number has only digits, spaces, dots, hyphens and parentheses")]
    InvalidCharacter,
    /// A space, dot, hyphen or parenthesis before the first digit or after the last.
    #[error("spaces, dots, hyphens and parentheses go between the digits of a phone number")]
    MisplacedSeparator,
    /// The country code starts with 0.
    #[error("no country code starts with 0")]
    CountryCodeZero,
    /// Fewer than 8 digits.
    #[error("a phone number has at least 8 digits")]
    TooShort,
    /// More than 15 digits.
    #[error("a phone number has at most 15 digits")]
    TooLong,
}

/// A validated phone number in E.164 form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Validates `input` as staff type it: surrounding whitespace is trimmed, and
    /// spaces, dots, hyphens and parentheses between the digits are removed.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input
            .chars()
            .any(|c| !c.is_ascii_digit() && c != '+' && !is_separator(c))
        {
            return Err(PhoneError::InvalidCharacter);
        }
        let Some(rest) = input.strip_prefix('+') else {
            return Err(if input.starts_with("00") {
                PhoneError::InternationalPrefix
            } else {
                PhoneError::MissingPlus
            });
        };
        if rest.contains('+') {
            return Err(PhoneError::InvalidCharacter);
        }
        // A closing parenthesis may end the number, as in `+44 20 (7946)`.
        let ends_well = rest.ends_with(|c: char| c.is_ascii_digit() || c == ')');
        if !rest.starts_with(|c: char| c.is_ascii_digit()) || !ends_well {
            return Err(PhoneError::MisplacedSeparator);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if digits.starts_with('0') {
            return Err(PhoneError::CountryCodeZero);
        }
        if digits.len() < MIN_PHONE_DIGITS {
            return Err(PhoneError::TooShort);
        }
        if digits.len() > MAX_PHONE_DIGITS {
            return Err(PhoneError::TooLong);
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    /// The number in E.164 form, e.g. `+442079460958`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '(' | ')')
}

/// Shows the country code's first digits and the last two only, as
/// [`EmailAddress`](crate::email::EmailAddress)'s `Debug` masks: a contact's number
/// does not belong in logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.0.get(..3).unwrap_or_default();
        let tail = self
            .0
            .get(self.0.len().saturating_sub(2)..)
            .unwrap_or_default();
        write!(f, "PhoneNumber({head}***{tail})")
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e164(s: &str) -> String {
        PhoneNumber::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn typed_numbers_become_e164() {
        assert_eq!(e164("+44 20 7946 0958"), "+442079460958");
        assert_eq!(e164("  +1 (555) 010-0199\t"), "+15550100199");
        assert_eq!(e164("+33.1.23.45.67.89"), "+33123456789");
        assert_eq!(e164("+44 20 (7946)"), "+44207946");
        assert_eq!(e164("+49-30-123456"), "+4930123456");
    }

    #[test]
    fn lengths_are_those_of_e164() {
        assert_eq!(e164("+1234 5678"), "+12345678");
        assert_eq!(
            PhoneNumber::parse("+123 4567"),
            Err(PhoneError::TooShort),
            "7 digits"
        );
        assert_eq!(e164("+123456789012345"), "+123456789012345");
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneError::TooLong),
            "16 digits"
        );
        // Separators do not count.
        assert_eq!(
            PhoneNumber::parse("+1-2-3-4-5-6-7"),
            Err(PhoneError::TooShort)
        );
    }

    #[test]
    fn each_mistake_has_its_reason() {
        for (input, reason) in [
            ("", PhoneError::Empty),
            (" \t ", PhoneError::Empty),
            ("0044 20 7946 0958", PhoneError::InternationalPrefix),
            ("00442079460958", PhoneError::InternationalPrefix),
            ("020 7946 0958", PhoneError::MissingPlus),
            ("442079460958", PhoneError::MissingPlus),
            ("+44 20 7946 0958 ext 2", PhoneError::InvalidCharacter),
            ("+44/20/7946/0958", PhoneError::InvalidCharacter),
            ("+44 20 7946 0958\n+1", PhoneError::InvalidCharacter),
            ("+44++2079460958", PhoneError::InvalidCharacter),
            ("+４４2079460958", PhoneError::InvalidCharacter),
            ("tel:+442079460958", PhoneError::InvalidCharacter),
            ("+ 44 20 7946 0958", PhoneError::MisplacedSeparator),
            ("+(44) 20 7946 0958", PhoneError::MisplacedSeparator),
            ("+44 20 7946 0958-", PhoneError::MisplacedSeparator),
            ("+", PhoneError::MisplacedSeparator),
            ("+0 20 7946 0958", PhoneError::CountryCodeZero),
        ] {
            assert_eq!(PhoneNumber::parse(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn messages_never_quote_the_input() {
        let input = "+44 20 7946 0958 secret";
        let message = PhoneNumber::parse(input).unwrap_err().to_string();
        assert!(!message.contains("secret") && !message.contains("7946"));
    }

    #[test]
    fn serialises_as_the_e164_string_and_debug_masks_it() {
        let n = PhoneNumber::parse("+44 20 7946 0958").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+442079460958\"");
        assert_eq!(n.to_string(), "+442079460958");
        assert_eq!(format!("{n:?}"), "PhoneNumber(+44***58)");
    }

    proptest! {
        #[test]
        fn accepted_numbers_are_e164_and_round_trip(input in "\\+[1-9][0-9 ().-]{0,20}|[ +0-9().a-z-]{0,24}") {
            if let Ok(n) = PhoneNumber::parse(&input) {
                let s = n.as_str();
                prop_assert!((9..=16).contains(&s.len()), "{s}");
                prop_assert!(s.starts_with('+'));
                prop_assert!(s[1..].chars().all(|c| c.is_ascii_digit()));
                prop_assert!(!s[1..].starts_with('0'));
                prop_assert_eq!(PhoneNumber::parse(s), Ok(n.clone()));
            }
        }

        #[test]
        fn formatted_e164_numbers_are_accepted(
            digits in "[1-9][0-9]{7,14}",
            separators in proptest::collection::vec("[ .-]?", 15),
        ) {
            let typed: String = digits
                .chars()
                .zip(&separators)
                .map(|(d, sep)| format!("{d}{sep}"))
                .collect::<String>();
            let typed = format!("+{}", typed.trim_end_matches([' ', '.', '-']));
            let parsed = PhoneNumber::parse(&typed).unwrap();
            prop_assert_eq!(parsed.as_str(), format!("+{digits}"));
        }
    }
}
