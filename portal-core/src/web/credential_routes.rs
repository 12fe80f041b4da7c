//! Credential handoff through the client API and the staff API. A contact hands over
//! (or replaces) what a credential task asks for, as JSON or from the task's page, and
//! reads what became of it: which fields were filled and when, never a value. Staff
//! read the same, reveal the values with a reason, purge them, and rotate the vault.
//! Listed in [`routes::PORTAL`](super::routes::PORTAL) and
//! [`routes::STAFF`](super::routes::STAFF); the rules are the core's (see
//! [`crate::portal::credential`]).
//!
//! The values are read so that no answer can repeat one: serde's own messages quote a
//! value of the wrong type, so [`SentValues`] reads them itself and names at most the
//! field; the core's checks do the same.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::api_body::{ApiBody, JsonOrForm};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::response::{CommonValue, Response};
use super::responses::{CredentialView, RevealedView, RotationView};
use super::routing::{Answer, Json, MaybeJson, parse_id};
use super::staff_routes::Staff;
use super::strict;
use crate::credential::{CredentialValues, bounded_name};
use crate::evidence::{MAX_CREDENTIAL_FIELDS, RESERVED_NAMES};
use crate::id::TaskId;
use crate::vault::SecretText;

/// Credentials a rotation re-seals per step when the call names no batch.
const DEFAULT_ROTATION_BATCH: u32 = 100;
/// The largest batch a rotation call may ask for.
const MAX_ROTATION_BATCH: u32 = 10_000;

/// `GET {p}/api/tasks/{task}/credential`: the task's fields, which were filled, and
/// what became of the credential handed over.
pub(super) async fn status(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let status = ctx.web.portal().credential_status(auth, id).await?;
    Ok(Response::json(200, &CredentialView::new(&status)))
}

/// `POST {p}/api/tasks/{task}/credential`: hands over the values (`{"values":
/// {"username": "...", ...}}`, or the task page's form, each field under its own
/// name), or replaces those handed over until staff reveal them. Answered with the
/// status as JSON, or `303` to the task's page.
pub(super) async fn submit(
    ctx: &mut Ctx<'_>,
    task: &str,
    body: JsonOrForm<CredentialBody>,
) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let portal = ctx.web.portal();
    let JsonOrForm { fields, json } = body;
    let values = match fields.values.checked() {
        Ok(values) => values,
        Err(refused) => {
            // Another client's task is not found, whatever was sent for it.
            portal.credential_status(auth, id).await?;
            return Err(refused);
        }
    };
    let status = portal
        .submit_credential(auth, id, values, ctx.info())
        .await?;
    if !json {
        return Ok(Response::see_other(&format!("{}/tasks/{id}", ctx.mount())));
    }
    Ok(Response::json(200, &CredentialView::new(&status)))
}

/// `GET {staff}/tasks/{task}/credential`: as the client API's.
pub(super) async fn staff_status(s: &Staff<'_>, task: &str) -> Answer {
    let status = s
        .portal
        .staff_credential_status(&s.ctx, parse_id(task)?)
        .await?;
    Ok(Response::json(200, &CredentialView::new(&status)))
}

/// `POST {staff}/tasks/{task}/credential/reveal` (`{"reason": "..."}`): the status
/// and the values, for this staff member, once the reveal is in the audit log. No
/// cache may keep the answer.
pub(super) async fn reveal(s: &Staff<'_>, task: &str, Json(body): Json<RevealBody>) -> Answer {
    let revealed = s
        .portal
        .reveal_credential(&s.ctx, parse_id(task)?, &body.reason)
        .await?;
    Ok(Response::json(200, &RevealedView::new(&revealed))
        .with_header("cache-control", CommonValue::NoStore)
        // For HTTP/1.0 caches, which know no `Cache-Control`.
        .with_header("pragma", "no-cache"))
}

/// `POST {staff}/tasks/{task}/credential/purge`: deletes the values; the record of
/// which fields were filled, when and by whom stays. Answered with the status.
pub(super) async fn purge(s: &Staff<'_>, task: &str) -> Answer {
    let status = s.portal.purge_credential(&s.ctx, parse_id(task)?).await?;
    Ok(Response::json(200, &CredentialView::new(&status)))
}

/// `POST {staff}/vault/rotate` (optional `{"batch": n}`, 1 to 10,000, default 100):
/// re-seals under the vault's active key what older keys sealed of this firm's
/// credentials, audited; what it did.
pub(super) async fn rotate(s: &Staff<'_>, MaybeJson(body): MaybeJson<RotateBody>) -> Answer {
    let batch = body.batch.unwrap_or(DEFAULT_ROTATION_BATCH);
    if !(1..=MAX_ROTATION_BATCH).contains(&batch) {
        return Err(WebError::BadInput(format!(
            "batch: from 1 to {MAX_ROTATION_BATCH}"
        )));
    }
    let report = s.portal.staff_rotate_vault(&s.ctx, batch).await?;
    Ok(Response::json(200, &RotationView::new(&report)))
}

/// `POST {p}/api/tasks/{task}/credential`: `values`, and the CSRF token if not in its
/// header.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialBody {
    values: SentValues,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for CredentialBody {
    /// The page's form: each field under its own name, as a form task's fields are
    /// posted (no credential field may be named like the CSRF token). A browser sends a
    /// text area's line breaks as CR LF whatever was typed: they are LF again here, so
    /// that notes read back as they were typed (a one-line field refuses either).
    fn from_form(form: &Form) -> Self {
        let mut values = SentValues::default();
        for (name, value) in form.pairs() {
            if !RESERVED_NAMES.contains(&name) {
                let value = SecretText::new(value.replace("\r\n", "\n"));
                values.add(name.to_owned(), Some(value));
            }
        }
        CredentialBody {
            values,
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }

    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST {staff}/tasks/{task}/credential/reveal`: why.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RevealBody {
    reason: String,
}

/// `POST {staff}/vault/rotate`: how many credentials each step re-seals.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RotateBody {
    #[serde(default, deserialize_with = "strict::present")]
    batch: Option<u32>,
}

/// The values of a credential as sent, by field name: at most
/// [`MAX_CREDENTIAL_FIELDS`], each name once, each value text. What is wrong with them
/// is kept, to be answered once the route knows the task, in a message that names at
/// most the field.
#[derive(Default)]
pub(super) struct SentValues {
    values: BTreeMap<String, SecretText>,
    refused: Option<Refused>,
}

/// Why sent values are refused, before the task's fields are looked at.
enum Refused {
    TooMany,
    /// A name given twice: which value counts would be anybody's guess.
    Twice(String),
    /// A value that is not text.
    NotText(String),
}

impl SentValues {
    /// Adds `name`'s value (`None`: not text); past the first problem, nothing more.
    fn add(&mut self, name: String, value: Option<SecretText>) {
        if self.refused.is_some() {
            return;
        }
        self.refused = match value {
            None => Some(Refused::NotText(bounded_name(&name))),
            Some(_) if self.values.contains_key(&name) => Some(Refused::Twice(bounded_name(&name))),
            Some(_) if self.values.len() == MAX_CREDENTIAL_FIELDS => Some(Refused::TooMany),
            Some(value) => {
                self.values.insert(name, value);
                None
            }
        };
    }

    /// The values for the core to check against the task's fields, or a 400.
    fn checked(self) -> Result<CredentialValues, WebError> {
        let message = match self.refused {
            None => return Ok(CredentialValues(self.values)),
            Some(Refused::TooMany) => {
                format!("values: a credential has at most {MAX_CREDENTIAL_FIELDS} fields")
            }
            Some(Refused::Twice(name)) => format!("values.{name}: given more than once"),
            Some(Refused::NotText(name)) => format!("values.{name}: must be text"),
        };
        Err(WebError::BadInput(message))
    }
}

/// The one message for `values` that is not an object: serde's would quote it.
const NOT_AN_OBJECT: &str = "expected an object of text values by field name";

impl<'de> serde::Deserialize<'de> for SentValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValuesVisitor)
    }
}

struct ValuesVisitor;

impl<'de> Visitor<'de> for ValuesVisitor {
    type Value = SentValues;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NOT_AN_OBJECT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SentValues, A::Error> {
        let mut sent = SentValues::default();
        while let Some(name) = map.next_key::<String>()? {
            let SentValue(value) = map.next_value()?;
            sent.add(name, value);
        }
        Ok(sent)
    }

    // Every other JSON value is refused without a word of what it held.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_unit<E: de::Error>(self) -> Result<SentValues, E> {
        Err(E::custom(NOT_AN_OBJECT))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<SentValues, A::Error> {
        Err(de::Error::custom(NOT_AN_OBJECT))
    }
}

/// One value of [`SentValues`]: its text, or `None` for any other JSON value, read to
/// its end and dropped unseen.
struct SentValue(Option<SecretText>);

impl<'de> serde::Deserialize<'de> for SentValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = SentValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<SentValue, E> {
        Ok(SentValue(Some(SecretText::new(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<SentValue, E> {
        Ok(SentValue(Some(SecretText::new(v))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<SentValue, E> {
        Ok(SentValue(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SentValue, E> {
        Ok(SentValue(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SentValue, E> {
        Ok(SentValue(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<SentValue, E> {
        Ok(SentValue(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<SentValue, E> {
        Ok(SentValue(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SentValue, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(SentValue(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SentValue, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(SentValue(None))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::web::errors::status_and_message;

    /// The status and message a body gets before the task is looked at, or the names
    /// and values it holds.
    fn read(body: &str) -> Result<Vec<(String, String)>, (u16, String)> {
        let refused = |e: WebError| status_and_message(&e);
        let body: CredentialBody = strict::json(body.as_bytes()).map_err(refused)?;
        let values = body.values.checked().map_err(refused)?;
        Ok(values
            .0
            .into_iter()
            .map(|(n, v)| (n, v.expose().to_owned()))
            .collect())
    }

    #[test]
    fn values_are_read_as_text_by_name() {
        assert_eq!(
            read(r#"{"values": {"username": "ada", "password": "p\u0000w"}}"#).unwrap(),
            [
                ("password".to_owned(), "p\0w".to_owned()),
                ("username".to_owned(), "ada".to_owned())
            ]
        );
        assert_eq!(read(r#"{"values": {}, "csrf_token": "t"}"#).unwrap(), []);
    }

    #[test]
    fn a_refusal_names_at_most_the_field_and_never_a_value() {
        let secret = "Sup3r-s3cret-VALUE";
        let many: Vec<String> = (0..1_000)
            .map(|i| format!("\"f{i}\": \"{secret}\""))
            .collect();
        for (body, status, message) in [
            (
                format!(
                    r#"{{"values": {{"password": 4711{secret_digits}}}}}"#,
                    secret_digits = 42
                ),
                400,
                "values.password: must be text".to_owned(),
            ),
            (
                format!(r#"{{"values": {{"password": ["{secret}"]}}}}"#),
                400,
                "values.password: must be text".to_owned(),
            ),
            (
                format!(r#"{{"values": {{"password": {{"{secret}": "{secret}"}}}}}}"#),
                400,
                "values.password: must be text".to_owned(),
            ),
            (
                format!(r#"{{"values": {{"password": "{secret}", "password": "{secret}"}}}}"#),
                400,
                "values.password: given more than once".to_owned(),
            ),
            (
                format!(r#"{{"values": {{{}}}}}"#, many.join(",")),
                400,
                "values: a credential has at most 20 fields".to_owned(),
            ),
            (
                format!(r#"{{"values": "{secret}"}}"#),
                400,
                format!("values: {NOT_AN_OBJECT}"),
            ),
            (
                r#"{"values": 4711}"#.to_owned(),
                400,
                format!("values: {NOT_AN_OBJECT}"),
            ),
            (
                format!(r#"{{"values": ["{secret}"]}}"#),
                400,
                format!("values: {NOT_AN_OBJECT}"),
            ),
            (
                format!("{{\"values\": {{\"password\": \"a\u{7}{secret}\u{1}\"}}}}"),
                400,
                "malformed JSON".to_owned(),
            ),
            (
                format!(r#"{{"values": {{"password": "{secret}"}}, "firm_id": "x"}}"#),
                400,
                "unknown field `firm_id`, expected `values` or `csrf_token`".to_owned(),
            ),
        ] {
            let (got_status, got) = read(&body).unwrap_err();
            assert_eq!(
                (got_status, got.as_str()),
                (status, message.as_str()),
                "{body:.80}"
            );
            assert!(!got.contains(secret) && !got.contains("4711"), "{got}");
        }
    }

    #[test]
    fn a_strange_name_is_not_repeated_either() {
        let (_, message) = read(r#"{"values": {"a b <i>": 1}}"#).unwrap_err();
        assert_eq!(message, "values.values: must be text");
    }

    #[test]
    fn a_form_posts_each_field_by_name_and_a_name_twice_is_refused() {
        let form = Form::parse(b"csrf_token=t&username=ada&password=p%20w").unwrap();
        let body = CredentialBody::from_form(&form);
        assert_eq!(body.csrf_token(), Some("t"));
        let values = body.values.checked().unwrap().0;
        assert_eq!(values.len(), 2);
        assert_eq!(values["password"].expose(), "p w");
        let notes = Form::parse(b"notes=a%0D%0Ab%0D%0A%0D%0Ac%0Dd").unwrap();
        let values = CredentialBody::from_form(&notes)
            .values
            .checked()
            .unwrap()
            .0;
        assert_eq!(values["notes"].expose(), "a\nb\n\nc\rd", "as typed");
        let twice = Form::parse(b"password=a&password=b").unwrap();
        let refused = CredentialBody::from_form(&twice).values.checked().err();
        let (status, message) = status_and_message(&refused.unwrap());
        assert_eq!(
            (status, message.as_str()),
            (400, "values.password: given more than once")
        );
    }
}
