//! Email codes: asked for, resent, guessed within their limits, redeemed.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::email_code::{ChallengeRecord, ChallengeRedemption};
use crate::email_code::{
    CodeRequested, GuessReservation, ResendOutcome, generate_code, normalize_code,
};
use crate::failure::{contact_of, is_stand_in, stand_in};
use crate::id::{ContactId, FirmId};
use crate::notify::MessageKind;
use crate::outbox::QueuedMessage;
use crate::portal::Portal;
use crate::portal::failure::Attempt;
use crate::portal::login::{LoginError, LoginSuccess};
use crate::session::SessionRecord;
use crate::throttle::{ThrottleDecision, address_key, address_key_of};
use crate::token::Token;

impl Portal {
    /// "Email me a code": like [`Portal::request_login_link`], the same answer for every
    /// address; returns the challenge for the page where the code is typed.
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn request_login_code(
        &self,
        firm: FirmId,
        email: &str,
        next: Option<&str>,
        request: &RequestInfo,
    ) -> Result<CodeRequested, LoginError> {
        let admitted = self.admit_login_request(firm, email, request).await?;
        let challenge = Token::generate(self.secrets())?;
        if admitted.allowed {
            let next = next.and_then(|n| self.landing(n));
            let (portal, request, digest) = (self.clone(), request.clone(), challenge.digest());
            self.spawn_job("login code", async move {
                let firm = &admitted.firm;
                let contact = portal.active_contact(firm, &admitted.email).await?;
                let subject = contact
                    .as_ref()
                    .map_or_else(|| stand_in(admitted.email.canonical()), |c| c.id);
                let policy = portal.policy(firm.id);
                let code = generate_code(portal.secrets())?;
                let now = portal.now();
                let record = ChallengeRecord {
                    digest,
                    contact_id: subject,
                    firm_id: firm.id,
                    created_at: now,
                    expires_at: now + policy.code_ttl,
                    code_hash: portal
                        .inner
                        .hasher
                        .hash_in_background(policy.password.hashing, code.clone())
                        .await?,
                    next,
                };
                let audit = contact.as_ref().map(|c| {
                    portal.audit(
                        firm.id,
                        Actor::Contact(c.id),
                        AuditAction::CodeIssued,
                        Some(c.id),
                        &request,
                        "with=code",
                    )
                });
                let messages = match &contact {
                    Some(c) => vec![portal.code_email(firm, c, code, &request).await?],
                    None => Vec::new(),
                };
                portal
                    .inner
                    .store
                    .issue_challenge(&record, audit, &messages)
                    .await?;
                if !messages.is_empty() {
                    portal.deliver_soon();
                }
                Ok::<(), LoginError>(())
            });
        }
        Ok(CodeRequested { challenge })
    }

    /// The email that carries `code` to the contact, ready to queue with its challenge.
    async fn code_email(
        &self,
        firm: &crate::firm::Firm,
        contact: &crate::contact::Contact,
        code: String,
        request: &RequestInfo,
    ) -> Result<QueuedMessage, LoginError> {
        let personal = self.personal_link_url(firm, contact, request).await?;
        let minutes = (self.policy(firm.id).code_ttl.as_secs() / 60).to_string();
        let values = self
            .merge_values(firm, contact)
            .with("code", code)
            .with("code.minutes", minutes)
            .with("personal_link", personal.clone());
        Ok(self.queued_email(
            firm,
            contact,
            MessageKind::Code,
            &self.templates(firm.id).code,
            &values,
            vec![personal],
        )?)
    }

    /// "Send the code again" for a challenge: a fresh code, fresh guesses, the old code
    /// dead; at most the policy's codes per challenge. Same answer whatever happens.
    pub async fn resend_login_code(
        &self,
        firm: FirmId,
        challenge: &str,
        request: &RequestInfo,
    ) -> Result<(), LoginError> {
        if !self.inner.background.has_room() {
            return Err(LoginError::Busy {
                retry_after: crate::background::RETRY_AFTER,
            });
        }
        if !self.ip_allowed(firm, request).await? {
            return Ok(());
        }
        let Ok(challenge) = Token::parse(challenge) else {
            return Ok(());
        };
        let (portal, request) = (self.clone(), request.clone());
        self.spawn_job("code resend", async move {
            let firm = portal.firm(firm).await?;
            let policy = portal.policy(firm.id);
            let digest = challenge.digest();
            let store = &portal.inner.store;
            let Some(subject) = store.challenge_contact(&digest).await? else {
                return Ok(());
            };
            // A stand-in's challenge is resent as a contact's is, without the mail.
            let contact = match contact_of(subject) {
                Some(id) => match store.contact(id).await? {
                    Some(c) => Some(c),
                    None => return Ok(()),
                },
                None => None,
            };
            // Resends count against the address like any login email, and are
            // counted before the code is replaced: a throttled resend leaves the
            // code already mailed working.
            let key = match &contact {
                Some(c) => address_key(c.email.canonical()),
                None => address_key_of(subject),
            };
            let now = portal.now();
            if store
                .throttle_hit(&key, policy.login_emails_per_address, now)
                .await?
                != ThrottleDecision::Allowed
            {
                return Ok(());
            }
            let code = generate_code(portal.secrets())?;
            let hash = portal
                .inner
                .hasher
                .hash_in_background(policy.password.hashing, code.clone())
                .await?;
            let audit = |c: &ContactId| {
                contact_of(*c).map(|c| {
                    portal.audit(
                        firm.id,
                        Actor::Contact(c),
                        AuditAction::CodeIssued,
                        Some(c),
                        &request,
                        "with=resend",
                    )
                })
            };
            // The email is made (and its personal link issued) before the store knows
            // whether the resend is allowed: the message must be queued in the same step
            // as the new code, and is dropped with it if the resend is refused.
            let messages = match &contact {
                Some(c) => vec![portal.code_email(&firm, c, code, &request).await?],
                None => Vec::new(),
            };
            let outcome = store
                .resend_code(
                    &digest,
                    &hash,
                    now,
                    now + policy.code_ttl,
                    policy.codes_per_attempt,
                    &audit,
                    &messages,
                )
                .await?;
            if matches!(outcome, ResendOutcome::Resent { .. }) && !messages.is_empty() {
                portal.deliver_soon();
            }
            Ok::<(), LoginError>(())
        });
        Ok(())
    }

    /// Checks a typed code and, if right, starts a session. Only a guess that was
    /// taken and counted is hashed: every other answer is decided without the code,
    /// and decided alike for every address (see the module's documentation).
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn verify_login_code(
        &self,
        firm: FirmId,
        challenge: &str,
        code: &str,
        current_session: Option<&str>,
        request: &RequestInfo,
    ) -> Result<LoginSuccess, LoginError> {
        if !self.ip_allowed(firm, request).await? {
            return Err(LoginError::LockedOut);
        }
        let policy = self.policy(firm).clone();
        let (Ok(challenge), Some(code)) = (Token::parse(challenge), normalize_code(code)) else {
            return Err(LoginError::InvalidCode);
        };
        let digest = challenge.digest();
        let now = self.now();
        let reservation = self
            .inner
            .store
            .reserve_guess(&digest, now, policy.guesses_per_code)
            .await?;
        let (subject, code_hash, generation) = match reservation {
            GuessReservation::Reserved {
                contact_id,
                firm_id,
                code_hash,
                generation,
            } if firm_id == firm => (contact_id, code_hash, generation),
            GuessReservation::Exhausted {
                contact_id,
                firm_id,
            } if firm_id == firm => {
                self.refuse_code(
                    firm,
                    contact_id,
                    request,
                    AuditAction::CodeFailed,
                    "reason=exhausted",
                )
                .await?;
                return Err(LoginError::InvalidCode);
            }
            // No live challenge: an address's challenge is stored whether or not the
            // address is known, so this says nothing about it.
            _ => return Err(LoginError::InvalidCode),
        };
        let state = match self.take_attempt(subject, &policy.failure_backoff).await? {
            Attempt::Counted(state) => state,
            refused => {
                let detail = refused.refusal("code");
                self.refuse_code(firm, subject, request, AuditAction::LockedOut, &detail)
                    .await?;
                return Err(LoginError::InvalidCode);
            }
        };
        let matched = self
            .inner
            .hasher
            .verify(policy.password.hashing, code, Some(&code_hash))
            .await?;
        // A stand-in's code went to nobody; its hash is of a code no one was told.
        if !matched || is_stand_in(subject) {
            let detail = format!("reason=wrong_code consecutive={}", state.consecutive);
            self.refuse_code(firm, subject, request, AuditAction::CodeFailed, &detail)
                .await?;
            return Err(LoginError::InvalidCode);
        }
        let new = self.new_session(firm, current_session, request)?;
        let redemption = ChallengeRedemption {
            digest,
            generation,
            seed: new.seed,
        };
        let audit = |s: &SessionRecord| {
            Some(self.audit(
                firm,
                Actor::Contact(s.contact_id),
                AuditAction::CodeRedeemed,
                Some(s.contact_id),
                request,
                format!("session={}", s.id),
            ))
        };
        let (session, next) = self
            .inner
            .store
            .redeem_challenge(&redemption, &audit)
            .await?
            .ok_or(LoginError::InvalidCode)?;
        Ok(LoginSuccess {
            session,
            token: new.token,
            next,
        })
    }

    /// Records why a code was refused. The caller answers as for a wrong code: a dead
    /// code or a contact in back-off must not answer differently from the code of an
    /// address nobody has, or the answer would tell which addresses are known.
    async fn refuse_code(
        &self,
        firm: FirmId,
        subject: ContactId,
        request: &RequestInfo,
        action: AuditAction,
        detail: &str,
    ) -> Result<(), LoginError> {
        let audit = self
            .audit(
                firm,
                Actor::System,
                action,
                contact_of(subject),
                request,
                detail,
            )
            .refused();
        self.inner.store.append_audit(audit).await?;
        Ok(())
    }
}
