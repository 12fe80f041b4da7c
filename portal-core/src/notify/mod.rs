//! Notifications: messages, the [`Delivery`] trait that sends them, and merge-tag
//! templates.
//!
//! Portal never sends mail on a request's own time: messages leave through a background
//! queue, so a response cannot reveal whether a message was sent (or to whom), and a
//! delivery that fails or stalls is logged there (`message delivery failed`, with the
//! [`DeliveryError`]) without the contact's request noticing.
//!
//! The deliveries Portal ships:
//!
//! | delivery | for | what happens to a message |
//! |---|---|---|
//! | `SmtpDelivery` (cargo feature `smtp`) | production | sent through an SMTP server, TLS required unless a local relay is named as plain |
//! | [`LogDelivery`] | development | written to the log, live links included |
//! | [`DevOutbox`] | development, tests | kept in memory, readable by the host |

mod log;
mod outbox;
#[cfg(feature = "smtp")]
mod smtp;
#[cfg(feature = "smtp")]
mod smtp_url;
mod template;

pub use log::LogDelivery;
pub use outbox::{DevOutbox, OutboxEntry};
#[cfg(feature = "smtp")]
pub use smtp::SmtpDelivery;
#[cfg(feature = "smtp")]
pub use smtp_url::{SmtpSecurity, SmtpSetupError, SmtpUrl};
pub use template::{
    EmailTemplate, MERGE_TAGS, MergeValues, Template, TemplateError, Templates, escape_html,
};

use async_trait::async_trait;

use crate::id::{ContactId, FirmId};

/// A message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The firm it is sent for.
    pub firm_id: FirmId,
    /// The contact it is for, if any.
    pub contact_id: Option<ContactId>,
    /// What it is.
    pub kind: MessageKind,
    /// How and what.
    pub channel: Channel,
    /// The links it carries, in order (for outboxes and tests; they are also in the text).
    pub links: Vec<String>,
}

/// What a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessageKind {
    /// A magic link and code.
    Login,
    /// An email code sent again.
    Code,
    /// An invitation with the personal portal link.
    Invitation,
    /// A password set/reset link.
    PasswordLink,
}

/// The channel and content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Channel {
    /// An email.
    Email(Email),
    /// A text message.
    Text(TextMessage),
}

/// An email with a plain-text and an HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// `"Name" <address>` or an address: the firm's name, and its own address when it
    /// has one (white label), else the deployment's default sender.
    pub from: String,
    /// Where replies go: the firm's own address when it has one. It repeats the From
    /// address on purpose: a relay that rewrites From to its own account keeps it, so
    /// that replies still reach the firm.
    pub reply_to: Option<String>,
    /// The recipient's address as stored, never as typed.
    pub to: String,
    /// Subject, free of line breaks.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body; every merged value in it is escaped.
    pub html: String,
}

/// A text message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMessage {
    /// The recipient's number.
    pub to: String,
    /// The body.
    pub body: String,
}

/// A message could not be handed over.
#[derive(Debug, thiserror::Error)]
#[error("delivery failed: {reason}")]
pub struct DeliveryError {
    /// Why, for logs (never shown to users).
    pub reason: String,
}

/// Sends messages: an SMTP transport, a text-message gateway, a development outbox.
///
/// A host writes its own with the [`macro@crate::async_trait`] attribute that Portal
/// re-exports, so it needs no `async-trait` dependency of its own. [`Channel`] may gain
/// channels: a delivery refuses the ones it does not know with a [`DeliveryError`]
/// rather than dropping them unseen.
///
/// ```
/// use std::sync::Mutex;
///
/// use portal_core::notify::{Channel, Delivery, DeliveryError, Email, Message, MessageKind};
/// use portal_core::{MemoryStore, Portal};
///
/// /// Keeps the subject of every email (a real one would post it to a mail API).
/// #[derive(Debug, Default)]
/// struct Subjects(Mutex<Vec<String>>);
///
/// #[portal_core::async_trait]
/// impl Delivery for Subjects {
///     async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
///         match &message.channel {
///             Channel::Email(email) => {
///                 let mut seen = self.0.lock().map_err(|_| DeliveryError {
///                     reason: "lock poisoned".into(),
///                 })?;
///                 seen.push(email.subject.clone());
///                 Ok(())
///             }
///             other => Err(DeliveryError {
///                 reason: format!("cannot send {other:?}"),
///             }),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let subjects = Subjects::default();
/// let login = Message {
///     firm_id: portal_core::id::FirmId::from_bytes(*b"sixteen bytes id"),
///     contact_id: None,
///     kind: MessageKind::Login,
///     channel: Channel::Email(Email {
///         from: "\"Acme\" <hello@acme.example>".into(),
///         reply_to: None,
///         to: "jane@example.com".into(),
///         subject: "Your login link".into(),
///         text: "...".into(),
///         html: "...".into(),
///     }),
///     links: Vec::new(),
/// };
/// subjects.deliver(&login).await?;
/// assert_eq!(*subjects.0.lock().unwrap(), ["Your login link"]);
///
/// // Portal hands every message to it on its background queue.
/// let portal = Portal::builder(MemoryStore::new()).delivery(subjects).build()?;
/// # drop(portal);
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Delivery: Send + Sync + std::fmt::Debug + 'static {
    /// Hands one message over for delivery.
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError>;
}
