//! Credentials a client handed over, sealed: one per credential task, kept apart from
//! the task so that the task, its audit entries and every client route hold none of
//! its values.
//!
//! The rules, decided here and called by every store:
//!
//! - The client may replace its credential until staff reveal it
//!   ([`Credential::replaced_by`]); after the first reveal it stands, so that what staff
//!   read is what the firm uses.
//! - A reveal opens the values for one staff member, with a reason, each time an audit
//!   entry ([`Credential::revealed`]).
//! - A purge deletes the ciphertexts and keeps the record of which fields were filled,
//!   when and by whom ([`Credential::purged`]); nothing can then be revealed or
//!   replaced.
//! - A rotation re-seals the values under the vault's active key; it changes neither
//!   the version nor anything a reader sees ([`Credential::rewrapped`]).

use crate::clock::Timestamp;
use crate::evidence::{CredentialRequest, Evidence, EvidenceError, Problem};
use crate::id::{ClientId, ContactId, FirmId, TaskId};
use crate::task::{Completion, Task, TaskStatus};
use crate::vault::{KeyId, SealedValue, SecretText};

/// A credential as stored: its values sealed, one per field filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The credential task it answers (one credential per task).
    pub task_id: TaskId,
    /// The task's firm.
    pub firm_id: FirmId,
    /// The task's client.
    pub client_id: ClientId,
    /// The key that sealed every value.
    pub key_id: KeyId,
    /// The fields filled, in the task's order; their values are gone once purged.
    pub fields: Vec<SealedField>,
    /// 1 for the first submission, one more for each replacement.
    pub version: u32,
    /// The contact who submitted this version.
    pub submitted_by: ContactId,
    /// When.
    pub submitted_at: Timestamp,
    /// When staff first revealed it; from then on it cannot be replaced.
    pub revealed_at: Option<Timestamp>,
    /// When its values were deleted.
    pub purged_at: Option<Timestamp>,
}

/// One filled field of a credential.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedField {
    /// The field's name in the task's definition.
    pub name: String,
    /// Its value, sealed; `None` once purged.
    pub value: Option<SealedValue>,
}

/// Why a credential was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialRefusal {
    /// The task asks for no credential (any more): another type, withdrawn, or its
    /// definition changed while the values were checked against it.
    #[error("the task asks for no credential")]
    NotRequested,
    /// Staff have revealed the credential: it stands.
    #[error("the firm has read this credential: it can no longer be replaced")]
    Revealed,
    /// Its values were deleted.
    #[error("this credential was deleted")]
    Purged,
}

impl Credential {
    /// Whether its values are gone.
    #[must_use]
    pub fn purged(&self) -> bool {
        self.purged_at.is_some()
    }

    /// The names of the fields filled.
    pub fn filled(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// What storing `next` over this credential does: refused once revealed or purged;
    /// otherwise `next` as the following version.
    pub fn replaced_by(&self, next: &Credential) -> Result<Credential, CredentialRefusal> {
        if self.purged() {
            return Err(CredentialRefusal::Purged);
        }
        if self.revealed_at.is_some() {
            return Err(CredentialRefusal::Revealed);
        }
        Ok(Credential {
            version: self.version + 1,
            revealed_at: None,
            purged_at: None,
            ..next.clone()
        })
    }

    /// What revealing it at `at` does: the first reveal is recorded, later ones leave
    /// it as it is; `None` once purged (there is nothing to reveal).
    #[must_use]
    pub fn revealed(&self, at: Timestamp) -> Option<Credential> {
        if self.purged() {
            return None;
        }
        Some(Credential {
            revealed_at: Some(self.revealed_at.unwrap_or(at)),
            ..self.clone()
        })
    }

    /// What purging it at `at` does: its values dropped, the record kept; `None` if it
    /// was purged already.
    #[must_use]
    pub fn purged_now(&self, at: Timestamp) -> Option<Credential> {
        if self.purged() {
            return None;
        }
        Some(Credential {
            fields: self
                .fields
                .iter()
                .map(|f| SealedField {
                    name: f.name.clone(),
                    value: None,
                })
                .collect(),
            purged_at: Some(at),
            ..self.clone()
        })
    }

    /// What re-sealing it as `rewrapped` does (a rotation read it at `rewrapped.version`):
    /// the new key and values, if it is still that version and not purged; `None`
    /// otherwise (a replacement or a purge came first, and wins).
    #[must_use]
    pub fn rewrapped(&self, rewrapped: &Credential) -> Option<Credential> {
        if self.purged() || self.version != rewrapped.version {
            return None;
        }
        Some(Credential {
            key_id: rewrapped.key_id.clone(),
            fields: rewrapped.fields.clone(),
            ..self.clone()
        })
    }
}

/// A credential task once a credential was stored for it, as every store decides it:
/// completed (a completion it has stays). Refused if it is withdrawn or its definition
/// is no longer `checked_against`, a credential request.
pub fn task_after_submitting(
    task: &Task,
    checked_against: &Evidence,
    completion: &Completion,
) -> Result<Task, CredentialRefusal> {
    if task.withdrawn_at.is_some()
        || task.evidence != *checked_against
        || !matches!(task.evidence, Evidence::Credential(_))
    {
        return Err(CredentialRefusal::NotRequested);
    }
    Ok(Task {
        status: TaskStatus::Completed,
        completion: task.completion.clone().or_else(|| Some(completion.clone())),
        updated_at: completion.at,
        ..task.clone()
    })
}

/// When a task was closed, as automatic purging counts: its withdrawal, or else its
/// completion while it is completed.
#[must_use]
pub fn closed_at(task: &Task) -> Option<Timestamp> {
    task.withdrawn_at.or_else(|| {
        (task.status == TaskStatus::Completed)
            .then(|| task.completion.as_ref().map(|c| c.at))
            .flatten()
    })
}

/// The values a client gives, by field name, before they are checked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct CredentialValues(pub std::collections::BTreeMap<String, SecretText>);

impl CredentialValues {
    /// Checks the values against the task's fields: every name a field's, every value
    /// within its kind's bounds and free of control characters (line feeds and tabs
    /// allowed in notes), every required field filled, at least one filled. White space
    /// around a value is dropped except for passwords and keys. Empty values of optional
    /// fields are left out. The result is in the fields' order. The first problem names
    /// its field; no error quotes a value.
    pub fn check(
        self,
        request: &CredentialRequest,
    ) -> Result<Vec<(String, SecretText)>, EvidenceError> {
        let mut given = self.0;
        if let Some(name) = given.keys().find(|n| request.field(n).is_none()) {
            return Err(EvidenceError::new(
                bounded_name(name),
                Problem::UnknownField,
            ));
        }
        let mut checked = Vec::new();
        for field in &request.fields {
            let value = given.remove(&field.name).unwrap_or_default();
            let text = if field.kind.trimmed() {
                value.expose().trim()
            } else {
                value.expose()
            };
            if text.is_empty() {
                if field.required {
                    return Err(EvidenceError::new(field.name.clone(), Problem::Required));
                }
                continue;
            }
            let allowed = |c: char| match c {
                '\n' | '\t' | '\r' => field.kind.multiline(),
                '\u{2028}' | '\u{2029}' => false,
                c => !c.is_control(),
            };
            if !text.chars().all(allowed) {
                return Err(EvidenceError::new(
                    field.name.clone(),
                    Problem::ControlCharacter,
                ));
            }
            let max_chars = field.kind.max_chars();
            if text.chars().count() > max_chars {
                return Err(EvidenceError::new(
                    field.name.clone(),
                    Problem::TooLong { max_chars },
                ));
            }
            let text = if text.len() == value.expose().len() {
                value
            } else {
                SecretText::new(text.to_owned())
            };
            checked.push((field.name.clone(), text));
        }
        if checked.is_empty() {
            return Err(EvidenceError::new("values", Problem::Required));
        }
        Ok(checked)
    }
}

/// A field name from outside, as an error may repeat it: at most 64 printable ASCII
/// characters (a longer or stranger one is named `values`).
pub(crate) fn bounded_name(name: &str) -> String {
    if name.len() <= 64 && name.bytes().all(|b| b.is_ascii_graphic()) {
        name.to_owned()
    } else {
        "values".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{CredentialFieldKind, CredentialRequest};

    fn values(pairs: &[(&str, &str)]) -> CredentialValues {
        CredentialValues(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), SecretText::new((*v).to_owned())))
                .collect(),
        )
    }

    #[test]
    fn values_are_checked_against_the_fields() {
        let login = CredentialRequest::login();
        let ok = values(&[
            ("username", " admin "),
            ("password", " p w "),
            ("url", "  "),
        ])
        .check(&login)
        .unwrap();
        let shown: Vec<_> = ok.iter().map(|(n, v)| (n.as_str(), v.expose())).collect();
        assert_eq!(shown, [("username", "admin"), ("password", " p w ")]);

        let err = |pairs: &[(&str, &str)]| values(pairs).check(&login).unwrap_err();
        assert_eq!(err(&[("username", "a")]).field, "password");
        assert_eq!(
            err(&[("username", "a"), ("password", "b"), ("pin", "1")]).problem,
            Problem::UnknownField
        );
        let e = err(&[("username", "a"), ("password", "b\u{7}")]);
        assert_eq!(
            (e.field.as_str(), &e.problem),
            ("password", &Problem::ControlCharacter)
        );
        assert!(!e.to_string().contains('b'));
        assert_eq!(
            err(&[("username", "a"), ("password", &"x".repeat(4_097))]).problem,
            Problem::TooLong { max_chars: 4_096 }
        );
        assert_eq!(
            err(&[("username", "a\nb"), ("password", "b")]).problem,
            Problem::ControlCharacter
        );
        assert!(
            values(&[("username", "a"), ("password", "b"), ("notes", "1\n2\t3")])
                .check(&login)
                .is_ok()
        );
        let optional =
            CredentialRequest::new(vec![CredentialFieldKind::ApiKey.field(false)]).unwrap();
        assert_eq!(values(&[]).check(&optional).unwrap_err().field, "values");
        assert_eq!(
            values(&[(&"n".repeat(65), "x")])
                .check(&optional)
                .unwrap_err()
                .field,
            "values"
        );
    }

    fn credential(version: u32) -> Credential {
        let s = crate::random::OsSecretSource;
        Credential {
            task_id: TaskId::generate(&s).unwrap(),
            firm_id: FirmId::generate(&s).unwrap(),
            client_id: ClientId::generate(&s).unwrap(),
            key_id: KeyId::new("k1").unwrap(),
            fields: vec![SealedField {
                name: "password".into(),
                value: Some(SealedValue {
                    nonce: vec![0; 24],
                    ciphertext: vec![1; 20],
                }),
            }],
            version,
            submitted_by: ContactId::generate(&s).unwrap(),
            submitted_at: Timestamp::from_unix_millis(1_000_000),
            revealed_at: None,
            purged_at: None,
        }
    }

    #[test]
    fn a_credential_is_replaced_until_revealed_and_purged_once() {
        let first = credential(1);
        let next = first.replaced_by(&credential(1)).unwrap();
        assert_eq!(next.version, 2);
        let at = Timestamp::from_unix_millis(2_000_000);
        let revealed = next.revealed(at).unwrap();
        assert_eq!(revealed.revealed_at, Some(at));
        let later = Timestamp::from_unix_millis(3_000_000);
        assert_eq!(revealed.revealed(later).unwrap().revealed_at, Some(at));
        assert_eq!(
            revealed.replaced_by(&first),
            Err(CredentialRefusal::Revealed)
        );
        let purged = revealed.purged_now(later).unwrap();
        assert_eq!(purged.fields[0].value, None);
        assert_eq!(purged.filled().collect::<Vec<_>>(), ["password"]);
        assert_eq!(purged.purged_now(later), None);
        assert_eq!(purged.revealed(later), None);
        assert_eq!(purged.replaced_by(&first), Err(CredentialRefusal::Purged));
        assert_eq!(purged.rewrapped(&revealed), None);
        let mut rotated = next.clone();
        rotated.key_id = KeyId::new("k2").unwrap();
        assert_eq!(next.rewrapped(&rotated).unwrap().key_id.as_str(), "k2");
        assert_eq!(first.rewrapped(&rotated), None);
    }
}
