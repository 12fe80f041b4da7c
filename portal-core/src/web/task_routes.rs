//! The client API for tasks: a client's phases with their progress, one task, and a
//! route per evidence type that asks the client for something. Listed in
//! [`routes::PORTAL`](super::routes::PORTAL).
//!
//! Every submission route takes JSON (the CSRF token in `X-CSRF-Token` or the body's
//! `csrf_token`) and answers the task as it now is, or an HTML form post (the token in
//! its `csrf_token` field) and answers `303` to the task's page. The rules (who may
//! submit what, the first answer standing, a repeat changing nothing) are the core's:
//! see [`Portal::submit_task`](crate::Portal::submit_task). A submission of another
//! type than the task's is a 422, as is one its definition refuses (naming the field);
//! a different second answer is a 409.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::api_body::{ApiBody, JsonOrForm};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::response::Response;
use super::responses::{ClientPhases, TaskView};
use super::routing::{Answer, parse_id};
use super::strict;
use crate::evidence::{
    self, Decision, Evidence, EvidenceError, Problem, RESERVED_NAMES, Submission,
};
use crate::id::{ClientId, TaskId};
use crate::portal::task::{TaskError, TaskList};
use crate::task::Task;

/// The task as JSON (named in its phase), or `303` to its page for a form post.
pub(super) async fn task_answer(ctx: &Ctx<'_>, task: &Task, json: bool) -> Answer {
    if !json {
        return Ok(Response::see_other(&format!(
            "{}/tasks/{}",
            ctx.mount(),
            task.id
        )));
    }
    let list = TaskList {
        phases: ctx.web.portal().store().phases(task.client_id).await?,
        tasks: Vec::new(),
    };
    Ok(Response::json(200, &TaskView::new(task, &list)))
}

/// `GET {p}/api/clients/{client}/phases`: the client's phases in order with their
/// status, progress and tasks, the tasks without a phase apart, and the overall
/// progress.
pub(super) async fn client_phases(ctx: &mut Ctx<'_>, client: &str) -> Answer {
    let client: ClientId = parse_id(client)?;
    let auth = ctx.require_auth()?;
    let list = ctx.web.portal().client_tasks(auth, client).await?;
    Ok(Response::json(200, &ClientPhases::new(client, &list)))
}

/// `GET {p}/api/tasks/{task}`: one task with its evidence.
pub(super) async fn task(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let task = ctx.web.portal().client_task(auth, id).await?;
    task_answer(ctx, &task, true).await
}

/// Submits `submission` for the task, answering as [`task_answer`] does.
async fn submit(ctx: &Ctx<'_>, task: &str, submission: Submission, json: bool) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let task = ctx
        .web
        .portal()
        .submit_task(auth, id, submission, ctx.info())
        .await?;
    task_answer(ctx, &task, json).await
}

/// `POST {p}/api/tasks/{task}/answer`: the answer to a question.
pub(super) async fn answer(ctx: &mut Ctx<'_>, task: &str, body: JsonOrForm<AnswerBody>) -> Answer {
    // Checked by the core, after it found the task: a question of another client is
    // not found, whatever was sent for it.
    let text = body.fields.text.unwrap_or_default();
    let answer = Submission::Answer {
        text,
        attachments: Vec::new(),
    };
    submit(ctx, task, answer, body.json).await
}

/// `POST {p}/api/tasks/{task}/form`: a form's answers.
pub(super) async fn form(ctx: &mut Ctx<'_>, task: &str, body: JsonOrForm<FormBody>) -> Answer {
    let answers = body.fields.answers.0;
    submit(ctx, task, Submission::Form { answers }, body.json).await
}

/// `POST {p}/api/tasks/{task}/decision`: approval or rejection, with a comment.
pub(super) async fn decision(
    ctx: &mut Ctx<'_>,
    task: &str,
    body: JsonOrForm<DecisionBody>,
) -> Answer {
    let name = body.fields.decision.as_deref().unwrap_or_default().trim();
    let decision = match Decision::from_name(name) {
        Some(d) => d,
        None if name.is_empty() => return Err(refused("decision", Problem::Required)),
        None => return Err(refused("decision", Problem::UnknownOption)),
    };
    let submission = Submission::Decision {
        decision,
        comment: body.fields.comment,
    };
    submit(ctx, task, submission, body.json).await
}

/// `POST {p}/api/tasks/{task}/watched`: a training video watched.
pub(super) async fn watched(ctx: &mut Ctx<'_>, task: &str, body: JsonOrForm<CsrfOnly>) -> Answer {
    submit(ctx, task, Submission::Watched, body.json).await
}

/// `POST {p}/api/tasks/{task}/checklist/{item}`: checks or unchecks item `item` (from
/// 0). An item that is not a number names nothing (404); one past the list's end is
/// refused naming `item` (422).
pub(super) async fn checklist_item(
    ctx: &mut Ctx<'_>,
    task: &str,
    item: &str,
    body: JsonOrForm<CheckBody>,
) -> Answer {
    let id: TaskId = parse_id(task)?;
    let item: usize = parse_id(item)?;
    let checked = body
        .fields
        .checked
        .ok_or_else(|| WebError::BadInput("checked: expected true or false".to_owned()))?;
    let auth = ctx.require_auth()?;
    let task = ctx
        .web
        .portal()
        .check_item(auth, id, item, checked, ctx.info())
        .await?;
    task_answer(ctx, &task, body.json).await
}

/// `GET {p}/api/tasks/{task}/invite.ics`: a meeting's calendar invitation. Its `UID`
/// is the task's id at the firm's host, the same on every download, so that a calendar
/// updates the event it has; `DTSTAMP` is when the task last changed; `SEQUENCE` is the
/// whole seconds from the task's creation to that change, so that it grows with every
/// edit staff make (two edits within one second share it). A task that is no meeting
/// has no invitation (404).
pub(super) async fn invite_ics(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let task = ctx.web.portal().client_task(auth, id).await?;
    let Evidence::Meeting(meeting) = &task.evidence else {
        return Err(WebError::NotFound);
    };
    let uid = format!("{}@{}", task.id, ctx.firm.public_url.host());
    let seconds = task
        .updated_at
        .unix_millis()
        .saturating_sub(task.created_at.unix_millis())
        .max(0)
        / 1000;
    // RFC 5545's integers are 32-bit signed.
    let sequence = u32::try_from(seconds.min(i64::from(i32::MAX))).unwrap_or(0);
    let ics = meeting.ics(
        &uid,
        task.updated_at,
        sequence,
        &task.title,
        &task.description,
    );
    Ok(Response::new(200)
        .with_header("content-type", "text/calendar; charset=utf-8".to_owned())
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{}.ics\"", file_stem(&task.title)),
        )
        .with_body(ics.into_bytes()))
}

/// A file name from a title: ASCII letters and digits, lower-case, words joined by
/// `-`, at most 60 characters; `meeting` when nothing is left. Nothing a header could
/// be split or a path escaped with survives.
fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
        if stem.len() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "meeting".to_owned()
    } else {
        stem.to_owned()
    }
}

/// A 422 naming `field`.
fn refused(field: &str, problem: Problem) -> WebError {
    TaskError::Invalid(EvidenceError::new(field, problem)).into()
}

/// `POST {p}/api/tasks/{task}/answer`: `text`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnswerBody {
    #[serde(default, deserialize_with = "strict::present")]
    text: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for AnswerBody {
    fn from_form(form: &Form) -> Self {
        AnswerBody {
            text: form.get("text").map(str::to_owned),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST {p}/api/tasks/{task}/form`: `{"answers": {"field": "text" | ["a", "b"] | 4}}`
/// as JSON; as a form, the form's field names (a multiple select's once per choice).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FormBody {
    answers: FormAnswers,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for FormBody {
    fn from_form(form: &Form) -> Self {
        // Every field but the CSRF token is an answer: a name the form does not have
        // is refused by the form's check, naming it. No form may name a field like the
        // token (`RESERVED_NAMES`), so none of its answers is lost here.
        let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in form.pairs() {
            if !RESERVED_NAMES.contains(&name) {
                grouped
                    .entry(name.to_owned())
                    .or_default()
                    .push(value.to_owned());
            }
        }
        let answers = grouped
            .into_iter()
            .map(|(name, mut values)| {
                let answer = match values.len() {
                    1 => evidence::Answer::Text(values.remove(0)),
                    _ => evidence::Answer::Choices(values),
                };
                (name, answer)
            })
            .collect();
        FormBody {
            answers: FormAnswers(answers),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// A form's answers as JSON: an object whose keys are field names, each given once,
/// and whose values are text, a list of choices, or a number (a rating). They are
/// checked against the form by the core; here only their shape is read.
pub(super) struct FormAnswers(evidence::Answers);

impl<'de> serde::Deserialize<'de> for FormAnswers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(AnswersVisitor)
    }
}

struct AnswersVisitor;

impl<'de> Visitor<'de> for AnswersVisitor {
    type Value = FormAnswers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers by field name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FormAnswers, A::Error> {
        let mut answers = evidence::Answers::new();
        while let Some(name) = map.next_key::<String>()? {
            let JsonAnswer(answer) = map.next_value()?;
            // A key given twice: which one counts is anybody's guess, so neither does.
            if answers.insert(name.clone(), answer).is_some() {
                let name: String = name.chars().take(40).collect();
                return Err(de::Error::custom(format_args!(
                    "field {name:?} is given more than once"
                )));
            }
        }
        Ok(FormAnswers(answers))
    }
}

/// One answer of [`FormAnswers`].
struct JsonAnswer(evidence::Answer);

impl<'de> serde::Deserialize<'de> for JsonAnswer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnswerVisitor)
    }
}

struct AnswerVisitor;

impl<'de> Visitor<'de> for AnswerVisitor {
    type Value = JsonAnswer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text, a list of choices, or a whole number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonAnswer, E> {
        Ok(JsonAnswer(evidence::Answer::Text(v.to_owned())))
    }

    // A number is a rating; one no rating can be stays as it was written, for the
    // form's check to refuse naming its field (a 422, as a rating of 6 is).
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonAnswer, E> {
        Ok(JsonAnswer(match u8::try_from(v) {
            Ok(r) => evidence::Answer::Rating(r),
            Err(_) => evidence::Answer::Text(v.to_string()),
        }))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonAnswer, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Ok(JsonAnswer(evidence::Answer::Text(v.to_string()))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonAnswer, E> {
        Ok(JsonAnswer(evidence::Answer::Text(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonAnswer, A::Error> {
        let mut choices = Vec::new();
        while let Some(choice) = seq.next_element::<String>()? {
            // No select offers more: a longer list is refused before it is kept.
            if choices.len() == evidence::MAX_OPTIONS {
                return Err(de::Error::custom(format_args!(
                    "at most {} choices",
                    evidence::MAX_OPTIONS
                )));
            }
            choices.push(choice);
        }
        Ok(JsonAnswer(evidence::Answer::Choices(choices)))
    }
}

/// `POST {p}/api/tasks/{task}/decision`: `decision` (`approved` or `rejected`) and an
/// optional `comment`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DecisionBody {
    #[serde(default, deserialize_with = "strict::present")]
    decision: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    comment: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for DecisionBody {
    fn from_form(form: &Form) -> Self {
        DecisionBody {
            decision: form.get("decision").map(str::to_owned),
            comment: form.get("comment").map(str::to_owned),
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// A body with nothing but, optionally, the CSRF token (`POST .../watched`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CsrfOnly {
    #[serde(default, deserialize_with = "strict::present")]
    pub(super) csrf_token: Option<String>,
}

impl ApiBody for CsrfOnly {
    fn from_form(form: &Form) -> Self {
        CsrfOnly {
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// `POST {p}/api/tasks/{task}/checklist/{item}`: `checked`, a JSON boolean, or `true`
/// or `false` in a form (anything else there is as good as left out: a 400).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckBody {
    #[serde(default, deserialize_with = "strict::present")]
    checked: Option<bool>,
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
}

impl ApiBody for CheckBody {
    fn from_form(form: &Form) -> Self {
        CheckBody {
            checked: match form.get("checked") {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            csrf_token: form.get("csrf_token").map(str::to_owned),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_stem_keeps_only_letters_digits_and_dashes() {
        assert_eq!(file_stem("Year-end review: Q4"), "year-end-review-q4");
        assert_eq!(file_stem("\"; filename=x.exe\r\n"), "filename-x-exe");
        assert_eq!(file_stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_stem("Über ☃"), "ber");
        assert_eq!(file_stem("☃"), "meeting");
        assert!(file_stem(&"ab ".repeat(100)).len() <= 60);
    }

    #[test]
    fn json_answers_keep_their_shape_and_refuse_a_key_twice() {
        let body: FormBody =
            strict::json(br#"{"answers":{"a":"x","b":["p","q"],"c":4,"d":300,"e":-1,"f":4.5}}"#)
                .unwrap_or_else(|_| panic!("parses"));
        let a = body.answers.0;
        assert_eq!(a["a"], evidence::Answer::Text("x".into()));
        assert_eq!(
            a["b"],
            evidence::Answer::Choices(vec!["p".into(), "q".into()])
        );
        assert_eq!(a["c"], evidence::Answer::Rating(4));
        assert_eq!(a["d"], evidence::Answer::Text("300".into()));
        assert_eq!(a["e"], evidence::Answer::Text("-1".into()));
        assert_eq!(a["f"], evidence::Answer::Text("4.5".into()));
        for bad in [
            r#"{"answers":{"a":"x","a":"y"}}"#,
            r#"{"answers":{"a":null}}"#,
            r#"{"answers":{"a":{"b":1}}}"#,
            r#"{"answers":{"a":[1]}}"#,
            r#"{"answers":[]}"#,
            r#"{"answers":{},"extra":1}"#,
            r#"{}"#,
        ] {
            let e = strict::json::<FormBody>(bad.as_bytes()).err();
            let status = e.map(|e| super::super::errors::status_and_message(&e).0);
            assert_eq!(status, Some(400), "{bad}");
        }
    }

    #[test]
    fn a_posted_form_groups_repeated_names_and_leaves_out_the_token() {
        let form = Form::parse(b"size=small&services=tax&services=audit&csrf_token=t&rating=4")
            .unwrap_or_default();
        let body = FormBody::from_form(&form);
        assert_eq!(body.csrf_token.as_deref(), Some("t"));
        let a = body.answers.0;
        assert_eq!(a.len(), 3);
        assert_eq!(
            a["services"],
            evidence::Answer::Choices(vec!["tax".into(), "audit".into()])
        );
        assert_eq!(a["rating"], evidence::Answer::Text("4".into()));
    }
}
