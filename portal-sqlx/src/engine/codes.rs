//! Email code challenges, request throttling and the contact failure counter.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::clock::Timestamp;
use portal_core::email_code::{
    ChallengeRecord, ChallengeRedemption, GuessReservation, ResendOutcome,
};
use portal_core::failure::FailureState;
use portal_core::id::{ContactId, FirmId};
use portal_core::outbox::QueuedMessage;
use portal_core::policy::RateLimit;
use portal_core::session::SessionRecord;
use portal_core::store::AuditFn;
use portal_core::throttle::{Refusal, ThrottleDecision};
use portal_core::token::TokenDigest;

use super::outbox::queue_in;
use super::{Engine, append_audit, commit, lock_for_login, start_session_in};
use crate::dialect::{Dialect, Lock};
use crate::rows;
use crate::stmt::sql;

pub(super) const INVALIDATE_CHALLENGES: &str = "UPDATE portal_challenges \
     SET invalidated_at = $2 \
     WHERE contact_id = $1 AND consumed_at IS NULL AND invalidated_at IS NULL";

const INSERT_CHALLENGE: &str = "INSERT INTO portal_challenges (token_hash, contact_id, \
     firm_id, created_at, expires_at, code_hash, next_path, codes_sent, guesses, generation) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, 1)";

const RESEND_CODE: &str = "UPDATE portal_challenges \
     SET codes_sent = codes_sent + 1, generation = generation + 1, guesses = 0, \
         code_hash = $2, expires_at = $3 \
     WHERE token_hash = $1 AND consumed_at IS NULL AND invalidated_at IS NULL \
       AND codes_sent < $4 \
     RETURNING contact_id";

/// One guess, taken before the code is checked: concurrent guesses each need their own
/// row update, and the update stops at the limit.
const RESERVE_GUESS: &str = "UPDATE portal_challenges SET guesses = guesses + 1 \
     WHERE token_hash = $1 AND consumed_at IS NULL AND invalidated_at IS NULL \
       AND expires_at > $2 AND guesses < $3 \
     RETURNING contact_id, firm_id, code_hash, generation";

const READ_CHALLENGE: &str = "SELECT contact_id, firm_id, expires_at, consumed_at, \
     invalidated_at, guesses FROM portal_challenges WHERE token_hash = $1";

const CONSUME_CHALLENGE: &str = "UPDATE portal_challenges SET consumed_at = $2 \
     WHERE token_hash = $1 AND generation = $3 AND firm_id = $4 \
       AND consumed_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 \
     RETURNING next_path";

/// One more failure if the count is still the one read (`$3`, 0 when there was no
/// row): the back-off check and the count are one step.
const RECORD_FAILURE: &str = "INSERT INTO portal_login_failures \
     (subject, failures, last_failure_at) VALUES ($1, 1, $2) \
     ON CONFLICT (subject) DO UPDATE \
     SET failures = portal_login_failures.failures + 1, last_failure_at = $2 \
     WHERE portal_login_failures.failures = $3 \
     RETURNING failures, last_failure_at";

const COUNT_REFUSAL: &str = "INSERT INTO portal_throttle_refusals \
     (firm_id, throttle_key, window_start, window_end, block, refused) \
     VALUES ($1, $2, $3, $4, $5, 1) \
     ON CONFLICT (firm_id, throttle_key, window_start) \
     DO UPDATE SET refused = portal_throttle_refusals.refused + 1 \
     RETURNING refused";

/// How often a guess is re-attempted when a resend revived the code between the
/// refused update and the read that explains it.
const GUESS_ATTEMPTS: usize = 3;

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn issue_challenge(
        &self,
        challenge: &ChallengeRecord,
        audit: Option<AuditDraft>,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let insert = || {
            sql::<DB>(INSERT_CHALLENGE)
                .digest(&challenge.digest)
                .id(challenge.contact_id.as_uuid())
                .id(challenge.firm_id.as_uuid())
                .ts(challenge.created_at)
                .ts(challenge.expires_at)
                .text(&challenge.code_hash)
                .opt_text(challenge.next.as_deref())
        };
        self.issue_newest(
            challenge.contact_id,
            challenge.created_at,
            INVALIDATE_CHALLENGES,
            insert,
            audit.as_ref(),
            messages,
            "challenge digest",
        )
        .await
    }

    pub(crate) async fn challenge_contact(
        &self,
        challenge: &TokenDigest,
    ) -> Result<Option<ContactId>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(
            "SELECT contact_id FROM portal_challenges \
             WHERE token_hash = $1 AND consumed_at IS NULL AND invalidated_at IS NULL",
        )
        .digest(challenge)
        .optional(&mut c)
        .await?
        .map(|r| r.id("contact_id").map(ContactId::from_uuid))
        .transpose()
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the signature of `LoginStore::resend_code`, forwarded as it is"
    )]
    pub(crate) async fn resend_code(
        &self,
        challenge: &TokenDigest,
        code_hash: &str,
        _now: Timestamp,
        expires_at: Timestamp,
        max_codes: u32,
        audit: AuditFn<'_, ContactId>,
        messages: &[QueuedMessage],
    ) -> Result<ResendOutcome, StoreError> {
        let mut tx = self.write().await?;
        // Queued first, as every operation that causes a message queues it: a resend
        // that does not take effect returns below with the transaction unfinished, and
        // its rollback takes the messages with it.
        queue_in::<DB>(&mut tx, messages).await?;
        if let Some(r) = sql::<DB>(RESEND_CODE)
            .digest(challenge)
            .text(code_hash)
            .ts(expires_at)
            .int(i64::from(max_codes))
            .optional(&mut tx)
            .await?
        {
            let contact_id = ContactId::from_uuid(r.id("contact_id")?);
            if let Some(draft) = audit(&contact_id) {
                append_audit::<DB>(&mut tx, draft).await?;
            }
            commit::<DB>(tx).await?;
            return Ok(ResendOutcome::Resent { contact_id });
        }
        let mut c = tx;
        let live = sql::<DB>(READ_CHALLENGE)
            .digest(challenge)
            .optional(&mut c)
            .await?
            .map(|r| {
                Ok::<_, StoreError>(
                    r.opt_int("consumed_at")?.is_none() && r.opt_int("invalidated_at")?.is_none(),
                )
            })
            .transpose()?
            .unwrap_or(false);
        Ok(if live {
            ResendOutcome::LimitReached
        } else {
            ResendOutcome::NotLive
        })
    }

    pub(crate) async fn reserve_guess(
        &self,
        challenge: &TokenDigest,
        now: Timestamp,
        max_guesses: u32,
    ) -> Result<GuessReservation, StoreError> {
        let mut c = self.conn().await?;
        for _ in 0..GUESS_ATTEMPTS {
            if let Some(r) = sql::<DB>(RESERVE_GUESS)
                .digest(challenge)
                .ts(now)
                .int(i64::from(max_guesses))
                .optional(&mut c)
                .await?
            {
                return Ok(GuessReservation::Reserved {
                    contact_id: ContactId::from_uuid(r.id("contact_id")?),
                    firm_id: FirmId::from_uuid(r.id("firm_id")?),
                    code_hash: r.text("code_hash")?,
                    generation: r.count("generation")?,
                });
            }
            // Refused: say why, without taking anything.
            let Some(r) = sql::<DB>(READ_CHALLENGE)
                .digest(challenge)
                .optional(&mut c)
                .await?
            else {
                return Ok(GuessReservation::NotLive);
            };
            let live = r.opt_int("consumed_at")?.is_none()
                && r.opt_int("invalidated_at")?.is_none()
                && now < r.ts("expires_at")?;
            if !live {
                return Ok(GuessReservation::NotLive);
            }
            if r.count("guesses")? >= max_guesses {
                return Ok(GuessReservation::Exhausted {
                    contact_id: ContactId::from_uuid(r.id("contact_id")?),
                    firm_id: FirmId::from_uuid(r.id("firm_id")?),
                });
            }
        }
        Ok(GuessReservation::NotLive)
    }

    pub(crate) async fn redeem_challenge(
        &self,
        req: &ChallengeRedemption,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<(SessionRecord, Option<String>)>, StoreError> {
        let now = req.seed.created_at;
        let mut tx = self.write().await?;
        let Some(owner) =
            sql::<DB>("SELECT contact_id FROM portal_challenges WHERE token_hash = $1")
                .digest(&req.digest)
                .optional(&mut tx)
                .await?
        else {
            return Ok(None);
        };
        let contact = ContactId::from_uuid(owner.id("contact_id")?);
        let Some(grant) = lock_for_login::<DB>(&mut tx, contact, req.seed.firm_id).await? else {
            return Ok(None);
        };
        let Some(consumed) = sql::<DB>(CONSUME_CHALLENGE)
            .digest(&req.digest)
            .ts(now)
            .int(i64::from(req.generation))
            .id(req.seed.firm_id.as_uuid())
            .optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        let next = consumed.opt_text("next_path")?;
        let session = start_session_in::<DB>(&mut tx, contact, grant, &req.seed).await?;
        if let Some(draft) = audit(&session) {
            append_audit::<DB>(&mut tx, draft).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Some((session, next)))
    }

    pub(crate) async fn throttle_hit(
        &self,
        key: &TokenDigest,
        limit: RateLimit,
        now: Timestamp,
    ) -> Result<ThrottleDecision, StoreError> {
        let window_start = now - limit.window;
        let mut tx = self.write().await?;
        // Count and record under one lock per key, so that hits arriving at once through
        // any number of instances are counted one after the other.
        DB::lock(&mut tx, Lock::Throttle(key))
            .await
            .map_err(crate::error::store_error)?;
        sql::<DB>("DELETE FROM portal_throttle_hits WHERE throttle_key = $1 AND at <= $2")
            .digest(key)
            .ts(window_start)
            .run(&mut tx)
            .await?;
        let counted = sql::<DB>(
            "SELECT COUNT(*) AS hits FROM portal_throttle_hits \
             WHERE throttle_key = $1 AND at > $2",
        )
        .digest(key)
        .ts(window_start)
        .optional(&mut tx)
        .await?
        .map(|r| r.int("hits"))
        .transpose()?
        .unwrap_or(0);
        let decision = if counted >= i64::from(limit.count) {
            // Refused hits are not recorded: a flood cannot extend its own ban.
            ThrottleDecision::Throttled
        } else {
            sql::<DB>(
                "INSERT INTO portal_throttle_hits (throttle_key, at, expires_at) \
                 VALUES ($1, $2, $3)",
            )
            .digest(key)
            .ts(now)
            .ts(now + limit.window)
            .run(&mut tx)
            .await?;
            ThrottleDecision::Allowed
        };
        commit::<DB>(tx).await?;
        Ok(decision)
    }

    pub(crate) async fn record_failure(
        &self,
        subject: ContactId,
        now: Timestamp,
        seen: u32,
    ) -> Result<Option<FailureState>, StoreError> {
        let mut c = self.conn().await?;
        // Nothing returned: another attempt counted first.
        sql::<DB>(RECORD_FAILURE)
            .id(subject.as_uuid())
            .ts(now)
            .int(i64::from(seen))
            .optional(&mut c)
            .await?
            .map(|row| rows::failures(&row))
            .transpose()
    }

    pub(crate) async fn failure_state(
        &self,
        subject: ContactId,
    ) -> Result<FailureState, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>("SELECT failures, last_failure_at FROM portal_login_failures WHERE subject = $1")
            .id(subject.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::failures(&r))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    pub(crate) async fn count_refusal(&self, refusal: &Refusal) -> Result<u64, StoreError> {
        let mut c = self.conn().await?;
        let row = sql::<DB>(COUNT_REFUSAL)
            .id(refusal.firm_id.as_uuid())
            .digest(&refusal.key)
            .ts(refusal.window_start)
            .ts(refusal.window_end)
            .text(&refusal.block)
            .optional(&mut c)
            .await?;
        Ok(match row {
            Some(r) => u64::try_from(r.int("refused")?).unwrap_or(0),
            None => 0,
        })
    }
}
