//! What the firm's staff do: invite, send login emails and links, suspend, revoke,
//! grant, list contacts and sessions, read the audit log. Every operation takes a
//! [`StaffContext`] and is scoped to its firm.

use crate::audit::{Actor, AuditAction, AuditDraft, AuditEvent, ChainBreak, verify_chain};
use crate::client::Client;
use crate::contact::{Contact, ContactStatus};
use crate::email::{EmailAddress, EmailError};
use crate::grant::{Grant, Permissions};
use crate::id::{ClientId, ContactId, FirmId, SessionId};
use crate::notify::MessageKind;
use crate::phone::{PhoneError, PhoneNumber};
use crate::portal::login::LoginError;
use crate::portal::{InternalError, Portal};
use crate::session::SessionSummary;
use crate::staff::InvitationRecord;
use crate::staff::{ContactSummary, Invitation, Invited, StaffContext};
use crate::store::StoreError;
use crate::text::{self, CheckedText, TextError};

/// A staff operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// No such contact, client or session in this firm.
    #[error("not found")]
    NotFound,
    /// An invalid email address.
    #[error(transparent)]
    Email(#[from] EmailError),
    /// An invalid phone number; the message says what to change.
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// A name or another text that its field does not accept.
    #[error(transparent)]
    Text(#[from] TextError),
    /// A task's definition that its type does not accept; names the field.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// The change collides with what is there: a phase name the client has, a
    /// definition already answered.
    #[error("{0}")]
    Conflict(&'static str),
    /// The request is not acceptable as a whole (e.g. no clients to invite to).
    #[error("{0}")]
    Invalid(&'static str),
    /// The contact is suspended or revoked, so it cannot be sent a login.
    #[error("the contact cannot log in (suspended or revoked)")]
    ContactInactive,
    /// The contact is suspended: an invitation does not end a suspension, only
    /// [`Portal::lift_suspension`] does (so that one staff member's invitation cannot
    /// silently undo another's suspension).
    #[error("the contact is suspended")]
    Suspended,
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<StoreError> for StaffError {
    fn from(e: StoreError) -> Self {
        StaffError::Internal(e.into())
    }
}

impl From<LoginError> for StaffError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Internal(i) => StaffError::Internal(i),
            LoginError::InvalidEmail(e) => StaffError::Email(e),
            _ => StaffError::Invalid("login could not be issued"),
        }
    }
}

impl From<crate::random::RandomnessUnavailable> for StaffError {
    fn from(e: crate::random::RandomnessUnavailable) -> Self {
        StaffError::Internal(e.into())
    }
}

/// Actions that make up the access log: logins, visits and downloads.
const ACCESS_ACTIONS: [AuditAction; 5] = [
    AuditAction::LinkRedeemed,
    AuditAction::CodeRedeemed,
    AuditAction::PasswordLogin,
    AuditAction::Visit,
    AuditAction::FileDownloaded,
];

impl Portal {
    pub(super) fn staff_audit(
        &self,
        ctx: &StaffContext,
        action: AuditAction,
        contact: ContactId,
        detail: impl Into<String>,
    ) -> crate::audit::AuditDraft {
        self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            action,
            Some(contact),
            &ctx.request,
            detail,
        )
    }

    /// The contact `id` if it belongs to the staff member's firm.
    pub async fn staff_contact(
        &self,
        ctx: &StaffContext,
        id: ContactId,
    ) -> Result<Contact, StaffError> {
        self.inner
            .store
            .contact(id)
            .await?
            .filter(|c| c.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)
    }

    pub(super) async fn staff_client(
        &self,
        ctx: &StaffContext,
        id: ClientId,
    ) -> Result<Client, StaffError> {
        self.inner
            .store
            .client(id)
            .await?
            .filter(|c| c.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)
    }

    async fn summary(&self, contact: Contact) -> Result<ContactSummary, StaffError> {
        let grants = self.inner.store.grants(contact.id).await?;
        Ok(ContactSummary { contact, grants })
    }

    /// Invites a contact (new, or found by canonical email) to clients: grants them,
    /// marks it invited (and active again if it was revoked), and queues the invitation
    /// email with its personal link. Every client is checked before anything is written,
    /// and the contact, its grants and the invitation are recorded in one store
    /// operation ([`crate::store::DirectoryStore::invite`]), so that a failure or a
    /// racing suspension or revocation never leaves half an invitation; a suspended
    /// contact is refused ([`StaffError::Suspended`]) with nothing written.
    ///
    /// A phone number, if given, must parse ([`StaffError::Phone`]) and replaces the
    /// number of a contact the firm already has; without one, its number stays.
    pub async fn invite(
        &self,
        ctx: &StaffContext,
        invitation: Invitation,
    ) -> Result<ContactSummary, StaffError> {
        let email = EmailAddress::parse(&invitation.email)?;
        let first_name = CheckedText::new(&invitation.first_name, text::FIRST_NAME)?.into_string();
        let phone = invitation
            .phone
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()?;
        if invitation.client_ids.is_empty() || invitation.client_ids.len() > 100 {
            return Err(StaffError::Invalid("invite to 1 to 100 clients"));
        }
        let mut clients = Vec::with_capacity(invitation.client_ids.len());
        for id in &invitation.client_ids {
            clients.push(self.staff_client(ctx, *id).await?);
        }
        let firm = self.firm(ctx.firm).await?;
        let now = self.now();
        let candidate = Contact {
            id: ContactId::generate(self.secrets())?,
            firm_id: ctx.firm,
            email,
            first_name,
            phone,
            status: ContactStatus::Active,
            created_at: now,
            invited_at: None,
            joined_at: None,
            last_seen_at: None,
        };
        let record = InvitationRecord {
            candidate,
            grants: clients
                .iter()
                .map(|c| (c.id, invitation.permissions))
                .collect(),
            at: now,
        };
        // The grants' entries, then the invitation's, for whichever contact the store
        // finds or inserts: one operation, so that a failure or a racing revocation or
        // suspension never leaves half an invitation.
        let audit = |contact: &Contact| {
            let mut entries: Vec<AuditDraft> = record
                .grants
                .iter()
                .map(|(client, permissions)| {
                    self.grant_audit(ctx, contact.id, *client, *permissions)
                })
                .collect();
            // Whether the invitation set the number, never the number itself.
            let phone = if record.candidate.phone.is_some() {
                " phone=set"
            } else {
                ""
            };
            entries.push(self.staff_audit(
                ctx,
                AuditAction::Invited,
                contact.id,
                format!("clients={}{phone}", clients.len()),
            ));
            entries
        };
        let contact = match self.inner.store.invite(&record, &audit).await? {
            Invited::Contact(contact) => contact,
            Invited::Suspended => return Err(StaffError::Suspended),
        };
        let names: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
        let invitation = |personal: &str| {
            let values = self
                .merge_values(&firm, &contact)
                .with("personal_link", personal)
                .with("clients", names.join(", "));
            Ok(vec![self.queued_email(
                &firm,
                &contact,
                MessageKind::Invitation,
                &self.templates(firm.id).invitation,
                &values,
                vec![personal.to_owned()],
            )?])
        };
        self.issue_personal_link_with(
            &firm,
            &contact,
            Actor::Staff(ctx.staff.clone()),
            &ctx.request,
            invitation,
        )
        .await?;
        self.summary(contact).await
    }

    async fn put_grant(
        &self,
        ctx: &StaffContext,
        contact: &Contact,
        client: ClientId,
        permissions: Permissions,
    ) -> Result<(), StaffError> {
        let grant = Grant {
            contact_id: contact.id,
            client_id: client,
            permissions,
            granted_at: self.now(),
        };
        let audit = self.grant_audit(ctx, contact.id, client, permissions);
        self.inner.store.put_grant(&grant, audit).await?;
        Ok(())
    }

    fn grant_audit(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        client: ClientId,
        permissions: Permissions,
    ) -> AuditDraft {
        let names: Vec<&str> = permissions.names().collect();
        self.staff_audit(
            ctx,
            AuditAction::GrantChanged,
            contact,
            format!("client={client} permissions={}", names.join(",")),
        )
    }

    pub(super) async fn active_staff_contact(
        &self,
        ctx: &StaffContext,
        id: ContactId,
    ) -> Result<(crate::firm::Firm, Contact), StaffError> {
        let contact = self.staff_contact(ctx, id).await?;
        if contact.status != ContactStatus::Active {
            return Err(StaffError::ContactInactive);
        }
        Ok((self.firm(ctx.firm).await?, contact))
    }

    /// Sends a new login email (magic link and code; older links die).
    pub async fn send_login_email(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<(), StaffError> {
        let (firm, contact) = self.active_staff_contact(ctx, contact).await?;
        self.issue_login_email(
            &firm,
            &contact,
            None,
            None,
            Actor::Staff(ctx.staff.clone()),
            &ctx.request,
        )
        .await?;
        Ok(())
    }

    /// Generates a magic link for staff to copy and share (older links die). Returns its URL.
    pub async fn generate_magic_link(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<String, StaffError> {
        let (firm, contact) = self.active_staff_contact(ctx, contact).await?;
        let (_, url) = self
            .issue_magic_link(
                &firm,
                &contact,
                None,
                None,
                Actor::Staff(ctx.staff.clone()),
                &ctx.request,
            )
            .await?;
        Ok(url)
    }

    /// A new personal portal link of the contact.
    pub async fn generate_personal_link(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<String, StaffError> {
        let contact = self.staff_contact(ctx, contact).await?;
        if contact.status == ContactStatus::Revoked {
            return Err(StaffError::ContactInactive);
        }
        let firm = self.firm(ctx.firm).await?;
        Ok(self
            .issue_personal_link(
                &firm,
                &contact,
                Actor::Staff(ctx.staff.clone()),
                &ctx.request,
            )
            .await?)
    }

    /// Sends a password set/reset link.
    pub async fn send_password_link(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<(), StaffError> {
        let (firm, contact) = self.active_staff_contact(ctx, contact).await?;
        self.issue_password_link(
            &firm,
            &contact,
            Actor::Staff(ctx.staff.clone()),
            &ctx.request,
        )
        .await?;
        Ok(())
    }

    /// Moves the contact to `status`, from `only_from` if given: the store checks and
    /// writes in one step, so that a change racing this one is never undone. `false`
    /// if the contact was not in `only_from` (nothing written).
    async fn set_status(
        &self,
        ctx: &StaffContext,
        id: ContactId,
        (only_from, status): (Option<ContactStatus>, ContactStatus),
        action: AuditAction,
    ) -> Result<bool, StaffError> {
        self.staff_contact(ctx, id).await?;
        let audit = self.staff_audit(ctx, action, id, "");
        Ok(self
            .inner
            .store
            .set_contact_status(id, status, only_from, audit)
            .await?)
    }

    /// Suspends an active contact: its sessions end at once, its links and codes die;
    /// lifted with [`Portal::lift_suspension`] without a new invitation. Suspending a
    /// suspended contact changes nothing; a revoked one is refused, since lifting the
    /// suspension would then let it back in without an invitation.
    pub async fn suspend_contact(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<(), StaffError> {
        let from_active = (Some(ContactStatus::Active), ContactStatus::Suspended);
        if self
            .set_status(ctx, contact, from_active, AuditAction::ContactSuspended)
            .await?
            || self.staff_contact(ctx, contact).await?.status == ContactStatus::Suspended
        {
            Ok(())
        } else {
            Err(StaffError::Invalid("the contact is revoked"))
        }
    }

    /// Lifts a suspension.
    pub async fn lift_suspension(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<(), StaffError> {
        let from_suspended = (Some(ContactStatus::Suspended), ContactStatus::Active);
        if self
            .set_status(ctx, contact, from_suspended, AuditAction::ContactReinstated)
            .await?
        {
            Ok(())
        } else {
            Err(StaffError::Invalid("the contact is not suspended"))
        }
    }

    /// Revokes a contact entirely: its sessions, links, personal links, grants and
    /// password are gone (the `contact.revoked` audit entry stands for all of them);
    /// only a new invitation lets it back in, to exactly the clients it names.
    pub async fn revoke_contact(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<(), StaffError> {
        self.set_status(
            ctx,
            contact,
            (None, ContactStatus::Revoked),
            AuditAction::ContactRevoked,
        )
        .await?;
        Ok(())
    }

    /// Sets the contact's phone number from what staff typed (see
    /// [`PhoneNumber::parse`]), or clears it with `None`; recorded in the audit log as
    /// `set` or `cleared`, never with the number. Returns the contact as it now is. A
    /// number that does not parse is [`StaffError::Phone`], with nothing written.
    pub async fn set_contact_phone(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        phone: Option<&str>,
    ) -> Result<ContactSummary, StaffError> {
        let phone = phone.map(PhoneNumber::parse).transpose()?;
        self.staff_contact(ctx, contact).await?;
        let detail = if phone.is_some() { "set" } else { "cleared" };
        let audit = self.staff_audit(ctx, AuditAction::ContactPhoneChanged, contact, detail);
        if !self
            .inner
            .store
            .set_contact_phone(contact, phone.as_ref(), audit)
            .await?
        {
            return Err(StaffError::NotFound);
        }
        self.contact_summary(ctx, contact).await
    }

    /// Ends every session of the contact and kills its outstanding links and codes;
    /// returns the number of sessions ended.
    pub async fn revoke_access(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<u64, StaffError> {
        self.staff_contact(ctx, contact).await?;
        let audit = self.staff_audit(ctx, AuditAction::SessionsRevoked, contact, "");
        Ok(self
            .inner
            .store
            .revoke_contact_access(contact, audit)
            .await?)
    }

    /// Ends one session of the contact.
    pub async fn revoke_session(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        session: SessionId,
    ) -> Result<(), StaffError> {
        self.staff_contact(ctx, contact).await?;
        let audit = self.staff_audit(
            ctx,
            AuditAction::SessionRevoked,
            contact,
            format!("session={session}"),
        );
        if self
            .inner
            .store
            .revoke_session(contact, session, audit)
            .await?
        {
            Ok(())
        } else {
            Err(StaffError::NotFound)
        }
    }

    /// Grants a client of this firm to the contact, or changes the grant's permissions.
    pub async fn grant(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        client: ClientId,
        permissions: Permissions,
    ) -> Result<(), StaffError> {
        let contact = self.staff_contact(ctx, contact).await?;
        self.staff_client(ctx, client).await?;
        self.put_grant(ctx, &contact, client, permissions).await
    }

    /// Removes a grant; sessions looking at that client end.
    pub async fn ungrant(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        client: ClientId,
    ) -> Result<(), StaffError> {
        self.staff_contact(ctx, contact).await?;
        let audit = self.staff_audit(
            ctx,
            AuditAction::GrantRemoved,
            contact,
            format!("client={client}"),
        );
        if self
            .inner
            .store
            .remove_grant(contact, client, audit)
            .await?
        {
            Ok(())
        } else {
            Err(StaffError::NotFound)
        }
    }

    /// The firm's contacts with their grants.
    pub async fn list_contacts(
        &self,
        ctx: &StaffContext,
    ) -> Result<Vec<ContactSummary>, StaffError> {
        let mut out = Vec::new();
        for c in self.inner.store.contacts(ctx.firm).await? {
            out.push(self.summary(c).await?);
        }
        Ok(out)
    }

    /// One contact with its grants.
    pub async fn contact_summary(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<ContactSummary, StaffError> {
        let c = self.staff_contact(ctx, contact).await?;
        self.summary(c).await
    }

    /// The contact's sessions.
    pub async fn contact_sessions(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
    ) -> Result<Vec<SessionSummary>, StaffError> {
        self.staff_contact(ctx, contact).await?;
        Ok(self.inner.store.sessions(contact).await?)
    }

    /// Audit entries of the firm (of one contact if given) after `after`, oldest first.
    pub async fn audit_log(
        &self,
        ctx: &StaffContext,
        contact: Option<ContactId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StaffError> {
        if let Some(c) = contact {
            self.staff_contact(ctx, c).await?;
        }
        Ok(self
            .inner
            .store
            .audit_events(ctx.firm, contact, after, limit.min(1000))
            .await?)
    }

    /// The contact's logins and visits (time, IP, user agent), oldest first.
    pub async fn access_log(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StaffError> {
        self.staff_contact(ctx, contact).await?;
        let mut out = self.all_audit_events(ctx.firm, Some(contact)).await?;
        out.retain(|e| ACCESS_ACTIONS.contains(&e.entry.action));
        let skip = out.len().saturating_sub(limit);
        Ok(out.split_off(skip))
    }

    /// Verifies the firm's whole audit chain against its head; names the first break.
    pub async fn verify_audit_chain(
        &self,
        firm: FirmId,
    ) -> Result<Result<(), ChainBreak>, InternalError> {
        let head = self.inner.store.audit_head(firm).await?;
        let events = self.all_audit_events(firm, None).await?;
        Ok(verify_chain(&events, head))
    }

    /// Every audit entry of a firm (of one contact if given), read page by page.
    async fn all_audit_events(
        &self,
        firm: FirmId,
        contact: Option<ContactId>,
    ) -> Result<Vec<AuditEvent>, InternalError> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .inner
                .store
                .audit_events(firm, contact, after, 1000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            events.extend(page);
        }
        Ok(events)
    }
}
