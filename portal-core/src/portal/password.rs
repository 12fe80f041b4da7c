//! Passwords: the link that sets one, and logging in with one.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::{Contact, ContactStatus};
use crate::email::EmailAddress;
use crate::failure::{contact_of, stand_in};
use crate::firm::Firm;
use crate::id::{ContactId, FirmId};
use crate::notify::MessageKind;
use crate::password::PasswordLinkRecord;
use crate::password::check_password;
use crate::portal::Portal;
use crate::portal::failure::Attempt;
use crate::portal::login::{LoginError, LoginSuccess};
use crate::session::SessionRecord;
use crate::token::Token;
use unicode_normalization::UnicodeNormalization as _;

impl Portal {
    /// Issues a password link for a contact and queues its email.
    pub(crate) async fn issue_password_link(
        &self,
        firm: &Firm,
        contact: &Contact,
        actor: Actor,
        request: &RequestInfo,
    ) -> Result<String, LoginError> {
        let token = Token::generate(self.secrets())?;
        let now = self.now();
        let ttl = self.policy(firm.id).password_link_ttl;
        let record = PasswordLinkRecord {
            digest: token.digest(),
            contact_id: contact.id,
            firm_id: firm.id,
            created_at: now,
            expires_at: now + ttl,
        };
        let audit = self.audit(
            firm.id,
            actor,
            AuditAction::PasswordLinkIssued,
            Some(contact.id),
            request,
            "",
        );
        let url = self.url(firm, &format!("/password/set/{}", token.expose_secret()));
        let personal = self.personal_link_url(firm, contact, request).await?;
        let values = self
            .merge_values(firm, contact)
            .with("link", url.clone())
            .with("link.minutes", (ttl.as_secs() / 60).to_string())
            .with("personal_link", personal.clone());
        let message = self.queued_email(
            firm,
            contact,
            MessageKind::PasswordLink,
            &self.templates(firm.id).password_link,
            &values,
            vec![url.clone(), personal],
        )?;
        self.inner
            .store
            .issue_password_link(&record, audit, &[message])
            .await?;
        self.deliver_soon();
        Ok(url)
    }

    /// "Forgot password": the same answer whatever the address; a link goes to an
    /// active contact's stored address in the background.
    pub async fn request_password_link(
        &self,
        firm: FirmId,
        email: &str,
        request: &RequestInfo,
    ) -> Result<(), LoginError> {
        let admitted = self.admit_login_request(firm, email, request).await?;
        if admitted.allowed {
            let (portal, request) = (self.clone(), request.clone());
            self.spawn_job("password link", async move {
                if let Some(contact) = portal
                    .active_contact(&admitted.firm, &admitted.email)
                    .await?
                {
                    portal
                        .issue_password_link(
                            &admitted.firm,
                            &contact,
                            Actor::Contact(contact.id),
                            &request,
                        )
                        .await?;
                }
                Ok::<(), LoginError>(())
            });
        }
        Ok(())
    }

    async fn password_link_owner(
        &self,
        firm: FirmId,
        token: &Token,
    ) -> Result<Contact, LoginError> {
        let contact_id = self
            .inner
            .store
            .password_link_contact(&token.digest(), self.now())
            .await?
            .ok_or(LoginError::PasswordLinkInvalid)?;
        self.inner
            .store
            .contact(contact_id)
            .await?
            .filter(|c| c.firm_id == firm && c.status == ContactStatus::Active)
            .ok_or(LoginError::PasswordLinkInvalid)
    }

    /// Whether a password link can be used (for the GET of its form); consumes nothing.
    /// Returns the owner's address, for the form's `username` field (password managers).
    pub async fn check_password_link(
        &self,
        firm: FirmId,
        token: &str,
    ) -> Result<EmailAddress, LoginError> {
        let token = Token::parse(token).map_err(|_| LoginError::PasswordLinkInvalid)?;
        self.password_link_owner(firm, &token)
            .await
            .map(|c| c.email)
    }

    /// Sets a password through a link: checks it (a refused password leaves the link
    /// usable), hashes it, then atomically consumes the link, stores the hash and
    /// revokes every session of the contact.
    pub async fn set_password(
        &self,
        firm: FirmId,
        token: &str,
        password: &str,
        request: &RequestInfo,
    ) -> Result<(), LoginError> {
        let token = Token::parse(token).map_err(|_| LoginError::PasswordLinkInvalid)?;
        let contact = self.password_link_owner(firm, &token).await?;
        let firm_row = self.firm(firm).await?;
        let local = contact
            .email
            .as_str()
            .rsplit_once('@')
            .map_or("", |(l, _)| l);
        let policy = self.policy(firm).password;
        let normalized = check_password(password, &policy, &[local, &firm_row.name])?;
        let hash = self.inner.hasher.hash(policy.hashing, normalized).await?;
        let audit = |c: &ContactId| {
            Some(self.audit(
                firm,
                Actor::Contact(*c),
                AuditAction::PasswordSet,
                Some(*c),
                request,
                "sessions=revoked",
            ))
        };
        self.inner
            .store
            .set_password_with_link(&token.digest(), self.now(), &hash, &audit)
            .await?
            .ok_or(LoginError::PasswordLinkInvalid)?;
        Ok(())
    }

    /// Logs in with email and password. An address no active contact has walks the
    /// same path on its [stand-in](crate::failure::stand_in), and a contact without a
    /// password costs one argon2 verification too, so the answer and its timing tell
    /// no one which addresses are known. Refusals decided before the secret is looked
    /// at (the per-IP limit, a malformed address, back-off) hash nothing: a flood of
    /// them costs no memory or CPU to speak of.
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn login_with_password(
        &self,
        firm: FirmId,
        email: &str,
        password: &str,
        current_session: Option<&str>,
        request: &RequestInfo,
    ) -> Result<LoginSuccess, LoginError> {
        let policy = self.policy(firm).clone();
        let hashing = policy.password.hashing;
        // Normalized as when it was set, then compared whatever its length (a password
        // longer than the policy's cannot match, and costs the same hash). The cut
        // before normalizing only bounds the work: it is generous because a typed
        // password may shrink several times over (decomposed accents, Hangul jamo).
        let normalized: String = password
            .chars()
            .take(
                policy
                    .password
                    .max_chars
                    .saturating_add(1)
                    .saturating_mul(4),
            )
            .collect::<String>()
            .nfkc()
            .collect();
        if !self.ip_allowed(firm, request).await? {
            return Err(LoginError::InvalidCredentials);
        }
        // Not an address anyone can have: decided by its text alone.
        let Ok(email) = EmailAddress::parse(email) else {
            return Err(LoginError::InvalidCredentials);
        };
        let contact = self.active_contact(&self.firm(firm).await?, &email).await?;
        let subject = contact
            .as_ref()
            .map_or_else(|| stand_in(email.canonical()), |c| c.id);
        let attempt = self.take_attempt(subject, &policy.failure_backoff).await?;
        let matched = match attempt {
            Attempt::Counted(_) => {
                let hash = self.inner.store.password_hash(subject).await?;
                self.inner
                    .hasher
                    .verify(hashing, normalized, hash.as_deref())
                    .await?
            }
            // Decided already, for a stand-in as for a contact: nothing to hash.
            Attempt::Locked | Attempt::Contended => false,
        };
        let contact = match contact {
            Some(c) if matched => c,
            _ => {
                let (action, detail) = match attempt {
                    Attempt::Counted(state) => (
                        AuditAction::PasswordFailed,
                        format!("consecutive={}", state.consecutive),
                    ),
                    refused => (AuditAction::LockedOut, refused.refusal("password")),
                };
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
                return Err(LoginError::InvalidCredentials);
            }
        };
        let new = self.new_session(firm, current_session, request)?;
        let audit = |s: &SessionRecord| {
            Some(self.audit(
                firm,
                Actor::Contact(s.contact_id),
                AuditAction::PasswordLogin,
                Some(s.contact_id),
                request,
                format!("session={}", s.id),
            ))
        };
        let session = self
            .inner
            .store
            .start_session(contact.id, &new.seed, &audit)
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        Ok(LoginSuccess {
            session,
            token: new.token,
            next: None,
        })
    }
}
