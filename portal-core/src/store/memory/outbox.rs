use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::clock::Timestamp;
use crate::id::{ClaimId, ContactId, MessageId};
use crate::outbox::{
    AttemptOutcome, Claim, DeliveryAttempt, MessageState, MessageStatus, QueuedMessage,
};
use crate::store::{OutboxStore, StoreError};

#[derive(Debug)]
pub(super) struct OutboxRow {
    message: QueuedMessage,
    state: MessageState,
    claim: Option<(ClaimId, Timestamp)>,
    attempts: Vec<DeliveryAttempt>,
}

impl OutboxRow {
    fn claimable(&self, claim: &Claim) -> bool {
        self.state == MessageState::Queued
            && self.message.due_at <= claim.now
            && self.claim.is_none_or(|(_, until)| until <= claim.now)
            && self
                .message
                .key
                .as_ref()
                .is_none_or(|key| claim.keys.contains(key))
    }

    /// Counts `attempt` and moves to the state it leads to.
    fn record(&mut self, attempt: &DeliveryAttempt, retry_at: Option<Timestamp>) {
        self.state = MessageState::after(attempt.outcome, retry_at);
        self.message.attempts += 1;
        self.attempts.push(attempt.clone());
        self.claim = None;
        match (self.state, retry_at) {
            (MessageState::Queued, Some(at)) => self.message.due_at = at,
            (MessageState::Queued, None) => {}
            (MessageState::Sent | MessageState::Failed, _) => {
                if self.message.key.is_some() {
                    self.message.payload = Vec::new();
                }
            }
        }
    }
}

impl State {
    /// A conflict if any of `messages` is queued already: checked before an operation
    /// writes anything, so that it queues all of them or fails having changed nothing.
    pub(super) fn check_queue(&self, messages: &[QueuedMessage]) -> Result<(), StoreError> {
        let mut ids = std::collections::HashSet::new();
        for m in messages {
            if self.outbox.contains_key(&m.id) || !ids.insert(m.id) {
                return Err(StoreError::Conflict("message id"));
            }
        }
        Ok(())
    }

    /// Queues messages [checked](State::check_queue) before.
    pub(super) fn queue(&mut self, messages: &[QueuedMessage]) {
        for m in messages {
            self.outbox.insert(
                m.id,
                OutboxRow {
                    message: m.clone(),
                    state: MessageState::Queued,
                    claim: None,
                    attempts: Vec::new(),
                },
            );
        }
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn queue_messages(&self, messages: &[QueuedMessage]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        state.queue(messages);
        Ok(())
    }

    async fn claim_messages(&self, claim: &Claim) -> Result<Vec<QueuedMessage>, StoreError> {
        let mut state = self.lock()?;
        let mut due: Vec<(Timestamp, MessageId)> = state
            .outbox
            .values()
            .filter(|row| row.claimable(claim))
            .map(|row| (row.message.due_at, row.message.id))
            .collect();
        due.sort();
        due.truncate(claim.limit as usize);
        Ok(due
            .into_iter()
            .filter_map(|(_, id)| {
                let row = state.outbox.get_mut(&id)?;
                row.claim = Some((claim.id, claim.until));
                Some(row.message.clone())
            })
            .collect())
    }

    async fn record_attempt(
        &self,
        message: MessageId,
        claim: ClaimId,
        attempt: &DeliveryAttempt,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state.outbox.get_mut(&message).filter(|row| {
            row.state == MessageState::Queued && row.claim.is_some_and(|(c, _)| c == claim)
        }) else {
            return Ok(false);
        };
        row.record(attempt, retry_at);
        Ok(true)
    }

    async fn give_up_messages(
        &self,
        queued_before: Timestamp,
        attempt: &DeliveryAttempt,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let mut given_up = 0;
        for row in state.outbox.values_mut() {
            if given_up >= u64::from(batch) {
                break;
            }
            let stale = row.state == MessageState::Queued
                && row.message.queued_at < queued_before
                && row.claim.is_none_or(|(_, until)| until <= attempt.at);
            if stale {
                let failed = DeliveryAttempt {
                    outcome: AttemptOutcome::Failed,
                    ..attempt.clone()
                };
                row.record(&failed, None);
                given_up += 1;
            }
        }
        Ok(given_up)
    }

    async fn contact_messages(
        &self,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<MessageStatus>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<&OutboxRow> = state
            .outbox
            .values()
            .filter(|row| row.message.contact_id == Some(contact))
            .collect();
        found.sort_by_key(|row| std::cmp::Reverse((row.message.queued_at, row.message.id)));
        found.truncate(limit as usize);
        Ok(found
            .into_iter()
            .map(|row| MessageStatus {
                id: row.message.id,
                contact_id: row.message.contact_id,
                kind: row.message.kind,
                recipient: row.message.recipient.clone(),
                queued_at: row.message.queued_at,
                state: row.state,
                attempts: row.attempts.clone(),
            })
            .collect())
    }
}
