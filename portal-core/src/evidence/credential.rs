//! Credential handoff: the fields staff ask a client to fill (a username, a password, an
//! API key, a URL, notes, or fields of their own), whose values are sealed by the
//! [vault](crate::vault) and kept apart from the task (see [`crate::credential`]).

use super::problem::{EvidenceError, Problem};
use crate::text::{CheckedText, Lines, TextRule};

/// The most fields a credential task asks for.
pub const MAX_CREDENTIAL_FIELDS: usize = 20;
/// The most characters of a one-line value (a password, a key, a URL).
pub const MAX_SECRET_CHARS: usize = 4_096;
/// The most characters of a notes value.
pub const MAX_NOTES_CHARS: usize = 10_000;

const LABEL: TextRule = TextRule {
    field: "fields.label",
    lines: Lines::One,
    required: true,
    max_chars: 100,
};

/// What a field holds, which decides how the page asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialFieldKind {
    /// A user name or login.
    Username,
    /// A password: masked, with show and hide.
    Password,
    /// An API key or a licence key: masked, with show and hide.
    ApiKey,
    /// An address (where the credential is used).
    Url,
    /// Notes over several lines (recovery codes, instructions).
    Notes,
    /// Any other one-line value, under the field's own label.
    Text,
}

impl CredentialFieldKind {
    /// Every kind.
    pub const ALL: [CredentialFieldKind; 6] = [
        CredentialFieldKind::Username,
        CredentialFieldKind::Password,
        CredentialFieldKind::ApiKey,
        CredentialFieldKind::Url,
        CredentialFieldKind::Notes,
        CredentialFieldKind::Text,
    ];

    /// Stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CredentialFieldKind::Username => "username",
            CredentialFieldKind::Password => "password",
            CredentialFieldKind::ApiKey => "api_key",
            CredentialFieldKind::Url => "url",
            CredentialFieldKind::Notes => "notes",
            CredentialFieldKind::Text => "text",
        }
    }

    /// From its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<CredentialFieldKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the page masks it (a password or a key), with a button to show it.
    #[must_use]
    pub const fn masked(self) -> bool {
        matches!(
            self,
            CredentialFieldKind::Password | CredentialFieldKind::ApiKey
        )
    }

    /// Whether it spans lines.
    #[must_use]
    pub const fn multiline(self) -> bool {
        matches!(self, CredentialFieldKind::Notes)
    }

    /// The most characters its value has.
    #[must_use]
    pub const fn max_chars(self) -> usize {
        if self.multiline() {
            MAX_NOTES_CHARS
        } else {
            MAX_SECRET_CHARS
        }
    }

    /// Whether white space around a value is dropped. Never for a password or a key,
    /// where a space may belong to the secret.
    #[must_use]
    pub const fn trimmed(self) -> bool {
        !self.masked()
    }

    /// The page's `autocomplete` value. The credentials handed over are another
    /// system's, not the portal's: a password manager must neither fill the contact's
    /// portal login into them nor offer to save them as it. `new-password` stops both
    /// for masked fields (and still lets the person paste from their manager); `off`
    /// for the others.
    #[must_use]
    pub const fn autocomplete(self) -> &'static str {
        if self.masked() { "new-password" } else { "off" }
    }

    /// The field this kind is by default: its name and label.
    #[must_use]
    pub fn field(self, required: bool) -> CredentialField {
        let (name, label) = match self {
            CredentialFieldKind::Username => ("username", "Username"),
            CredentialFieldKind::Password => ("password", "Password"),
            CredentialFieldKind::ApiKey => ("api_key", "API key"),
            CredentialFieldKind::Url => ("url", "Sign-in address"),
            CredentialFieldKind::Notes => ("notes", "Notes"),
            CredentialFieldKind::Text => ("value", "Value"),
        };
        CredentialField {
            name: name.to_owned(),
            label: label.to_owned(),
            kind: self,
            required,
        }
    }
}

/// One field a credential task asks for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialField {
    /// Its name, as submissions name it: a letter, then letters, digits and `_`, at
    /// most 64.
    pub name: String,
    /// What the page shows.
    pub label: String,
    /// What it holds.
    pub kind: CredentialFieldKind,
    /// Whether a submission must fill it.
    pub required: bool,
}

/// What staff ask for in a credential task.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRequest {
    /// The fields, in the order the page shows them.
    pub fields: Vec<CredentialField>,
}

impl CredentialRequest {
    /// Checks 1 to [`MAX_CREDENTIAL_FIELDS`] fields of distinct, well-formed names and
    /// one-line labels.
    pub fn new(fields: Vec<CredentialField>) -> Result<CredentialRequest, EvidenceError> {
        if fields.is_empty() {
            return Err(EvidenceError::new("fields", Problem::Required));
        }
        if fields.len() > MAX_CREDENTIAL_FIELDS {
            return Err(EvidenceError::new(
                "fields",
                Problem::TooMany {
                    max: MAX_CREDENTIAL_FIELDS,
                },
            ));
        }
        let mut checked: Vec<CredentialField> = Vec::with_capacity(fields.len());
        for f in fields {
            let b = f.name.as_bytes();
            let well_formed = (1..=64).contains(&b.len())
                && b[0].is_ascii_alphabetic()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
            if !well_formed {
                return Err(EvidenceError::new("fields.name", Problem::Malformed));
            }
            if super::RESERVED_NAMES.contains(&f.name.as_str()) {
                return Err(EvidenceError::new("fields.name", Problem::Reserved));
            }
            if checked.iter().any(|c| c.name == f.name) {
                return Err(EvidenceError::new(f.name, Problem::TooMany { max: 1 }));
            }
            checked.push(CredentialField {
                label: CheckedText::new(&f.label, LABEL)?.into_string(),
                ..f
            });
        }
        Ok(CredentialRequest { fields: checked })
    }

    /// The usual request: a username and a password (required), the address they are
    /// for and notes (optional).
    #[must_use]
    pub fn login() -> CredentialRequest {
        CredentialRequest {
            fields: vec![
                CredentialFieldKind::Username.field(true),
                CredentialFieldKind::Password.field(true),
                CredentialFieldKind::Url.field(false),
                CredentialFieldKind::Notes.field(false),
            ],
        }
    }

    /// The field of this name.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&CredentialField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_checked() {
        assert!(CredentialRequest::new(CredentialRequest::login().fields).is_ok());
        assert_eq!(
            CredentialRequest::new(vec![]).unwrap_err().problem,
            Problem::Required
        );
        let many = (0..=MAX_CREDENTIAL_FIELDS)
            .map(|i| CredentialField {
                name: format!("f{i}"),
                ..CredentialFieldKind::Text.field(false)
            })
            .collect();
        assert_eq!(
            CredentialRequest::new(many).unwrap_err().problem,
            Problem::TooMany {
                max: MAX_CREDENTIAL_FIELDS
            }
        );
        let twice = vec![
            CredentialFieldKind::Password.field(true),
            CredentialFieldKind::Password.field(false),
        ];
        assert_eq!(CredentialRequest::new(twice).unwrap_err().field, "password");
        for name in ["", "1a", "a-b", "csrf_token"] {
            let f = CredentialField {
                name: name.into(),
                ..CredentialFieldKind::Text.field(true)
            };
            assert_eq!(
                CredentialRequest::new(vec![f]).unwrap_err().field,
                "fields.name"
            );
        }
        let f = CredentialField {
            label: "a\u{1b}[31m".into(),
            ..CredentialFieldKind::Text.field(true)
        };
        assert_eq!(
            CredentialRequest::new(vec![f]).unwrap_err().problem,
            Problem::ControlCharacter
        );
    }

    #[test]
    fn kinds_round_trip_and_mask_secrets() {
        for k in CredentialFieldKind::ALL {
            assert_eq!(CredentialFieldKind::from_name(k.as_str()), Some(k));
        }
        assert!(CredentialFieldKind::Password.masked() && !CredentialFieldKind::Password.trimmed());
        assert_eq!(CredentialFieldKind::ApiKey.autocomplete(), "new-password");
        assert_eq!(CredentialFieldKind::Username.autocomplete(), "off");
    }
}
