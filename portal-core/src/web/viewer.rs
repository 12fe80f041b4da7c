//! Who is looking at a page of a logged-in contact, and at which client: what every
//! such page shows around its content (the sections' navigation, the client's name),
//! and how it names who did something ("you", "a colleague", the firm).

use minijinja::{Value, context};

use super::pages::Page;
use super::templates::{Template, text};
use crate::audit::Actor;
use crate::id::ContactId;

/// One of the sections every page of a logged-in contact links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// `{p}/`: the client's open tasks.
    Tasks,
    /// `{p}/progress`: both sides' work, by phase.
    Progress,
    /// `{p}/activity`: what happened on the client's work, newest first.
    Activity,
    /// `{p}/approvals`: what the firm asks the client to approve.
    Approvals,
    /// `{p}/documents`: the documents asked for and those published.
    Documents,
}

impl Section {
    fn path(self) -> &'static str {
        match self {
            Section::Tasks => "/",
            Section::Progress => "/progress",
            Section::Activity => "/activity",
            Section::Approvals => "/approvals",
            Section::Documents => "/documents",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Tasks => "Your tasks",
            Section::Progress => "Our progress",
            Section::Activity => "Activity",
            Section::Approvals => "Approvals",
            Section::Documents => "Documents",
        }
    }
}

/// Who is looking, and at which client: what every page of a logged-in contact shows
/// around its content.
pub(crate) struct Viewer<'a> {
    /// The contact, to tell "you" from colleagues in who checked or decided.
    pub(crate) contact: ContactId,
    /// The client the page is about.
    pub(crate) client_name: &'a str,
    /// The sections the contact's grant opens, in the order they are linked.
    pub(crate) sections: Vec<Section>,
    /// The section the page belongs to, if any (a task's page belongs to none).
    pub(crate) current: Option<Section>,
    /// The firm's name, for the work the firm does.
    pub(crate) firm_name: &'a str,
    /// Where the page's "Ask a question" link goes: the ask page, about the task
    /// shown when there is one.
    pub(crate) ask: Ask,
}

/// What the "Ask a question" link every page of a logged-in contact offers is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ask {
    /// The active client.
    Client,
    /// The task the page shows.
    Task(crate::id::TaskId),
    /// The ask page itself, marked as the page shown.
    Here,
}

impl Viewer<'_> {
    /// The navigation between sections, each with its address and whether it is the
    /// page shown (marked `aria-current` by the templates).
    fn nav(&self, mount: &str) -> Value {
        self.sections
            .iter()
            .map(|s| {
                context! {
                    href => text(&format!("{mount}{}", s.path())),
                    label => text(s.label()),
                    current => Some(*s) == self.current,
                }
            })
            .collect()
    }

    /// The "Ask a question" link: its address and whether it is the page shown.
    fn ask(&self, mount: &str) -> Value {
        let href = match self.ask {
            Ask::Task(id) => format!("{mount}/ask?task={id}"),
            Ask::Client | Ask::Here => format!("{mount}/ask"),
        };
        context! { href => text(&href), current => self.ask == Ask::Here }
    }

    /// Who did something, as this contact reads it.
    pub(crate) fn who(&self, actor: &Actor) -> Value {
        text(match actor {
            Actor::Contact(id) if *id == self.contact => "you",
            Actor::Contact(_) => "a colleague",
            Actor::Staff(_) | Actor::System => self.firm_name,
        })
    }

    /// The page's own values with those every section page gets.
    pub(crate) fn page(&self, template: Template, mount: &str, values: Value) -> Page {
        Page::new(
            template,
            context! {
                nav => self.nav(mount),
                ask => self.ask(mount),
                client_name => text(self.client_name),
                ..values
            },
        )
    }
}
