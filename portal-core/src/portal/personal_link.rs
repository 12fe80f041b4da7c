//! Personal portal links: minted for every email, opened without logging in.

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::contact::{Contact, ContactStatus};
use crate::firm::Firm;
use crate::id::{ContactId, FirmId};
use crate::magic_link::LinkRequested;
use crate::outbox::QueuedMessage;
use crate::personal_link::PersonalLinkRecord;
use crate::personal_link::PersonalLinkView;
use crate::portal::login::LoginError;
use crate::portal::{InternalError, Portal};
use crate::throttle::{ThrottleDecision, address_key};
use crate::token::Token;

impl Portal {
    /// Issues a personal link for a contact; returns its URL.
    pub(crate) async fn personal_link_url(
        &self,
        firm: &Firm,
        contact: &Contact,
        request: &RequestInfo,
    ) -> Result<String, InternalError> {
        self.issue_personal_link(firm, contact, Actor::System, request)
            .await
    }

    pub(crate) async fn issue_personal_link(
        &self,
        firm: &Firm,
        contact: &Contact,
        actor: Actor,
        request: &RequestInfo,
    ) -> Result<String, InternalError> {
        self.issue_personal_link_with(firm, contact, actor, request, |_| Ok(Vec::new()))
            .await
    }

    /// Issues a personal link, queueing in the same step the messages `messages` makes
    /// from its URL (an invitation carries the link it is sent with); returns the URL.
    pub(crate) async fn issue_personal_link_with(
        &self,
        firm: &Firm,
        contact: &Contact,
        actor: Actor,
        request: &RequestInfo,
        messages: impl FnOnce(&str) -> Result<Vec<QueuedMessage>, InternalError>,
    ) -> Result<String, InternalError> {
        let token = Token::generate(self.secrets())?;
        let now = self.now();
        let record = PersonalLinkRecord {
            digest: token.digest(),
            contact_id: contact.id,
            firm_id: firm.id,
            created_at: now,
            expires_at: now + self.policy(firm.id).personal_link_ttl,
        };
        let audit = self.audit(
            firm.id,
            actor,
            AuditAction::PersonalLinkIssued,
            Some(contact.id),
            request,
            "",
        );
        let url = self.url(firm, &format!("/c/{}", token.expose_secret()));
        let messages = messages(&url)?;
        self.inner
            .store
            .issue_personal_link(&record, audit, &messages)
            .await?;
        if !messages.is_empty() {
            self.deliver_soon();
        }
        Ok(url)
    }

    async fn personal_link_owner(
        &self,
        firm: FirmId,
        token: &str,
    ) -> Result<Option<Contact>, InternalError> {
        let Ok(token) = Token::parse(token) else {
            return Ok(None);
        };
        let Some(id) = self
            .inner
            .store
            .personal_link_contact(&token.digest(), self.now())
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .inner
            .store
            .contact(id)
            .await?
            .filter(|c| c.firm_id == firm && c.status != ContactStatus::Revoked))
    }

    /// Opens a personal link. `session_contact` is the contact of the browser's valid
    /// session, if any. `None` for an unknown or expired link.
    pub async fn open_personal_link(
        &self,
        firm: FirmId,
        token: &str,
        session_contact: Option<ContactId>,
    ) -> Result<Option<PersonalLinkView>, InternalError> {
        let Some(contact) = self.personal_link_owner(firm, token).await? else {
            return Ok(None);
        };
        Ok(Some(if session_contact == Some(contact.id) {
            PersonalLinkView::AlreadyLoggedIn
        } else {
            PersonalLinkView::OfferLogin {
                masked_email: contact.email.masked(),
            }
        }))
    }

    /// "Send me a login link" from a personal link page: the link goes to the owner's
    /// stored address, never anywhere else; throttled like every login email.
    pub async fn request_login_link_for_personal_link(
        &self,
        firm: FirmId,
        token: &str,
        request: &RequestInfo,
    ) -> Result<LinkRequested, LoginError> {
        let binding = Token::generate(self.secrets())?;
        if !self.ip_allowed(firm, request).await? {
            return Ok(LinkRequested { binding });
        }
        let (portal, token, request, binding_digest) = (
            self.clone(),
            token.to_owned(),
            request.clone(),
            binding.digest(),
        );
        self.spawn_job("personal link", async move {
            let Some(contact) = portal.personal_link_owner(firm, &token).await? else {
                return Ok(());
            };
            let audit = portal.audit(
                firm,
                Actor::Contact(contact.id),
                AuditAction::PersonalLinkOpened,
                Some(contact.id),
                &request,
                "login_requested",
            );
            portal.inner.store.append_audit(audit).await?;
            let limit = portal.policy(firm).login_emails_per_address;
            let key = address_key(contact.email.canonical());
            if contact.status == ContactStatus::Active
                && portal
                    .inner
                    .store
                    .throttle_hit(&key, limit, portal.now())
                    .await?
                    == ThrottleDecision::Allowed
            {
                let firm = portal.firm(firm).await?;
                portal
                    .issue_login_email(
                        &firm,
                        &contact,
                        None,
                        Some(binding_digest),
                        Actor::Contact(contact.id),
                        &request,
                    )
                    .await?;
            }
            Ok::<(), LoginError>(())
        });
        Ok(LinkRequested { binding })
    }
}
