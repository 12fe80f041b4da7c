//! Request input read strictly: JSON bodies into the typed structures of each route,
//! and query strings.
//!
//! In a JSON body, a field of the wrong type (a number where a date string belongs),
//! `null` where a value belongs, a key given twice, or a key the route does not know
//! (an `id`, a `firm_id`, a `status` slipped into a body: mass assignment) is a 400
//! whose message names the field. Nothing is dropped, defaulted or taken from the last
//! duplicate, as reading a `serde_json::Value` would. The structures derive
//! `Deserialize` with `deny_unknown_fields`; serde's derive refuses duplicate keys by
//! itself. Optional fields may be left out; when present they must hold a value (see
//! [`present`]).
//!
//! A query string that does not decode (`?contact_id=%ZZ`) is a 400 too, as is a
//! parameter given twice; where a route filters by its parameters (the staff API's
//! audit log), an unknown one is refused, so that a misspelt filter never answers
//! everything.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::errors::WebError;
use super::request::Request;
use crate::clock::Timestamp;

/// The longest error message echoed back: serde quotes the offending value.
const MAX_MESSAGE: usize = 200;

/// Parses a JSON object into `T`; `T` decides which keys exist and what they hold.
pub(super) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    // Derived structs also accept an array of their fields in order: only an object
    // names its fields.
    if !body.trim_ascii_start().starts_with(b"{") {
        return Err(WebError::BadRequest("expected a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        refusal(&path, e.into_inner())
    })?;
    de.end()
        .map_err(|_| WebError::BadRequest("malformed JSON"))?;
    Ok(value)
}

/// The 400 for a body that did not parse: a syntax error is "malformed JSON"; anything
/// else names the field (serde's own message names it when the path cannot: an unknown,
/// missing or duplicate key).
fn refusal(path: &str, e: serde_json::Error) -> WebError {
    if e.is_syntax() || e.is_eof() {
        return WebError::BadRequest("malformed JSON");
    }
    let text = e.to_string();
    // serde_json adds where in the body it stopped; the field says it better.
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let message = match path {
        "." | "" => message.to_owned(),
        // An unknown key's message names it already.
        field if message.contains(&format!("`{field}`")) => message.to_owned(),
        field => format!("{field}: {message}"),
    };
    WebError::BadInput(message.chars().take(MAX_MESSAGE).collect())
}

/// For an optional field: left out is `None` (with `#[serde(default)]`), but `null` is
/// refused like any other value of the wrong type, rather than read as "left out".
pub(super) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// For an optional field that may be cleared: left out is `None` (with
/// `#[serde(default)]`), `null` is `Some(None)` (clear it), a value is `Some(Some(_))`.
pub(super) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A request's query parameters, in order.
#[derive(Debug)]
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    /// The request's query; a 400 if it does not decode.
    pub(super) fn of(req: &Request) -> Result<Query, WebError> {
        req.query_params()
            .map(Query)
            .map_err(|_| WebError::BadRequest("malformed query string"))
    }

    /// The same query, or a 400 naming a parameter that is not one of `known`.
    pub(super) fn only(self, known: &[&str]) -> Result<Query, WebError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(refused_parameter(k, "is not a parameter of this route")),
            None => Ok(self),
        }
    }

    /// A parameter's value; a 400 when it is given more than once (which one would
    /// count is anybody's guess).
    pub(super) fn get(&self, name: &str) -> Result<Option<&str>, WebError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (_, Some(_)) => Err(refused_parameter(name, "is given more than once")),
            (v, None) => Ok(v.map(String::as_str)),
        }
    }

    /// A parameter read with `parse`; a 400 naming it when it does not parse.
    pub(super) fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, WebError> {
        self.get(name)?
            .map(|v| {
                v.parse()
                    .map_err(|_| refused_parameter(name, "is not a valid value"))
            })
            .transpose()
    }
}

fn refused_parameter(name: &str, problem: &str) -> WebError {
    let name: String = name.chars().take(40).collect();
    WebError::BadInput(format!("query parameter {name:?} {problem}"))
}

/// A date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Date(pub(super) Timestamp);

impl TryFrom<String> for Date {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse_date(&s)
            .map(Date)
            .ok_or("expected a date as YYYY-MM-DD")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::errors::status_and_message;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        #[serde(default, deserialize_with = "present")]
        due_on: Option<Date>,
        #[serde(default, deserialize_with = "present")]
        tags: Option<Vec<String>>,
    }

    fn refused(body: &str) -> String {
        match json::<Body>(body.as_bytes()) {
            Err(e) => {
                let (status, message) = status_and_message(&e);
                assert_eq!(status, 400, "{body}");
                message
            }
            Ok(b) => panic!("{body} was accepted as {b:?}"),
        }
    }

    #[test]
    fn a_well_formed_body_parses_and_optional_fields_may_be_left_out() {
        let b: Body = json(br#" {"name":"x","due_on":"2026-12-31","tags":["a"]}"#).unwrap();
        assert_eq!(b.due_on, Timestamp::parse_date("2026-12-31").map(Date));
        let b: Body = json(br#"{"name":"x"}"#).unwrap();
        assert!(b.name == "x" && b.due_on.is_none() && b.tags.is_none());
    }

    #[test]
    fn every_refusal_names_the_field() {
        for (json, field) in [
            (r#"{"name":"x","due_on":20261231}"#, "due_on"),
            (r#"{"name":"x","due_on":"31/12/2026"}"#, "due_on"),
            (r#"{"name":null}"#, "name"),
            (r#"{"name":"x","due_on":null}"#, "due_on"),
            (r#"{"name":"x","tags":[1]}"#, "tags"),
            (r#"{"name":"x","name":"y"}"#, "`name`"),
            (r#"{"name":"x","firm_id":"f"}"#, "`firm_id`"),
            (r#"{"due_on":"2026-12-31"}"#, "`name`"),
        ] {
            let message = refused(json);
            assert!(message.contains(field), "{json}: {message}");
            assert!(!message.contains(" at line "), "{message}");
        }
    }

    #[test]
    fn what_is_not_an_object_is_refused() {
        for json in [r#"["x"]"#, "null", "\"x\"", "{", r#"{"name":"x"} {}"#, ""] {
            let message = refused(json);
            assert!(
                message == "expected a JSON object" || message == "malformed JSON",
                "{json}: {message}"
            );
        }
    }

    #[test]
    fn queries_are_refused_when_malformed_ambiguous_or_unknown_where_it_matters() {
        let query = |q: &str| Query::of(&Request::new("GET", &format!("/x?{q}")));
        let q = query("contact_id=a%20b&after=7").unwrap();
        assert_eq!(q.get("contact_id").unwrap(), Some("a b"));
        assert_eq!(q.parsed::<u64>("after").unwrap(), Some(7));
        assert_eq!(q.parsed::<u64>("limit").unwrap(), None);
        let message = |e: WebError| status_and_message(&e).1;
        assert_eq!(
            message(query("contact_id=%ZZ").unwrap_err()),
            "malformed query string"
        );
        assert_eq!(
            message(query("x=%ff").unwrap_err()),
            "malformed query string"
        );
        let q = query("after=x&limit=1&limit=2&contactid=7").unwrap();
        assert!(message(q.parsed::<u64>("after").unwrap_err()).contains("\"after\""));
        assert!(message(q.get("limit").unwrap_err()).contains("\"limit\""));
        let unknown = q.only(&["after", "limit"]).unwrap_err();
        assert!(message(unknown).contains("\"contactid\""));
    }

    #[test]
    fn an_echoed_value_is_cut_short() {
        let json = format!(r#"{{"name":"x","tags":"{}"}}"#, "a".repeat(5000));
        assert!(refused(&json).chars().count() <= MAX_MESSAGE);
    }
}
