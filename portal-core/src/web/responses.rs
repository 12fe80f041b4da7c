//! Every JSON document the web layer answers with, as a structure that `serde_json`
//! writes (all but one: see [`Me`]): a field is a key, and a document's shape is read
//! here, not from the domain types it shows.
//!
//! The keys of every document but [`Me`] are in alphabetical order, the order these
//! documents have always been written in; a test holds them to it, so that a client
//! comparing bytes sees no change.

use std::net::IpAddr;

use serde::Serialize;

use super::json::JsonOut;
use crate::audit::{Actor, AuditEvent, AuditOutcome, ChainHash};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::contact::{Contact, ContactStatus};
use crate::conversation::{Comment, Question};
use crate::email::EmailAddress;
use crate::grant::Permissions;
use crate::hashing::HashingLoad;
use crate::id::{ClientId, CommentId, ContactId, PhaseId, QuestionId, TaskId};
use crate::phone::PhoneNumber;
use crate::portal::conversation::{ActivityActor, ActivityPage};
use crate::portal::task::TaskList;
use crate::session::SessionSummary;
use crate::staff::ContactSummary;
use crate::task::{Evidence, Side, Task, TaskStatus};

/// An error: `{"error": message}`.
#[derive(Serialize)]
pub(super) struct Failure<'a> {
    pub(super) error: &'a str,
}

/// `GET {p}/api/me`: who is logged in, the active client, the clients it may switch
/// to, and the session's CSRF token. Its keys are in the order a reader meets them.
#[derive(Serialize)]
pub(super) struct Me<'a> {
    pub(super) contact_id: ContactId,
    pub(super) email: &'a str,
    pub(super) first_name: &'a str,
    pub(super) active_client: Option<GrantedClient<'a>>,
    pub(super) clients: Vec<GrantedClient<'a>>,
    pub(super) csrf_token: &'a str,
}

impl Me<'_> {
    /// The document, as `serde_json` writes it (a test holds it to that), by
    /// [`JsonOut`]: every page of a front end asks for it first, and this writer
    /// costs a fraction of `serde_json`'s. `benches/neutral_me.rs` (the whole request,
    /// in process), alternating runs on one machine: a median of 2.6 µs with this
    /// writer, 4.4 µs with `serde_json` (details in `benches/RESULTS.md`).
    pub(super) fn to_json(&self) -> Vec<u8> {
        let mut out = JsonOut::with_capacity(1024);
        out.raw("{\"contact_id\":");
        out.id(self.contact_id.as_uuid());
        out.raw(",\"email\":");
        out.string(self.email);
        out.raw(",\"first_name\":");
        out.string(self.first_name);
        out.raw(",\"active_client\":");
        match &self.active_client {
            Some(active) => active.write(&mut out),
            None => out.raw("null"),
        }
        out.raw(",\"clients\":[");
        for (i, client) in self.clients.iter().enumerate() {
            if i > 0 {
                out.raw(",");
            }
            client.write(&mut out);
        }
        out.raw("],\"csrf_token\":");
        out.string(self.csrf_token);
        out.raw("}");
        out.into_bytes()
    }
}

/// A client in [`Me`], with what the contact may do there.
#[derive(Serialize)]
pub(super) struct GrantedClient<'a> {
    id: ClientId,
    name: &'a str,
    permissions: Permissions,
}

impl GrantedClient<'_> {
    fn write(&self, out: &mut JsonOut) {
        out.raw("{\"id\":");
        out.id(self.id.as_uuid());
        out.raw(",\"name\":");
        out.string(self.name);
        out.raw(",\"permissions\":");
        out.permissions(self.permissions);
        out.raw("}");
    }
}

impl<'a> From<&'a (Client, Permissions)> for GrantedClient<'a> {
    fn from((client, permissions): &'a (Client, Permissions)) -> Self {
        GrantedClient {
            id: client.id,
            name: &client.name,
            permissions: *permissions,
        }
    }
}

/// `POST {p}/api/switch`: the client now active.
#[derive(Serialize)]
pub(super) struct Switched {
    pub(super) active_client: ClientId,
}

/// A task.
#[derive(Serialize)]
pub(super) struct TaskView<'a> {
    assignee: Side,
    /// One entry per item of a checklist, in order; empty for other types.
    checklist: Vec<ItemView<'a>>,
    client_id: ClientId,
    completed_at: Option<Timestamp>,
    completed_by: Option<&'a Actor>,
    description: &'a str,
    /// `YYYY-MM-DD`.
    due_on: Option<String>,
    /// Where a training video plays: the provider's embed address, never the link as
    /// staff typed it.
    embed_url: Option<String>,
    /// The definition, tagged by its `type`, its keys sorted as every document's are
    /// (serde writes an internally tagged enum's tag first).
    evidence: Sorted,
    id: TaskId,
    note: Option<&'a str>,
    phase: Option<&'a str>,
    phase_id: Option<PhaseId>,
    position: i64,
    status: TaskStatus,
    /// What was submitted, tagged by its `type`, keys sorted.
    submission: Option<Sorted>,
    title: &'a str,
    updated_at: Timestamp,
    /// When staff withdrew it (only staff see withdrawn tasks).
    withdrawn_at: Option<Timestamp>,
}

/// A value written with the keys of each of its objects in alphabetical order, as
/// every document here is: through `serde_json`'s `Value`, whose maps are sorted.
#[derive(Serialize)]
#[serde(transparent)]
pub(super) struct Sorted(serde_json::Value);

impl Sorted {
    fn of<T: Serialize>(value: &T) -> Sorted {
        // Only a map with keys that are not strings fails, and no type shown has one.
        Sorted(serde_json::to_value(value).unwrap_or_default())
    }
}

/// One checklist item as a task shows it: its text, and who checked it when.
#[derive(Serialize)]
pub(super) struct ItemView<'a> {
    at: Option<Timestamp>,
    by: Option<&'a Actor>,
    checked: bool,
    text: &'a str,
}

impl<'a> TaskView<'a> {
    /// The task, its phase named from `list`.
    pub(super) fn new(t: &'a Task, list: &'a TaskList) -> Self {
        let completion = t.completion.as_ref();
        let checklist = match &t.evidence {
            Evidence::Checklist(c) => c
                .items
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let check = t.checklist.get(i).and_then(Option::as_ref);
                    ItemView {
                        at: check.map(|c| c.at),
                        by: check.map(|c| &c.by),
                        checked: check.is_some(),
                        text,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        TaskView {
            assignee: t.assignee,
            checklist,
            client_id: t.client_id,
            completed_at: completion.map(|c| c.at),
            completed_by: completion.map(|c| &c.by),
            description: &t.description,
            due_on: t.due_on.map(Timestamp::date_string),
            embed_url: match &t.evidence {
                Evidence::Training(video) => Some(video.embed_url()),
                _ => None,
            },
            evidence: Sorted::of(&t.evidence),
            id: t.id,
            note: completion.and_then(|c| c.note.as_deref()),
            phase: list.phase_name(t.phase_id),
            phase_id: t.phase_id,
            position: t.position,
            status: t.status,
            submission: t.submission.as_ref().map(Sorted::of),
            title: &t.title,
            updated_at: t.updated_at,
            withdrawn_at: t.withdrawn_at,
        }
    }
}

/// The tasks of a list, in its order.
pub(super) fn tasks(list: &TaskList) -> Vec<TaskView<'_>> {
    list.tasks.iter().map(|t| TaskView::new(t, list)).collect()
}

/// `GET {p}/api/clients/{client}/phases`: the client's phases in order, each with its
/// status, progress and the ids of its visible tasks in order; the tasks without a
/// phase apart (`null` when there are none); the overall progress.
#[derive(Serialize)]
pub(super) struct ClientPhases<'a> {
    client_id: ClientId,
    phases: Vec<PhaseView<'a>>,
    progress: ProgressView,
    without_phase: Option<GroupView>,
}

/// A phase in [`ClientPhases`].
#[derive(Serialize)]
struct PhaseView<'a> {
    id: PhaseId,
    name: &'a str,
    position: i64,
    progress: ProgressView,
    status: TaskStatus,
    task_ids: Vec<TaskId>,
}

/// The tasks without a phase in [`ClientPhases`].
#[derive(Serialize)]
struct GroupView {
    progress: ProgressView,
    status: TaskStatus,
    task_ids: Vec<TaskId>,
}

/// Units done of all (a task is one, a checklist one per item), and that as a whole
/// percentage.
#[derive(Serialize)]
struct ProgressView {
    done: usize,
    percent: u32,
    total: usize,
}

impl<'a> ClientPhases<'a> {
    /// The document for `client`'s `list`.
    pub(super) fn new(client: ClientId, list: &'a TaskList) -> Self {
        let progress = list.progress();
        let ids = |phase: Option<PhaseId>| -> Vec<TaskId> {
            // As the progress groups them: a task of a phase the list does not hold
            // counts with those without one.
            let known = |id: PhaseId| list.phases.iter().any(|p| p.id == id);
            list.tasks
                .iter()
                .filter(|t| match (phase, t.phase_id) {
                    (Some(p), Some(of)) => p == of,
                    (None, of) => !of.is_some_and(known),
                    (Some(_), None) => false,
                })
                .map(|t| t.id)
                .collect()
        };
        let mut phases = Vec::with_capacity(progress.phases.len());
        let mut without_phase = None;
        for g in &progress.phases {
            let view = ProgressView {
                done: g.done,
                percent: g.percent,
                total: g.total,
            };
            match &g.phase {
                Some(p) => {
                    // Progress groups the list's own phases: each is found.
                    let Some(phase) = list.phases.iter().find(|l| l.id == p.id) else {
                        continue;
                    };
                    phases.push(PhaseView {
                        id: phase.id,
                        name: &phase.name,
                        position: phase.position,
                        progress: view,
                        status: g.status,
                        task_ids: ids(Some(phase.id)),
                    });
                }
                None => {
                    without_phase = Some(GroupView {
                        progress: view,
                        status: g.status,
                        task_ids: ids(None),
                    });
                }
            }
        }
        ClientPhases {
            client_id: client,
            phases,
            progress: ProgressView {
                done: progress.phases.iter().map(|g| g.done).sum(),
                percent: progress.percent,
                total: progress.phases.iter().map(|g| g.total).sum(),
            },
            without_phase,
        }
    }
}

/// A phase of a client as staff see it: its place, and how far its tasks are (a
/// checklist counts by its items; withdrawn tasks count nowhere).
#[derive(Serialize)]
pub(super) struct StaffPhaseView<'a> {
    client_id: ClientId,
    created_at: Timestamp,
    /// Units done: a task is one, a checklist one per item.
    done: usize,
    pub(super) id: PhaseId,
    name: &'a str,
    /// `done` as a whole percentage of `total`.
    percent: u32,
    position: i64,
    /// `pending`, `in_progress` or `completed`, from its tasks.
    status: TaskStatus,
    total: usize,
}

/// The phases of a list, in order, with their progress.
pub(super) fn phases(list: &TaskList) -> Vec<StaffPhaseView<'_>> {
    let progress = list.progress();
    list.phases
        .iter()
        .map(|p| {
            let group = progress
                .phases
                .iter()
                .find(|g| g.phase.as_ref().is_some_and(|gp| gp.id == p.id));
            StaffPhaseView {
                client_id: p.client_id,
                created_at: p.created_at,
                done: group.map_or(0, |g| g.done),
                id: p.id,
                name: &p.name,
                percent: group.map_or(0, |g| g.percent),
                position: p.position,
                status: group.map_or(TaskStatus::Pending, |g| g.status),
                total: group.map_or(0, |g| g.total),
            }
        })
        .collect()
}

/// `GET /status` of the staff API: how busy password hashing is.
#[derive(Serialize)]
pub(super) struct Status {
    hashing: Hashing,
}

/// [`HashingLoad`] in [`Status`].
#[derive(Serialize)]
struct Hashing {
    computed: u64,
    queue_capacity: usize,
    queued: usize,
    refused_busy: u64,
    workers: usize,
}

impl From<HashingLoad> for Status {
    fn from(load: HashingLoad) -> Self {
        Status {
            hashing: Hashing {
                computed: load.computed,
                queue_capacity: load.queue_capacity,
                queued: load.queued,
                refused_busy: load.refused_busy,
                workers: load.workers,
            },
        }
    }
}

/// A contact as staff see it.
#[derive(Serialize)]
pub(super) struct ContactView<'a> {
    /// The clients it holds grants for.
    clients: Vec<ClientId>,
    email: &'a EmailAddress,
    first_name: &'a str,
    grants: Vec<GrantView>,
    id: ContactId,
    invited_at: Option<Timestamp>,
    joined_at: Option<Timestamp>,
    last_seen_at: Option<Timestamp>,
    /// In E.164 form; `null` when staff gave none.
    phone: Option<&'a PhoneNumber>,
    status: ContactStatus,
}

/// A grant in [`ContactView`].
#[derive(Serialize)]
struct GrantView {
    client_id: ClientId,
    permissions: Permissions,
}

impl<'a> From<&'a ContactSummary> for ContactView<'a> {
    fn from(summary: &'a ContactSummary) -> Self {
        let c: &Contact = &summary.contact;
        ContactView {
            clients: summary.grants.iter().map(|g| g.client_id).collect(),
            email: &c.email,
            first_name: &c.first_name,
            grants: summary
                .grants
                .iter()
                .map(|g| GrantView {
                    client_id: g.client_id,
                    permissions: g.permissions,
                })
                .collect(),
            id: c.id,
            invited_at: c.invited_at,
            joined_at: c.joined_at,
            last_seen_at: c.last_seen_at,
            phone: c.phone.as_ref(),
            status: c.status,
        }
    }
}

/// A session of a contact, as staff see it.
#[derive(Serialize)]
pub(super) struct SessionView<'a> {
    client_id: ClientId,
    created_at: Timestamp,
    expires_at: Timestamp,
    id: String,
    /// The address it logged in from.
    ip: Option<IpAddr>,
    last_renewed_at: Timestamp,
    /// For a read-only staff preview, the staff member who opened it: no login of
    /// the contact.
    preview_by: Option<&'a str>,
    /// The user agent it logged in with.
    user_agent: Option<&'a str>,
}

impl<'a> From<&'a SessionSummary> for SessionView<'a> {
    fn from(summary: &'a SessionSummary) -> Self {
        let s = &summary.session;
        SessionView {
            client_id: s.active_client,
            created_at: s.created_at,
            expires_at: s.expires_at(),
            id: s.id.to_string(),
            ip: summary.ip,
            last_renewed_at: s.renewed_at,
            preview_by: s.preview_by.as_ref().map(crate::id::StaffId::as_str),
            user_agent: summary.user_agent.as_deref(),
        }
    }
}

/// An entry of the audit log.
#[derive(Serialize)]
pub(super) struct AuditEntry<'a> {
    action: &'static str,
    actor: &'a Actor,
    contact_id: Option<ContactId>,
    detail: &'a str,
    hash: &'a ChainHash,
    ip: Option<IpAddr>,
    outcome: AuditOutcome,
    /// Its place in the firm's chain, from 1.
    seq: u64,
    time: Timestamp,
    user_agent: Option<&'a str>,
}

impl<'a> From<&'a AuditEvent> for AuditEntry<'a> {
    fn from(event: &'a AuditEvent) -> Self {
        let e = &event.entry;
        AuditEntry {
            action: e.action.as_str(),
            actor: &e.actor,
            contact_id: e.contact_id,
            detail: &e.detail,
            hash: &event.hash,
            ip: e.request.ip,
            outcome: e.outcome,
            seq: event.seq,
            time: e.at,
            user_agent: e.request.user_agent.as_deref(),
        }
    }
}

/// Audit entries, in the order given.
pub(super) fn audit_entries(events: &[AuditEvent]) -> Vec<AuditEntry<'_>> {
    events.iter().map(AuditEntry::from).collect()
}

/// Whether the audit chain is whole, and where it breaks if not.
#[derive(Serialize)]
pub(super) struct ChainCheck {
    pub(super) intact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) problem: Option<String>,
}

/// A client as staff see it.
#[derive(Serialize)]
pub(super) struct ClientView<'a> {
    id: ClientId,
    name: &'a str,
}

impl<'a> From<&'a Client> for ClientView<'a> {
    fn from(c: &'a Client) -> Self {
        ClientView {
            id: c.id,
            name: &c.name,
        }
    }
}

/// A login link staff copy to the contact.
#[derive(Serialize)]
pub(super) struct Link {
    pub(super) url: String,
}

/// A staff preview link and when it stops working.
#[derive(Serialize)]
pub(super) struct PreviewLinkView {
    pub(super) expires_at: Timestamp,
    pub(super) url: String,
}

/// A message was handed to the mailer.
#[derive(Serialize)]
pub(super) struct Sent {
    pub(super) sent: bool,
}

/// Something was revoked.
#[derive(Serialize)]
pub(super) struct Revoked {
    pub(super) revoked: bool,
}

/// How many sessions were ended.
#[derive(Serialize)]
pub(super) struct SessionsRevoked {
    pub(super) sessions_revoked: u64,
}

/// Whether a contact may log in now.
#[derive(Serialize)]
pub(super) struct ContactState {
    pub(super) status: ContactStatus,
}

/// Who the reader of a comment or of a client's activity is: a contact sees the firm's
/// staff as the firm, never by their staff id; staff see each other by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Audience {
    Contact,
    Staff,
}

/// The first names of the contacts a document names, looked up once per document.
#[derive(Default)]
pub(super) struct Names(std::collections::HashMap<ContactId, String>);

impl Names {
    /// The first names of `ids`, those of the contacts of `firm` that exist (a contact
    /// of another firm is never named, whatever an entry says).
    pub(super) async fn of(
        store: &dyn crate::store::Store,
        firm: crate::id::FirmId,
        ids: Vec<ContactId>,
    ) -> Result<Names, crate::store::StoreError> {
        let mut names = Names::default();
        for id in ids {
            if names.0.contains_key(&id) {
                continue;
            }
            if let Some(c) = store.contact(id).await?
                && c.firm_id == firm
            {
                names.0.insert(id, c.first_name);
            }
        }
        Ok(names)
    }

    /// A contact's first name, if known.
    pub(super) fn get(&self, id: ContactId) -> Option<&str> {
        self.0.get(&id).map(String::as_str)
    }
}

/// Who wrote a comment, asked a question or did what an activity entry records:
/// `{"kind": "contact", "id", "first_name"}` (the name when known), `{"kind": "staff",
/// "id"}` (to staff only) or `{"kind": "firm"}`.
#[derive(Serialize)]
pub(super) struct ActorView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    kind: &'static str,
}

impl<'a> ActorView<'a> {
    fn contact(id: ContactId, names: &'a Names) -> Self {
        ActorView {
            first_name: names.get(id),
            id: Some(id.to_string()),
            kind: "contact",
        }
    }

    const FIRM: ActorView<'static> = ActorView {
        first_name: None,
        id: None,
        kind: "firm",
    };

    /// `actor` as `audience` may know it.
    pub(super) fn of(actor: &Actor, names: &'a Names, audience: Audience) -> Self {
        match (actor, audience) {
            (Actor::Contact(id), _) => Self::contact(*id, names),
            (Actor::Staff(id), Audience::Staff) => ActorView {
                first_name: None,
                id: Some(id.to_string()),
                kind: "staff",
            },
            _ => Self::FIRM,
        }
    }

    fn of_activity(actor: &ActivityActor, names: &'a Names) -> Self {
        match actor {
            ActivityActor::Contact(id) => Self::contact(*id, names),
            ActivityActor::Staff(id) => ActorView {
                first_name: None,
                id: Some(id.to_string()),
                kind: "staff",
            },
            ActivityActor::Firm => Self::FIRM,
        }
    }
}

/// A comment on a task.
#[derive(Serialize)]
pub(super) struct CommentView<'a> {
    at: Timestamp,
    author: ActorView<'a>,
    body: &'a str,
    id: CommentId,
}

impl<'a> CommentView<'a> {
    /// `c` as `audience` reads it.
    pub(super) fn new(c: &'a Comment, names: &'a Names, audience: Audience) -> Self {
        CommentView {
            at: c.at,
            author: ActorView::of(&c.author, names, audience),
            body: &c.body,
            id: c.id,
        }
    }
}

/// `GET {p}/api/tasks/{task}/comments` and the staff API's: a task's comments, oldest
/// first.
#[derive(Serialize)]
pub(super) struct CommentsView<'a> {
    comments: Vec<CommentView<'a>>,
}

impl<'a> CommentsView<'a> {
    pub(super) fn new(comments: &'a [Comment], names: &'a Names, audience: Audience) -> Self {
        CommentsView {
            comments: comments
                .iter()
                .map(|c| CommentView::new(c, names, audience))
                .collect(),
        }
    }
}

/// `POST {p}/api/questions`: the question asked, by id and time.
#[derive(Serialize)]
pub(super) struct AskedView {
    pub(super) at: Timestamp,
    pub(super) id: QuestionId,
}

/// A question, as staff list it.
#[derive(Serialize)]
struct QuestionView<'a> {
    at: Timestamp,
    body: &'a str,
    client_id: ClientId,
    contact: ActorView<'a>,
    id: QuestionId,
    task_id: Option<TaskId>,
}

/// `GET {staff}/questions`: the firm's questions, newest first; the next page is
/// asked for with the last one's `at` and `id`.
#[derive(Serialize)]
pub(super) struct QuestionsView<'a> {
    questions: Vec<QuestionView<'a>>,
}

impl<'a> QuestionsView<'a> {
    pub(super) fn new(questions: &'a [Question], names: &'a Names) -> Self {
        QuestionsView {
            questions: questions
                .iter()
                .map(|q| QuestionView {
                    at: q.at,
                    body: &q.body,
                    client_id: q.client_id,
                    contact: ActorView::contact(q.contact_id, names),
                    id: q.id,
                    task_id: q.task_id,
                })
                .collect(),
        }
    }
}

/// An entry of a client's activity.
#[derive(Serialize)]
struct ActivityItemView<'a> {
    actor: ActorView<'a>,
    at: Timestamp,
    kind: &'static str,
    seq: u64,
    task_id: Option<TaskId>,
    task_title: Option<&'a str>,
}

/// `GET {p}/api/clients/{client}/activity` and the staff API's: a page of a client's
/// activity, newest first, and `before`, where the next (older) page starts, or null.
#[derive(Serialize)]
pub(super) struct ActivityView<'a> {
    before: Option<u64>,
    items: Vec<ActivityItemView<'a>>,
}

impl<'a> ActivityView<'a> {
    pub(super) fn new(page: &'a ActivityPage, names: &'a Names) -> Self {
        ActivityView {
            before: page.before,
            items: page
                .items
                .iter()
                .map(|i| ActivityItemView {
                    actor: ActorView::of_activity(&i.actor, names),
                    at: i.at,
                    kind: i.kind.as_str(),
                    seq: i.seq,
                    task_id: i.task_id,
                    task_title: i.task_title.as_deref(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::id::FirmId;
    use uuid::Uuid;

    fn client(n: u128, name: &str, bits: u8) -> (Client, Permissions) {
        let client = Client {
            id: ClientId::from_uuid(Uuid::from_u128(n)),
            firm_id: FirmId::from_uuid(Uuid::from_u128(7)),
            name: name.to_owned(),
            created_at: Timestamp::from_unix_millis(0),
        };
        (client, Permissions::from_bits(bits))
    }

    #[test]
    fn me_is_written_byte_for_byte_as_serde_json_writes_it() {
        let clients = [
            client(1, "Bäckerei \"Nord\" \\ Süd", Permissions::ALL.bits()),
            client(u128::MAX, "Tab\there\u{1}\u{7f} ☃", 0),
        ];
        for (active, listed) in [(None, &clients[..0]), (Some(&clients[1]), &clients[..])] {
            let me = Me {
                contact_id: ContactId::from_uuid(Uuid::from_u128(0xabc)),
                email: "jane+portal@example.com",
                first_name: "J\"a\nne\u{0}",
                active_client: active.map(GrantedClient::from),
                clients: listed.iter().map(GrantedClient::from).collect(),
                csrf_token: "aZ09-_",
            };
            assert_eq!(
                String::from_utf8(me.to_json()).unwrap(),
                serde_json::to_string(&me).unwrap()
            );
        }
    }
}

/// A stored file as a document lists it: its name, type and size, its digest, and
/// where to download it.
#[derive(Serialize)]
pub(super) struct FileView<'a> {
    added_at: Timestamp,
    content_type: &'static str,
    /// Whether a member of staff downloaded it (a dropped file can no longer be
    /// deleted by its contact then).
    downloaded_by_firm: bool,
    /// When it is gone (a dropped file), else none.
    expires_at: Option<Timestamp>,
    /// The download's address: the client API's, or the staff API's.
    href: String,
    id: crate::id::FileId,
    name: &'a str,
    purpose: crate::file::FilePurpose,
    sha256: String,
    size: u64,
}

impl<'a> FileView<'a> {
    /// `f`, downloaded from `{base}/{id}`.
    pub(super) fn new(f: &'a crate::file::StoredFile, base: &str) -> Self {
        FileView {
            added_at: f.added_at,
            content_type: f.file_type.content_type(),
            downloaded_by_firm: f.staff_downloaded_at.is_some(),
            expires_at: f.expires_at,
            href: format!("{base}/{}", f.id),
            id: f.id,
            name: f.name.as_str(),
            purpose: f.purpose,
            sha256: f.sha256_hex(),
            size: f.size,
        }
    }
}

/// The firm's review of an upload.
#[derive(Serialize)]
pub(super) struct ReviewView<'a> {
    at: Timestamp,
    /// Who reviewed it: shown to staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a crate::id::StaffId>,
    decision: crate::evidence::Decision,
    notes: Option<&'a str>,
}

/// One upload of a document request, with its files (none once withdrawn).
#[derive(Serialize)]
pub(super) struct UploadView<'a> {
    at: Timestamp,
    by: ContactId,
    files: Vec<FileView<'a>>,
    id: crate::id::UploadId,
    review: Option<ReviewView<'a>>,
    status: crate::document::UploadStatus,
    withdrawn_at: Option<Timestamp>,
}

/// `GET {p}/api/tasks/{task}/documents` and the staff API's uploads of a task: a
/// document request, where it stands, and its uploads in the order they came.
#[derive(Serialize)]
pub(super) struct DocumentRequestView<'a> {
    status: crate::document::RequestStatus,
    task_id: TaskId,
    title: &'a str,
    uploads: Vec<UploadView<'a>>,
}

impl<'a> DocumentRequestView<'a> {
    /// `r`, its files downloaded under `files_base`; `staff` shows who reviewed.
    pub(super) fn new(
        r: &'a crate::portal::documents::DocumentRequest,
        files_base: &str,
        staff: bool,
    ) -> Self {
        let uploads = r
            .uploads
            .iter()
            .map(|(u, files)| UploadView {
                at: u.at,
                by: u.by,
                files: files
                    .iter()
                    .filter(|f| f.readable())
                    .map(|f| FileView::new(f, files_base))
                    .collect(),
                id: u.id,
                review: u.review.as_ref().map(|r| ReviewView {
                    at: r.at,
                    by: staff.then_some(&r.by),
                    decision: r.decision,
                    notes: r.notes.as_deref(),
                }),
                status: u.status(),
                withdrawn_at: u.withdrawn_at,
            })
            .collect();
        DocumentRequestView {
            status: r.status,
            task_id: r.task.id,
            title: &r.task.title,
            uploads,
        }
    }
}

/// One document request in a client's list.
#[derive(Serialize)]
pub(super) struct RequestSummary<'a> {
    due_on: Option<String>,
    status: crate::document::RequestStatus,
    task_id: TaskId,
    title: &'a str,
}

/// `GET {p}/api/clients/{client}/documents`: the client's document requests with
/// where each stands, and the documents and reports the firm published.
#[derive(Serialize)]
pub(super) struct DocumentsView<'a> {
    client_id: ClientId,
    published: Vec<FileView<'a>>,
    requests: Vec<RequestSummary<'a>>,
}

impl<'a> DocumentsView<'a> {
    /// `d` of `client`, its files downloaded under `files_base`.
    pub(super) fn new(
        client: ClientId,
        d: &'a crate::portal::documents::Documents,
        files_base: &str,
    ) -> Self {
        DocumentsView {
            client_id: client,
            published: d
                .published
                .iter()
                .map(|f| FileView::new(f, files_base))
                .collect(),
            requests: d
                .requests
                .iter()
                .map(|(t, status)| RequestSummary {
                    due_on: t.due_on.map(Timestamp::date_string),
                    status: *status,
                    task_id: t.id,
                    title: &t.title,
                })
                .collect(),
        }
    }
}

/// `GET {p}/api/tasks/{task}/drop` and the staff API's drop of a task: a secure file
/// drop's files still readable, each with its expiry.
#[derive(Serialize)]
pub(super) struct FileDropView<'a> {
    files: Vec<FileView<'a>>,
    status: TaskStatus,
    task_id: TaskId,
    title: &'a str,
}

impl<'a> FileDropView<'a> {
    /// `d`, its files downloaded under `files_base`.
    pub(super) fn new(d: &'a crate::portal::documents::TaskFiles, files_base: &str) -> Self {
        FileDropView {
            files: d
                .files
                .iter()
                .map(|f| FileView::new(f, files_base))
                .collect(),
            status: d.task.status,
            task_id: d.task.id,
            title: &d.task.title,
        }
    }
}

/// `GET {p}/api/tasks/{task}/signature` and the staff API's: a signature as recorded,
/// and whether the stored document's bytes still have the hash that was signed.
#[derive(Serialize)]
pub(super) struct SignatureView<'a> {
    at: Timestamp,
    computed_sha256: Option<&'a str>,
    consent_text: &'a str,
    document_file: crate::id::FileId,
    document_name: &'a str,
    /// `drawn` or `typed`.
    how: &'static str,
    ip: Option<&'a str>,
    matches: bool,
    signed_sha256: &'a str,
    signer_email: &'a str,
    signer_name: &'a str,
    task_id: TaskId,
    user_agent: Option<&'a str>,
}

impl<'a> SignatureView<'a> {
    /// The verification `v` of `task`.
    pub(super) fn new(task: TaskId, v: &'a crate::portal::signature::Verification) -> Self {
        let s = &v.signature;
        SignatureView {
            at: s.at,
            computed_sha256: v.computed.as_deref(),
            consent_text: &s.consent_text,
            document_file: s.document.file,
            document_name: &s.document.name,
            how: match s.mark {
                crate::evidence::SignatureMark::Drawn { .. } => "drawn",
                crate::evidence::SignatureMark::Typed { .. } => "typed",
            },
            ip: s.ip.as_deref(),
            matches: v.matches,
            signed_sha256: &s.document.sha256,
            signer_email: &s.signer_email,
            signer_name: &s.signer_name,
            task_id: task,
            user_agent: s.user_agent.as_deref(),
        }
    }
}

/// `GET {p}/api/tasks/{task}/credential` and the staff API's: the fields a credential
/// task asks for, which were filled, and what became of the credential handed over;
/// never a value.
#[derive(Serialize)]
pub(super) struct CredentialView<'a> {
    fields: Vec<CredentialFieldView<'a>>,
    /// The credential handed over, or none yet.
    handed_over: Option<HandedOverView>,
    /// Whether the contact may still hand it over, or replace it: until staff reveal
    /// or purge it.
    replaceable: bool,
    task_id: TaskId,
}

/// One field of a credential task.
#[derive(Serialize)]
struct CredentialFieldView<'a> {
    /// Whether the credential handed over fills it.
    filled: bool,
    kind: crate::evidence::CredentialFieldKind,
    label: &'a str,
    name: &'a str,
    required: bool,
}

/// When and by whom a credential was handed over, and what became of it.
#[derive(Serialize)]
struct HandedOverView {
    purged_at: Option<Timestamp>,
    revealed_at: Option<Timestamp>,
    submitted_at: Timestamp,
    submitted_by: ContactId,
    version: u32,
}

impl<'a> CredentialView<'a> {
    /// What `status` says.
    pub(super) fn new(status: &'a crate::portal::credential::CredentialStatus) -> Self {
        CredentialView {
            fields: status
                .fields
                .iter()
                .map(|f| CredentialFieldView {
                    filled: f.filled,
                    kind: f.kind,
                    label: &f.label,
                    name: &f.name,
                    required: f.required,
                })
                .collect(),
            handed_over: status.handed_over.as_ref().map(|h| HandedOverView {
                purged_at: h.purged_at,
                revealed_at: h.revealed_at,
                submitted_at: h.submitted_at,
                submitted_by: h.submitted_by,
                version: h.version,
            }),
            replaceable: status.replaceable(),
            task_id: status.task_id,
        }
    }
}

/// `POST {staff}/tasks/{task}/credential/reveal`: the status, and the values of the
/// fields filled, in the task's order. Its keys stay in alphabetical order: the
/// status's, then `values`.
#[derive(Serialize)]
pub(super) struct RevealedView<'a> {
    #[serde(flatten)]
    status: CredentialView<'a>,
    values: Vec<RevealedValueView<'a>>,
}

/// One value of a revealed credential.
#[derive(Serialize)]
struct RevealedValueView<'a> {
    kind: crate::evidence::CredentialFieldKind,
    label: &'a str,
    name: &'a str,
    value: &'a str,
}

impl<'a> RevealedView<'a> {
    /// `revealed`, its values as they were handed over.
    pub(super) fn new(revealed: &'a crate::portal::credential::RevealedCredential) -> Self {
        RevealedView {
            status: CredentialView::new(&revealed.status),
            values: revealed
                .values
                .iter()
                .map(|v| RevealedValueView {
                    kind: v.kind,
                    label: &v.label,
                    name: &v.name,
                    value: v.value.expose(),
                })
                .collect(),
        }
    }
}

/// `POST {staff}/vault/rotate`: what a rotation did (see
/// [`crate::portal::credential::RotationReport`]).
#[derive(Serialize)]
pub(super) struct RotationView<'a> {
    left: u64,
    rotated: u64,
    superseded: u64,
    unreadable: Vec<UnreadableView<'a>>,
}

/// A credential a rotation could not open, and why.
#[derive(Serialize)]
struct UnreadableView<'a> {
    /// The key it names, when the vault no longer has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    /// `missing_key` or `tampered`.
    reason: &'static str,
    task_id: TaskId,
}

impl<'a> RotationView<'a> {
    /// What `report` says.
    pub(super) fn new(report: &'a crate::portal::credential::RotationReport) -> Self {
        use crate::portal::credential::Unreadable;
        RotationView {
            left: report.left,
            rotated: report.rotated,
            superseded: report.superseded,
            unreadable: report
                .unreadable
                .iter()
                .map(|(task_id, why)| match why {
                    Unreadable::MissingKey(key) => UnreadableView {
                        key_id: Some(key.as_str()),
                        reason: "missing_key",
                        task_id: *task_id,
                    },
                    Unreadable::Tampered => UnreadableView {
                        key_id: None,
                        reason: "tampered",
                        task_id: *task_id,
                    },
                })
                .collect(),
        }
    }
}
