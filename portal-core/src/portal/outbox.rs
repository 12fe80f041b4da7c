//! The outbox worker: claims due messages, hands each to the delivery, records how it
//! went (the rules are in [`crate::outbox`]).
//!
//! A process runs a round right after it queues a message (so that login mail leaves at
//! once, as a background job that [`Portal::settle`] waits for), and every few seconds
//! on its own ([`PortalBuilder::outbox_every`](crate::PortalBuilder::outbox_every)), to
//! pick up retries and what other instances queued or left behind; that round also
//! sends the notices that are due ([`Portal::send_notices`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::contact::Contact;
use crate::firm::Firm;
use crate::id::{ClaimId, ContactId, MessageId};
use crate::notify::{Channel, Email, EmailTemplate, MergeValues, Message, MessageKind};
use crate::outbox::{
    AttemptOutcome, Claim, DeliveryAttempt, GIVE_UP_AFTER, LEASE, MessageStatus, OutboxError,
    QueuedMessage, retry_at,
};
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::store::StoreError;

/// Messages per claim: small, so that a claim's messages are sent well within its lease.
const CLAIM_BATCH: u32 = 16;

/// Claims per round, so that one round is bounded whatever the backlog.
const ROUNDS: usize = 64;

/// How often a process looks for due messages on its own, by default.
pub const DEFAULT_OUTBOX_PERIOD: Duration = Duration::from_secs(5);

/// What one [`Portal::deliver_queued`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages the delivery accepted.
    pub sent: u64,
    /// Messages that failed for a temporary reason and are due again later.
    pub deferred: u64,
    /// Messages given up: refused for good, or out of attempts.
    pub failed: u64,
    /// Messages whose claim ran out before their outcome was recorded (another worker
    /// took them over): their outcome is that worker's to record.
    pub lost: u64,
}

impl From<OutboxError> for InternalError {
    fn from(e: OutboxError) -> Self {
        match e {
            OutboxError::Vault(e) => InternalError::Vault(e),
            OutboxError::Corrupt(e) => InternalError::Store(StoreError::Corrupt(e)),
        }
    }
}

impl Portal {
    /// The email `template` makes with `values`, from the firm to the contact's stored
    /// address, ready to queue with the change that causes it.
    pub(crate) fn queued_email(
        &self,
        firm: &Firm,
        contact: &Contact,
        kind: MessageKind,
        template: &EmailTemplate,
        values: &MergeValues,
        links: Vec<String>,
    ) -> Result<QueuedMessage, InternalError> {
        // Always the address as stored, never as typed.
        let to = (contact.email.as_str(), Some(contact.id));
        self.queued_email_to(firm, to, kind, template, values, links)
    }

    /// The email `template` makes with `values`, from the firm to `to` (an address, and
    /// the contact it belongs to if any), ready to queue.
    pub(crate) fn queued_email_to(
        &self,
        firm: &Firm,
        (to, contact_id): (&str, Option<ContactId>),
        kind: MessageKind,
        template: &EmailTemplate,
        values: &MergeValues,
        links: Vec<String>,
    ) -> Result<QueuedMessage, InternalError> {
        let message = Message {
            id: MessageId::generate(self.secrets())?,
            firm_id: firm.id,
            contact_id,
            kind,
            channel: Channel::Email(Email {
                from: self.sender(firm),
                reply_to: firm.mail_from.as_ref().map(|a| a.as_str().to_owned()),
                to: to.to_owned(),
                subject: template.subject.render_header(values),
                text: template.text.render_text(values),
                html: template.html.render_html(values),
            }),
            links,
        };
        Ok(QueuedMessage::new(
            &message,
            self.now(),
            &self.inner.outbox_vault,
            self.secrets(),
        )?)
    }

    /// A text message to the contact's phone, ready to queue. Its body carries no
    /// secret: texts tell of tasks, never log in.
    pub(crate) fn queued_text(
        &self,
        firm: &Firm,
        contact: &Contact,
        phone: &crate::phone::PhoneNumber,
        kind: MessageKind,
        body: String,
    ) -> Result<QueuedMessage, InternalError> {
        let message = Message {
            id: MessageId::generate(self.secrets())?,
            firm_id: firm.id,
            contact_id: Some(contact.id),
            kind,
            channel: Channel::Text(crate::notify::TextMessage {
                to: phone.as_str().to_owned(),
                body,
            }),
            links: Vec::new(),
        };
        Ok(QueuedMessage::new(
            &message,
            self.now(),
            &self.inner.outbox_vault,
            self.secrets(),
        )?)
    }

    /// Delivers what was just queued, as a background job: called once the operation
    /// that queued it has committed.
    pub(crate) fn deliver_soon(&self) {
        let portal = self.clone();
        self.spawn_job(
            "outbox",
            async move { portal.deliver_queued().await.map(drop) },
        );
    }

    /// Delivers the due messages this process can open, until none is left (bounded per
    /// call), recording the outcome of each attempt. Safe to run from any number of
    /// tasks and instances at once: no two of them take the same message. The portal
    /// runs it by itself; a host calls it to deliver at a time of its choosing (tests,
    /// a command that drains the outbox).
    pub async fn deliver_queued(&self) -> Result<DeliveryReport, InternalError> {
        let mut report = DeliveryReport::default();
        for _ in 0..ROUNDS {
            let now = self.now();
            let claim = Claim {
                id: ClaimId::generate(self.secrets())?,
                now,
                until: now + LEASE,
                keys: self.inner.outbox_vault.key_ids().cloned().collect(),
                limit: CLAIM_BATCH,
            };
            let claimed = self.inner.store.claim_messages(&claim).await?;
            for message in &claimed {
                self.attempt(message, claim.id, &mut report).await?;
            }
            if claimed.len() < CLAIM_BATCH as usize {
                break;
            }
        }
        Ok(report)
    }

    /// One attempt at `message`, recorded under `claim`.
    async fn attempt(
        &self,
        message: &QueuedMessage,
        claim: ClaimId,
        report: &mut DeliveryReport,
    ) -> Result<(), InternalError> {
        let (outcome, reply) = match message.open(&self.inner.outbox_vault) {
            Ok(opened) => match self.inner.delivery.deliver(&opened).await {
                Ok(accepted) => (
                    AttemptOutcome::Accepted,
                    accepted.reply.unwrap_or_else(|| "accepted".to_owned()),
                ),
                Err(e) if e.permanent => (AttemptOutcome::Failed, e.reason),
                Err(e) => (AttemptOutcome::Deferred, e.reason),
            },
            // Claimed only under a key this process holds: a message that will not open
            // was altered, and trying again cannot help.
            Err(e) => (AttemptOutcome::Failed, format!("cannot be opened: {e}")),
        };
        let now = self.now();
        let retry = match outcome {
            AttemptOutcome::Deferred => retry_at(now, message.attempts + 1),
            AttemptOutcome::Accepted | AttemptOutcome::Failed => None,
        };
        let attempt = DeliveryAttempt::new(now, outcome, &reply);
        let recorded = self
            .inner
            .store
            .record_attempt(message.id, claim, &attempt, retry)
            .await?;
        let (kind, contact) = (message.kind, message.contact_id.map(|c| c.to_string()));
        match (recorded, outcome) {
            (false, _) => {
                report.lost += 1;
                tracing::warn!(
                    ?kind,
                    contact,
                    "message claim ran out before its outcome was recorded"
                );
            }
            (true, AttemptOutcome::Accepted) => {
                report.sent += 1;
                tracing::debug!(?kind, contact, "message delivered");
            }
            (true, AttemptOutcome::Deferred) if retry.is_some() => {
                report.deferred += 1;
                tracing::warn!(?kind, contact, reply = %attempt.reply, "message delivery deferred");
            }
            (true, AttemptOutcome::Deferred | AttemptOutcome::Failed) => {
                report.failed += 1;
                tracing::warn!(?kind, contact, reply = %attempt.reply, "message delivery failed");
            }
        }
        Ok(())
    }

    /// The contact's messages, newest first, at most `limit`, each with every attempt
    /// to deliver it and the server's replies: what staff check when a contact says no
    /// mail arrived. Bodies are never shown (they may carry a login link).
    pub async fn contact_messages(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<MessageStatus>, StaffError> {
        self.staff_contact(ctx, contact).await?;
        Ok(self
            .inner
            .store
            .contact_messages(contact, limit)
            .await
            .map_err(InternalError::from)?)
    }

    /// Gives up the messages queued longer than [`GIVE_UP_AFTER`] ago that no worker
    /// delivered (sealed under the key of a process that is gone, or never claimed):
    /// part of [`Portal::maintain`].
    pub(crate) async fn give_up_stale_messages(&self, batch: u32) -> Result<u64, InternalError> {
        let now = self.now();
        let attempt = DeliveryAttempt::new(
            now,
            AttemptOutcome::Failed,
            &format!(
                "not delivered within {} hours: given up",
                GIVE_UP_AFTER.as_secs() / 3600
            ),
        );
        Ok(self
            .inner
            .store
            .give_up_messages(now - GIVE_UP_AFTER, &attempt, batch)
            .await?)
    }
}

/// Runs [`Portal::deliver_queued`] every `period` on `runtime` until the last handle on
/// `portal` is gone.
pub(super) fn spawn(portal: &Portal, period: Duration, runtime: &tokio::runtime::Handle) {
    // A weak reference between runs, as for maintenance: the task must not keep the
    // portal alive.
    let weak = Arc::downgrade(&portal.inner);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick is at once: skip it, so that the first round comes a period
        // after the start (what this process queues it delivers at once anyway).
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let portal = Portal { inner };
            if let Err(e) = portal.deliver_queued().await {
                tracing::warn!(error = %e, "outbox round failed");
            }
            if let Err(e) = portal.send_notices().await {
                tracing::warn!(error = %e, "sending due notices failed");
            }
        }
    });
}
