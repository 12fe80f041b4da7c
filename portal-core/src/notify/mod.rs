//! Notifications: messages, the [`Delivery`] trait that sends them, a development
//! outbox, and merge-tag templates.
//!
//! Portal never sends mail on a request's own time: messages leave through a background
//! queue, so a response cannot reveal whether a message was sent (or to whom).

mod outbox;
mod template;

pub use outbox::{DevOutbox, OutboxEntry};
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
    /// `Name <address>` or an address; the firm's own address when it has one.
    pub from: String,
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
#[async_trait]
pub trait Delivery: Send + Sync + std::fmt::Debug + 'static {
    /// Hands one message over for delivery.
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError>;
}
