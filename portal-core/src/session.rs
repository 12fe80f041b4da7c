//! Sessions: a logged-in browser of one contact.
//!
//! The browser holds a random 256-bit token; the store keeps only its SHA-256 digest.
//! Verification parses the token strictly, hashes it, reads one row, and checks both
//! lifetimes: the idle timeout (renewed while active) and the absolute lifetime (never
//! extended). Renewal is written at most once per renewal interval, not per request.
//! A new token is minted at every login, and the session the browser held before is
//! deleted in the same store operation (session fixation).

use std::net::IpAddr;
use std::time::Duration;

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::clock::Timestamp;
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, FirmId, SessionId};
use crate::portal::{InternalError, Portal};
use crate::token::{Token, TokenDigest};

/// What a store needs to create a session; the contact and active client come from the
/// operation (the redeemed link, the verified code, the checked password).
#[derive(Clone, Debug)]
pub struct SessionSeed {
    /// Staff-visible id.
    pub id: SessionId,
    /// Digest of the new token.
    pub digest: TokenDigest,
    /// The firm the login happened at; a secret of another firm starts nothing.
    pub firm_id: FirmId,
    /// Now.
    pub created_at: Timestamp,
    /// End of the first idle period.
    pub idle_expires_at: Timestamp,
    /// End of the absolute lifetime.
    pub absolute_expires_at: Timestamp,
    /// Where the login came from.
    pub request: RequestInfo,
    /// The session the browser held before, deleted in the same operation.
    pub replaces: Option<TokenDigest>,
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Staff-visible id.
    pub id: SessionId,
    /// Digest of the token.
    pub digest: TokenDigest,
    /// Whose.
    pub contact_id: ContactId,
    /// Which firm.
    pub firm_id: FirmId,
    /// The client the contact is looking at.
    pub active_client: ClientId,
    /// The contact's permissions on the active client, as of this read.
    pub permissions: Permissions,
    /// When it started.
    pub created_at: Timestamp,
    /// When its renewal was last written.
    pub renewed_at: Timestamp,
    /// When it ends if unused.
    pub idle_expires_at: Timestamp,
    /// When it ends regardless.
    pub absolute_expires_at: Timestamp,
}

/// A session as staff see it in a contact's list: the record, and where the login came
/// from. Kept apart from [`SessionRecord`] so that verifying a session (every request)
/// reads only what verification needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The session.
    pub session: SessionRecord,
    /// IP at login.
    pub ip: Option<IpAddr>,
    /// User agent at login.
    pub user_agent: Option<String>,
}

impl SessionRecord {
    /// When the session ends if nothing renews it.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.idle_expires_at.min(self.absolute_expires_at)
    }
}

/// A conditional renewal.
#[derive(Clone, Copy, Debug)]
pub struct SessionRenewal {
    /// Write only if the last renewal is at or before this time.
    pub due_before: Timestamp,
    /// Now: the new `renewed_at` and the contact's `last_seen_at`.
    pub now: Timestamp,
    /// The new idle expiry (never past the absolute expiry).
    pub idle_expires_at: Timestamp,
}

/// A request's verified session.
#[derive(Debug)]
pub struct Authenticated {
    /// The session as read (after renewal if one was written).
    pub session: SessionRecord,
    token: Token,
    /// Whether this request renewed the session (then the cookie is sent again with
    /// the new lifetime).
    pub renewed: bool,
}

impl Authenticated {
    /// The logged-in contact.
    #[must_use]
    pub fn contact_id(&self) -> ContactId {
        self.session.contact_id
    }

    /// The client it is looking at.
    #[must_use]
    pub fn active_client(&self) -> ClientId {
        self.session.active_client
    }

    /// Its permissions on the active client.
    #[must_use]
    pub fn permissions(&self) -> Permissions {
        self.session.permissions
    }

    /// The session's CSRF token: derived from the session token, so it needs no storage,
    /// changes with every login, and cannot be computed without the cookie.
    #[must_use]
    pub fn csrf_token(&self) -> String {
        self.csrf_text().as_str().to_owned()
    }

    /// The CSRF token without an allocation.
    pub(crate) fn csrf_text(&self) -> crate::token::TokenText {
        self.token.derive("portal-csrf").text()
    }

    /// Whether `presented` is this session's CSRF token (constant time).
    #[must_use]
    pub fn csrf_matches(&self, presented: &str) -> bool {
        crate::token::secrets_equal(self.csrf_text().as_str(), presented)
    }

    /// The session token, for the web layer's cookie.
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }
}

/// A request carries no usable session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No cookie, a malformed one, an unknown, expired or revoked session.
    #[error("not logged in")]
    NotLoggedIn,
    /// A client the contact holds no grant for (answered like a missing one).
    #[error("not found")]
    NotFound,
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for SessionError {
    fn from(e: crate::store::StoreError) -> Self {
        SessionError::Internal(e.into())
    }
}

/// A new session token and what the store needs to create its row.
#[derive(Debug)]
pub struct NewSession {
    /// Goes into the cookie.
    pub token: Token,
    /// Goes to the store.
    pub seed: SessionSeed,
}

/// Time left before `expires_at`, for a cookie's `Max-Age`.
#[must_use]
pub fn time_left(expires_at: Timestamp, now: Timestamp) -> Duration {
    expires_at.since(now)
}

impl Portal {
    /// Mints a session token and the seed of its row, replacing the browser's current
    /// session `replaces` (its cookie value, if any) when the row is created.
    pub fn new_session(
        &self,
        firm: FirmId,
        replaces: Option<&str>,
        request: &RequestInfo,
    ) -> Result<NewSession, InternalError> {
        let policy = self.policy(firm);
        let now = self.now();
        let token = Token::generate(self.secrets())?;
        let absolute = now + policy.session_absolute_lifetime;
        let seed = SessionSeed {
            id: SessionId::generate(self.secrets())?,
            digest: token.digest(),
            firm_id: firm,
            created_at: now,
            idle_expires_at: (now + policy.session_idle_timeout).min(absolute),
            absolute_expires_at: absolute,
            request: request.clone(),
            replaces: replaces
                .and_then(|c| Token::parse(c).ok())
                .map(|t| t.digest()),
        };
        Ok(NewSession { token, seed })
    }

    /// Verifies a session cookie value for `firm`: strict parse, digest, one store read,
    /// both expiries; renews the session when its renewal is due (a visit, recorded in
    /// the audit log).
    pub async fn authenticate(
        &self,
        firm: FirmId,
        cookie: &str,
        request: &RequestInfo,
    ) -> Result<Authenticated, SessionError> {
        self.authenticate_with(firm, cookie, || request.clone())
            .await
    }

    /// [`Portal::authenticate`], asking for the request's details only when a renewal
    /// records them (once per renewal interval), so that verifying copies nothing out
    /// of the request.
    pub async fn authenticate_with(
        &self,
        firm: FirmId,
        cookie: &str,
        request: impl FnOnce() -> RequestInfo,
    ) -> Result<Authenticated, SessionError> {
        let token = Token::parse(cookie).map_err(|_| SessionError::NotLoggedIn)?;
        let digest = token.digest();
        let mut session = self
            .inner
            .store
            .session(&digest)
            .await?
            .filter(|s| s.firm_id == firm)
            .ok_or(SessionError::NotLoggedIn)?;
        let now = self.now();
        if now >= session.expires_at() {
            return Err(SessionError::NotLoggedIn);
        }
        let policy = self.policy(firm);
        let mut renewed = false;
        if now.since(session.renewed_at) >= policy.session_renewal_interval {
            let renewal = SessionRenewal {
                due_before: now - policy.session_renewal_interval,
                now,
                idle_expires_at: (now + policy.session_idle_timeout)
                    .min(session.absolute_expires_at),
            };
            let audit = self.audit(
                firm,
                Actor::Contact(session.contact_id),
                AuditAction::Visit,
                Some(session.contact_id),
                &request(),
                format!("session={}", session.id),
            );
            if self
                .inner
                .store
                .renew_session(&digest, &renewal, audit)
                .await?
            {
                session.renewed_at = now;
                session.idle_expires_at = renewal.idle_expires_at;
                renewed = true;
            }
        }
        Ok(Authenticated {
            session,
            token,
            renewed,
        })
    }

    /// Ends the session (logout).
    pub async fn logout(
        &self,
        auth: &Authenticated,
        request: &RequestInfo,
    ) -> Result<(), SessionError> {
        let s = &auth.session;
        let audit = self.audit(
            s.firm_id,
            Actor::Contact(s.contact_id),
            AuditAction::Logout,
            Some(s.contact_id),
            request,
            format!("session={}", s.id),
        );
        self.inner.store.end_session(&s.digest, audit).await?;
        Ok(())
    }

    /// Switches the session's active client; [`SessionError::NotFound`] for a client the
    /// contact holds no grant for (the same answer as for a client that does not exist).
    pub async fn switch_client(
        &self,
        auth: &Authenticated,
        client: ClientId,
        request: &RequestInfo,
    ) -> Result<SessionRecord, SessionError> {
        let s = &auth.session;
        let audit = |_: &SessionRecord| {
            Some(self.audit(
                s.firm_id,
                Actor::Contact(s.contact_id),
                AuditAction::ClientSwitched,
                Some(s.contact_id),
                request,
                format!("client={client}"),
            ))
        };
        self.inner
            .store
            .switch_client(&s.digest, client, &audit)
            .await?
            .ok_or(SessionError::NotFound)
    }
}
