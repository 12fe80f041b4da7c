//! Email codes: six digits typed into the page that asked for them, for devices where
//! the email is read elsewhere.
//!
//! A code lives 10 minutes (configurable up to 30) and is stored only as a salted
//! argon2id hash: six digits are 20 bits, so a plain SHA-256 would fall to a table in
//! microseconds. A login attempt ("challenge") may send at most 5 codes; each code
//! survives at most 5 wrong guesses, each taken atomically *before* the hash is
//! checked, so concurrent guesses cannot exceed the limit. Wrong guesses also count
//! against the contact (see [`crate::failure`]).

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::clock::Timestamp;
use crate::failure::Attempt;
use crate::id::{ContactId, FirmId};
use crate::login::{LoginError, LoginSuccess};
use crate::notify::MessageKind;
use crate::portal::Portal;
use crate::random::{RandomnessUnavailable, SecretSource, uniform_below};
use crate::redirect::safe_next;
use crate::session::{SessionRecord, SessionSeed};
use crate::token::{Token, TokenDigest};

/// A stored login attempt with its current code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Digest of the challenge token (the page's hidden field).
    pub digest: TokenDigest,
    /// Whom it logs in.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When the current code stops working.
    pub expires_at: Timestamp,
    /// argon2id PHC string of the current code.
    pub code_hash: String,
    /// Where the login lands.
    pub next: Option<String>,
}

/// What a resend did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The challenge has a new code.
    Resent {
        /// Whose challenge it is.
        contact_id: ContactId,
    },
    /// The challenge already had its maximum of codes; nothing changed.
    LimitReached,
    /// No live challenge (unknown, consumed, superseded); nothing changed.
    NotLive,
}

/// What taking a guess found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuessReservation {
    /// A guess was taken: check the code against this hash.
    Reserved {
        /// Whose challenge it is.
        contact_id: ContactId,
        /// Its firm.
        firm_id: FirmId,
        /// The current code's hash.
        code_hash: String,
        /// Which code of the challenge this is (1 for the first, +1 per resend).
        generation: u32,
    },
    /// The current code has had all its guesses: it is dead.
    Exhausted {
        /// Whose challenge it is.
        contact_id: ContactId,
        /// Its firm.
        firm_id: FirmId,
    },
    /// No live code (unknown, expired, consumed, superseded).
    NotLive,
}

/// A verified code, for the store to consume.
#[derive(Clone, Debug)]
pub struct ChallengeRedemption {
    /// The challenge.
    pub digest: TokenDigest,
    /// The generation whose code was verified; a resend since makes this fail.
    pub generation: u32,
    /// The session to start.
    pub seed: SessionSeed,
}

/// What asking for a code gives the page, whatever the address.
#[derive(Debug)]
pub struct CodeRequested {
    /// The challenge token, for the code page's hidden field.
    pub challenge: Token,
}

/// Six uniformly random digits.
pub fn generate_code(source: &dyn SecretSource) -> Result<String, RandomnessUnavailable> {
    Ok(format!("{:06}", uniform_below(source, 1_000_000)?))
}

/// The code as typed, without spaces or dashes, if it is six ASCII digits.
#[must_use]
pub fn normalize_code(typed: &str) -> Option<String> {
    if typed.len() > 32 {
        return None;
    }
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

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
            let next = next.and_then(|n| safe_next(n, self.mount_path()));
            let (portal, request, digest) = (self.clone(), request.clone(), challenge.digest());
            self.spawn_job("login code", async move {
                let firm = &admitted.firm;
                let Some(contact) = portal.active_contact(firm, &admitted.email).await? else {
                    return Ok(());
                };
                let policy = portal.policy(firm.id);
                let code = generate_code(portal.secrets())?;
                let now = portal.now();
                let record = ChallengeRecord {
                    digest,
                    contact_id: contact.id,
                    firm_id: firm.id,
                    created_at: now,
                    expires_at: now + policy.code_ttl,
                    code_hash: portal
                        .inner
                        .hasher
                        .hash(policy.password.hashing, code.clone())
                        .await?,
                    next,
                };
                let audit = portal.audit(
                    firm.id,
                    Actor::Contact(contact.id),
                    AuditAction::CodeIssued,
                    Some(contact.id),
                    &request,
                    "with=code",
                );
                portal.inner.store.issue_challenge(&record, audit).await?;
                portal.send_code_email(firm, &contact, code, &request).await
            });
        }
        Ok(CodeRequested { challenge })
    }

    async fn send_code_email(
        &self,
        firm: &crate::firm::Firm,
        contact: &crate::contact::Contact,
        code: String,
        request: &RequestInfo,
    ) -> Result<(), LoginError> {
        let personal = self.personal_link_url(firm, contact, request).await?;
        let minutes = (self.policy(firm.id).code_ttl.as_secs() / 60).to_string();
        let values = self
            .merge_values(firm, contact)
            .with("code", code)
            .with("code.minutes", minutes)
            .with("personal_link", personal.clone());
        self.send_email(
            firm,
            contact,
            MessageKind::Code,
            &self.inner.templates.code,
            &values,
            vec![personal],
        );
        Ok(())
    }

    /// "Send the code again" for a challenge: a fresh code, fresh guesses, the old code
    /// dead; at most the policy's codes per challenge. Same answer whatever happens.
    pub async fn resend_login_code(
        &self,
        firm: FirmId,
        challenge: &str,
        request: &RequestInfo,
    ) -> Result<(), LoginError> {
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
            let Some(contact_id) = store.challenge_contact(&digest).await? else {
                return Ok(());
            };
            let Some(contact) = store.contact(contact_id).await? else {
                return Ok(());
            };
            // Resends count against the address like any login email, and are
            // counted before the code is replaced: a throttled resend leaves the
            // code already mailed working.
            let key = crate::throttle::address_key(contact.email.canonical());
            let now = portal.now();
            if store
                .throttle_hit(&key, policy.login_emails_per_address, now)
                .await?
                != crate::throttle::ThrottleDecision::Allowed
            {
                return Ok(());
            }
            let code = generate_code(portal.secrets())?;
            let hash = portal
                .inner
                .hasher
                .hash(policy.password.hashing, code.clone())
                .await?;
            let outcome = store
                .resend_code(
                    &digest,
                    &hash,
                    now,
                    now + policy.code_ttl,
                    policy.codes_per_attempt,
                )
                .await?;
            if let ResendOutcome::Resent { .. } = outcome {
                portal
                    .send_code_email(&firm, &contact, code, &request)
                    .await?;
            }
            Ok::<(), LoginError>(())
        });
        Ok(())
    }

    /// Checks a typed code and, if right, starts a session.
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
        let (contact, code_hash, generation) = match reservation {
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
                    (AuditAction::CodeFailed, "reason=exhausted"),
                    code,
                )
                .await?;
                return Err(LoginError::InvalidCode);
            }
            _ => {
                // Same cost as checking a real code.
                self.inner
                    .hasher
                    .verify(policy.password.hashing, code, None)
                    .await?;
                return Err(LoginError::InvalidCode);
            }
        };
        let state = match self.take_attempt(contact, &policy.failure_backoff).await? {
            Attempt::Counted(state) => state,
            refused => {
                let detail = refused.refusal("code");
                self.refuse_code(
                    firm,
                    contact,
                    request,
                    (AuditAction::LockedOut, &detail),
                    code,
                )
                .await?;
                return Err(LoginError::InvalidCode);
            }
        };
        if !self
            .inner
            .hasher
            .verify(policy.password.hashing, code, Some(&code_hash))
            .await?
        {
            let audit = self
                .audit(
                    firm,
                    Actor::System,
                    AuditAction::CodeFailed,
                    Some(contact),
                    request,
                    format!("reason=wrong_code consecutive={}", state.consecutive),
                )
                .refused();
            self.inner.store.append_audit(audit).await?;
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

    /// Refuses a code without checking it, at the cost of checking one, and records
    /// why. The caller answers as for a wrong code: a dead code or a contact in back-off
    /// must not answer differently from the code of an address nobody has, or the
    /// answer would tell which addresses are known.
    async fn refuse_code(
        &self,
        firm: FirmId,
        contact: ContactId,
        request: &RequestInfo,
        (action, detail): (AuditAction, &str),
        code: String,
    ) -> Result<(), LoginError> {
        let hashing = self.policy(firm).password.hashing;
        self.inner.hasher.verify(hashing, code, None).await?;
        let audit = self
            .audit(firm, Actor::System, action, Some(contact), request, detail)
            .refused();
        self.inner.store.append_audit(audit).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;

    #[test]
    fn codes_are_six_digits() {
        let s = SeededSecretSource::new(5);
        for _ in 0..1000 {
            let c = generate_code(&s).unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalize_code("123 456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", "", &"1".repeat(100)] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }
}
