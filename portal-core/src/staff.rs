//! Staff operations: invite, send login email, generate a link to copy, personal link,
//! suspend, lift, revoke, grant, ungrant, set permissions, read audit and access logs.
//!
//! Portal does not authenticate staff; the host does, and passes a [`StaffContext`]
//! naming the firm and the staff member. Every operation is scoped to that firm: a
//! contact, client or session id of another firm answers [`StaffError::NotFound`](crate::StaffError::NotFound), the
//! same as one that does not exist.

use crate::audit::RequestInfo;
use crate::contact::Contact;
use crate::grant::{Grant, Permissions};
use crate::id::{ClientId, ContactId, FirmId, StaffId};

/// Who is acting, for which firm, from where.
#[derive(Clone, Debug)]
pub struct StaffContext {
    /// The firm the staff member works for.
    pub firm: FirmId,
    /// The staff member, as the host authenticated them.
    pub staff: StaffId,
    /// Where the request came from.
    pub request: RequestInfo,
}

/// What staff ask for when inviting.
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The contact's address.
    pub email: String,
    /// The contact's first name.
    pub first_name: String,
    /// The contact's phone number with its country code, as staff typed it (see
    /// [`PhoneNumber::parse`](crate::phone::PhoneNumber::parse)). For a contact the
    /// firm already has, a number replaces the stored one and `None` keeps it.
    pub phone: Option<String>,
    /// The clients to grant (at least one, all of this firm).
    pub client_ids: Vec<ClientId>,
    /// The permissions on each.
    pub permissions: Permissions,
}

/// An invitation as the store records it, in one operation
/// ([`crate::store::DirectoryStore::invite`]).
#[derive(Clone, Debug)]
pub struct InvitationRecord {
    /// The contact to insert if its firm has none with the same canonical email; its
    /// phone, if any, also replaces the phone of the contact found.
    pub candidate: Contact,
    /// The clients to grant, with the permissions on each.
    pub grants: Vec<(ClientId, Permissions)>,
    /// When.
    pub at: crate::clock::Timestamp,
}

impl InvitationRecord {
    /// The grants it gives `contact`, the contact the store found or inserted.
    pub fn grants_for(&self, contact: ContactId) -> impl Iterator<Item = Grant> + '_ {
        self.grants.iter().map(move |(client, permissions)| Grant {
            contact_id: contact,
            client_id: *client,
            permissions: *permissions,
            granted_at: self.at,
        })
    }
}

/// What recording an invitation did.
#[derive(Clone, Debug, PartialEq)]
pub enum Invited {
    /// The contact as it now is: granted, marked invited, active again if it was
    /// revoked.
    Contact(Contact),
    /// The contact is suspended: nothing was written.
    Suspended,
}

/// A contact as staff see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactSummary {
    /// The contact.
    pub contact: Contact,
    /// Its grants.
    pub grants: Vec<Grant>,
}
