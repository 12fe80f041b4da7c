//! The staff API's tasks and phases (`/admin/api`): create, read, edit, reorder,
//! withdraw tasks of every evidence type, set their status, complete the firm's own,
//! check checklist items on the firm's side, and manage a client's phases. Listed in
//! [`routes::STAFF`](super::routes::STAFF); each handler parses what it is sent and
//! hands it to one operation of [`Portal`](crate::Portal), where the rules live (an
//! object of another firm is not found, a definition is checked, an answered task's
//! definition stays).

use serde::Deserialize;

use super::errors::WebError;
use super::response::Response;
use super::responses::{self, TaskView};
use super::routing::{Answer, Json, MaybeJson, parse_id};
use super::staff_routes::Staff;
use super::strict;
use crate::StaffError;
use crate::evidence::{
    CredentialField, CredentialFieldKind, CredentialRequest, Meeting, SignatureRequest, Video,
};
use crate::id::{ClientId, PhaseId, TaskId};
use crate::portal::task::TaskList;
use crate::task::{Evidence, NewTask, Side, Task, TaskEdit, TaskStatus};

/// `GET /clients/{client}/tasks`: every task of the client, withdrawn ones included,
/// with what was given for each.
pub(super) async fn tasks(s: &Staff<'_>, client: &str) -> Answer {
    let tasks = s.portal.staff_tasks(&s.ctx, parse_id(client)?).await?;
    Ok(Response::json(200, &responses::tasks(&tasks)))
}

/// `POST /clients/{client}/tasks`.
pub(super) async fn create_task(
    s: &Staff<'_>,
    client: &str,
    Json(body): Json<NewTaskBody>,
) -> Answer {
    let client = parse_id(client)?;
    let new = NewTask {
        phase: body.phase,
        title: body.title,
        description: body.description.unwrap_or_default(),
        due_on: body.due_on.map(|d| d.0),
        assignee: body.assignee.unwrap_or(Side::Client),
        evidence: body
            .evidence
            .map_or(Ok(Evidence::Standard), EvidenceEntry::into_evidence)?,
    };
    let task = s.portal.create_task(&s.ctx, client, new).await?;
    task_answer(s, 201, &task).await
}

/// `GET /tasks/{task}`.
pub(super) async fn task(s: &Staff<'_>, task: &str) -> Answer {
    let task = s.portal.staff_task(&s.ctx, parse_id(task)?).await?;
    task_answer(s, 200, &task).await
}

/// `PATCH /tasks/{task}`: the fields given replace the task's, the others stay.
pub(super) async fn edit_task(s: &Staff<'_>, task: &str, Json(body): Json<EditTaskBody>) -> Answer {
    let current = s.portal.staff_task(&s.ctx, parse_id(task)?).await?;
    let mut edit = TaskEdit::from(&current);
    if let Some(title) = body.title {
        edit.title = title;
    }
    if let Some(description) = body.description {
        edit.description = description;
    }
    if let Some(due_on) = body.due_on {
        edit.due_on = due_on.map(|d| d.0);
    }
    if let Some(assignee) = body.assignee {
        edit.assignee = assignee;
    }
    if let Some(evidence) = body.evidence {
        edit.evidence = evidence.into_evidence()?;
    }
    if let Some(phase) = body.phase_id {
        // An id that is not one names no phase of the client: not found, as a foreign one.
        edit.phase_id = phase.as_deref().map(parse_id::<PhaseId>).transpose()?;
    }
    if let Some(position) = body.position {
        edit.position = position;
    }
    let task = s.portal.edit_task(&s.ctx, current.id, edit).await?;
    task_answer(s, 200, &task).await
}

/// `POST /clients/{client}/tasks/order`: the client's tasks in the order given.
pub(super) async fn reorder_tasks(
    s: &Staff<'_>,
    client: &str,
    Json(body): Json<OrderBody>,
) -> Answer {
    let client: ClientId = parse_id(client)?;
    let order: Vec<TaskId> = order_ids(&body.ids)?;
    let list = s.portal.reorder_tasks(&s.ctx, client, &order).await?;
    Ok(Response::json(200, &responses::tasks(&list)))
}

/// `POST /tasks/{task}/withdraw`: gone from the client's view, kept for staff and the
/// audit log.
pub(super) async fn withdraw(s: &Staff<'_>, task: &str) -> Answer {
    let task = s.portal.withdraw_task(&s.ctx, parse_id(task)?).await?;
    task_answer(s, 200, &task).await
}

/// `POST /tasks/{task}/status`.
pub(super) async fn set_status(s: &Staff<'_>, task: &str, Json(body): Json<StatusBody>) -> Answer {
    let task = s
        .portal
        .set_task_status(&s.ctx, parse_id(task)?, body.status)
        .await?;
    task_answer(s, 200, &task).await
}

/// `POST /tasks/{task}/complete`: one of the firm's own tasks, with an optional note.
pub(super) async fn complete(
    s: &Staff<'_>,
    task: &str,
    MaybeJson(body): MaybeJson<CompleteBody>,
) -> Answer {
    let task = s
        .portal
        .complete_firm_task(&s.ctx, parse_id(task)?, body.note.as_deref())
        .await?;
    task_answer(s, 200, &task).await
}

/// `POST /tasks/{task}/checklist/{item}`: checks or unchecks item `item` (from 0) on
/// the firm's side.
pub(super) async fn check_item(
    s: &Staff<'_>,
    task: &str,
    item: &str,
    Json(body): Json<CheckBody>,
) -> Answer {
    let id: TaskId = parse_id(task)?;
    // Digits only: `+1` or ` 1` name no item.
    if !item.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebError::NotFound);
    }
    let item: usize = parse_id(item)?;
    let task = s
        .portal
        .staff_check_item(&s.ctx, id, item, body.checked)
        .await?;
    task_answer(s, 200, &task).await
}

/// `GET /clients/{client}/phases`: the client's phases in order, with their progress.
pub(super) async fn phases(s: &Staff<'_>, client: &str) -> Answer {
    phase_list(s, parse_id(client)?).await
}

/// `POST /clients/{client}/phases`: a new phase after the client's others.
pub(super) async fn create_phase(
    s: &Staff<'_>,
    client: &str,
    Json(body): Json<PhaseBody>,
) -> Answer {
    let client: ClientId = parse_id(client)?;
    let phase = s.portal.create_phase(&s.ctx, client, &body.name).await?;
    phase_answer(s, 201, client, phase.id).await
}

/// `PATCH /phases/{phase}`: renames it.
pub(super) async fn rename_phase(
    s: &Staff<'_>,
    phase: &str,
    Json(body): Json<PhaseBody>,
) -> Answer {
    let phase = s.portal.staff_phase(&s.ctx, parse_id(phase)?).await?;
    s.portal
        .rename_phase(&s.ctx, phase.client_id, phase.id, &body.name)
        .await?;
    phase_answer(s, 200, phase.client_id, phase.id).await
}

/// `POST /clients/{client}/phases/order`: the client's phases in the order given.
pub(super) async fn reorder_phases(
    s: &Staff<'_>,
    client: &str,
    Json(body): Json<OrderBody>,
) -> Answer {
    let client: ClientId = parse_id(client)?;
    let order: Vec<PhaseId> = order_ids(&body.ids)?;
    s.portal.reorder_phases(&s.ctx, client, &order).await?;
    phase_list(s, client).await
}

/// The client's phases in order, with their progress.
async fn phase_list(s: &Staff<'_>, client: ClientId) -> Answer {
    let list = s.portal.staff_tasks(&s.ctx, client).await?;
    Ok(Response::json(200, &responses::phases(&list)))
}

/// A task as staff see it, its phase named.
async fn task_answer(s: &Staff<'_>, status: u16, task: &Task) -> Answer {
    let list = TaskList {
        phases: s.portal.staff_phases(&s.ctx, task.client_id).await?,
        tasks: Vec::new(),
    };
    Ok(Response::json(status, &TaskView::new(task, &list)))
}

/// A phase as staff see it, with its progress.
async fn phase_answer(s: &Staff<'_>, status: u16, client: ClientId, phase: PhaseId) -> Answer {
    let list = s.portal.staff_tasks(&s.ctx, client).await?;
    let view = responses::phases(&list)
        .into_iter()
        .find(|p| p.id == phase)
        // Another request may have changed the phases meanwhile; it was there.
        .ok_or(WebError::Conflict("the phase changed meanwhile"))?;
    Ok(Response::json(status, &view))
}

/// The ids of an order: one that is not an id cannot be one of the client's, which
/// the order must name each of.
fn order_ids<T: std::str::FromStr>(ids: &[String]) -> Result<Vec<T>, WebError> {
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|_| WebError::BadInput("ids: each must be an id".into()))
        })
        .collect()
}

/// `POST /clients/{id}/tasks`: the task; its id, client, status and position are the
/// portal's to decide.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTaskBody {
    title: String,
    #[serde(default, deserialize_with = "strict::present")]
    phase: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    description: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    due_on: Option<strict::Date>,
    #[serde(default, deserialize_with = "strict::present")]
    assignee: Option<Side>,
    /// What the task asks for, tagged by its type (`{"type": "question", ...}`; see
    /// [`EvidenceEntry`]); a standard task when left out.
    #[serde(default, deserialize_with = "strict::present")]
    evidence: Option<EvidenceEntry>,
}

/// `PATCH /tasks/{id}`: what changes. A field left out stays; `due_on` and `phase_id`
/// may be `null` (no due date, no phase); its status, completion and answers are not
/// edited here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditTaskBody {
    #[serde(default, deserialize_with = "strict::present")]
    title: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    description: Option<String>,
    #[serde(default, deserialize_with = "strict::nullable")]
    due_on: Option<Option<strict::Date>>,
    #[serde(default, deserialize_with = "strict::present")]
    assignee: Option<Side>,
    #[serde(default, deserialize_with = "strict::present")]
    evidence: Option<EvidenceEntry>,
    #[serde(default, deserialize_with = "strict::nullable")]
    phase_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "strict::present")]
    position: Option<i64>,
}

/// `POST /tasks/{id}/status`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusBody {
    status: TaskStatus,
}

/// `POST /tasks/{id}/complete`: an optional note (an empty body is none).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompleteBody {
    #[serde(default, deserialize_with = "strict::present")]
    note: Option<String>,
}

/// `POST /tasks/{id}/checklist/{item}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckBody {
    checked: bool,
}

/// `POST /clients/{id}/phases` and `PATCH /phases/{id}`: the phase's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhaseBody {
    name: String,
}

/// `POST /clients/{id}/tasks/order` and `/phases/order`: every id once, in order.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrderBody {
    ids: Vec<String>,
}

/// A definition as staff give it: tagged by its type in the form it is stored and
/// shown in, or, for the two types whose stored form is not what a person has at
/// hand, as typed: a training video as the address copied from the browser
/// (`{"type": "training", "url": "https://www.youtube.com/watch?v=..."}`), a meeting's
/// start as local time with its offset (`{"type": "meeting", "starts":
/// "2027-01-11T10:00+01:00", "time_zone": "Europe/Vienna", "duration_minutes": 45,
/// "join_link": "https://..."}`). A credential request may leave out what its fields'
/// kinds imply (see [`CredentialEntry`]). The core checks it either way.
pub(super) enum EvidenceEntry {
    /// As stored.
    Stored(Evidence),
    /// A video's address.
    VideoLink(String),
    /// A meeting as typed.
    Meeting(MeetingEntry),
    /// A signature request: its consent text, if not the default. Its document is
    /// attached through its own route (`POST /tasks/{task}/document`), never named here.
    Signature(SignatureEntry),
    /// A credential request, its fields' names, labels and requirement defaulted by
    /// their kinds.
    Credential(CredentialEntry),
}

/// A credential request as staff give it: `{"type": "credential"}` alone asks for a
/// login ([`CredentialRequest::login`]: a username and a password, required; the
/// sign-in address and notes, optional); with `fields`, for those, each
/// `{"kind": ..., "name": ..., "label": ..., "required": ...}` where only `kind` is
/// needed: the name and label default to the kind's own (`username` "Username",
/// `password` "Password", `api_key` "API key", `url` "Sign-in address", `notes`
/// "Notes", `text` `value` "Value"), and a field is required unless it is an address
/// or notes. This is also the form a request is stored and shown in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialEntry {
    #[serde(rename = "type")]
    _type: String,
    #[serde(default, deserialize_with = "strict::present")]
    fields: Option<Vec<CredentialFieldEntry>>,
}

/// One field of a [`CredentialEntry`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialFieldEntry {
    kind: CredentialFieldKind,
    #[serde(default, deserialize_with = "strict::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    label: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    required: Option<bool>,
}

impl CredentialEntry {
    fn into_request(self) -> CredentialRequest {
        let Some(fields) = self.fields else {
            return CredentialRequest::login();
        };
        let fields = fields
            .into_iter()
            .map(|f| {
                let required = f.required.unwrap_or(!matches!(
                    f.kind,
                    CredentialFieldKind::Url | CredentialFieldKind::Notes
                ));
                let default = f.kind.field(required);
                CredentialField {
                    name: f.name.unwrap_or(default.name),
                    label: f.label.unwrap_or(default.label),
                    ..default
                }
            })
            .collect();
        // Checked by the core as it creates the task, as every definition is.
        CredentialRequest { fields }
    }
}

/// A signature request as staff give it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignatureEntry {
    #[serde(rename = "type")]
    _type: String,
    #[serde(default, deserialize_with = "strict::present")]
    consent_text: Option<String>,
}

/// A meeting as staff type it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MeetingEntry {
    #[serde(rename = "type")]
    _type: String,
    starts: String,
    time_zone: String,
    duration_minutes: u32,
    join_link: String,
}

/// A training video given by its address.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VideoLink {
    #[serde(rename = "type")]
    _type: String,
    url: String,
}

impl EvidenceEntry {
    fn into_evidence(self) -> Result<Evidence, StaffError> {
        Ok(match self {
            EvidenceEntry::Stored(evidence) => evidence,
            EvidenceEntry::VideoLink(url) => Evidence::Training(Video::parse(&url)?),
            EvidenceEntry::Signature(e) => {
                Evidence::Signature(SignatureRequest::new(e.consent_text.as_deref())?)
            }
            EvidenceEntry::Credential(e) => Evidence::Credential(e.into_request()),
            EvidenceEntry::Meeting(m) => Evidence::Meeting(Meeting::new(
                &m.starts,
                &m.time_zone,
                m.duration_minutes,
                &m.join_link,
            )?),
        })
    }
}

impl<'de> Deserialize<'de> for EvidenceEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        // The typed forms are told apart by the key only they have, so that a mistake
        // in either form gets that form's own message.
        let value = serde_json::Value::deserialize(d)?;
        let kind = value.get("type").and_then(serde_json::Value::as_str);
        let entry = match kind {
            Some("training") if value.get("url").is_some() => {
                serde_json::from_value::<VideoLink>(value).map(|v| EvidenceEntry::VideoLink(v.url))
            }
            Some("meeting") if value.get("starts").is_some() => {
                serde_json::from_value(value).map(EvidenceEntry::Meeting)
            }
            Some("signature") => serde_json::from_value(value).map(EvidenceEntry::Signature),
            Some("credential") => serde_json::from_value(value).map(EvidenceEntry::Credential),
            _ => serde_json::from_value(value).map(EvidenceEntry::Stored),
        };
        entry.map_err(D::Error::custom)
    }
}
