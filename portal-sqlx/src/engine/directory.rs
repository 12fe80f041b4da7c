//! Firms, clients, contacts and grants.

use portal_core::StoreError;
use portal_core::audit::AuditDraft;
use portal_core::client::Client;
use portal_core::clock::Timestamp;
use portal_core::contact::{Contact, ContactStatus};
use portal_core::email::CanonicalEmail;
use portal_core::firm::{Firm, FirmKey, FirmSettings};
use portal_core::grant::{Grant, Permissions};
use portal_core::id::{ClientId, ContactId, FirmId};
use portal_core::phone::PhoneNumber;
use portal_core::staff::{InvitationRecord, Invited};
use portal_core::store::InviteAuditFn;

use super::{Engine, append_audit, commit, create_audit_head, kill_login_secrets, lock_contact};
use crate::columns::{contact_columns, firm_columns};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows;
use crate::stmt::{Stmt, sql};

/// Inserts a firm: its columns in the order of `firm_columns!`, bound by
/// [`new_firm_values`].
macro_rules! insert_firm_sql {
    () => {
        concat!(
            "INSERT INTO portal_firms (",
            firm_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
    };
}

const INSERT_FIRM: &str = insert_firm_sql!();

/// Inserts the firm unless one has its key, else gives that one the new settings (id
/// and creation time kept), in one statement that the key's unique index decides: on
/// PostgreSQL a racing insert of the same key waits for the first to commit, then
/// updates the row it made; SQLite has one writer at a time.
const ENSURE_FIRM: &str = concat!(
    insert_firm_sql!(),
    " ON CONFLICT (firm_key) DO UPDATE SET name = excluded.name, \
     public_url = excluded.public_url, display_name = excluded.display_name, \
     logo_url = excluded.logo_url, accent_colour = excluded.accent_colour, \
     welcome_message = excluded.welcome_message, mail_from = excluded.mail_from \
     RETURNING ",
    firm_columns!()
);

const UPDATE_FIRM: &str = "UPDATE portal_firms SET name = $2, public_url = $3, \
     display_name = $4, logo_url = $5, accent_colour = $6, welcome_message = $7, \
     mail_from = $8 WHERE id = $1";

const FIRM: &str = concat!(
    "SELECT ",
    firm_columns!(),
    " FROM portal_firms WHERE id = $1"
);

const FIRM_BY_KEY: &str = concat!(
    "SELECT ",
    firm_columns!(),
    " FROM portal_firms WHERE firm_key = $1"
);

const CLIENTS: &str = "SELECT id, firm_id, name, created_at FROM portal_clients \
     WHERE firm_id = $1 ORDER BY name, id";

/// Inserts unless the firm already has the canonical address; the unique key decides,
/// so two concurrent invitations of one address make one contact.
const INSERT_CONTACT: &str = concat!(
    "INSERT INTO portal_contacts (",
    contact_columns!(),
    ", email_canonical) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (firm_id, email_canonical) DO NOTHING RETURNING id"
);

const CONTACT: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM portal_contacts WHERE id = $1"
);

const CONTACT_BY_EMAIL: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM portal_contacts WHERE firm_id = $1 AND email_canonical = $2"
);

const CONTACTS: &str = concat!(
    "SELECT ",
    contact_columns!(),
    " FROM portal_contacts WHERE firm_id = $1 ORDER BY email_canonical"
);

const PUT_GRANT: &str = "INSERT INTO portal_grants (contact_id, client_id, permissions, \
     granted_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (contact_id, client_id) DO UPDATE SET permissions = excluded.permissions";

/// Carries a grant's new permissions to the contact's sessions on its client, which
/// must hold a copy of them (see the session invariant in `sessions.rs`).
const SET_SESSION_PERMISSIONS: &str = "UPDATE portal_sessions SET permissions = $3 \
     WHERE contact_id = $1 AND active_client = $2 AND permissions <> $3";

const GRANTS: &str = "SELECT contact_id, client_id, permissions, granted_at \
     FROM portal_grants WHERE contact_id = $1 ORDER BY seq";

/// Records an invitation on the contact: a revoked one is active again, a suspended one
/// never gets here, and the invitation's phone number (if it has one) replaces the
/// stored one.
const MARK_INVITED: &str = "UPDATE portal_contacts SET invited_at = $2, \
     status = CASE WHEN status = 'revoked' THEN 'active' ELSE status END, \
     phone = COALESCE($3, phone) WHERE id = $1";

/// How often [`find_or_insert_contact`] goes round when the row it collided with is not
/// there when read (contacts are never deleted, so this does not happen).
const FIND_ATTEMPTS: usize = 2;

/// Binds a firm's settings after its id; `accent` is its colour as `#rrggbb`.
fn firm_values<'q, DB: Dialect>(q: Stmt<'q, DB>, firm: &'q Firm, accent: &'q str) -> Stmt<'q, DB> {
    let b = &firm.branding;
    q.text(&firm.name)
        .text(firm.public_url.as_str())
        .text(&b.display_name)
        .opt_text(b.logo_url.as_deref())
        .text(accent)
        .text(&b.welcome_message)
        .opt_text(firm.mail_from.as_ref().map(|m| m.as_str()))
}

/// Binds every column of a new firm to `text`, an [`insert_firm_sql!`].
fn new_firm_values<'q, DB: Dialect>(
    text: &'static str,
    firm: &'q Firm,
    accent: &'q str,
) -> Stmt<'q, DB> {
    firm_values(sql::<DB>(text).id(firm.id.as_uuid()), firm, accent)
        .ts(firm.created_at)
        .opt_text(firm.key.as_ref().map(FirmKey::as_str))
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn insert_firm(&self, firm: &Firm) -> Result<(), StoreError> {
        let accent = firm.branding.accent_colour.to_string();
        let mut tx = self.write().await?;
        let inserted = new_firm_values::<DB>(INSERT_FIRM, firm, &accent)
            .insert(&mut tx)
            .await?;
        if inserted.is_err() {
            return Err(StoreError::Conflict("firm id or key"));
        }
        create_audit_head::<DB>(&mut tx, firm.id).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn ensure_firm(
        &self,
        key: &FirmKey,
        settings: &FirmSettings,
        id: FirmId,
        now: Timestamp,
    ) -> Result<Firm, StoreError> {
        let candidate = settings.clone().into_firm(id, Some(key.clone()), now);
        let accent = candidate.branding.accent_colour.to_string();
        let mut tx = self.write().await?;
        let row = match new_firm_values::<DB>(ENSURE_FIRM, &candidate, &accent)
            .insert_returning(&mut tx)
            .await?
        {
            Ok(Some(row)) => row,
            Ok(None) => return Err(StoreError::Corrupt("an upsert returned no row".into())),
            // The key's conflict is the update; any other is the new id's.
            Err(_) => return Err(StoreError::Conflict("firm id")),
        };
        let firm = rows::firm(&row)?;
        // Does nothing when the firm was found: its head was made with it.
        create_audit_head::<DB>(&mut tx, firm.id).await?;
        commit::<DB>(tx).await?;
        Ok(firm)
    }

    pub(crate) async fn firm_by_key(&self, key: &FirmKey) -> Result<Option<Firm>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(FIRM_BY_KEY)
            .text(key.as_str())
            .optional(&mut c)
            .await?
            .map(|r| rows::firm(&r))
            .transpose()
    }

    pub(crate) async fn update_firm(&self, firm: &Firm) -> Result<bool, StoreError> {
        let accent = firm.branding.accent_colour.to_string();
        let mut c = self.conn().await?;
        let updated = firm_values(sql::<DB>(UPDATE_FIRM).id(firm.id.as_uuid()), firm, &accent)
            .run(&mut c)
            .await?;
        Ok(updated > 0)
    }

    pub(crate) async fn firm(&self, id: FirmId) -> Result<Option<Firm>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(FIRM)
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::firm(&r))
            .transpose()
    }

    pub(crate) async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let inserted = sql::<DB>(
            "INSERT INTO portal_clients (id, firm_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .id(client.id.as_uuid())
        .id(client.firm_id.as_uuid())
        .text(&client.name)
        .ts(client.created_at)
        .insert(&mut c)
        .await?;
        match inserted {
            Ok(_) => Ok(()),
            Err(Violation::Unique) => Err(StoreError::Conflict("client id")),
            Err(Violation::ForeignKey) => Err(StoreError::Conflict("client of an unknown firm")),
        }
    }

    pub(crate) async fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>("SELECT id, firm_id, name, created_at FROM portal_clients WHERE id = $1")
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::client(&r))
            .transpose()
    }

    pub(crate) async fn clients(&self, firm: FirmId) -> Result<Vec<Client>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CLIENTS)
            .id(firm.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::client)
            .collect()
    }

    pub(crate) async fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CONTACT)
            .id(id.as_uuid())
            .optional(&mut c)
            .await?
            .map(|r| rows::contact(&r))
            .transpose()
    }

    pub(crate) async fn contact_by_email(
        &self,
        firm: FirmId,
        email: &CanonicalEmail,
    ) -> Result<Option<Contact>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CONTACT_BY_EMAIL)
            .id(firm.as_uuid())
            .text(email.as_str())
            .optional(&mut c)
            .await?
            .map(|r| rows::contact(&r))
            .transpose()
    }

    pub(crate) async fn contacts(&self, firm: FirmId) -> Result<Vec<Contact>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(CONTACTS)
            .id(firm.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::contact)
            .collect()
    }

    pub(crate) async fn invite(
        &self,
        invitation: &InvitationRecord,
        audit: InviteAuditFn<'_>,
    ) -> Result<Invited, StoreError> {
        let mut tx = self.write().await?;
        let id = find_or_insert_contact::<DB>(&mut tx, &invitation.candidate).await?;
        // The row lock every status change takes: a suspension or a revocation racing
        // this invitation commits wholly before it or after it.
        let Some(locked) = lock_contact::<DB>(&mut tx, id).await? else {
            return Err(StoreError::Corrupt("an invited contact vanished".into()));
        };
        if locked.status == ContactStatus::Suspended {
            return Ok(Invited::Suspended);
        }
        sql::<DB>(MARK_INVITED)
            .id(id.as_uuid())
            .ts(invitation.at)
            .opt_text(invitation.candidate.phone.as_ref().map(PhoneNumber::as_str))
            .run(&mut tx)
            .await?;
        for grant in invitation.grants_for(id) {
            put_grant_locked::<DB>(&mut tx, &grant).await?;
        }
        let Some(row) = sql::<DB>(CONTACT)
            .id(id.as_uuid())
            .optional(&mut tx)
            .await?
        else {
            return Err(StoreError::Corrupt("an invited contact vanished".into()));
        };
        let contact = rows::contact(&row)?;
        for entry in audit(&contact) {
            append_audit::<DB>(&mut tx, entry).await?;
        }
        commit::<DB>(tx).await?;
        Ok(Invited::Contact(contact))
    }

    pub(crate) async fn set_contact_status(
        &self,
        contact: ContactId,
        status: ContactStatus,
        only_from: Option<ContactStatus>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        // This update locks the contact row as `lock_contact` does, before its sessions
        // are deleted: a login racing it either sees the new status or has committed a
        // session that the delete below then sees.
        let changed = sql::<DB>(
            "UPDATE portal_contacts SET status = $2 \
             WHERE id = $1 AND ($3 IS NULL OR status = $3)",
        )
        .id(contact.as_uuid())
        .text(status.as_str())
        .opt_text(only_from.map(|from| from.as_str()))
        .run(&mut tx)
        .await?;
        if changed == 0 {
            return Ok(false);
        }
        if status != ContactStatus::Active {
            kill_login_secrets::<DB>(&mut tx, contact, audit.at).await?;
            sql::<DB>("DELETE FROM portal_sessions WHERE contact_id = $1")
                .id(contact.as_uuid())
                .run(&mut tx)
                .await?;
        }
        if status == ContactStatus::Revoked {
            for delete in [
                "DELETE FROM portal_personal_links WHERE contact_id = $1",
                "DELETE FROM portal_grants WHERE contact_id = $1",
                "UPDATE portal_contacts SET password_hash = NULL WHERE id = $1",
            ] {
                sql::<DB>(delete).id(contact.as_uuid()).run(&mut tx).await?;
            }
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn set_contact_phone(
        &self,
        contact: ContactId,
        phone: Option<&PhoneNumber>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let changed = sql::<DB>("UPDATE portal_contacts SET phone = $2 WHERE id = $1")
            .id(contact.as_uuid())
            .opt_text(phone.map(PhoneNumber::as_str))
            .run(&mut tx)
            .await?;
        if changed == 0 {
            return Ok(false);
        }
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn put_grant(
        &self,
        grant: &Grant,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        // Contact first: logins and switches of this contact copy permissions from its
        // grants under the same lock, so none of them can copy the old permissions
        // after the update of the sessions below has run.
        if lock_contact::<DB>(&mut tx, grant.contact_id)
            .await?
            .is_none()
        {
            return Err(StoreError::Conflict("grant of an unknown contact"));
        }
        put_grant_locked::<DB>(&mut tx, grant).await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn remove_grant(
        &self,
        contact: ContactId,
        client: ClientId,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        // Contact first: a switch to this client or a login landing on it, racing this
        // removal, either commits before the delete of the sessions below runs (which
        // then sees its session) or reads the grants after this commit.
        lock_contact::<DB>(&mut tx, contact).await?;
        let removed =
            sql::<DB>("DELETE FROM portal_grants WHERE contact_id = $1 AND client_id = $2")
                .id(contact.as_uuid())
                .id(client.as_uuid())
                .run(&mut tx)
                .await?;
        if removed == 0 {
            return Ok(false);
        }
        sql::<DB>("DELETE FROM portal_sessions WHERE contact_id = $1 AND active_client = $2")
            .id(contact.as_uuid())
            .id(client.as_uuid())
            .run(&mut tx)
            .await?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn granted_clients(
        &self,
        contact: ContactId,
    ) -> Result<Vec<(Client, Permissions)>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(
            "SELECT c.id, c.firm_id, c.name, c.created_at, g.permissions \
             FROM portal_grants g JOIN portal_clients c ON c.id = g.client_id \
             WHERE g.contact_id = $1 ORDER BY g.seq",
        )
        .id(contact.as_uuid())
        .all(&mut c)
        .await?
        .iter()
        .map(|r| Ok((rows::client(r)?, rows::permissions(r, "permissions")?)))
        .collect()
    }

    pub(crate) async fn grants(&self, contact: ContactId) -> Result<Vec<Grant>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(GRANTS)
            .id(contact.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::grant)
            .collect()
    }
}

/// The id of the candidate's firm's contact with the same canonical email, inserting
/// the candidate if there is none: one unique key decides, so two concurrent
/// invitations of one address make one contact.
async fn find_or_insert_contact<DB: Dialect>(
    c: &mut DB::Connection,
    contact: &Contact,
) -> Result<ContactId, StoreError> {
    for _ in 0..FIND_ATTEMPTS {
        let inserted = sql::<DB>(INSERT_CONTACT)
            .id(contact.id.as_uuid())
            .id(contact.firm_id.as_uuid())
            .text(contact.email.as_str())
            .text(&contact.first_name)
            .opt_text(contact.phone.as_ref().map(PhoneNumber::as_str))
            .text(contact.status.as_str())
            .ts(contact.created_at)
            .opt_ts(contact.invited_at)
            .opt_ts(contact.joined_at)
            .opt_ts(contact.last_seen_at)
            .text(contact.email.canonical().as_str())
            .insert_returning(c)
            .await?;
        match inserted {
            Ok(Some(_)) => return Ok(contact.id),
            Ok(None) => {}
            Err(Violation::Unique) => return Err(StoreError::Conflict("contact id")),
            Err(Violation::ForeignKey) => {
                return Err(StoreError::Conflict("contact of an unknown firm"));
            }
        }
        if let Some(r) = sql::<DB>(CONTACT_BY_EMAIL)
            .id(contact.firm_id.as_uuid())
            .text(contact.email.canonical().as_str())
            .optional(c)
            .await?
        {
            return Ok(rows::contact(&r)?.id);
        }
    }
    Err(StoreError::Conflict("contact email"))
}

/// Inserts a grant or replaces its permissions, and carries them to the contact's
/// sessions on that client; the caller holds the contact's row lock.
async fn put_grant_locked<DB: Dialect>(
    c: &mut DB::Connection,
    grant: &Grant,
) -> Result<(), StoreError> {
    let put = sql::<DB>(PUT_GRANT)
        .id(grant.contact_id.as_uuid())
        .id(grant.client_id.as_uuid())
        .int(i64::from(grant.permissions.bits()))
        .ts(grant.granted_at)
        .insert(c)
        .await?;
    if put.is_err() {
        return Err(StoreError::Conflict("grant of an unknown client"));
    }
    sql::<DB>(SET_SESSION_PERMISSIONS)
        .id(grant.contact_id.as_uuid())
        .id(grant.client_id.as_uuid())
        .int(i64::from(grant.permissions.bits()))
        .run(c)
        .await?;
    Ok(())
}
