//! Personal portal links: the link in every notification email.
//!
//! It identifies its contact but never authenticates: whoever holds it (a colleague the
//! email was forwarded to) can only ask for a login link to be sent to the owner's
//! stored address, shown masked. A browser that already holds a session of that
//! contact goes straight into the portal. Each email carries a fresh link; all stay
//! valid for the policy's lifetime (they grant nothing) until the contact is revoked.

use crate::clock::Timestamp;
use crate::id::{ContactId, FirmId};
use crate::token::TokenDigest;

/// A stored personal link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalLinkRecord {
    /// Digest of the link's token.
    pub digest: TokenDigest,
    /// Whom it identifies.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops identifying.
    pub expires_at: Timestamp,
}

/// What opening a personal link shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonalLinkView {
    /// The browser's session is this contact's: go into the portal.
    AlreadyLoggedIn,
    /// Offer to send a login link to this (masked) address.
    OfferLogin {
        /// E.g. `j***@example.com`.
        masked_email: String,
    },
}
