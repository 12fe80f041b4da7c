//! Staff previews of a contact's portal: a single-use link issued to staff, redeemed
//! (by the POST of its confirmation page) into a read-only preview session that is no
//! login of the contact. See [`crate::preview`] for the rules.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::ContactStatus;
use crate::id::{ContactId, FirmId};
use crate::magic_link::LinkProblem;
use crate::portal::login::{LoginError, LoginSuccess};
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};
use crate::preview::{PreviewLink, PreviewLinkRecord, PreviewRedemption, PreviewRedemptionRequest};
use crate::staff::StaffContext;
use crate::token::Token;

impl Portal {
    /// Issues a single-use link that opens a read-only preview of the portal exactly
    /// as `contact` sees it, for the staff member of `ctx`; it lives
    /// [`Policy::preview_link_ttl`](crate::Policy). Only its digest is stored, and the
    /// audit entry (`preview.issued`, actor the staff member) names the digest's
    /// prefix, never the token.
    ///
    /// [`StaffError::NotFound`] for a contact of another firm or none;
    /// [`StaffError::ContactInactive`] for a suspended or revoked one (there is no
    /// portal to show); [`StaffError::Conflict`] for a contact without a grant.
    pub async fn issue_preview_link(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<PreviewLink, StaffError> {
        let (firm, contact) = self.active_staff_contact(ctx, contact).await?;
        if self.store().grants(contact.id).await?.is_empty() {
            return Err(StaffError::Conflict("the contact holds no client to show"));
        }
        let token = Token::generate(self.secrets())?;
        let now = self.now();
        let record = PreviewLinkRecord {
            digest: token.digest(),
            contact_id: contact.id,
            firm_id: firm.id,
            staff: ctx.staff.clone(),
            created_at: now,
            expires_at: now + self.policy(firm.id).preview_link_ttl,
        };
        let audit = self.audit(
            firm.id,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::PreviewIssued,
            Some(contact.id),
            &ctx.request,
            format!("link={}", record.digest.short()),
        );
        self.store().issue_preview_link(&record, audit).await?;
        Ok(PreviewLink {
            url: self.url(&firm, &format!("/preview/{}", token.expose_secret())),
            expires_at: record.expires_at,
        })
    }

    /// The address of the contact a live preview link shows, masked, for its
    /// confirmation page; spends nothing. `None` for a token that is malformed,
    /// unknown, used, expired, of another firm, or of a contact that cannot be shown.
    pub async fn preview_link_address(
        &self,
        firm: FirmId,
        token: &str,
    ) -> Result<Option<String>, InternalError> {
        let Ok(token) = Token::parse(token) else {
            return Ok(None);
        };
        let Some(contact) = self
            .store()
            .preview_link_contact(&token.digest(), self.now())
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .store()
            .contact(contact)
            .await?
            .filter(|c| c.firm_id == firm && c.status == ContactStatus::Active)
            .map(|c| c.email.masked()))
    }

    /// Redeems a preview link (the POST of its confirmation page): consumes it and
    /// starts a read-only preview session of its contact, replacing the browser's
    /// current session `current_session`. Of concurrent redemptions exactly one wins;
    /// a used, expired or unknown link is [`LoginError::Link`] as a login link's would
    /// be. The contact's `joined_at`, `last_seen_at` and failure counter are left as
    /// they are; the entry `preview.started` names the staff member as its actor.
    #[tracing::instrument(skip_all, fields(firm = %firm))]
    pub async fn redeem_preview_link(
        &self,
        firm: FirmId,
        token: &str,
        current_session: Option<&str>,
        request: &RequestInfo,
    ) -> Result<LoginSuccess, LoginError> {
        let token = Token::parse(token).map_err(|_| LoginError::Link(LinkProblem::Unknown))?;
        let new = self.new_preview_session(firm, current_session, request)?;
        let req = PreviewRedemptionRequest {
            digest: token.digest(),
            seed: new.seed,
        };
        let audit = |outcome: &PreviewRedemption| match outcome {
            PreviewRedemption::Started { session } => Some(
                self.audit(
                    firm,
                    session
                        .preview_by
                        .clone()
                        .map_or(Actor::System, Actor::Staff),
                    AuditAction::PreviewStarted,
                    Some(session.contact_id),
                    request,
                    format!("session={}", session.id),
                ),
            ),
            PreviewRedemption::Refused {
                problem,
                contact_id: Some(contact),
            } => Some(
                self.audit(
                    firm,
                    Actor::System,
                    AuditAction::PreviewRefused,
                    Some(*contact),
                    request,
                    format!("reason={}", problem.reason()),
                )
                .refused(),
            ),
            PreviewRedemption::Refused {
                contact_id: None, ..
            } => None,
        };
        match self.store().redeem_preview_link(&req, &audit).await? {
            PreviewRedemption::Started { session } => Ok(LoginSuccess {
                session,
                token: new.token,
                next: None,
            }),
            PreviewRedemption::Refused { problem, .. } => Err(LoginError::Link(problem)),
        }
    }
}
