//! Email addresses: one canonical form for lookup and throttling, the stored form for
//! mail.
//!
//! Canonicalisation: trim, Unicode NFC, lower-case the domain, lower-case ASCII letters
//! of the local part (other characters and plus-addressing kept as they are), NFC again.
//! Nothing is folded beyond that (no NFKC, no `ß` → `ss`, no dotless-ı games): two
//! addresses that merely look alike stay different. And mail always goes to the
//! address as the firm stored it, never to the one somebody typed (the lesson of Django's
//! CVE-2019-19844), so a look-alike that canonicalises onto a real contact still
//! cannot receive that contact's mail.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// The longest address accepted, in bytes (RFC 5321's path limit minus the brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Longer than 254 bytes.
    #[error("an email address has at most 254 characters")]
    TooLong,
    /// Not of the shape `local@domain.tld` with permitted characters.
    #[error("not a valid email address")]
    Invalid,
}

/// A validated email address, as typed or stored (trimmed, NFC), with its canonical form.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress {
    address: String,
    canonical: CanonicalEmail,
}

/// The canonical form of an address: the key for lookups and throttling.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CanonicalEmail(String);

impl EmailAddress {
    /// Validates `input` and computes its canonical form.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let address: String = input.trim().nfc().collect();
        if address.len() > MAX_EMAIL_BYTES {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(EmailError::Invalid)?;
        if !valid_local(local) || !valid_domain(domain) {
            return Err(EmailError::Invalid);
        }
        let canonical = format!("{}@{}", local.to_ascii_lowercase(), domain.to_lowercase())
            .nfc()
            .collect();
        Ok(EmailAddress {
            canonical: CanonicalEmail(canonical),
            address,
        })
    }

    /// The address to send mail to.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The canonical form.
    #[must_use]
    pub fn canonical(&self) -> &CanonicalEmail {
        &self.canonical
    }

    /// The address with most of the local part hidden, e.g. `j***@example.com`: enough
    /// for its owner to recognise, too little to harvest.
    #[must_use]
    pub fn masked(&self) -> String {
        let (local, domain) = self
            .address
            .rsplit_once('@')
            .unwrap_or((self.address.as_str(), ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl CanonicalEmail {
    /// The canonical text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"\"(),:;<>@[\\]".contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c == '-' || c.is_alphanumeric())
        })
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl fmt::Debug for CanonicalEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CanonicalEmail({:?})", self.0)
    }
}

impl serde::Serialize for EmailAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        EmailAddress::parse(s)
            .unwrap()
            .canonical()
            .as_str()
            .to_owned()
    }

    #[test]
    fn canonical_form_folds_only_what_it_should() {
        assert_eq!(
            canon("  Jane.Doe+tax@Example.COM \t"),
            "jane.doe+tax@example.com"
        );
        assert_ne!(canon("jane+a@example.com"), canon("jane@example.com"));
        // Non-ASCII letters of the local part keep their case.
        assert_ne!(canon("Ärger@example.com"), canon("ärger@example.com"));
        // ß is not ss, dotless ı is not i, fullwidth ａ is not a.
        assert_ne!(canon("straße@example.com"), canon("strasse@example.com"));
        assert_ne!(canon("ıvan@example.com"), canon("ivan@example.com"));
        assert_ne!(canon("\u{ff41}nna@example.com"), canon("anna@example.com"));
        // The domain is lower-cased with Unicode rules.
        assert_eq!(canon("a@BÜCHER.example"), "a@bücher.example");
    }

    #[test]
    fn kelvin_sign_is_normalised_but_mail_goes_to_the_stored_address() {
        // NFC maps U+212A KELVIN SIGN to K: a look-alike finds the same contact ...
        let typed = EmailAddress::parse("\u{212a}elvin@example.com").unwrap();
        let stored = EmailAddress::parse("kelvin@example.com").unwrap();
        assert_eq!(typed.canonical(), stored.canonical());
        // ... and the stored text is what mail is sent to (see the login tests).
        assert_eq!(stored.as_str(), "kelvin@example.com");
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@@example.com",
            "a@-example.com",
            "a@example..com",
            ".a@example.com",
            "a\r\nBcc: x@evil.com@example.com",
            "<a>@example.com",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(EmailError::Invalid),
                "{bad:?}"
            );
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn masked_shows_first_letter_and_domain() {
        assert_eq!(
            EmailAddress::parse("jane@example.com").unwrap().masked(),
            "j***@example.com"
        );
        assert_eq!(
            format!("{:?}", EmailAddress::parse("jane@example.com").unwrap()),
            "EmailAddress(j***@example.com)"
        );
    }

    fn local_part() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9._+-]{1,20}".prop_filter("dots", |s| {
            !s.starts_with('.') && !s.ends_with('.') && !s.contains("..")
        })
    }

    fn flip_ascii_case(s: &str, mask: u64) -> String {
        s.chars()
            .enumerate()
            .map(|(i, c)| {
                if mask >> (i % 64) & 1 == 1 {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                } else {
                    c
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn ascii_case_and_whitespace_do_not_matter(local in local_part(), domain in "[a-z]{1,10}\\.[a-z]{2,5}", mask in any::<u64>(), pad in "[ \t\n]{0,3}") {
            let plain = format!("{local}@{domain}");
            let varied = format!("{pad}{}{pad}", flip_ascii_case(&plain, mask));
            prop_assert_eq!(canon(&plain), canon(&varied));
        }

        #[test]
        fn canonicalisation_is_idempotent(s in "\\PC{1,30}@\\PC{1,10}\\.[a-zA-Z\u{e0}-\u{ff}]{2,6}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                let again = EmailAddress::parse(e.canonical().as_str()).unwrap();
                prop_assert_eq!(again.canonical(), e.canonical());
            }
        }

        #[test]
        fn composed_and_decomposed_forms_are_one_address(base in "[a-z]{1,8}", accent in prop::sample::select(vec!['\u{301}', '\u{308}', '\u{300}', '\u{327}'])) {
            let decomposed = format!("{base}e{accent}@example.com");
            let composed: String = decomposed.nfc().collect();
            prop_assert_eq!(canon(&decomposed), canon(&composed));
        }

        #[test]
        fn unicode_look_alikes_stay_distinct(base in "[a-z]{1,8}", (lookalike, ascii) in prop::sample::select(vec![
            ('\u{ff41}', 'a'), // fullwidth a
            ('\u{131}', 'i'),  // dotless i
            ('\u{df}', 's'),   // sharp s
            ('\u{430}', 'a'),  // Cyrillic a
        ])) {
            let a = format!("{base}{lookalike}@example.com");
            let b = format!("{base}{ascii}@example.com");
            prop_assert_ne!(canon(&a), canon(&b));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = EmailAddress::parse(&s);
        }
    }
}
