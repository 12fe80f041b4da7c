//! Magic links: one click, no password.
//!
//! A link lives 15 minutes, works once (one atomic store operation, however many
//! browsers, scanners or application instances race for it), and issuing a new one kills
//! every older unused one of the contact. Opening it (GET/HEAD) only shows a page; the
//! POST from that page redeems it, so mail scanners and link previews do not burn it.
//! Where the login lands (`next`) is stored with the link when it is issued, never read
//! from the emailed URL. The browser that asked for the link gets a binding cookie whose
//! digest is stored with the link: redemption from another browser is recorded and, with
//! [`LinkRedemption::SameBrowserOrCode`](crate::policy::LinkRedemption), needs the code
//! from the same email.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::clock::Timestamp;
use crate::contact::Contact;
use crate::firm::Firm;
use crate::id::{ContactId, FirmId};
use crate::login::{LinkProblem, LoginError, LoginSuccess};
use crate::policy;
use crate::portal::Portal;
use crate::redirect::safe_next;
use crate::session::{SessionRecord, SessionSeed};
use crate::token::{Token, TokenDigest};

/// A stored magic link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicLinkRecord {
    /// Digest of the link's token.
    pub digest: TokenDigest,
    /// Whom it logs in.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Where the login lands (a checked path inside the portal).
    pub next: Option<String>,
    /// Digest of the binding cookie of the browser that asked for it.
    pub binding: Option<TokenDigest>,
}

/// A redemption for the store to attempt.
#[derive(Clone, Debug)]
pub struct LinkRedemptionRequest {
    /// Digest of the presented token.
    pub digest: TokenDigest,
    /// Digest of the binding cookie the browser presented.
    pub presented_binding: Option<TokenDigest>,
    /// Refuse (with [`LinkProblem::NeedsCode`], consuming nothing) when the binding
    /// does not match.
    pub require_binding: bool,
    /// The session to start; its `firm_id` must be the link's.
    pub seed: SessionSeed,
}

/// What a redemption did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkRedemption {
    /// The link is consumed and the session started.
    Redeemed {
        /// The new session.
        session: SessionRecord,
        /// Where to land.
        next: Option<String>,
        /// Whether the browser presented the binding cookie of the one that asked.
        same_browser: bool,
    },
    /// Nothing changed.
    Refused {
        /// Why.
        problem: LinkProblem,
        /// The link's contact, when the link exists.
        contact_id: Option<ContactId>,
    },
}

/// What asking for a link gives the browser, whatever the address.
#[derive(Debug)]
pub struct LinkRequested {
    /// The value of the short-lived binding cookie to set on this browser.
    pub binding: Token,
}

/// The challenge token of the code sent in the same email as `link`: derived from the
/// link, so a page holding the link can offer to type that email's code without storing
/// anything more. Knowing it grants nothing without the code.
#[must_use]
pub fn code_challenge_for(link: &Token) -> Token {
    link.derive("portal-login-code")
}

impl LinkProblem {
    fn reason(self) -> &'static str {
        match self {
            LinkProblem::Unknown => "unknown",
            LinkProblem::AlreadyUsed => "already_used",
            LinkProblem::Expired => "expired",
            LinkProblem::Superseded => "superseded",
            LinkProblem::ContactUnavailable => "contact_unavailable",
            LinkProblem::NeedsCode => "needs_code",
        }
    }
}

impl Portal {
    /// Issues a link (killing older ones) and returns its token and URL.
    pub(crate) async fn issue_magic_link(
        &self,
        firm: &Firm,
        contact: &Contact,
        next: Option<String>,
        binding: Option<TokenDigest>,
        actor: Actor,
        request: &RequestInfo,
    ) -> Result<(Token, String), LoginError> {
        let token = Token::generate(self.secrets())?;
        let now = self.now();
        let record = MagicLinkRecord {
            digest: token.digest(),
            contact_id: contact.id,
            firm_id: firm.id,
            created_at: now,
            expires_at: now + self.policy(firm.id).magic_link_ttl,
            next,
            binding,
        };
        let audit = self.audit(
            firm.id,
            actor,
            AuditAction::LinkIssued,
            Some(contact.id),
            request,
            format!("link={}", record.digest.short()),
        );
        self.inner.store.issue_magic_link(&record, audit).await?;
        let url = self.url(firm, &format!("/auth/link/{}", token.expose_secret()));
        Ok((token, url))
    }

    /// "Email me a login link": answers the same, in the same time, whether or not the
    /// address belongs to an active contact; the lookup, the link and the mail happen in
    /// a background job. `next` is kept only if it is a path inside the portal.
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn request_login_link(
        &self,
        firm: FirmId,
        email: &str,
        next: Option<&str>,
        request: &RequestInfo,
    ) -> Result<LinkRequested, LoginError> {
        let admitted = self.admit_login_request(firm, email, request).await?;
        let binding = Token::generate(self.secrets())?;
        if admitted.allowed {
            let next = next.and_then(|n| safe_next(n, self.mount_path()));
            let (portal, request, binding_digest) =
                (self.clone(), request.clone(), binding.digest());
            self.spawn_job("login link", async move {
                if let Some(contact) = portal
                    .active_contact(&admitted.firm, &admitted.email)
                    .await?
                {
                    portal
                        .issue_login_email(
                            &admitted.firm,
                            &contact,
                            next,
                            Some(binding_digest),
                            Actor::Contact(contact.id),
                            &request,
                        )
                        .await?;
                }
                Ok::<(), LoginError>(())
            });
        }
        Ok(LinkRequested { binding })
    }

    /// The address a magic link logs in as, masked (`j***@example.com`), for its
    /// confirmation page; reads and spends nothing else. `None` for a token that is
    /// malformed, unknown, used, superseded, expired, of another firm, or of a contact
    /// that cannot log in: the page then shows no address, so that it tells nothing
    /// more than the redemption would.
    pub async fn magic_link_address(
        &self,
        firm: FirmId,
        token: &str,
    ) -> Result<Option<String>, crate::portal::InternalError> {
        let Ok(token) = Token::parse(token) else {
            return Ok(None);
        };
        let store = &self.inner.store;
        let Some(contact) = store
            .magic_link_contact(&token.digest(), self.now())
            .await?
        else {
            return Ok(None);
        };
        Ok(store
            .contact(contact)
            .await?
            .filter(|c| c.firm_id == firm && c.status == crate::contact::ContactStatus::Active)
            .map(|c| c.email.masked()))
    }

    /// Redeems a magic link (the POST of the confirmation page). `binding` is the
    /// browser's binding cookie, `current_session` its session cookie (replaced).
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn redeem_magic_link(
        &self,
        firm: FirmId,
        token: &str,
        binding: Option<&str>,
        current_session: Option<&str>,
        request: &RequestInfo,
    ) -> Result<LoginSuccess, LoginError> {
        let token = Token::parse(token).map_err(|_| LoginError::Link(LinkProblem::Unknown))?;
        let new = self.new_session(firm, current_session, request)?;
        let presented_binding = binding
            .and_then(|b| Token::parse(b).ok())
            .map(|t| t.digest());
        let req = LinkRedemptionRequest {
            digest: token.digest(),
            presented_binding,
            require_binding: self.policy(firm).link_redemption
                == policy::LinkRedemption::SameBrowserOrCode,
            seed: new.seed,
        };
        let audit = |outcome: &LinkRedemption| match outcome {
            LinkRedemption::Redeemed {
                session,
                same_browser,
                ..
            } => Some(self.audit(
                firm,
                Actor::Contact(session.contact_id),
                AuditAction::LinkRedeemed,
                Some(session.contact_id),
                request,
                format!("session={} same_browser={same_browser}", session.id),
            )),
            LinkRedemption::Refused {
                problem,
                contact_id: Some(contact),
            } => Some(
                self.audit(
                    firm,
                    Actor::System,
                    AuditAction::LinkRefused,
                    Some(*contact),
                    request,
                    format!("reason={}", problem.reason()),
                )
                .refused(),
            ),
            LinkRedemption::Refused {
                contact_id: None, ..
            } => None,
        };
        match self.inner.store.redeem_magic_link(&req, &audit).await? {
            LinkRedemption::Redeemed { session, next, .. } => Ok(LoginSuccess {
                session,
                token: new.token,
                next,
            }),
            LinkRedemption::Refused { problem, .. } => Err(LoginError::Link(problem)),
        }
    }
}
