//! Evidence: what a task asks of whoever does it, and what they give.
//!
//! Each evidence type has a *definition* that staff give when they create the task
//! ([`Evidence`]) and, for the types a client answers, a *submission* ([`Submission`])
//! checked against that definition before anything is stored. Checks live here, once,
//! below the store and the operations, so that a host calling [`crate::Portal`] and a
//! request through the web layer meet the same rules.
//!
//! The types that need file storage (document upload, signature, secure file drop) or
//! the vault (credential handoff) are further variants of the same two enums; what
//! the store keeps of a definition or a submission is self-describing (tagged by the
//! type's name), so adding a type adds variants, not a migration of what is stored.

mod amount;
mod credential;
mod form;
mod meeting;
mod problem;
mod signature;
mod training;

pub use amount::{Amount, Currency};
pub use credential::{
    CredentialField, CredentialFieldKind, CredentialRequest, MAX_CREDENTIAL_FIELDS,
    MAX_NOTES_CHARS, MAX_SECRET_CHARS,
};
pub use form::{
    Answer, Answers, Field, FieldKind, Form, LONG_TEXT_MAX, MAX_FIELDS, MAX_OPTIONS,
    RESERVED_NAMES, SHORT_TEXT_MAX,
};
pub use meeting::{MAX_MINUTES, Meeting};
pub use problem::{EvidenceError, Problem};
pub use signature::{
    DEFAULT_CONSENT, MAX_SIGNATURE_PNG, Signature, SignatureMark, SignatureRequest, SigningDocument,
};
pub use training::{Provider, Video};

use crate::clock::Timestamp;
use crate::text::{CheckedText, Lines, TextRule};

/// The most items a checklist has.
pub const MAX_CHECKLIST_ITEMS: usize = 100;

/// What a task asks for.
///
/// Serialised tagged by its type's name (`{"type": "form", "fields": [...]}`), so that
/// what is stored of a definition names its type and later types add variants.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// Mark complete, with an optional note.
    Standard,
    /// Answer a question in text.
    Question(Question),
    /// Fill a form.
    Form(Form),
    /// Check items; either side may check or uncheck each.
    Checklist(Checklist),
    /// Approve or reject what the firm submits.
    Approval(ApprovalRequest),
    /// Attend a meeting.
    Meeting(Meeting),
    /// Watch a video.
    Training(Video),
    /// Upload one or more files, which the firm reviews (see [`crate::document`]).
    DocumentUpload,
    /// Hand over sensitive files, gone after their expiry.
    FileDrop(FileDrop),
    /// Sign a document the firm attached.
    Signature(SignatureRequest),
    /// Hand over a credential (passwords, keys), sealed by the vault and readable only
    /// by staff, one audited reveal at a time (see [`crate::credential`]).
    Credential(CredentialRequest),
}

/// The evidence types, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// [`Evidence::Standard`].
    Standard,
    /// [`Evidence::Question`].
    Question,
    /// [`Evidence::Form`].
    Form,
    /// [`Evidence::Checklist`].
    Checklist,
    /// [`Evidence::Approval`].
    Approval,
    /// [`Evidence::Meeting`].
    Meeting,
    /// [`Evidence::Training`].
    Training,
    /// [`Evidence::DocumentUpload`].
    DocumentUpload,
    /// [`Evidence::FileDrop`].
    FileDrop,
    /// [`Evidence::Signature`].
    Signature,
    /// [`Evidence::Credential`].
    Credential,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [EvidenceKind; 11] = [
        EvidenceKind::Standard,
        EvidenceKind::Question,
        EvidenceKind::Form,
        EvidenceKind::Checklist,
        EvidenceKind::Approval,
        EvidenceKind::Meeting,
        EvidenceKind::Training,
        EvidenceKind::DocumentUpload,
        EvidenceKind::FileDrop,
        EvidenceKind::Signature,
        EvidenceKind::Credential,
    ];

    /// Stable name, for storage, JSON and routes.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Standard => "standard",
            EvidenceKind::Question => "question",
            EvidenceKind::Form => "form",
            EvidenceKind::Checklist => "checklist",
            EvidenceKind::Approval => "approval",
            EvidenceKind::Meeting => "meeting",
            EvidenceKind::Training => "training",
            EvidenceKind::DocumentUpload => "document_upload",
            EvidenceKind::FileDrop => "file_drop",
            EvidenceKind::Signature => "signature",
            EvidenceKind::Credential => "credential",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Evidence {
    /// Its kind.
    #[must_use]
    pub const fn kind(&self) -> EvidenceKind {
        match self {
            Evidence::Standard => EvidenceKind::Standard,
            Evidence::Question(_) => EvidenceKind::Question,
            Evidence::Form(_) => EvidenceKind::Form,
            Evidence::Checklist(_) => EvidenceKind::Checklist,
            Evidence::Approval(_) => EvidenceKind::Approval,
            Evidence::Meeting(_) => EvidenceKind::Meeting,
            Evidence::Training(_) => EvidenceKind::Training,
            Evidence::DocumentUpload => EvidenceKind::DocumentUpload,
            Evidence::FileDrop(_) => EvidenceKind::FileDrop,
            Evidence::Signature(_) => EvidenceKind::Signature,
            Evidence::Credential(_) => EvidenceKind::Credential,
        }
    }
}

impl Evidence {
    /// The definition checked again as its type's constructor checks an entry: what a
    /// host built by hand meets the same rules as what came through a form.
    pub fn checked(self) -> Result<Evidence, EvidenceError> {
        Ok(match self {
            Evidence::Standard => Evidence::Standard,
            Evidence::DocumentUpload => Evidence::DocumentUpload,
            Evidence::FileDrop(d) => Evidence::FileDrop(FileDrop::new(d.expires_after_days)?),
            Evidence::Signature(r) => Evidence::Signature(SignatureRequest {
                document: r.document,
                ..SignatureRequest::new(Some(&r.consent_text))?
            }),
            Evidence::Credential(c) => Evidence::Credential(CredentialRequest::new(c.fields)?),
            Evidence::Question(q) => Evidence::Question(Question::new(&q.question, q.transaction)?),
            Evidence::Form(f) => Evidence::Form(Form::new(f.fields)?),
            Evidence::Checklist(c) => Evidence::Checklist(Checklist::new(&c.items)?),
            Evidence::Approval(a) => {
                Evidence::Approval(ApprovalRequest::new(&a.text, a.link.as_deref())?)
            }
            Evidence::Meeting(m) => Evidence::Meeting(m.checked()?),
            Evidence::Training(v) => Evidence::Training(
                Video::from_stored(v.provider.as_str(), &v.video_id)
                    .ok_or_else(|| EvidenceError::new("video_url", Problem::LinkNotAllowed))?,
            ),
        })
    }
}

/// A secure file drop: sensitive files the client hands over, each gone (its bytes
/// deleted, by the maintenance sweep) this many days after it was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileDrop {
    /// Days a dropped file lives: 1 to [`FileDrop::MAX_DAYS`], default 7.
    pub expires_after_days: u32,
}

impl FileDrop {
    /// The longest a dropped file lives.
    pub const MAX_DAYS: u32 = 90;

    /// A drop whose files live `expires_after_days` days.
    pub fn new(expires_after_days: u32) -> Result<FileDrop, EvidenceError> {
        if !(1..=Self::MAX_DAYS).contains(&expires_after_days) {
            return Err(EvidenceError::new(
                "expires_after_days",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(Self::MAX_DAYS),
                },
            ));
        }
        Ok(FileDrop { expires_after_days })
    }

    /// How long a dropped file lives.
    #[must_use]
    pub fn lifetime(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.expires_after_days) * 86_400)
    }
}

impl Default for FileDrop {
    fn default() -> Self {
        FileDrop {
            expires_after_days: 7,
        }
    }
}

/// A question, optionally about one bank transaction.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Question {
    /// What is asked.
    pub question: String,
    /// The transaction it is about, if any.
    pub transaction: Option<BankTransaction>,
}

/// A line of a bank statement that a question is about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankTransaction {
    /// Its date (midnight UTC).
    pub date: Timestamp,
    /// Who was paid, or who paid.
    pub payee: String,
    /// How much, exactly, in which currency.
    pub amount: Amount,
    /// The bank's memo, if any.
    pub memo: Option<String>,
}

/// Items to check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checklist {
    /// The items' labels, in order.
    pub items: Vec<String>,
}

/// What the firm asks a client to approve.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApprovalRequest {
    /// What is to be approved.
    pub text: String,
    /// A link to it, if any (`https://` only).
    pub link: Option<String>,
}

/// A client's decision on an approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

impl Decision {
    /// Stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
        }
    }

    /// From its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Decision> {
        [Decision::Approved, Decision::Rejected]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

/// What a client gives to complete a task of each type that asks for something.
///
/// Serialised tagged by its type's name, as [`Evidence`] is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Submission {
    /// An answer to a [`Question`].
    Answer {
        /// The answer.
        text: String,
        /// Files attached to it (a receipt, a statement), in the order given; each a
        /// stored file of the task, recorded once the answer stands.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::id::FileId>,
    },
    /// A [`Form`]'s answers.
    Form {
        /// By field name.
        answers: Answers,
    },
    /// A decision on an [`ApprovalRequest`].
    Decision {
        /// Approved or rejected.
        decision: Decision,
        /// Why, if given.
        comment: Option<String>,
    },
    /// A [`Video`] watched.
    Watched,
    /// A document signed.
    Signature(Box<Signature>),
}

const QUESTION: TextRule = TextRule {
    field: "question",
    lines: Lines::Many,
    required: true,
    max_chars: 10_000,
};
const PAYEE: TextRule = TextRule {
    field: "payee",
    lines: Lines::One,
    required: true,
    max_chars: 200,
};
const MEMO: TextRule = TextRule {
    field: "memo",
    lines: Lines::One,
    required: false,
    max_chars: 500,
};
const ITEM: TextRule = TextRule {
    field: "items",
    lines: Lines::One,
    required: true,
    max_chars: 200,
};
const APPROVAL_TEXT: TextRule = TextRule {
    field: "text",
    lines: Lines::Many,
    required: true,
    max_chars: 10_000,
};
const ANSWER: TextRule = TextRule {
    field: "text",
    lines: Lines::Many,
    required: true,
    max_chars: 10_000,
};
const COMMENT: TextRule = TextRule {
    field: "comment",
    lines: Lines::Many,
    required: false,
    max_chars: 2_000,
};

impl Question {
    /// Checks the question's text and, if given, its transaction.
    pub fn new(
        question: &str,
        transaction: Option<BankTransaction>,
    ) -> Result<Question, EvidenceError> {
        let transaction = match transaction {
            Some(t) => Some(BankTransaction {
                payee: CheckedText::new(&t.payee, PAYEE)?.into_string(),
                memo: CheckedText::optional(t.memo.as_deref(), MEMO)?.map(CheckedText::into_string),
                ..t
            }),
            None => None,
        };
        Ok(Question {
            question: CheckedText::new(question, QUESTION)?.into_string(),
            transaction,
        })
    }
}

impl Checklist {
    /// Checks 1 to [`MAX_CHECKLIST_ITEMS`] one-line items.
    pub fn new<S: AsRef<str>>(items: &[S]) -> Result<Checklist, EvidenceError> {
        if items.is_empty() {
            return Err(EvidenceError::new("items", Problem::Required));
        }
        if items.len() > MAX_CHECKLIST_ITEMS {
            return Err(EvidenceError::new(
                "items",
                Problem::TooMany {
                    max: MAX_CHECKLIST_ITEMS,
                },
            ));
        }
        let items = items
            .iter()
            .map(|i| CheckedText::new(i.as_ref(), ITEM).map(CheckedText::into_string))
            .collect::<Result<_, _>>()?;
        Ok(Checklist { items })
    }
}

impl ApprovalRequest {
    /// Checks the text and the optional `https://` link.
    pub fn new(text: &str, link: Option<&str>) -> Result<ApprovalRequest, EvidenceError> {
        Ok(ApprovalRequest {
            text: CheckedText::new(text, APPROVAL_TEXT)?.into_string(),
            link: match link.map(str::trim).filter(|l| !l.is_empty()) {
                Some(l) => Some(meeting::https_link(l, "link")?),
                None => None,
            },
        })
    }
}

impl Submission {
    /// An answer to a question, checked.
    pub fn answer(text: &str) -> Result<Submission, EvidenceError> {
        Self::answer_with(text, Vec::new())
    }

    /// An answer to a question with files attached, its text checked.
    pub fn answer_with(
        text: &str,
        attachments: Vec<crate::id::FileId>,
    ) -> Result<Submission, EvidenceError> {
        Ok(Submission::Answer {
            text: CheckedText::new(text, ANSWER)?.into_string(),
            attachments,
        })
    }

    /// A decision with its optional comment, checked.
    pub fn decision(
        decision: Decision,
        comment: Option<&str>,
    ) -> Result<Submission, EvidenceError> {
        Ok(Submission::Decision {
            decision,
            comment: CheckedText::optional(comment, COMMENT)?.map(CheckedText::into_string),
        })
    }

    /// The evidence kind it answers.
    #[must_use]
    pub const fn kind(&self) -> EvidenceKind {
        match self {
            Submission::Answer { .. } => EvidenceKind::Question,
            Submission::Form { .. } => EvidenceKind::Form,
            Submission::Decision { .. } => EvidenceKind::Approval,
            Submission::Watched => EvidenceKind::Training,
            Submission::Signature(_) => EvidenceKind::Signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_names() {
        for k in EvidenceKind::ALL {
            assert_eq!(EvidenceKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(EvidenceKind::from_name("upload"), None);
    }

    #[test]
    fn definitions_are_checked_where_they_enter() {
        let eur = Currency::parse("EUR").unwrap();
        let tx = |payee: &str| BankTransaction {
            date: Timestamp::parse_date("2026-11-03").unwrap(),
            payee: payee.into(),
            amount: Amount::parse("-42.10", eur).unwrap(),
            memo: Some("  ".into()),
        };
        let q = Question::new(" What was this? ", Some(tx(" Office Supplies Ltd "))).unwrap();
        assert_eq!(q.question, "What was this?");
        let t = q.transaction.unwrap();
        assert_eq!((t.payee.as_str(), t.memo), ("Office Supplies Ltd", None));
        assert_eq!(
            Question::new("Q", Some(tx("A\r\nB"))).unwrap_err().field,
            "payee"
        );
        assert_eq!(Question::new(" ", None).unwrap_err().field, "question");

        assert_eq!(Checklist::new(&["a", " b "]).unwrap().items, ["a", "b"]);
        assert_eq!(
            Checklist::new::<&str>(&[]).unwrap_err().problem,
            Problem::Required
        );
        assert_eq!(
            Checklist::new(&vec!["x"; 101]).unwrap_err().problem,
            Problem::TooMany { max: 100 }
        );
        assert_eq!(
            ApprovalRequest::new("Sign off", Some("javascript:alert(1)"))
                .unwrap_err()
                .field,
            "link"
        );
        assert_eq!(
            ApprovalRequest::new("Sign off", Some(" ")).unwrap().link,
            None
        );
    }

    #[test]
    fn submissions_are_checked() {
        assert_eq!(Submission::answer(" ").unwrap_err().field, "text");
        assert_eq!(
            Submission::decision(Decision::Rejected, Some(&"x".repeat(2_001)))
                .unwrap_err()
                .problem,
            Problem::TooLong { max_chars: 2_000 }
        );
        assert_eq!(
            Submission::decision(Decision::Approved, Some("")).unwrap(),
            Submission::Decision {
                decision: Decision::Approved,
                comment: None
            }
        );
    }
}
