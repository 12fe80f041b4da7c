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

use crate::clock::Timestamp;
use crate::id::{ContactId, FirmId};
use crate::session::{SessionRecord, SessionSeed};
use crate::token::{Token, TokenDigest};

/// Why a magic link was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a token, or not a link of this firm.
    Unknown,
    /// Already used. Its email's code may still work.
    AlreadyUsed,
    /// Past its lifetime.
    Expired,
    /// A newer link was issued since.
    Superseded,
    /// The contact is suspended or revoked, or holds no grant.
    ContactUnavailable,
    /// Policy requires the email's code from a browser other than the one that asked.
    NeedsCode,
}

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
    pub(crate) fn reason(self) -> &'static str {
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
