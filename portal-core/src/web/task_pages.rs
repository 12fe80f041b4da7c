//! What the pages of a logged-in contact show of tasks: "Your tasks", "Our progress",
//! "Approvals" and one task's page with what its evidence asks for. Values only: the
//! templates lay them out, and every text goes in through [`text`], escaped.

use minijinja::{Value, context};

use super::pages::Page;
use super::templates::{Template, text};
pub(crate) use super::viewer::{Section, Viewer};
use crate::client::Client;
use crate::evidence::{Answer, Decision, Evidence, FieldKind, Submission};
use crate::id::{ClientId, PhaseId};
use crate::portal::task::TaskList;
use crate::task::{Side, Task, TaskStatus, progress};

fn status_label(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Pending => "Pending",
        TaskStatus::InProgress => "In progress",
        TaskStatus::Completed => "Completed",
        TaskStatus::Blocked => "Blocked",
    }
}

fn phase_name(list: &TaskList, id: Option<PhaseId>) -> Value {
    text(list.phase_name(id).unwrap_or("General"))
}

/// A task as a line of a list: title, link, status, due date, who does it.
fn line(viewer: &Viewer<'_>, mount: &str, t: &Task) -> Value {
    context! {
        href => text(&format!("{mount}/tasks/{}", t.id)),
        title => text(&t.title),
        status => text(status_label(t.status)),
        status_class => text(t.status.as_str()),
        done => t.status == TaskStatus::Completed,
        due => t.due_on.map(|d| text(&d.date_string())),
        side => text(match t.assignee {
            Side::Client => "You",
            Side::Firm => viewer.firm_name,
        }),
        yours => t.assignee == Side::Client,
        kind => text(kind_label(&t.evidence)),
    }
}

fn kind_label(evidence: &Evidence) -> &'static str {
    match evidence {
        Evidence::Question(_) => "Question",
        Evidence::Form(_) => "Form",
        Evidence::Checklist(_) => "Checklist",
        Evidence::Approval(_) => "Approval",
        Evidence::Meeting(_) => "Meeting",
        Evidence::Training(_) => "Video",
        Evidence::DocumentUpload => "Documents",
        Evidence::FileDrop(_) => "Secure files",
        Evidence::Signature(_) => "Signature",
        Evidence::Credential(_) => "Credentials",
        _ => "Task",
    }
}

/// The phases of `list` in order, each with its status, progress and the lines of the
/// tasks `keep` selects; a phase left without any is dropped when `drop_empty`.
fn phases(
    viewer: &Viewer<'_>,
    mount: &str,
    list: &TaskList,
    keep: impl Fn(&Task) -> bool,
    drop_empty: bool,
) -> (Value, u32) {
    let progress = list.progress();
    let groups: Vec<Value> = progress
        .phases
        .iter()
        .filter_map(|p| {
            let id = p.phase.as_ref().map(|p| p.id);
            let tasks: Vec<Value> = list
                .tasks
                .iter()
                .filter(|t| match id {
                    Some(id) => t.phase_id == Some(id),
                    None => !list.phases.iter().any(|p| Some(p.id) == t.phase_id),
                })
                .filter(|t| keep(t))
                .map(|t| line(viewer, mount, t))
                .collect();
            if drop_empty && tasks.is_empty() {
                return None;
            }
            Some(context! {
                name => text(p.phase.as_ref().map_or("General", |p| p.name.as_str())),
                status => text(status_label(p.status)),
                status_class => text(p.status.as_str()),
                done => p.done,
                total => p.total,
                percent => p.percent,
                tasks,
            })
        })
        .collect();
    (Value::from(groups), progress.percent)
}

/// What the home page shows besides the tasks: the contact's name, the firm's
/// welcome, and the clients the contact may switch between.
pub(crate) struct Home<'a> {
    pub(crate) first_name: &'a str,
    pub(crate) welcome: &'a str,
    pub(crate) active: ClientId,
    /// Every client the contact may switch to, the active one included.
    pub(crate) clients: Vec<&'a Client>,
    /// The active client's tasks; none when the contact may not see them.
    pub(crate) tasks: Option<&'a TaskList>,
}

/// The home page, "Your tasks": the greeting, the client switcher, and the open tasks
/// of the client's side by phase.
pub(crate) fn home_page(viewer: &Viewer<'_>, mount: &str, home: &Home<'_>) -> Page {
    let clients: Value = home
        .clients
        .iter()
        .map(|c| {
            context! {
                id => text(&c.id.to_string()),
                name => text(&c.name),
                active => c.id == home.active,
            }
        })
        .collect();
    viewer.page(
        Template::Home,
        mount,
        context! {
            first_name => text(home.first_name),
            welcome => text(home.welcome),
            can_switch => home.clients.len() > 1,
            clients,
            tasks => home.tasks.map(|list| your_tasks(viewer, mount, list)),
        },
    )
}

/// "Your tasks": the open tasks of the client's side, by phase, each phase with its
/// status and progress over both sides' work.
fn your_tasks(viewer: &Viewer<'_>, mount: &str, list: &TaskList) -> Value {
    let (groups, percent) = phases(
        viewer,
        mount,
        list,
        |t| t.assignee == Side::Client && t.status != TaskStatus::Completed,
        true,
    );
    let done = list
        .tasks
        .iter()
        .filter(|t| t.assignee == Side::Client && t.status == TaskStatus::Completed)
        .count();
    context! { phases => groups, percent, done }
}

/// "Our progress": every phase with both sides' tasks, its status and progress, and
/// the overall percentage.
pub(crate) fn progress_page(viewer: &Viewer<'_>, mount: &str, list: &TaskList) -> Page {
    let (groups, percent) = phases(viewer, mount, list, |_| true, false);
    let all = progress(&list.phases, &list.tasks);
    let (done, total) = all
        .phases
        .iter()
        .fold((0, 0), |(d, t), p| (d + p.done, t + p.total));
    viewer.page(
        Template::Progress,
        mount,
        context! { phases => groups, percent, done, total },
    )
}

/// "Approvals": those waiting for the client's decision, then those decided.
pub(crate) fn approvals_page(viewer: &Viewer<'_>, mount: &str, list: &TaskList) -> Page {
    let mut pending = Vec::new();
    let mut decided = Vec::new();
    for t in &list.tasks {
        let Evidence::Approval(request) = &t.evidence else {
            continue;
        };
        let decision = decision_of(viewer, t);
        let item = context! {
            action => text(&format!("{mount}/api/tasks/{}", t.id)),
            href => text(&format!("{mount}/tasks/{}", t.id)),
            title => text(&t.title),
            phase => phase_name(list, t.phase_id),
            description => text(&t.description),
            due => t.due_on.map(|d| text(&d.date_string())),
            request => text(&request.text),
            link => request.link.as_deref().map(text),
            decision => decision.clone(),
        };
        if decision.is_none() {
            pending.push(item);
        } else {
            decided.push(item);
        }
    }
    viewer.page(Template::Approvals, mount, context! { pending, decided })
}

/// The decision taken on an approval task, if any: what, the comment, who and when.
fn decision_of(viewer: &Viewer<'_>, t: &Task) -> Value {
    match (&t.submission, &t.completion) {
        (Some(Submission::Decision { decision, comment }), completion) => context! {
            approved => *decision == Decision::Approved,
            label => text(match decision {
                Decision::Approved => "Approved",
                Decision::Rejected => "Rejected",
            }),
            comment => comment.as_deref().map(text),
            by => completion.as_ref().map(|c| viewer.who(&c.by)),
            at => completion.as_ref().map(|c| text(&c.at.date_string())),
        },
        _ => Value::from(()),
    }
}

/// What the contact may do on a task's page.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Abilities<'a> {
    /// Work on the client's tasks (the `tasks` permission).
    pub(crate) tasks: bool,
    /// Decide approvals (the `approvals` permission).
    pub(crate) approvals: bool,
    /// For a document request or a file drop: its files, if the grant opens documents
    /// (the `documents` permission).
    pub(crate) files: Option<super::document_pages::TaskFilesOnPage<'a>>,
    /// The firm's largest file, for the upload form's hint.
    pub(crate) max_file_bytes: u64,
    /// For a credential task the contact may act on: what was handed over.
    pub(crate) credential: Option<&'a crate::portal::credential::CredentialStatus>,
}

/// One task's page: its details, and the form its evidence asks the client to fill.
/// `action` is where its forms post (`{p}/api/tasks/{id}`).
pub(crate) fn task_page(
    viewer: &Viewer<'_>,
    mount: &str,
    t: &Task,
    list: &TaskList,
    can: Abilities<'_>,
) -> Page {
    let yours = t.assignee == Side::Client;
    let act = yours && can.tasks;
    let completion = t.completion.as_ref();
    let evidence = match &t.evidence {
        Evidence::Question(q) => context! {
            type => "question",
            can_act => act,
            attachments => super::document_pages::attachment_lines(mount, can.files),
            accept => super::document_pages::upload_hints(can.max_file_bytes).0,
            max_size => super::document_pages::upload_hints(can.max_file_bytes).1,
            question => text(&q.question),
            transaction => q.transaction.as_ref().map(|tx| context! {
                date => text(&tx.date.date_string()),
                payee => text(&tx.payee),
                amount => text(&tx.amount.value()),
                currency => text(tx.amount.currency().as_str()),
                memo => tx.memo.as_deref().map(text),
            }),
            answer => match &t.submission {
                Some(Submission::Answer { text: a, .. }) => Some(text(a)),
                _ => None,
            },
        },
        Evidence::Form(form) => {
            let answers = match &t.submission {
                Some(Submission::Form { answers }) => Some(answers),
                _ => None,
            };
            let fields: Vec<Value> = form
                .fields
                .iter()
                .map(|f| {
                    let answer = answers.and_then(|a| a.get(&f.name));
                    let (kind, max_chars, options) = match &f.kind {
                        FieldKind::ShortText { max_chars } => ("short_text", *max_chars, &[][..]),
                        FieldKind::LongText { max_chars } => ("long_text", *max_chars, &[][..]),
                        FieldKind::SingleSelect { options } => ("single_select", 0, &options[..]),
                        FieldKind::MultipleSelect { options } => {
                            ("multiple_select", 0, &options[..])
                        }
                        FieldKind::Rating => ("rating", 0, &[][..]),
                    };
                    let options: Vec<Value> = options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            context! {
                                id => text(&format!("f-{}-{i}", f.name)),
                                value => text(o),
                            }
                        })
                        .collect();
                    let ratings: Vec<Value> = (1..=5)
                        .map(|r| context! { id => text(&format!("f-{}-{r}", f.name)), value => r })
                        .collect();
                    context! {
                        name => text(&f.name),
                        id => text(&format!("f-{}", f.name)),
                        label => text(&f.label),
                        kind,
                        required => f.required,
                        max_chars,
                        options,
                        ratings,
                        answer => answer.map(|a| text(&answer_text(a))),
                    }
                })
                .collect();
            context! {
                type => "form",
                can_act => act && answers.is_none(),
                fields,
                submitted => answers.is_some(),
            }
        }
        Evidence::Checklist(c) => {
            let items: Vec<Value> = c
                .items
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let check = t.checklist.get(i).and_then(Option::as_ref);
                    context! {
                        index => i,
                        label => text(label),
                        checked => check.is_some(),
                        by => check.map(|c| viewer.who(&c.by)),
                        at => check.map(|c| text(&c.at.date_string())),
                    }
                })
                .collect();
            // Either side checks a checklist's items, whichever side it is assigned to.
            context! { type => "checklist", can_act => can.tasks, items }
        }
        Evidence::Approval(a) => context! {
            type => "approval",
            can_act => yours && can.approvals,
            request => text(&a.text),
            link => a.link.as_deref().map(text),
            decision => decision_of(viewer, t),
        },
        Evidence::Meeting(m) => {
            let local = m.local_start();
            let (date, time) = local.split_once(' ').unwrap_or((&local, ""));
            context! {
                type => "meeting",
                date => text(date),
                time => text(time),
                duration => m.duration_minutes,
                time_zone => text(&m.time_zone),
                join_link => text(&m.join_link),
                ics => text(&format!("{mount}/api/tasks/{}/invite.ics", t.id)),
            }
        }
        Evidence::DocumentUpload | Evidence::FileDrop(_) => super::document_pages::files_evidence(
            viewer,
            mount,
            can.files,
            yours,
            can.max_file_bytes,
        ),
        Evidence::Signature(r) => {
            let signed = match &t.submission {
                Some(Submission::Signature(s)) => Some(context! {
                    name => text(&s.signer_name),
                    email => text(&s.signer_email),
                    at => text(&s.at.date_string()),
                }),
                _ => None,
            };
            context! {
                type => "signature",
                can_act => act && signed.is_none(),
                consent => text(&r.consent_text),
                document => r.document.as_ref().map(|d| context! {
                    href => text(&format!("{mount}/api/files/{}", d.file)),
                    name => text(&d.name),
                    sha256 => text(&d.sha256),
                }),
                verify => text(&format!("{mount}/tasks/{}/signature", t.id)),
                signed,
            }
        }
        Evidence::Credential(request) => {
            super::credential_pages::credential_evidence(request, can.credential, act)
        }
        Evidence::Training(video) => context! {
            type => "training",
            can_act => act,
            embed_url => text(&video.embed_url()),
            provider => text(match video.provider {
                crate::evidence::Provider::YouTube => "YouTube",
                crate::evidence::Provider::Vimeo => "Vimeo",
                crate::evidence::Provider::Loom => "Loom",
            }),
            watched => matches!(t.submission, Some(Submission::Watched)),
        },
        _ => context! {
            type => "standard",
            can_act => act,
            note => completion.and_then(|c| c.note.as_deref()).map(text),
        },
    };
    viewer.page(
        Template::Task,
        mount,
        context! {
            task => context! {
                action => text(&format!("{mount}/api/tasks/{}", t.id)),
                title => text(&t.title),
                description => text(&t.description),
                phase => phase_name(list, t.phase_id),
                status => text(status_label(t.status)),
                status_class => text(t.status.as_str()),
                done => t.status == TaskStatus::Completed,
                due => t.due_on.map(|d| text(&d.date_string())),
                side => text(if yours { "You" } else { viewer.firm_name }),
                yours,
                kind => text(kind_label(&t.evidence)),
                completed_by => completion.map(|c| viewer.who(&c.by)),
                completed_at => completion.map(|c| text(&c.at.date_string())),
            },
            evidence,
        },
    )
}

/// A form answer as one line of text.
fn answer_text(a: &Answer) -> String {
    match a {
        Answer::Text(t) => t.clone(),
        Answer::Choices(c) => c.join(", "),
        Answer::Rating(r) => format!("{r} of 5"),
    }
}
