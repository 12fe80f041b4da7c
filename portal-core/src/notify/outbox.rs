//! A delivery that keeps every message in memory, for development and tests.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Accepted, Channel, Delivery, DeliveryError, Message};

/// One message the outbox received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The message.
    pub message: Message,
}

impl OutboxEntry {
    /// The recipient (address or number).
    #[must_use]
    pub fn to(&self) -> &str {
        match &self.message.channel {
            Channel::Email(e) => &e.to,
            Channel::Text(t) => &t.to,
        }
    }

    /// The subject (empty for text messages).
    #[must_use]
    pub fn subject(&self) -> &str {
        match &self.message.channel {
            Channel::Email(e) => &e.subject,
            Channel::Text(_) => "",
        }
    }

    /// The plain-text body.
    #[must_use]
    pub fn text(&self) -> &str {
        match &self.message.channel {
            Channel::Email(e) => &e.text,
            Channel::Text(t) => &t.body,
        }
    }
}

/// Records every message instead of sending it.
///
/// # Warning
/// The outbox holds live login links and codes in clear, in memory. Use it for
/// development and tests only; never expose it in production.
#[derive(Clone, Debug, Default)]
pub struct DevOutbox {
    entries: Arc<Mutex<Vec<OutboxEntry>>>,
}

impl DevOutbox {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        DevOutbox::default()
    }

    /// Every message received so far, oldest first.
    #[must_use]
    pub fn entries(&self) -> Vec<OutboxEntry> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The messages sent to `to`, oldest first.
    #[must_use]
    pub fn to(&self, to: &str) -> Vec<OutboxEntry> {
        self.entries()
            .into_iter()
            .filter(|e| e.to() == to)
            .collect()
    }

    /// The newest message to `to`.
    #[must_use]
    pub fn last_to(&self, to: &str) -> Option<OutboxEntry> {
        self.to(to).pop()
    }
}

#[async_trait]
impl Delivery for DevOutbox {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| DeliveryError::temporary("outbox lock poisoned"))?;
        entries.push(OutboxEntry {
            message: message.clone(),
        });
        Ok(Accepted::default())
    }
}
