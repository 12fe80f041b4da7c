//! Surveys and forms: fields staff define, answers checked against that definition.
//!
//! A form has at most [`MAX_FIELDS`] fields, each with a name (what answers are keyed
//! by), a label, a kind and whether it is required. Answers arrive as name and value
//! pairs (an HTML form's, or a JSON object's flattened): every one is checked, and the
//! first problem found names its field; nothing of a refused set is kept.

use std::collections::BTreeMap;

use super::problem::{EvidenceError, Problem};
use crate::text::{CheckedText, Lines, TextRule};

/// The most fields a form has.
pub const MAX_FIELDS: usize = 50;
/// The most choices a select field offers.
pub const MAX_OPTIONS: usize = 50;
/// The longest a short text answer may be allowed to be.
pub const SHORT_TEXT_MAX: usize = 500;
/// The longest a long text answer may be allowed to be.
pub const LONG_TEXT_MAX: usize = 10_000;
/// Field names no form may use: an HTML form posts its answers beside the session's
/// CSRF token under this name, so a field of that name could not be told from it.
pub const RESERVED_NAMES: [&str; 1] = ["csrf_token"];

/// What kind of answer a field takes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text, at most `max_chars` characters.
    ShortText {
        /// The most characters an answer has.
        max_chars: usize,
    },
    /// Text with line breaks, at most `max_chars` characters.
    LongText {
        /// The most characters an answer has.
        max_chars: usize,
    },
    /// One of the options.
    SingleSelect {
        /// The choices, in order.
        options: Vec<String>,
    },
    /// Any number of the options, each at most once.
    MultipleSelect {
        /// The choices, in order.
        options: Vec<String>,
    },
    /// A whole number from 1 to 5.
    Rating,
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Field {
    /// Its key in the answers: letters, digits and `_`, starting with a letter.
    pub name: String,
    /// What the client reads.
    pub label: String,
    /// What it takes.
    #[serde(flatten)]
    pub kind: FieldKind,
    /// Whether an answer is needed.
    pub required: bool,
}

/// A form's definition.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Form {
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// One field's answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// Text, or the option chosen.
    Text(String),
    /// The options chosen, in the form's order.
    Choices(Vec<String>),
    /// A rating.
    Rating(u8),
}

/// A form's checked answers, by field name; a field left empty has none.
pub type Answers = BTreeMap<String, Answer>;

fn label_rule(field: &'static str) -> TextRule {
    TextRule {
        field,
        lines: Lines::One,
        required: true,
        max_chars: 200,
    }
}

impl Form {
    /// Checks staff's definition: 1 to [`MAX_FIELDS`] fields of distinct, well-formed
    /// names (none of them [`RESERVED_NAMES`]), one-line labels and options, select fields with 1 to [`MAX_OPTIONS`]
    /// distinct options, text limits within [`SHORT_TEXT_MAX`] / [`LONG_TEXT_MAX`].
    pub fn new(fields: Vec<Field>) -> Result<Form, EvidenceError> {
        if fields.is_empty() {
            return Err(EvidenceError::new("fields", Problem::Required));
        }
        if fields.len() > MAX_FIELDS {
            return Err(EvidenceError::new(
                "fields",
                Problem::TooMany { max: MAX_FIELDS },
            ));
        }
        let mut checked = Vec::with_capacity(fields.len());
        for f in fields {
            let b = f.name.as_bytes();
            let well_formed = (1..=64).contains(&b.len())
                && b[0].is_ascii_alphabetic()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
            if !well_formed {
                return Err(EvidenceError::new("fields.name", Problem::Malformed));
            }
            if RESERVED_NAMES.contains(&f.name.as_str()) {
                return Err(EvidenceError::new("fields.name", Problem::Reserved));
            }
            if checked.iter().any(|c: &Field| c.name == f.name) {
                return Err(EvidenceError::new(f.name, Problem::TooMany { max: 1 }));
            }
            let label = CheckedText::new(&f.label, label_rule("fields.label"))?.into_string();
            let kind = match f.kind {
                FieldKind::ShortText { max_chars } => FieldKind::ShortText {
                    max_chars: limit(max_chars, SHORT_TEXT_MAX)?,
                },
                FieldKind::LongText { max_chars } => FieldKind::LongText {
                    max_chars: limit(max_chars, LONG_TEXT_MAX)?,
                },
                FieldKind::SingleSelect { options } => FieldKind::SingleSelect {
                    options: check_options(options)?,
                },
                FieldKind::MultipleSelect { options } => FieldKind::MultipleSelect {
                    options: check_options(options)?,
                },
                FieldKind::Rating => FieldKind::Rating,
            };
            checked.push(Field {
                name: f.name,
                label,
                kind,
                required: f.required,
            });
        }
        Ok(Form { fields: checked })
    }

    /// Checks `pairs` (field name and value, in order; a multiple select's name once per
    /// choice) against the form: every name a field's, every value of its field's kind
    /// and bounds, every required field answered. The first problem names its field.
    pub fn check<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Answers, EvidenceError> {
        let mut given: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, value) in pairs {
            if !self.fields.iter().any(|f| f.name == name) {
                return Err(EvidenceError::new(name, Problem::UnknownField));
            }
            given.entry(name).or_default().push(value);
        }
        let mut answers = Answers::new();
        for field in &self.fields {
            let values: Vec<&str> = given
                .remove(field.name.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            let fail = |problem| Err(EvidenceError::new(field.name.clone(), problem));
            if values.is_empty() {
                if field.required {
                    return fail(Problem::Required);
                }
                continue;
            }
            let one = match values.as_slice() {
                [v] => Some(*v),
                _ => None,
            };
            let answer = match &field.kind {
                FieldKind::ShortText { max_chars } | FieldKind::LongText { max_chars } => {
                    let Some(v) = one else {
                        return fail(Problem::TooMany { max: 1 });
                    };
                    let lines = match field.kind {
                        FieldKind::LongText { .. } => Lines::Many,
                        _ => Lines::One,
                    };
                    let rule = TextRule {
                        field: "answer",
                        lines,
                        required: true,
                        max_chars: *max_chars,
                    };
                    match CheckedText::new(v, rule) {
                        Ok(t) => Answer::Text(t.into_string()),
                        Err(e) => return fail(EvidenceError::from(e).problem),
                    }
                }
                FieldKind::SingleSelect { options } => match one {
                    Some(v) if options.iter().any(|o| o == v) => Answer::Text(v.to_owned()),
                    Some(_) => return fail(Problem::UnknownOption),
                    None => return fail(Problem::TooMany { max: 1 }),
                },
                FieldKind::MultipleSelect { options } => {
                    if values.iter().any(|v| !options.iter().any(|o| o == v)) {
                        return fail(Problem::UnknownOption);
                    }
                    let mut seen = values.clone();
                    seen.sort_unstable();
                    seen.dedup();
                    if seen.len() != values.len() {
                        return fail(Problem::TooMany { max: options.len() });
                    }
                    Answer::Choices(
                        options
                            .iter()
                            .filter(|o| values.contains(&o.as_str()))
                            .cloned()
                            .collect(),
                    )
                }
                FieldKind::Rating => match one.map(str::parse::<u8>) {
                    Some(Ok(r @ 1..=5)) => Answer::Rating(r),
                    Some(Ok(_)) => return fail(Problem::OutOfRange { min: 1, max: 5 }),
                    Some(Err(_)) => return fail(Problem::Malformed),
                    None => return fail(Problem::TooMany { max: 1 }),
                },
            };
            answers.insert(field.name.clone(), answer);
        }
        Ok(answers)
    }
}

fn limit(max_chars: usize, ceiling: usize) -> Result<usize, EvidenceError> {
    if (1..=ceiling).contains(&max_chars) {
        Ok(max_chars)
    } else {
        Err(EvidenceError::new(
            "fields.max_chars",
            Problem::OutOfRange {
                min: 1,
                max: i64::try_from(ceiling).unwrap_or(i64::MAX),
            },
        ))
    }
}

fn check_options(options: Vec<String>) -> Result<Vec<String>, EvidenceError> {
    if options.is_empty() {
        return Err(EvidenceError::new("fields.options", Problem::Required));
    }
    if options.len() > MAX_OPTIONS {
        return Err(EvidenceError::new(
            "fields.options",
            Problem::TooMany { max: MAX_OPTIONS },
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(options.len());
    for o in options {
        let o = CheckedText::new(&o, label_rule("fields.options"))?.into_string();
        if checked.contains(&o) {
            return Err(EvidenceError::new(
                "fields.options",
                Problem::TooMany { max: 1 },
            ));
        }
        checked.push(o);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind, required: bool) -> Field {
        Field {
            name: name.into(),
            label: format!("The {name}"),
            kind,
            required,
        }
    }

    fn form() -> Form {
        let options = |o: &[&str]| o.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Form::new(vec![
            field("company", FieldKind::ShortText { max_chars: 20 }, true),
            field("notes", FieldKind::LongText { max_chars: 100 }, false),
            field(
                "size",
                FieldKind::SingleSelect {
                    options: options(&["small", "large"]),
                },
                true,
            ),
            field(
                "services",
                FieldKind::MultipleSelect {
                    options: options(&["payroll", "tax", "audit"]),
                },
                false,
            ),
            field("satisfaction", FieldKind::Rating, false),
        ])
        .unwrap()
    }

    fn problem(pairs: &[(&str, &str)]) -> (String, Problem) {
        let e = form().check(pairs.iter().copied()).unwrap_err();
        (e.field, e.problem)
    }

    #[test]
    fn answers_are_checked_against_the_definition() {
        let answers = form()
            .check([
                ("company", " Acme "),
                ("notes", "line one\r\nline two"),
                ("size", "large"),
                ("services", "audit"),
                ("services", "payroll"),
                ("satisfaction", "5"),
            ])
            .unwrap();
        assert_eq!(answers["company"], Answer::Text("Acme".into()));
        assert_eq!(answers["notes"], Answer::Text("line one\nline two".into()));
        assert_eq!(
            answers["services"],
            Answer::Choices(vec!["payroll".into(), "audit".into()]),
            "in the form's order"
        );
        assert_eq!(answers["satisfaction"], Answer::Rating(5));
        let minimal = form().check([("company", "A"), ("size", "small")]).unwrap();
        assert_eq!(minimal.len(), 2, "optional fields left out have no answer");
    }

    #[test]
    fn each_bad_answer_names_its_field() {
        let ok = [("company", "Acme"), ("size", "small")];
        let with = |extra: (&'static str, &'static str)| {
            let mut v = ok.to_vec();
            v.push(extra);
            problem(&v)
        };
        assert_eq!(
            problem(&[("size", "small")]),
            ("company".into(), Problem::Required)
        );
        assert_eq!(
            problem(&[("company", "  "), ("size", "small")]),
            ("company".into(), Problem::Required)
        );
        assert_eq!(
            problem(&[("company", &"x".repeat(21)), ("size", "small")]),
            ("company".into(), Problem::TooLong { max_chars: 20 })
        );
        assert_eq!(
            problem(&[("company", "A\nB"), ("size", "small")]).1,
            Problem::ControlCharacter
        );
        assert_eq!(
            problem(&[("company", "A"), ("size", "medium")]),
            ("size".into(), Problem::UnknownOption)
        );
        assert_eq!(
            with(("services", "bookkeeping")),
            ("services".into(), Problem::UnknownOption)
        );
        assert_eq!(
            problem(&[
                ("company", "A"),
                ("size", "small"),
                ("services", "tax"),
                ("services", "tax")
            ])
            .0,
            "services"
        );
        assert_eq!(
            with(("satisfaction", "0")),
            (
                "satisfaction".into(),
                Problem::OutOfRange { min: 1, max: 5 }
            )
        );
        assert_eq!(
            with(("satisfaction", "6")).1,
            Problem::OutOfRange { min: 1, max: 5 }
        );
        assert_eq!(with(("satisfaction", "five")).1, Problem::Malformed);
        assert_eq!(with(("satisfaction", "4.5")).1, Problem::Malformed);
        assert_eq!(with(("size", "large")).1, Problem::TooMany { max: 1 });
        assert_eq!(
            with(("password", "x")),
            ("password".into(), Problem::UnknownField)
        );
    }

    #[test]
    fn definitions_are_checked() {
        let bad = |fields| Form::new(fields).unwrap_err().field;
        assert_eq!(bad(vec![]), "fields");
        assert_eq!(
            bad(vec![field("1st", FieldKind::Rating, true)]),
            "fields.name"
        );
        assert_eq!(
            bad(vec![field("a b", FieldKind::Rating, true)]),
            "fields.name"
        );
        let reserved = Form::new(vec![field("csrf_token", FieldKind::Rating, true)]).unwrap_err();
        assert_eq!(
            (reserved.field.as_str(), reserved.problem),
            ("fields.name", Problem::Reserved),
            "the name an HTML form's CSRF token travels under"
        );
        assert_eq!(
            bad(vec![
                field("a", FieldKind::Rating, true),
                field("a", FieldKind::Rating, true)
            ]),
            "a"
        );
        assert_eq!(
            bad(vec![field(
                "a",
                FieldKind::ShortText { max_chars: 0 },
                true
            )]),
            "fields.max_chars"
        );
        assert_eq!(
            bad(vec![field(
                "a",
                FieldKind::LongText { max_chars: 10_001 },
                true
            )]),
            "fields.max_chars"
        );
        assert_eq!(
            bad(vec![field(
                "a",
                FieldKind::SingleSelect { options: vec![] },
                true
            )]),
            "fields.options"
        );
        assert_eq!(
            bad(vec![field(
                "a",
                FieldKind::SingleSelect {
                    options: vec!["x".into(), " x ".into()]
                },
                true
            )]),
            "fields.options"
        );
    }
}
