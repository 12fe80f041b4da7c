//! What is wrong with a piece of evidence, named by its field: the one error every
//! evidence type's check answers, so that an API can say which field to fix.

use std::fmt;

use crate::text::{TextError, TextProblem};

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Missing or empty, where the field is required.
    Required,
    /// More characters than the field allows.
    TooLong {
        /// The most it allows.
        max_chars: usize,
    },
    /// A control character, or a line break in a one-line field.
    ControlCharacter,
    /// Not of the form the field needs.
    Malformed,
    /// A number outside the field's range.
    OutOfRange {
        /// The least it allows.
        min: i64,
        /// The most it allows.
        max: i64,
    },
    /// A choice the field does not offer.
    UnknownOption,
    /// A field the evidence does not have.
    UnknownField,
    /// More decimals than the currency has.
    TooManyDecimals {
        /// The most the currency has.
        max: u8,
    },
    /// More items than the field allows, or a repeated one.
    TooMany {
        /// The most it allows.
        max: usize,
    },
    /// A link that is not `https://`, or of a host the field does not accept.
    LinkNotAllowed,
    /// A name kept for Portal's own use (a form field named `csrf_token`).
    Reserved,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Required => f.write_str("is required"),
            Problem::TooLong { max_chars } => write!(f, "has at most {max_chars} characters"),
            Problem::ControlCharacter => f.write_str("holds a control character"),
            Problem::Malformed => f.write_str("is not in the expected form"),
            Problem::OutOfRange { min, max } => write!(f, "must be from {min} to {max}"),
            Problem::UnknownOption => f.write_str("is not one of the choices offered"),
            Problem::UnknownField => f.write_str("is not a field of this task"),
            Problem::TooManyDecimals { max } => write!(f, "has at most {max} decimals"),
            Problem::TooMany { max } => write!(f, "holds at most {max} distinct items"),
            Problem::LinkNotAllowed => f.write_str("is not a link this field accepts"),
            Problem::Reserved => f.write_str("is reserved"),
        }
    }
}

/// Evidence that its task does not accept; its message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct EvidenceError {
    /// The field, as the API names it (for a form's answers, the form field's name).
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl EvidenceError {
    /// `field` has `problem`.
    #[must_use]
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        EvidenceError {
            field: field.into(),
            problem,
        }
    }
}

impl From<TextError> for EvidenceError {
    fn from(e: TextError) -> Self {
        EvidenceError::new(
            e.field,
            match e.problem {
                TextProblem::Empty => Problem::Required,
                TextProblem::TooLong { max_chars } => Problem::TooLong { max_chars },
                TextProblem::ControlCharacter => Problem::ControlCharacter,
                TextProblem::Malformed => Problem::Malformed,
            },
        )
    }
}
