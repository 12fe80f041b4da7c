//! Notifications: messages, the [`Delivery`] trait that sends them, and merge-tag
//! templates.
//!
//! Portal never sends mail on a request's own time: a message is queued in the store's
//! outbox in the same step as the change that causes it, and an outbox worker delivers
//! it (see [`crate::outbox`]). A response therefore cannot reveal whether a message was
//! sent (or to whom); a delivery that fails or stalls is retried and recorded beside the
//! message, for staff to see, without the contact's request noticing.
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

use crate::id::{ContactId, FirmId, MessageId};

/// A message to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its id in the outbox, the same at every attempt: an SMTP delivery derives the
    /// `Message-ID` header from it, so that a message sent again after a crash is
    /// known by receivers as the one they already have.
    pub id: MessageId,
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
    /// New tasks of a client, announced.
    Announcement,
    /// Open tasks of a client, reminded of.
    Reminder,
    /// Client activity, for a staff member.
    StaffActivity,
    /// A staff member's daily digest of client activity.
    StaffDigest,
}

impl MessageKind {
    /// Stable name for storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Login => "login",
            MessageKind::Code => "code",
            MessageKind::Invitation => "invitation",
            MessageKind::PasswordLink => "password_link",
            MessageKind::Announcement => "announcement",
            MessageKind::Reminder => "reminder",
            MessageKind::StaffActivity => "staff_activity",
            MessageKind::StaffDigest => "staff_digest",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            MessageKind::Login,
            MessageKind::Code,
            MessageKind::Invitation,
            MessageKind::PasswordLink,
            MessageKind::Announcement,
            MessageKind::Reminder,
            MessageKind::StaffActivity,
            MessageKind::StaffDigest,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == s)
    }

    /// Whether its body carries a secret (a link that logs in, a code, a personal
    /// link): the outbox then keeps it sealed, and drops it once delivered.
    #[must_use]
    pub const fn carries_secret(self) -> bool {
        match self {
            MessageKind::Login
            | MessageKind::Code
            | MessageKind::Invitation
            | MessageKind::PasswordLink => true,
            MessageKind::Announcement
            | MessageKind::Reminder
            | MessageKind::StaffActivity
            | MessageKind::StaffDigest => false,
        }
    }
}

/// The channel and content.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// An email.
    Email(Email),
    /// A text message.
    Text(TextMessage),
}

/// An email with a plain-text and an HTML body.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextMessage {
    /// The recipient's number.
    pub to: String,
    /// The body.
    pub body: String,
}

/// A message was handed over: what the receiving server answered, if it says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    /// The server's reply (e.g. `250 2.0.0 Ok: queued as 4F2A`), kept beside the message.
    pub reply: Option<String>,
}

/// A message could not be handed over.
///
/// A temporary failure (an SMTP 4xx reply, a server that cannot be reached, a timeout)
/// is tried again later with back-off; a permanent one (an SMTP 5xx reply, a message
/// that cannot be composed) is not. Either way the reason is recorded beside the
/// message, for staff to see.
#[derive(Debug, thiserror::Error)]
#[error("delivery failed: {reason}")]
pub struct DeliveryError {
    /// Why, with the server's reply when there is one (never shown to contacts).
    pub reason: String,
    /// Whether trying again cannot help.
    pub permanent: bool,
}

impl DeliveryError {
    /// A failure that may pass: the message is tried again later.
    pub fn temporary(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: reason.into(),
            permanent: false,
        }
    }

    /// A failure that trying again cannot fix: the message is given up.
    pub fn permanent(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// Sends messages: an SMTP transport, a text-message gateway, a development outbox.
///
/// A host writes its own with the [`macro@crate::async_trait`] attribute that Portal
/// re-exports, so it needs no `async-trait` dependency of its own. [`Channel`] may gain
/// channels: a delivery refuses the ones it does not know with a permanent
/// [`DeliveryError`] rather than dropping them unseen.
///
/// Portal calls it from its outbox worker, never on a request's own time: a message is
/// queued in the store with the change that causes it, then delivered, and the outcome
/// of every attempt is recorded beside it. Return a temporary error for what may pass
/// (the message is tried again with back-off) and a permanent one for what cannot. A
/// message may be delivered again if the process dies after the delivery accepted it
/// and before the outcome was recorded; [`Message::id`] is then the same.
///
/// ```
/// use std::sync::Mutex;
///
/// use portal_core::notify::{
///     Accepted, Channel, Delivery, DeliveryError, Email, Message, MessageKind,
/// };
/// use portal_core::{MemoryStore, Portal};
///
/// /// Keeps the subject of every email (a real one would post it to a mail API).
/// #[derive(Debug, Default)]
/// struct Subjects(Mutex<Vec<String>>);
///
/// #[portal_core::async_trait]
/// impl Delivery for Subjects {
///     async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
///         match &message.channel {
///             Channel::Email(email) => {
///                 let mut seen = self
///                     .0
///                     .lock()
///                     .map_err(|_| DeliveryError::temporary("lock poisoned"))?;
///                 seen.push(email.subject.clone());
///                 Ok(Accepted::default())
///             }
///             other => Err(DeliveryError::permanent(format!("cannot send {other:?}"))),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let subjects = Subjects::default();
/// let login = Message {
///     id: portal_core::id::MessageId::from_bytes(*b"message id bytes"),
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
/// // Portal hands every message to it from its outbox.
/// let portal = Portal::builder(MemoryStore::new()).delivery(subjects).build()?;
/// # drop(portal);
/// # Ok(()) }
/// ```
///
/// # A text-message provider
///
/// Texts go to a contact's [`phone`](crate::contact::Contact::phone), in E.164 form.
/// A host that sends them wraps its provider's HTTP API in a delivery that takes
/// [`Channel::Text`] and hands every other message to the delivery it already has.
/// The shape, with the provider's client (`reqwest`, its SDK) left to the host:
///
/// ```no_run
/// use portal_core::notify::{Accepted, Channel, Delivery, DeliveryError, Message};
/// # #[derive(Debug)]
/// # struct ProviderClient;
/// # struct ProviderReply { status: u16, id: String }
/// # impl ProviderClient {
/// #     async fn post_form(&self, _: &str, _: &[(&str, &str)]) -> std::io::Result<ProviderReply> {
/// #         unimplemented!("the provider's HTTP client")
/// #     }
/// # }
///
/// #[derive(Debug)]
/// struct Texts<D> {
///     provider: ProviderClient,
///     sender: String,
///     email: D,
/// }
///
/// #[portal_core::async_trait]
/// impl<D: Delivery> Delivery for Texts<D> {
///     async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
///         let Channel::Text(text) = &message.channel else {
///             return self.email.deliver(message).await;
///         };
///         // The message's id, the same at every attempt, lets the provider drop a
///         // repeat after a crash.
///         let key = message.id.to_string();
///         let form = [("from", self.sender.as_str()), ("to", &text.to), ("body", &text.body),
///             ("idempotency_key", &key)];
///         let reply = self.provider.post_form("/v1/messages", &form).await
///             .map_err(|e| DeliveryError::temporary(format!("provider unreachable: {e}")))?;
///         match reply.status {
///             200..=299 => Ok(Accepted { reply: Some(reply.id) }),
///             429 | 500.. => Err(DeliveryError::temporary(format!("provider: {}", reply.status))),
///             status => Err(DeliveryError::permanent(format!("provider: {status}"))),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Delivery: Send + Sync + std::fmt::Debug + 'static {
    /// Hands one message over for delivery.
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError>;
}
