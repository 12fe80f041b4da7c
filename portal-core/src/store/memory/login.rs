use std::collections::VecDeque;

use async_trait::async_trait;

use super::{
    ChallengeRow, LinkRow, MAX_FAILURE_SUBJECTS, MAX_REFUSAL_WINDOWS, MAX_THROTTLE_KEYS,
    MemoryStore, PasswordLinkRow, issue_newest,
};
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::contact::ContactStatus;
use crate::email_code::{ChallengeRecord, ChallengeRedemption, GuessReservation, ResendOutcome};
use crate::failure::FailureState;
use crate::id::ContactId;
use crate::magic_link::LinkProblem;
use crate::magic_link::{LinkRedemption, LinkRedemptionRequest, MagicLinkRecord};
use crate::outbox::QueuedMessage;
use crate::password::PasswordLinkRecord;
use crate::personal_link::PersonalLinkRecord;
use crate::policy::RateLimit;
use crate::preview::{PreviewLinkRecord, PreviewRedemption, PreviewRedemptionRequest};
use crate::session::SessionRecord;
use crate::store::{AuditFn, LoginStore, StoreError};
use crate::throttle::{Refusal, RefusalCount, ThrottleDecision};
use crate::token::TokenDigest;

#[async_trait]
impl LoginStore for MemoryStore {
    async fn issue_magic_link(
        &self,
        link: &MagicLinkRecord,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let state = &mut *guard;
        issue_newest(
            &mut state.links,
            &mut state.live_link,
            (link.contact_id, link.digest),
            LinkRow {
                record: link.clone(),
                consumed: false,
                invalidated: false,
            },
            |r| r.invalidated = true,
            "magic link digest",
        )?;
        state.append(audit);
        Ok(())
    }

    async fn redeem_magic_link(
        &self,
        request: &LinkRedemptionRequest,
        audit: AuditFn<'_, LinkRedemption>,
    ) -> Result<LinkRedemption, StoreError> {
        let mut state = self.lock()?;
        let now = request.seed.created_at;
        let refused = |problem, contact| LinkRedemption::Refused {
            problem,
            contact_id: contact,
        };
        let outcome = match state.links.get(&request.digest) {
            None => refused(LinkProblem::Unknown, None),
            Some(r) if r.record.firm_id != request.seed.firm_id => {
                refused(LinkProblem::Unknown, None)
            }
            Some(r) => {
                let contact = r.record.contact_id;
                let same_browser =
                    r.record.binding.is_some() && r.record.binding == request.presented_binding;
                if r.consumed {
                    refused(LinkProblem::AlreadyUsed, Some(contact))
                } else if r.invalidated {
                    refused(LinkProblem::Superseded, Some(contact))
                } else if now >= r.record.expires_at {
                    refused(LinkProblem::Expired, Some(contact))
                } else if request.require_binding && !same_browser {
                    refused(LinkProblem::NeedsCode, Some(contact))
                } else {
                    let next = r.record.next.clone();
                    match self.sessions.start(&mut state, contact, &request.seed) {
                        None => refused(LinkProblem::ContactUnavailable, Some(contact)),
                        Some(session) => {
                            if let Some(r) = state.links.get_mut(&request.digest) {
                                r.consumed = true;
                            }
                            state.live_link.remove(&contact);
                            LinkRedemption::Redeemed {
                                session,
                                next,
                                same_browser,
                            }
                        }
                    }
                }
            }
        };
        state.append_opt(audit(&outcome));
        Ok(outcome)
    }

    async fn magic_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        let state = self.read()?;
        Ok(state
            .links
            .get(link)
            .filter(|r| !r.consumed && !r.invalidated && now < r.record.expires_at)
            .map(|r| r.record.contact_id))
    }

    async fn issue_preview_link(
        &self,
        link: &PreviewLinkRecord,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        self.insert_preview_link(link, audit)
    }

    async fn preview_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        self.live_preview_contact(link, now)
    }

    async fn redeem_preview_link(
        &self,
        request: &PreviewRedemptionRequest,
        audit: AuditFn<'_, PreviewRedemption>,
    ) -> Result<PreviewRedemption, StoreError> {
        self.consume_preview_link(request, audit)
    }

    async fn issue_challenge(
        &self,
        challenge: &ChallengeRecord,
        audit: Option<AuditDraft>,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let state = &mut *guard;
        state.check_queue(messages)?;
        issue_newest(
            &mut state.challenges,
            &mut state.live_challenge,
            (challenge.contact_id, challenge.digest),
            ChallengeRow {
                record: challenge.clone(),
                codes_sent: 1,
                guesses: 0,
                generation: 1,
                consumed: false,
                invalidated: false,
            },
            |r| r.invalidated = true,
            "challenge digest",
        )?;
        state.append_opt(audit);
        state.queue(messages);
        Ok(())
    }

    async fn challenge_contact(
        &self,
        challenge: &TokenDigest,
    ) -> Result<Option<ContactId>, StoreError> {
        let state = self.read()?;
        Ok(state
            .challenges
            .get(challenge)
            .filter(|r| !r.consumed && !r.invalidated)
            .map(|r| r.record.contact_id))
    }

    async fn resend_code(
        &self,
        challenge: &TokenDigest,
        code_hash: &str,
        _now: Timestamp,
        expires_at: Timestamp,
        max_codes: u32,
        audit: AuditFn<'_, ContactId>,
        messages: &[QueuedMessage],
    ) -> Result<ResendOutcome, StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        let Some(row) = state
            .challenges
            .get_mut(challenge)
            .filter(|r| !r.consumed && !r.invalidated)
        else {
            return Ok(ResendOutcome::NotLive);
        };
        if row.codes_sent >= max_codes {
            return Ok(ResendOutcome::LimitReached);
        }
        row.codes_sent += 1;
        row.generation += 1;
        row.guesses = 0;
        row.record.code_hash = code_hash.to_owned();
        row.record.expires_at = expires_at;
        let contact_id = row.record.contact_id;
        state.append_opt(audit(&contact_id));
        state.queue(messages);
        Ok(ResendOutcome::Resent { contact_id })
    }

    async fn reserve_guess(
        &self,
        challenge: &TokenDigest,
        now: Timestamp,
        max_guesses: u32,
    ) -> Result<GuessReservation, StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state
            .challenges
            .get_mut(challenge)
            .filter(|r| !r.consumed && !r.invalidated && now < r.record.expires_at)
        else {
            return Ok(GuessReservation::NotLive);
        };
        let (contact_id, firm_id) = (row.record.contact_id, row.record.firm_id);
        if row.guesses >= max_guesses {
            return Ok(GuessReservation::Exhausted {
                contact_id,
                firm_id,
            });
        }
        row.guesses += 1;
        Ok(GuessReservation::Reserved {
            contact_id,
            firm_id,
            code_hash: row.record.code_hash.clone(),
            generation: row.generation,
        })
    }

    async fn redeem_challenge(
        &self,
        request: &ChallengeRedemption,
        audit: AuditFn<'_, SessionRecord>,
    ) -> Result<Option<(SessionRecord, Option<String>)>, StoreError> {
        let mut state = self.lock()?;
        let now = request.seed.created_at;
        let Some(row) = state.challenges.get(&request.digest).filter(|r| {
            !r.consumed
                && !r.invalidated
                && r.generation == request.generation
                && now < r.record.expires_at
                && r.record.firm_id == request.seed.firm_id
        }) else {
            return Ok(None);
        };
        let (contact, next) = (row.record.contact_id, row.record.next.clone());
        let Some(session) = self.sessions.start(&mut state, contact, &request.seed) else {
            return Ok(None);
        };
        if let Some(r) = state.challenges.get_mut(&request.digest) {
            r.consumed = true;
        }
        state.live_challenge.remove(&contact);
        state.append_opt(audit(&session));
        Ok(Some((session, next)))
    }

    async fn issue_password_link(
        &self,
        link: &PasswordLinkRecord,
        audit: AuditDraft,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let mut guard = self.lock()?;
        let state = &mut *guard;
        state.check_queue(messages)?;
        issue_newest(
            &mut state.password_links,
            &mut state.live_password_link,
            (link.contact_id, link.digest),
            PasswordLinkRow {
                record: link.clone(),
                used: false,
                invalidated: false,
            },
            |r| r.invalidated = true,
            "password link digest",
        )?;
        state.append(audit);
        state.queue(messages);
        Ok(())
    }

    async fn password_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        let state = self.read()?;
        Ok(state
            .password_links
            .get(link)
            .filter(|r| !r.used && !r.invalidated && now < r.record.expires_at)
            .map(|r| r.record.contact_id))
    }

    async fn set_password_with_link(
        &self,
        link: &TokenDigest,
        now: Timestamp,
        password_hash: &str,
        audit: AuditFn<'_, ContactId>,
    ) -> Result<Option<ContactId>, StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state
            .password_links
            .get_mut(link)
            .filter(|r| !r.used && !r.invalidated && now < r.record.expires_at)
        else {
            return Ok(None);
        };
        let contact = row.record.contact_id;
        match state.contacts.get_mut(&contact) {
            Some(c) if c.contact.status == ContactStatus::Active => {
                c.password_hash = Some(password_hash.to_owned());
            }
            _ => return Ok(None),
        }
        state.failures.remove(&contact);
        if let Some(r) = state.password_links.get_mut(link) {
            r.used = true;
        }
        state.live_password_link.remove(&contact);
        self.sessions.remove_where(&mut state, contact, |_| true);
        state.append_opt(audit(&contact));
        Ok(Some(contact))
    }

    async fn password_hash(&self, contact: ContactId) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()?
            .contacts
            .get(&contact)
            .and_then(|c| c.password_hash.clone()))
    }

    async fn issue_personal_link(
        &self,
        link: &PersonalLinkRecord,
        audit: AuditDraft,
        messages: &[QueuedMessage],
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        if state.personal_links.contains_key(&link.digest) {
            return Err(StoreError::Conflict("personal link digest"));
        }
        state.personal_links.insert(link.digest, link.clone());
        state.append(audit);
        state.queue(messages);
        Ok(())
    }

    async fn personal_link_contact(
        &self,
        link: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<ContactId>, StoreError> {
        let state = self.read()?;
        Ok(state
            .personal_links
            .get(link)
            .filter(|p| now < p.expires_at)
            .map(|p| p.contact_id)
            .filter(|c| {
                state
                    .contacts
                    .get(c)
                    .is_some_and(|r| r.contact.status != ContactStatus::Revoked)
            }))
    }

    async fn throttle_hit(
        &self,
        key: &TokenDigest,
        limit: RateLimit,
        now: Timestamp,
    ) -> Result<ThrottleDecision, StoreError> {
        let mut state = self.lock()?;
        if !state.throttle.contains_key(key) && state.throttle.len() >= MAX_THROTTLE_KEYS {
            state
                .throttle
                .retain(|_, (window, hits)| hits.back().is_some_and(|last| *last + *window > now));
            if state.throttle.len() >= MAX_THROTTLE_KEYS {
                // Full of live windows: refuse rather than grow. The request gets the
                // answer every throttled request gets.
                return Ok(ThrottleDecision::Throttled);
            }
        }
        let (window, hits) = state
            .throttle
            .entry(*key)
            .or_insert_with(|| (limit.window, VecDeque::new()));
        *window = limit.window;
        while hits.front().is_some_and(|t| *t + limit.window <= now) {
            hits.pop_front();
        }
        if hits.len() >= limit.count as usize {
            return Ok(ThrottleDecision::Throttled);
        }
        hits.push_back(now);
        Ok(ThrottleDecision::Allowed)
    }

    async fn record_failure(
        &self,
        subject: ContactId,
        now: Timestamp,
        seen: u32,
    ) -> Result<Option<FailureState>, StoreError> {
        let mut state = self.lock()?;
        if !state.failures.contains_key(&subject) && state.failures.len() >= MAX_FAILURE_SUBJECTS {
            state.forget_oldest_stand_ins();
        }
        let counter = state.failures.entry(subject).or_default();
        if counter.consecutive != seen {
            return Ok(None);
        }
        counter.consecutive = counter.consecutive.saturating_add(1);
        counter.last_failure_at = Some(now);
        Ok(Some(*counter))
    }

    async fn failure_state(&self, subject: ContactId) -> Result<FailureState, StoreError> {
        Ok(self
            .read()?
            .failures
            .get(&subject)
            .copied()
            .unwrap_or_default())
    }

    async fn count_refusal(&self, refusal: &Refusal) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let key = (refusal.firm_id, refusal.key, refusal.window_start);
        if !state.refusals.contains_key(&key) && state.refusals.len() >= MAX_REFUSAL_WINDOWS {
            return Ok(0);
        }
        let count = state.refusals.entry(key).or_insert_with(|| RefusalCount {
            refusal: refusal.clone(),
            refused: 0,
        });
        count.refused += 1;
        Ok(count.refused)
    }
}
