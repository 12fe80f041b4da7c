//! What every way in shares: the answer of a successful login, the errors a login can
//! meet, the request-path guard (throttling), and the login email that carries both a
//! magic link and a code.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::{Contact, ContactStatus};
use crate::email::{EmailAddress, EmailError};
use crate::email_code::{ChallengeRecord, generate_code};
use crate::firm::Firm;
use crate::id::FirmId;
use crate::magic_link::LinkProblem;
use crate::magic_link::code_challenge_for;
use crate::notify::{MergeValues, MessageKind};
use crate::password::PasswordProblem;
use crate::portal::{InternalError, Portal};
use crate::session::SessionRecord;
use crate::throttle::{Refusal, ThrottleDecision, address_key, ip_key};
use crate::token::{Token, TokenDigest};

/// A login succeeded: the new session and where to go.
#[derive(Debug)]
pub struct LoginSuccess {
    /// The new session's row.
    pub session: SessionRecord,
    /// The new session's token, for the cookie.
    pub token: Token,
    /// A `next` target inside the portal, if the login was asked with one.
    pub next: Option<String>,
}

/// A login step failed. Each variant maps to one status and one short message in the
/// web layer; none reveals whether an address is known.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The email address is not well formed.
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    /// A magic link was refused.
    #[error("this login link cannot be used")]
    Link(LinkProblem),
    /// A wrong, unknown or expired code, a code dead after too many wrong guesses, or
    /// a contact in back-off: one answer, since any difference would tell a known
    /// address from an unknown one (the audit log records which it was).
    #[error("that code is not valid")]
    InvalidCode,
    /// Too many login requests from this IP address.
    #[error("too many login requests from this address")]
    LockedOut,
    /// Email and password do not match (or the account cannot log in with a password).
    #[error("email or password is not valid")]
    InvalidCredentials,
    /// A password link is unknown, used or expired.
    #[error("this password link cannot be used")]
    PasswordLinkInvalid,
    /// Too many logins are being checked at once; nothing was done. The same for every
    /// address: retry after the given time.
    #[error("too many logins at once; retry in {} s", retry_after.as_secs())]
    Busy {
        /// When to retry.
        retry_after: std::time::Duration,
    },
    /// A new password does not meet the policy.
    #[error(transparent)]
    Password(#[from] PasswordProblem),
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for LoginError {
    fn from(e: crate::store::StoreError) -> Self {
        LoginError::Internal(e.into())
    }
}
impl From<crate::random::RandomnessUnavailable> for LoginError {
    fn from(e: crate::random::RandomnessUnavailable) -> Self {
        LoginError::Internal(e.into())
    }
}
impl From<crate::hashing::HashError> for LoginError {
    fn from(e: crate::hashing::HashError) -> Self {
        match e {
            crate::hashing::HashError::Busy { retry_after } => LoginError::Busy { retry_after },
            other => LoginError::Internal(other.into()),
        }
    }
}

/// What the request path learned; whatever the address, it is the same shape.
pub(crate) struct Admitted {
    pub(crate) firm: Firm,
    pub(crate) email: EmailAddress,
    /// Both throttles let it through: the background job may act.
    pub(crate) allowed: bool,
}

impl Portal {
    /// The request-path part of every "send me something" request: parse the address,
    /// count the request against the IP and, if the IP is within its limit, against the
    /// address (a throttled IP must not be able to fill the throttle with addresses).
    /// It makes the same store calls whether or not the address belongs to a contact,
    /// and never looks the address up: that happens in the background job, whose
    /// duration nobody can observe.
    pub(crate) async fn admit_login_request(
        &self,
        firm: FirmId,
        email: &str,
        request: &RequestInfo,
    ) -> Result<Admitted, LoginError> {
        if !self.inner.background.has_room() {
            return Err(LoginError::Busy {
                retry_after: crate::background::RETRY_AFTER,
            });
        }
        let firm = self.firm(firm).await?;
        let email = EmailAddress::parse(email)?;
        let allowed = self.ip_allowed(firm.id, request).await?
            && self
                .inner
                .store
                .throttle_hit(
                    &address_key(email.canonical()),
                    self.policy(firm.id).login_emails_per_address,
                    self.now(),
                )
                .await?
                == ThrottleDecision::Allowed;
        Ok(Admitted {
            firm,
            email,
            allowed,
        })
    }

    /// Counts a login request against its IP; `true` if within the limit. A refusal
    /// is decided before anything about an address is looked at, so the caller answers
    /// it at once, hashing nothing; it is counted for the audit log's per-window
    /// summary rather than recorded one by one, so that a flood cannot grow the log.
    pub(crate) async fn ip_allowed(
        &self,
        firm: FirmId,
        request: &RequestInfo,
    ) -> Result<bool, LoginError> {
        let Some(ip) = request.ip else {
            return Ok(true);
        };
        let limit = self.policy(firm).login_requests_per_ip;
        let (store, now) = (&self.inner.store, self.now());
        if store.throttle_hit(&ip_key(ip), limit, now).await? == ThrottleDecision::Allowed {
            return Ok(true);
        }
        let refusal = Refusal::new(firm, ip, now, limit.window);
        if store.count_refusal(&refusal).await? == 1 {
            tracing::warn!(
                block = %refusal.block,
                "login requests from this address block are over the per-IP limit: \
                 refused until the window ends, summarised in the audit log"
            );
        }
        Ok(false)
    }

    /// The active contact of `firm` with this address, if there is one that can log in.
    pub(crate) async fn active_contact(
        &self,
        firm: &Firm,
        email: &EmailAddress,
    ) -> Result<Option<Contact>, InternalError> {
        Ok(self
            .inner
            .store
            .contact_by_email(firm.id, email.canonical())
            .await?
            .filter(|c| c.status == ContactStatus::Active))
    }

    /// Issues a magic link and its code (invalidating older ones) and queues the login
    /// email that carries both. Returns the link's URL.
    pub(crate) async fn issue_login_email(
        &self,
        firm: &Firm,
        contact: &Contact,
        next: Option<String>,
        binding: Option<TokenDigest>,
        actor: Actor,
        request: &RequestInfo,
    ) -> Result<String, LoginError> {
        let (link_token, url) = self
            .issue_magic_link(firm, contact, next.clone(), binding, actor.clone(), request)
            .await?;
        let policy = self.policy(firm.id);
        let now = self.now();
        let code = generate_code(self.secrets())?;
        let code_hash = self
            .inner
            .hasher
            .hash_in_background(policy.password.hashing, code.clone())
            .await?;
        let challenge = ChallengeRecord {
            digest: code_challenge_for(&link_token).digest(),
            contact_id: contact.id,
            firm_id: firm.id,
            created_at: now,
            expires_at: now + policy.code_ttl,
            code_hash,
            next,
        };
        let audit = self.audit(
            firm.id,
            actor,
            AuditAction::CodeIssued,
            Some(contact.id),
            request,
            "with=link",
        );
        let personal = self.personal_link_url(firm, contact, request).await?;
        let values = self
            .merge_values(firm, contact)
            .with("link", url.clone())
            .with(
                "link.minutes",
                (policy.magic_link_ttl.as_secs() / 60).to_string(),
            )
            .with("code", code)
            .with("code.minutes", (policy.code_ttl.as_secs() / 60).to_string())
            .with("personal_link", personal.clone());
        let message = self.queued_email(
            firm,
            contact,
            MessageKind::Login,
            &self.templates(firm.id).login,
            &values,
            vec![url.clone(), personal],
        )?;
        self.inner
            .store
            .issue_challenge(&challenge, Some(audit), &[message])
            .await?;
        self.deliver_soon();
        Ok(url)
    }

    pub(crate) fn merge_values(&self, firm: &Firm, contact: &Contact) -> MergeValues {
        MergeValues::new()
            .with("contact.first_name", contact.first_name.clone())
            .with("contact.email", contact.email.as_str())
            .with("firm.name", firm.name.clone())
    }
}
