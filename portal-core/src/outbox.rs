//! The outbox: every message is queued in the store in the same step as the change that
//! causes it, then delivered by a worker that any number of application instances run.
//!
//! The rules that make "nothing lost, nothing sent for a change that did not happen,
//! nothing sent twice by two instances" hold:
//!
//! - **Queued with its cause.** The store operations that cause a message (issuing a
//!   login challenge, a code resend, a password link, a personal link) take the
//!   [`QueuedMessage`]s with them and write them in their own transaction: a change that
//!   fails or rolls back queues nothing, and a change that commits has its message
//!   stored before anyone is told it happened.
//! - **Claimed under a lease.** A worker [claims](Claim) due messages for a while (the
//!   lease). Claims of several workers never overlap (PostgreSQL skips rows another
//!   transaction holds; SQLite has one writer). A worker that dies mid-delivery leaves
//!   its claim to run out, and the message is delivered by whoever claims it next.
//! - **Every attempt recorded.** The outcome of each attempt ([`AttemptOutcome`], with
//!   the server's reply) is kept beside the message, and only the claim that took the
//!   message may record it, so that a worker whose lease ran out cannot overwrite the
//!   work of the one that took over. A temporary failure is tried again after a
//!   back-off ([`retry_at`]), up to [`MAX_ATTEMPTS`]; a permanent one is not.
//! - **Secrets sealed.** A message that carries a login link, a code or a personal link
//!   is stored sealed (XChaCha20-Poly1305, bound to the message's id and firm) under the
//!   host's vault key when there is one, else under a key this process draws at start
//!   and never writes down. Its body is dropped once its delivery is final. A worker only
//!   claims messages sealed under a key it holds: without a vault, an instance delivers
//!   its own login mail, and mail of an instance that died is given up after
//!   [`GIVE_UP_AFTER`].
//!
//! One caveat no outbox can remove: SMTP has no "exactly once". If the process dies
//! after the server accepted a message and before the acceptance was recorded, the
//! message is delivered again when the lease ends, with the same `Message-ID`, which
//! mail clients use to show it once.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::id::{ClaimId, ContactId, FirmId, MessageId};
use crate::notify::{Channel, Message, MessageKind};
use crate::random::SecretSource;
use crate::vault::{KeyId, SealedValue, Vault, VaultError};

/// How long a claim lasts: longer than one delivery may take (an SMTP delivery is
/// bounded by its timeout, 15 s by default), so that a live worker never loses a message
/// it is still sending.
pub const LEASE: Duration = Duration::from_secs(120);

/// The most attempts at one message, the first included.
pub const MAX_ATTEMPTS: u32 = 8;

/// The longest a message waits in the outbox before it is given up: by then any link it
/// carries has long expired.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait before attempt `n + 1`, after `n` attempts failed for a temporary reason:
/// 30 s, doubling, at most an hour. Seven waits sum to a little over an hour.
#[must_use]
pub fn backoff(failed_attempts: u32) -> Duration {
    let doublings = failed_attempts.saturating_sub(1).min(7);
    Duration::from_secs(30u64 << doublings).min(Duration::from_secs(3600))
}

/// When a message that has now failed `failed_attempts` times for a temporary reason is
/// tried again; `None` once it has had [`MAX_ATTEMPTS`].
#[must_use]
pub fn retry_at(now: Timestamp, failed_attempts: u32) -> Option<Timestamp> {
    (failed_attempts < MAX_ATTEMPTS).then(|| now + backoff(failed_attempts))
}

/// A message as the outbox keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Its id, the same at every attempt.
    pub id: MessageId,
    /// The firm it is sent for.
    pub firm_id: FirmId,
    /// The contact it is for, if any.
    pub contact_id: Option<ContactId>,
    /// What it is.
    pub kind: MessageKind,
    /// The address or number it goes to, for staff to see (the same as in the body).
    pub recipient: String,
    /// The body: the channel with its content and the links, as JSON, sealed when `key`
    /// is set. Empty once a sealed message's delivery is final.
    pub payload: Vec<u8>,
    /// The key that sealed the payload, if it is sealed.
    pub key: Option<KeyId>,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// When it is next due (at first, when it was queued).
    pub due_at: Timestamp,
    /// How many attempts were made.
    pub attempts: u32,
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting for its first or next attempt.
    Queued,
    /// Accepted by the delivery.
    Sent,
    /// Given up: refused for good, out of attempts, or too old.
    Failed,
}

impl MessageState {
    /// Stable name for storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sent => "sent",
            MessageState::Failed => "failed",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            MessageState::Queued,
            MessageState::Sent,
            MessageState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }

    /// The state after an attempt with `outcome`, tried again at `retry_at` if given.
    #[must_use]
    pub fn after(outcome: AttemptOutcome, retry_at: Option<Timestamp>) -> MessageState {
        match (outcome, retry_at) {
            (AttemptOutcome::Accepted, _) => MessageState::Sent,
            (AttemptOutcome::Deferred, Some(_)) => MessageState::Queued,
            (AttemptOutcome::Deferred | AttemptOutcome::Failed, _) => MessageState::Failed,
        }
    }
}

/// How one attempt went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The delivery took it.
    Accepted,
    /// A temporary failure (an SMTP 4xx, a server out of reach).
    Deferred,
    /// A permanent failure (an SMTP 5xx, a message that cannot be sent).
    Failed,
}

impl AttemptOutcome {
    /// Stable name for storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Accepted => "accepted",
            AttemptOutcome::Deferred => "deferred",
            AttemptOutcome::Failed => "failed",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            AttemptOutcome::Accepted,
            AttemptOutcome::Deferred,
            AttemptOutcome::Failed,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == s)
    }
}

/// One attempt at delivering a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryAttempt {
    /// When it ended.
    pub at: Timestamp,
    /// How it went.
    pub outcome: AttemptOutcome,
    /// The server's reply or the reason, one line, at most [`REPLY_CHARS`] characters.
    pub reply: String,
}

/// The longest reply kept.
pub const REPLY_CHARS: usize = 500;

impl DeliveryAttempt {
    /// An attempt, its reply made one line and cut to [`REPLY_CHARS`].
    #[must_use]
    pub fn new(at: Timestamp, outcome: AttemptOutcome, reply: &str) -> DeliveryAttempt {
        let reply = reply
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(REPLY_CHARS)
            .collect();
        DeliveryAttempt { at, outcome, reply }
    }
}

/// A message and what became of it, as staff see it (without its body).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MessageStatus {
    // Fields in alphabetical order: the staff API's JSON lists keys so.
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// The contact it is for, if any.
    pub contact_id: Option<ContactId>,
    /// Its id.
    pub id: MessageId,
    /// What it is.
    pub kind: MessageKind,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// Where it goes.
    pub recipient: String,
    /// Where it is.
    pub state: MessageState,
}

/// A worker's claim on due messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Its id, which only this claim knows: the proof to record an attempt.
    pub id: ClaimId,
    /// Now: messages due at or before it, whose previous claim ended at or before it.
    pub now: Timestamp,
    /// When this claim ends.
    pub until: Timestamp,
    /// The keys this worker can open: a sealed message under any other key is left.
    pub keys: Vec<KeyId>,
    /// The most messages to take.
    pub limit: u32,
}

/// The message's content, as sealed into the payload.
#[derive(serde::Serialize, serde::Deserialize)]
struct Body {
    channel: Channel,
    links: Vec<String>,
}

/// The outbox could not seal or open a message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The vault refused (randomness, a missing key, an altered payload).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The payload does not decode (or the message's body was dropped).
    #[error("a queued message does not decode: {0}")]
    Corrupt(String),
}

/// The associated data of a message's seal: a label, its id and its firm.
fn associated_data(id: MessageId, firm: FirmId) -> Vec<u8> {
    const LABEL: &[u8] = b"portal.outbox.v1\0";
    let mut aad = Vec::with_capacity(LABEL.len() + 32);
    aad.extend_from_slice(LABEL);
    aad.extend_from_slice(id.as_bytes());
    aad.extend_from_slice(firm.as_bytes());
    aad
}

impl QueuedMessage {
    /// `message` queued at `now`: sealed under the vault's active key if its kind
    /// carries a secret.
    pub fn new(
        message: &Message,
        now: Timestamp,
        vault: &Vault,
        source: &dyn SecretSource,
    ) -> Result<QueuedMessage, OutboxError> {
        let body = Body {
            channel: message.channel.clone(),
            links: message.links.clone(),
        };
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(&body).map_err(|e| OutboxError::Corrupt(e.to_string()))?,
        );
        let (payload, key) = if message.kind.carries_secret() {
            let aad = associated_data(message.id, message.firm_id);
            let sealed = vault.seal_with(&json, &aad, source)?;
            let mut payload = sealed.nonce;
            payload.extend_from_slice(&sealed.ciphertext);
            (payload, Some(vault.active().clone()))
        } else {
            (json.to_vec(), None)
        };
        Ok(QueuedMessage {
            id: message.id,
            firm_id: message.firm_id,
            contact_id: message.contact_id,
            kind: message.kind,
            recipient: match &message.channel {
                Channel::Email(email) => email.to.clone(),
                Channel::Text(text) => text.to.clone(),
            },
            payload,
            key,
            queued_at: now,
            due_at: now,
            attempts: 0,
        })
    }

    /// The message to hand to the delivery, opened with `vault` if it is sealed.
    pub fn open(&self, vault: &Vault) -> Result<Message, OutboxError> {
        let json = match &self.key {
            Some(key) => {
                let nonce_len = crate::vault::NONCE_BYTES.min(self.payload.len());
                let (nonce, ciphertext) = self.payload.split_at(nonce_len);
                let sealed = SealedValue {
                    nonce: nonce.to_vec(),
                    ciphertext: ciphertext.to_vec(),
                };
                vault.open_with(key, &sealed, &associated_data(self.id, self.firm_id))?
            }
            None => zeroize::Zeroizing::new(self.payload.clone()),
        };
        let body: Body =
            serde_json::from_slice(&json).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        Ok(Message {
            id: self.id,
            firm_id: self.firm_id,
            contact_id: self.contact_id,
            kind: self.kind,
            channel: body.channel,
            links: body.links,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Email;
    use crate::random::OsSecretSource;
    use crate::vault::VaultKey;

    fn vault(id: &str, byte: u8) -> Vault {
        Vault::new(
            VaultKey::new(KeyId::new(id).unwrap(), &[byte; 32]).unwrap(),
            [],
        )
        .unwrap()
    }

    fn message(kind: MessageKind) -> Message {
        Message {
            id: MessageId::from_bytes([1; 16]),
            firm_id: FirmId::from_bytes([2; 16]),
            contact_id: Some(ContactId::from_bytes([3; 16])),
            kind,
            channel: Channel::Email(Email {
                from: "\"Acme\" <hello@acme.example>".into(),
                reply_to: None,
                to: "jane@example.com".into(),
                subject: "Your login link".into(),
                text: "https://portal.example/portal/auth/link/SECRETTOKEN".into(),
                html: "<p>SECRETTOKEN</p>".into(),
            }),
            links: vec!["https://portal.example/portal/auth/link/SECRETTOKEN".into()],
        }
    }

    #[test]
    fn a_message_with_a_secret_is_stored_sealed_and_opens_only_as_itself() {
        let v = vault("k1", 7);
        let sent = message(MessageKind::Login);
        let queued =
            QueuedMessage::new(&sent, Timestamp::from_unix_millis(5), &v, &OsSecretSource).unwrap();
        assert_eq!(queued.key.as_ref().map(KeyId::as_str), Some("k1"));
        let stored = String::from_utf8_lossy(&queued.payload);
        assert!(!stored.contains("SECRETTOKEN"), "{stored}");
        assert_eq!(queued.open(&v).unwrap(), sent);
        assert_eq!(queued.recipient, "jane@example.com");

        // Moved to another message or firm, it no longer opens.
        let mut moved = queued.clone();
        moved.id = MessageId::from_bytes([9; 16]);
        assert!(matches!(
            moved.open(&v),
            Err(OutboxError::Vault(VaultError::Tampered))
        ));
        let mut moved = queued.clone();
        moved.firm_id = FirmId::from_bytes([9; 16]);
        assert!(moved.open(&v).is_err());
        // Under a key this vault lacks, it is named, not guessed at.
        assert!(matches!(
            queued.open(&vault("k2", 8)),
            Err(OutboxError::Vault(VaultError::UnknownKey(_)))
        ));
        // A body dropped once final does not open.
        let mut dropped = queued;
        dropped.payload.clear();
        assert!(dropped.open(&v).is_err());
    }

    #[test]
    fn attempts_back_off_and_end() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(7), Duration::from_secs(1920));
        assert_eq!(backoff(40), Duration::from_secs(3600));
        let now = Timestamp::from_unix_millis(0);
        assert_eq!(
            retry_at(now, MAX_ATTEMPTS - 1),
            Some(now + backoff(MAX_ATTEMPTS - 1))
        );
        assert_eq!(retry_at(now, MAX_ATTEMPTS), None);
        assert_eq!(
            MessageState::after(AttemptOutcome::Deferred, retry_at(now, 1)),
            MessageState::Queued
        );
        assert_eq!(
            MessageState::after(AttemptOutcome::Deferred, None),
            MessageState::Failed
        );
        assert_eq!(
            MessageState::after(AttemptOutcome::Failed, retry_at(now, 1)),
            MessageState::Failed
        );
        assert_eq!(
            MessageState::after(AttemptOutcome::Accepted, None),
            MessageState::Sent
        );
    }

    #[test]
    fn a_reply_is_kept_on_one_line_and_bounded() {
        let a = DeliveryAttempt::new(
            Timestamp::from_unix_millis(0),
            AttemptOutcome::Deferred,
            &format!("451 4.3.0 busy\r\nX-Injected: yes{}", "x".repeat(900)),
        );
        assert!(!a.reply.contains(['\r', '\n']));
        assert_eq!(a.reply.chars().count(), REPLY_CHARS);
    }
}
