//! Passwords (optional): set through a single-use link, checked off the async workers.
//!
//! Rules (NIST SP 800-63B-4 for a password that is the only factor): at least 15
//! characters, at most 128, counted after NFKC normalisation; no composition rules; no
//! common or context-derived passwords. Hashing is argon2id (m = 19456 KiB, t = 2,
//! p = 1) on the bounded hashing pool; an unknown address costs one hash too. A password
//! set through a link revokes every session of the contact.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization as _;

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::clock::Timestamp;
use crate::contact::{Contact, ContactStatus};
use crate::email::EmailAddress;
use crate::failure::{Attempt, contact_of, stand_in};
use crate::firm::Firm;
use crate::id::{ContactId, FirmId};
use crate::login::{LoginError, LoginSuccess};
use crate::notify::MessageKind;
use crate::policy::PasswordPolicy;
use crate::portal::Portal;
use crate::session::SessionRecord;
use crate::token::{Token, TokenDigest};

/// A stored password set/reset link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordLinkRecord {
    /// Digest of the link's token.
    pub digest: TokenDigest,
    /// Whose password it sets.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer characters than the policy's minimum.
    #[error("use at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than the policy's maximum.
    #[error("use at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// A commonly used or trivially patterned password.
    #[error("this password is too common; choose another")]
    Common,
    /// Mostly the email address or the firm's name.
    #[error("this password is too close to your email or the firm's name")]
    Contextual,
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("common_passwords.txt").lines().collect())
}

/// A string made of one short unit repeated ("abcabcabc...", "aaaa...").
fn is_repetition(chars: &[char]) -> bool {
    (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])
    })
}

/// A run up or down the alphabet or the digits ("abcdef...", "987654...", "890123...").
fn is_sequence(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> i64 {
        let (a, b) = (a as i64, b as i64);
        match (a, b) {
            (57, 48) => 1,  // 9 -> 0
            (48, 57) => -1, // 0 -> 9
            _ => b - a,
        }
    };
    chars.len() > 2 && {
        let first = step(chars[0], chars[1]);
        (first == 1 || first == -1) && chars.windows(2).all(|w| step(w[0], w[1]) == first)
    }
}

/// Checks a new password against the policy and the context words (the local part of
/// the contact's email, the firm's name). Returns the NFKC form to hash.
pub fn check_password(
    password: &str,
    policy: &PasswordPolicy,
    context: &[&str],
) -> Result<String, PasswordProblem> {
    let normalized: String = password.nfkc().collect();
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() < policy.min_chars {
        return Err(PasswordProblem::TooShort {
            min: policy.min_chars,
        });
    }
    if chars.len() > policy.max_chars {
        return Err(PasswordProblem::TooLong {
            max: policy.max_chars,
        });
    }
    let lower = normalized.to_lowercase();
    let lower_chars: Vec<char> = lower.chars().collect();
    if common_passwords().contains(lower.as_str())
        || is_repetition(&lower_chars)
        || is_sequence(&lower_chars)
    {
        return Err(PasswordProblem::Common);
    }
    let words = context.iter().flat_map(|w| {
        let w = w.trim().to_lowercase();
        [w.split_whitespace().collect::<String>(), w]
    });
    for word in words {
        if word.chars().count() >= 4 && lower.contains(&word) {
            let rest = lower.replace(&word, "");
            if rest.chars().count() * 2 < lower_chars.len() {
                return Err(PasswordProblem::Contextual);
            }
        }
    }
    Ok(normalized)
}

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
        self.inner.store.issue_password_link(&record, audit).await?;
        let url = self.url(firm, &format!("/password/set/{}", token.expose_secret()));
        let personal = self.personal_link_url(firm, contact, request).await?;
        let values = self
            .merge_values(firm, contact)
            .with("link", url.clone())
            .with("link.minutes", (ttl.as_secs() / 60).to_string())
            .with("personal_link", personal.clone());
        self.send_email(
            firm,
            contact,
            MessageKind::PasswordLink,
            &self.inner.templates.password_link,
            &values,
            vec![url.clone(), personal],
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<String, PasswordProblem> {
        check_password(
            p,
            &PasswordPolicy::default(),
            &["jane.doe", "Acme Accounting"],
        )
    }

    #[test]
    fn length_is_counted_in_characters_after_nfkc() {
        assert_eq!(
            check("short one here"),
            Err(PasswordProblem::TooShort { min: 15 })
        );
        assert!(check("fifteen chars!!").is_ok());
        assert_eq!(
            check(&"x1y2z3".repeat(22)),
            Err(PasswordProblem::TooLong { max: 128 })
        );
        // 15 non-ASCII characters are 15 characters, not 30 bytes.
        assert!(check("ĉĝĥĵŝŭ ĉĝĥĵŝŭ ĉ").is_ok());
        // Fullwidth letters normalise to ASCII before hashing.
        assert_eq!(
            check("ｍｅａｄｏｗ ｌａｒｋ ｔｕｎｅｓ").unwrap(),
            "meadow lark tunes"
        );
    }

    #[test]
    fn common_and_patterned_passwords_are_refused() {
        for p in [
            "passwordpassword",
            "PasswordPassword",
            "123456789012345",
            "aaaaaaaaaaaaaaaaaaaa",
            "abcabcabcabcabcabc",
            "abcdefghijklmnopq",
            "9876543210987654",
            "correct horse battery staple",
        ] {
            assert_eq!(check(p), Err(PasswordProblem::Common), "{p}");
        }
    }

    #[test]
    fn no_composition_rules() {
        assert!(check("all lower case words here").is_ok());
        assert!(check("ALLUPPERCASEWORDS").is_ok());
    }

    #[test]
    fn context_words_are_refused() {
        assert_eq!(
            check("jane.doe-jane.doe!"),
            Err(PasswordProblem::Contextual)
        );
        assert_eq!(
            check("AcmeAccounting2026"),
            Err(PasswordProblem::Contextual)
        );
        assert!(check("jane.doe likes blue herons").is_ok());
    }
}
