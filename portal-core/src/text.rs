//! Free text from outside — names, titles, notes, descriptions, branding — checked once,
//! where it enters the domain.
//!
//! Every operation that takes such text (inviting a contact, creating a firm, a client
//! or a task, completing a task with a note) builds a [`CheckedText`] from it under the
//! field's [`TextRule`], so that a host calling [`crate::Portal`] directly gets the same
//! rule as a request through the web layer. A checked text:
//!
//! - is trimmed, and counted in characters (not bytes) against the field's bounds;
//! - holds no control character (U+0000–U+001F, U+007F–U+009F) and no Unicode line or
//!   paragraph separator (U+2028, U+2029). NUL because PostgreSQL's text columns refuse
//!   it (one store would answer 500 where the others store it); the others because
//!   they rewrite a terminal that shows a log (ANSI escapes), split log lines and
//!   mail headers (CR, LF, the separators), or hide text from whoever reads it;
//! - in a multi-line field ([`Lines::Many`]: a task's description, a completion note, a
//!   welcome message) keeps line feeds and tabs, and a CR LF or a lone CR (what browsers
//!   send for a line break in a text area) becomes a line feed. A single-line field
//!   ([`Lines::One`]: names, titles, phases) keeps neither.
//!
//! Markup is not refused: every page and email escapes what it shows.

use std::fmt;

/// Whether a field may hold line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line: no line feed, no tab.
    One,
    /// Several lines: line feeds and tabs are kept.
    Many,
}

/// What one field accepts. `field` names it in errors, as the staff API's JSON names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRule {
    /// The field's name, e.g. `first_name`.
    pub field: &'static str,
    /// Whether it may hold line breaks.
    pub lines: Lines,
    /// Whether it may be empty after trimming.
    pub required: bool,
    /// The most characters it may hold after trimming.
    pub max_chars: usize,
}

impl TextRule {
    const fn line(field: &'static str, max_chars: usize) -> Self {
        TextRule {
            field,
            lines: Lines::One,
            required: true,
            max_chars,
        }
    }

    const fn optional_lines(field: &'static str, max_chars: usize) -> Self {
        TextRule {
            field,
            lines: Lines::Many,
            required: false,
            max_chars,
        }
    }
}

/// A contact's first name.
pub const FIRST_NAME: TextRule = TextRule::line("first_name", 200);
/// A client's or a firm's name.
pub const NAME: TextRule = TextRule::line("name", 200);
/// A task's title.
pub const TASK_TITLE: TextRule = TextRule::line("title", 200);
/// A task's phase.
pub const TASK_PHASE: TextRule = TextRule::line("phase", 200);
/// A task's description.
pub const TASK_DESCRIPTION: TextRule = TextRule::optional_lines("description", 10_000);
/// The note a contact gives when completing a task.
pub const TASK_NOTE: TextRule = TextRule::optional_lines("note", 2_000);
/// A comment on a task.
pub const COMMENT: TextRule = TextRule {
    required: true,
    ..TextRule::optional_lines("body", 5_000)
};
/// A question a contact asks the firm.
pub const QUESTION: TextRule = TextRule {
    required: true,
    ..TextRule::optional_lines("question", 5_000)
};
/// Why a staff member reveals a credential (kept in the audit log).
pub const REVEAL_REASON: TextRule = TextRule::line("reason", 500);
/// The name a firm's portal shows in its header (empty: the firm's name).
pub const DISPLAY_NAME: TextRule = TextRule {
    required: false,
    ..TextRule::line("display_name", 200)
};
/// The message a firm's portal shows above the tasks.
pub const WELCOME_MESSAGE: TextRule = TextRule::optional_lines("welcome_message", 2_000);
/// The address of a firm's logo.
pub const LOGO_URL: TextRule = TextRule::line("logo_url", 2_048);

/// What is wrong with a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    /// Empty after trimming, where the field is required.
    Empty,
    /// More characters than the field allows.
    TooLong {
        /// The most it allows.
        max_chars: usize,
    },
    /// A control character, a line or paragraph separator, or (in a single-line field)
    /// a line break or tab.
    ControlCharacter,
    /// Not of the form the field needs (e.g. a logo address that is not `https://`).
    Malformed,
}

/// A text that its field does not accept; its message names the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct TextError {
    /// The field, as [`TextRule::field`] names it.
    pub field: &'static str,
    /// What is wrong.
    pub problem: TextProblem,
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextProblem::Empty => f.write_str("is required"),
            TextProblem::TooLong { max_chars } => write!(f, "has at most {max_chars} characters"),
            TextProblem::ControlCharacter => f.write_str("holds a control character"),
            TextProblem::Malformed => f.write_str("is not in the expected form"),
        }
    }
}

/// Text that passed its field's [`TextRule`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedText(String);

/// Whether `c` may stand in a field of `lines`, after line breaks were normalised.
fn allowed(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\t' => lines == Lines::Many,
        '\u{2028}' | '\u{2029}' => false,
        c => !c.is_control(),
    }
}

/// Whether `c` may stand in one-line text: no control character, no line or
/// paragraph separator. For text that is cleaned rather than refused (a user agent).
pub(crate) fn fits_one_line(c: char) -> bool {
    allowed(c, Lines::One)
}

impl CheckedText {
    /// Checks `input` against `rule`: trimmed, line breaks normalised, bounded, free of
    /// control characters.
    pub fn new(input: &str, rule: TextRule) -> Result<Self, TextError> {
        let fail = |problem| TextError {
            field: rule.field,
            problem,
        };
        let trimmed = input.trim();
        let text = match rule.lines {
            Lines::Many if trimmed.contains('\r') => {
                trimmed.replace("\r\n", "\n").replace('\r', "\n")
            }
            _ => trimmed.to_owned(),
        };
        if rule.required && text.is_empty() {
            return Err(fail(TextProblem::Empty));
        }
        if !text.chars().all(|c| allowed(c, rule.lines)) {
            return Err(fail(TextProblem::ControlCharacter));
        }
        if text.chars().count() > rule.max_chars {
            return Err(fail(TextProblem::TooLong {
                max_chars: rule.max_chars,
            }));
        }
        Ok(CheckedText(text))
    }

    /// Checks an optional field: absent, or empty after trimming, is `None`.
    pub fn optional(input: Option<&str>, rule: TextRule) -> Result<Option<Self>, TextError> {
        match input.map(|i| {
            CheckedText::new(
                i,
                TextRule {
                    required: false,
                    ..rule
                },
            )
        }) {
            Some(Ok(t)) if t.0.is_empty() => Ok(None),
            other => other.transpose(),
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, to store.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for CheckedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem(input: &str, rule: TextRule) -> Option<TextProblem> {
        CheckedText::new(input, rule).err().map(|e| e.problem)
    }

    #[test]
    fn names_are_trimmed_bounded_and_one_line() {
        assert_eq!(
            CheckedText::new("  Jane ", FIRST_NAME).unwrap().as_str(),
            "Jane"
        );
        assert_eq!(
            CheckedText::new("<b>Jane</b> \"O'Neil\" \\", FIRST_NAME)
                .unwrap()
                .as_str(),
            "<b>Jane</b> \"O'Neil\" \\",
            "markup and quotes are escaped where shown, not refused"
        );
        assert_eq!(problem("   ", FIRST_NAME), Some(TextProblem::Empty));
        assert_eq!(
            problem("a\r\nBcc: x", FIRST_NAME),
            Some(TextProblem::ControlCharacter)
        );
        assert_eq!(
            problem("a\tb", FIRST_NAME),
            Some(TextProblem::ControlCharacter)
        );
        assert_eq!(
            problem(&"é".repeat(201), FIRST_NAME),
            Some(TextProblem::TooLong { max_chars: 200 })
        );
        assert!(
            CheckedText::new(&"é".repeat(200), FIRST_NAME).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn every_control_character_and_separator_is_refused_everywhere() {
        let refused = (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain([0x2028, 0x2029])
            .filter_map(char::from_u32)
            .filter(|c| !matches!(c, '\n' | '\t' | '\r'));
        for c in refused {
            for rule in [FIRST_NAME, TASK_NOTE, TASK_DESCRIPTION, WELCOME_MESSAGE] {
                assert_eq!(
                    problem(&format!("a{c}b"), rule),
                    Some(TextProblem::ControlCharacter),
                    "U+{:04X} in {}",
                    u32::from(c),
                    rule.field
                );
            }
        }
    }

    #[test]
    fn multi_line_fields_keep_line_feeds_and_tabs_and_normalise_carriage_returns() {
        let note = CheckedText::new(" line one\r\nline two\rthree\n\tfour ", TASK_NOTE).unwrap();
        assert_eq!(note.as_str(), "line one\nline two\nthree\n\tfour");
        assert_eq!(
            CheckedText::optional(Some("  \r\n "), TASK_NOTE),
            Ok(None),
            "blank is absent"
        );
        assert_eq!(CheckedText::optional(None, TASK_NOTE), Ok(None));
        assert_eq!(
            CheckedText::optional(Some("a\0"), TASK_NOTE).map_err(|e| e.to_string()),
            Err("note holds a control character".to_owned()),
            "the message names the field"
        );
    }

    proptest! {
        #[test]
        fn checked_text_never_holds_what_a_store_or_a_log_line_would_break_on(
            s in any::<String>(),
            many in any::<bool>(),
        ) {
            let rule = if many { TASK_NOTE } else { FIRST_NAME };
            if let Ok(t) = CheckedText::new(&s, rule) {
                let breaking = ['\0', '\r', '\u{1b}', '\u{2028}'];
                prop_assert!(!t.as_str().contains(breaking), "{:?}", t);
                prop_assert!(many || !t.as_str().contains('\n'));
                prop_assert!(t.as_str().chars().count() <= rule.max_chars);
                prop_assert_eq!(t.as_str().trim(), t.as_str());
            }
        }
    }
}
