//! Staff previews: the portal exactly as one contact sees it, read-only.
//!
//! A staff member asks for a preview of a contact; Portal issues a single-use link that
//! lives a few minutes (only its digest is stored, as with every token). Opening it
//! (GET) shows a confirmation page and spends nothing; the POST from that page consumes
//! it and starts a *preview session*: a session of the contact, marked with the staff
//! member who opened it, that lives a short absolute lifetime and is never renewed.
//!
//! A preview session is not the contact signing in. Starting one leaves the contact's
//! `joined_at`, `last_seen_at` and failure counter alone, and verifying one writes no
//! visit. It sees what the contact sees and changes nothing: every operation that
//! would act as the contact refuses it (see `Authenticated::author`), and so does the
//! HTTP layer's guard of every state-changing route but logout and the client switch.

use crate::clock::Timestamp;
use crate::id::{ContactId, FirmId, StaffId};
use crate::magic_link::LinkProblem;
use crate::session::{SessionRecord, SessionSeed};
use crate::token::TokenDigest;

/// A stored preview link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewLinkRecord {
    /// Digest of the link's token.
    pub digest: TokenDigest,
    /// The contact whose portal it shows.
    pub contact_id: ContactId,
    /// Its firm.
    pub firm_id: FirmId,
    /// The staff member who asked for it, and whom the preview session records.
    pub staff: StaffId,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// A redemption of a preview link for the store to attempt.
#[derive(Clone, Debug)]
pub struct PreviewRedemptionRequest {
    /// Digest of the presented token.
    pub digest: TokenDigest,
    /// The preview session to start; its `firm_id` must be the link's. The store sets
    /// its `preview_by` to the link's staff member, whatever the seed says.
    pub seed: SessionSeed,
}

/// What a preview redemption did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreviewRedemption {
    /// The link is consumed and the preview session started.
    Started {
        /// The new session, its `preview_by` set.
        session: SessionRecord,
    },
    /// Nothing changed.
    Refused {
        /// Why: `Unknown`, `AlreadyUsed`, `Expired` or `ContactUnavailable`.
        problem: LinkProblem,
        /// The link's contact, when the link exists (and is of this firm).
        contact_id: Option<ContactId>,
    },
}

/// A preview link staff were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLink {
    /// The link to open, in the firm's portal. It is a secret until used.
    pub url: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}
