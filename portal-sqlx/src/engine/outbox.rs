//! The outbox: messages queued in the transaction of the operation that causes them,
//! claimed by workers under a lease, and every attempt at delivering them recorded.
//!
//! A message is queued by [`queue_in`], in the caller's transaction and before its
//! other writes, so that an operation that fails or rolls back leaves no message
//! behind; [`Engine::queue_messages`] is the same step on its own.
//!
//! A claim is one `UPDATE ... WHERE id IN (SELECT ... ORDER BY due_at, id LIMIT n)
//! RETURNING ...` ([`Dialect::CLAIM_MESSAGES`]): on PostgreSQL the inner select locks
//! the rows it picks with `FOR UPDATE SKIP LOCKED`, so that claims made at once take
//! disjoint messages without waiting on each other; on SQLite it runs in a
//! `BEGIN IMMEDIATE` transaction, whose write lock excludes every other claim. The keys
//! a claim holds are bound as one JSON array, unpacked by each database in its own way,
//! so that one prepared statement serves any number of keys.
//!
//! Recording an attempt locks the message's row ([`Dialect::LOCK_MESSAGE`]) and lets
//! the domain decide ([`MessageState::after`], as the memory store does); giving up
//! stale messages is one conditional `UPDATE` that passes over rows another
//! transaction holds ([`Dialect::GIVE_UP_MESSAGES`]), then an attempt row for each
//! message it changed. A message's row is the only lock either takes.

use portal_core::StoreError;
use portal_core::clock::Timestamp;
use portal_core::id::{ClaimId, ContactId, MessageId};
use portal_core::outbox::{
    AttemptOutcome, Claim, DeliveryAttempt, MessageState, MessageStatus, QueuedMessage,
};

use super::{Engine, commit};
use crate::columns::outbox_message_columns;
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows;
use crate::stmt::sql;

const INSERT_MESSAGE: &str = concat!(
    "INSERT INTO portal_outbox_messages (",
    outbox_message_columns!(),
    ", state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);

const INSERT_ATTEMPT: &str = "INSERT INTO portal_outbox_attempts \
     (message_id, n, at, outcome, reply) VALUES ($1, $2, $3, $4, $5)";

/// A message after an attempt: its state, its count of attempts, when it is due again
/// (`$4`, `NULL` to keep it), its payload (`$5`, `NULL` to keep it), and no claim.
const AFTER_ATTEMPT: &str = "UPDATE portal_outbox_messages SET state = $2, attempts = $3, \
     due_at = COALESCE($4, due_at), payload = COALESCE($5, payload), \
     claim_id = NULL, claim_until = NULL WHERE id = $1";

/// A contact's newest messages (along `portal_outbox_messages_by_contact`), each with
/// its attempts oldest first: one statement, so that the page and its attempts are one
/// snapshot, and no statement per message.
const CONTACT_MESSAGES: &str = "SELECT m.id, m.contact_id, m.kind, m.recipient, m.queued_at, \
     m.state, a.at, a.outcome, a.reply \
     FROM (SELECT id, contact_id, kind, recipient, queued_at, state \
     FROM portal_outbox_messages WHERE contact_id = $1 \
     ORDER BY queued_at DESC, id DESC LIMIT $2) m \
     LEFT JOIN portal_outbox_attempts a ON a.message_id = m.id \
     ORDER BY m.queued_at DESC, m.id DESC, a.n";

/// The body of a sealed message once its delivery is final: dropped, as the memory
/// store drops it.
const DROPPED: &[u8] = &[];

/// Queues `messages` in the caller's transaction: all of them, or a conflict (an id
/// queued already, twice in `messages`, or a firm or contact that does not exist) that
/// the caller's rollback turns into none. Operations that cause messages call it before
/// their other writes.
pub(super) async fn queue_in<DB: Dialect>(
    c: &mut DB::Connection,
    messages: &[QueuedMessage],
) -> Result<(), StoreError> {
    for m in messages {
        let inserted = sql::<DB>(INSERT_MESSAGE)
            .id(m.id.as_uuid())
            .id(m.firm_id.as_uuid())
            .opt_id(m.contact_id.map(|c| c.as_uuid()))
            .text(m.kind.as_str())
            .text(&m.recipient)
            .bytes(&m.payload)
            .opt_text(m.key.as_ref().map(|k| k.as_str()))
            .ts(m.queued_at)
            .ts(m.due_at)
            .int(i64::from(m.attempts))
            .text(MessageState::Queued.as_str())
            .insert(c)
            .await?;
        match inserted {
            Ok(_) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict("message id")),
            Err(Violation::ForeignKey) => {
                return Err(StoreError::Conflict("unknown firm or contact"));
            }
        }
    }
    Ok(())
}

/// Inserts attempt number `n` of `message`.
async fn insert_attempt<DB: Dialect>(
    c: &mut DB::Connection,
    message: MessageId,
    n: i64,
    attempt: &DeliveryAttempt,
) -> Result<(), StoreError> {
    sql::<DB>(INSERT_ATTEMPT)
        .id(message.as_uuid())
        .int(n)
        .ts(attempt.at)
        .text(attempt.outcome.as_str())
        .text(&attempt.reply)
        .run(c)
        .await?;
    Ok(())
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn queue_messages(
        &self,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        queue_in::<DB>(&mut tx, messages).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn claim_messages(
        &self,
        claim: &Claim,
    ) -> Result<Vec<QueuedMessage>, StoreError> {
        let keys =
            serde_json::to_string(&claim.keys.iter().map(|k| k.as_str()).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // A write transaction even for one statement: on SQLite it takes the write lock
        // before the statement reads, as every writing operation here does.
        let mut tx = self.write().await?;
        let claimed = sql::<DB>(DB::CLAIM_MESSAGES)
            .id(claim.id.as_uuid())
            .ts(claim.until)
            .ts(claim.now)
            .text(&keys)
            .int(i64::from(claim.limit))
            .all(&mut tx)
            .await?;
        commit::<DB>(tx).await?;
        // `RETURNING` keeps no order: the contract's is the claim's.
        let mut messages = claimed
            .iter()
            .map(rows::queued_message)
            .collect::<Result<Vec<_>, _>>()?;
        messages.sort_by_key(|m| (m.due_at, m.id));
        Ok(messages)
    }

    pub(crate) async fn record_attempt(
        &self,
        message: MessageId,
        claim: ClaimId,
        attempt: &DeliveryAttempt,
        retry_at: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        // A refusal returns with the transaction unfinished: dropped, it rolls back.
        let mut tx = self.write().await?;
        let Some(row) = sql::<DB>(DB::LOCK_MESSAGE)
            .id(message.as_uuid())
            .optional(&mut tx)
            .await?
        else {
            return Ok(false);
        };
        // Only the claim holding the message may record: a worker whose lease ran out
        // and was taken over cannot overwrite the work of the one that took over.
        let held = rows::message_state(&row)? == MessageState::Queued
            && row.opt_id("claim_id")? == Some(claim.as_uuid());
        if !held {
            return Ok(false);
        }
        let attempts = row.int("attempts")? + 1;
        let sealed = row.opt_text("key_id")?.is_some();
        let state = MessageState::after(attempt.outcome, retry_at);
        let (due_at, payload) = match state {
            MessageState::Queued => (retry_at, None),
            // A sealed body is dropped once it will never be sent again.
            MessageState::Sent | MessageState::Failed => (None, sealed.then_some(DROPPED)),
        };
        insert_attempt::<DB>(&mut tx, message, attempts, attempt).await?;
        sql::<DB>(AFTER_ATTEMPT)
            .id(message.as_uuid())
            .text(state.as_str())
            .int(attempts)
            .opt_ts(due_at)
            .opt_bytes(payload)
            .run(&mut tx)
            .await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn give_up_messages(
        &self,
        queued_before: Timestamp,
        attempt: &DeliveryAttempt,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let failed = DeliveryAttempt {
            outcome: AttemptOutcome::Failed,
            ..attempt.clone()
        };
        let state = MessageState::after(failed.outcome, None);
        let mut tx = self.write().await?;
        let given_up = sql::<DB>(DB::GIVE_UP_MESSAGES)
            .ts(queued_before)
            .ts(failed.at)
            .int(i64::from(batch))
            .bytes(DROPPED)
            .text(state.as_str())
            .all(&mut tx)
            .await?;
        // Each message changed gets its attempt, numbered by the count the statement
        // left, in the same transaction.
        for r in &given_up {
            let id = MessageId::from_uuid(r.id("id")?);
            insert_attempt::<DB>(&mut tx, id, r.int("attempts")?, &failed).await?;
        }
        commit::<DB>(tx).await?;
        Ok(given_up.len() as u64)
    }

    pub(crate) async fn contact_messages(
        &self,
        contact: ContactId,
        limit: u32,
    ) -> Result<Vec<MessageStatus>, StoreError> {
        let mut c = self.conn().await?;
        let found = sql::<DB>(CONTACT_MESSAGES)
            .id(contact.as_uuid())
            .int(i64::from(limit))
            .all(&mut c)
            .await?;
        // Rows come grouped by message, newest first, each message's attempts in order;
        // a message without attempts comes once, with `NULL`s for them.
        let mut listed: Vec<MessageStatus> = Vec::new();
        for r in &found {
            let id = MessageId::from_uuid(r.id("id")?);
            if listed.last().is_none_or(|m| m.id != id) {
                listed.push(MessageStatus {
                    id,
                    contact_id: r.opt_id("contact_id")?.map(ContactId::from_uuid),
                    kind: r.parsed("kind", portal_core::notify::MessageKind::from_name)?,
                    recipient: r.text("recipient")?,
                    queued_at: r.ts("queued_at")?,
                    state: rows::message_state(r)?,
                    attempts: Vec::new(),
                });
            }
            if r.opt_int("at")?.is_some()
                && let Some(m) = listed.last_mut()
            {
                m.attempts.push(rows::delivery_attempt(r)?);
            }
        }
        Ok(listed)
    }
}
