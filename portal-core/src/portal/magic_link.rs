//! Magic links: requested on the login page or by staff, confirmed by a POST, single
//! use, newest wins.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::Contact;
use crate::firm::Firm;
use crate::id::FirmId;
use crate::magic_link::LinkProblem;
use crate::magic_link::{LinkRedemption, LinkRequested};
use crate::magic_link::{LinkRedemptionRequest, MagicLinkRecord};
use crate::policy;
use crate::portal::Portal;
use crate::portal::login::{LoginError, LoginSuccess};
use crate::token::{Token, TokenDigest};

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
            let next = next.and_then(|n| self.landing(n));
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
