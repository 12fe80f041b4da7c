//! A delivery that writes each message to the log, for development without a mail
//! server.

use async_trait::async_trait;

use super::{Accepted, Channel, Delivery, DeliveryError, Message};

/// Writes each message to the log (`tracing`, at INFO) instead of sending it: the
/// recipient, the subject and the plain-text body. Free text is logged in its quoted
/// (`Debug`) form, so a line break in a body or a name cannot split the log line.
///
/// # Warning
/// The log then holds live login links and codes: whoever reads it can log in as any
/// contact who asks for a link. Use it for development only, never where the log is
/// kept or shipped elsewhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogDelivery;

#[async_trait]
impl Delivery for LogDelivery {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        match &message.channel {
            Channel::Email(email) => tracing::info!(
                kind = ?message.kind,
                to = ?email.to,
                subject = ?email.subject,
                text = ?email.text,
                "email not sent (log delivery)"
            ),
            Channel::Text(text) => tracing::info!(
                kind = ?message.kind,
                to = ?text.to,
                text = ?text.body,
                "text message not sent (log delivery)"
            ),
        }
        Ok(Accepted::default())
    }
}
