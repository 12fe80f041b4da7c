//! Sessions: verifying one (both expiries, renewal at most once per interval), starting
//! one at login (a new id every time), switching its client, ending and revoking it.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::Contact;
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, FirmId, SessionId};
use crate::portal::{InternalError, Portal};
use crate::session::SessionRenewal;
use crate::session::{SessionRecord, SessionSeed};
use crate::token::Token;

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

    /// Whether this is a read-only staff preview of the contact's portal.
    #[must_use]
    pub fn is_preview(&self) -> bool {
        self.session.is_preview()
    }

    /// The contact as the author of a change: the only way an operation turns a
    /// session into the actor of what it writes (the audit entry's actor, a
    /// completion's or a check's `by`). A staff preview is not the contact, so it
    /// authors nothing: [`ReadOnlyPreview`].
    ///
    /// This is the single place where preview sessions are refused in the operations:
    /// every operation that changes something for a contact records who did it, and
    /// asks this for the answer, so that a new write path cannot leave the check out
    /// without also leaving out its audit entry. Logout and the client switch, which
    /// change only the session itself, name [`Authenticated::viewer`] instead.
    pub fn author(&self) -> Result<ContactId, ReadOnlyPreview> {
        match self.session.preview_by {
            None => Ok(self.session.contact_id),
            Some(_) => Err(ReadOnlyPreview),
        }
    }

    /// Who is looking: the staff member of a preview, else the contact. The actor of
    /// what a session does to itself (logout, switching the client it looks at).
    #[must_use]
    pub fn viewer(&self) -> Actor {
        match &self.session.preview_by {
            Some(staff) => Actor::Staff(staff.clone()),
            None => Actor::Contact(self.session.contact_id),
        }
    }
}

/// A staff preview session asked to change something: it is read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("read-only preview")]
pub struct ReadOnlyPreview;

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

impl Portal {
    /// The record (name, address) of the contact a verified session belongs to; `None`
    /// if the contact is gone since.
    pub async fn contact_of(&self, auth: &Authenticated) -> Result<Option<Contact>, InternalError> {
        Ok(self.store().contact(auth.contact_id()).await?)
    }

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
            preview_by: None,
        };
        Ok(NewSession { token, seed })
    }

    /// Mints a preview session token and its seed: like [`Portal::new_session`], but
    /// the session lives [`Policy::preview_session_lifetime`](crate::Policy) at most,
    /// as its idle and its absolute lifetime alike (it is never renewed). The store
    /// names the staff member from the link it consumes.
    pub(crate) fn new_preview_session(
        &self,
        firm: FirmId,
        replaces: Option<&str>,
        request: &RequestInfo,
    ) -> Result<NewSession, InternalError> {
        let mut new = self.new_session(firm, replaces, request)?;
        let end = new.seed.created_at + self.policy(firm).preview_session_lifetime;
        new.seed.idle_expires_at = end;
        new.seed.absolute_expires_at = end;
        Ok(new)
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
        // A preview is never renewed: its lifetime is fixed at its start, and a staff
        // member looking is no visit of the contact (no `last_seen_at`, no entry).
        if !session.is_preview() && now.since(session.renewed_at) >= policy.session_renewal_interval
        {
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
            auth.viewer(),
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
    ///
    /// A staff preview may switch too: the active client is the session's own state,
    /// not the contact's (the contact's sessions keep theirs), and a preview must show
    /// every client the contact can switch to. The entry names the staff member.
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
                auth.viewer(),
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
