//! Sessions: a logged-in browser of one contact.
//!
//! The browser holds a random 256-bit token; the store keeps only its SHA-256 digest.
//! Verification parses the token strictly, hashes it, reads one row, and checks both
//! lifetimes: the idle timeout (renewed while active) and the absolute lifetime (never
//! extended). Renewal is written at most once per renewal interval, not per request.
//! A new token is minted at every login, and the session the browser held before is
//! deleted in the same store operation (session fixation).

use std::net::IpAddr;
use std::time::Duration;

use crate::audit::RequestInfo;
use crate::clock::Timestamp;
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, FirmId, SessionId, StaffId};
use crate::token::TokenDigest;

/// What a store needs to create a session; the contact and active client come from the
/// operation (the redeemed link, the verified code, the checked password).
#[derive(Clone, Debug)]
pub struct SessionSeed {
    /// Staff-visible id.
    pub id: SessionId,
    /// Digest of the new token.
    pub digest: TokenDigest,
    /// The firm the login happened at; a secret of another firm starts nothing.
    pub firm_id: FirmId,
    /// Now.
    pub created_at: Timestamp,
    /// End of the first idle period.
    pub idle_expires_at: Timestamp,
    /// End of the absolute lifetime.
    pub absolute_expires_at: Timestamp,
    /// Where the login came from.
    pub request: RequestInfo,
    /// The session the browser held before, deleted in the same operation.
    pub replaces: Option<TokenDigest>,
    /// `Some` for a staff preview (see [`crate::preview`]): the staff member who opened
    /// it. A preview is no login of the contact: starting it leaves the contact's
    /// `joined_at`, `last_seen_at` and failure counter alone.
    pub preview_by: Option<StaffId>,
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Staff-visible id.
    pub id: SessionId,
    /// Digest of the token.
    pub digest: TokenDigest,
    /// Whose.
    pub contact_id: ContactId,
    /// Which firm.
    pub firm_id: FirmId,
    /// The client the contact is looking at.
    pub active_client: ClientId,
    /// The contact's permissions on the active client, as of this read.
    pub permissions: Permissions,
    /// When it started.
    pub created_at: Timestamp,
    /// When its renewal was last written.
    pub renewed_at: Timestamp,
    /// When it ends if unused.
    pub idle_expires_at: Timestamp,
    /// When it ends regardless.
    pub absolute_expires_at: Timestamp,
    /// `Some` for a read-only staff preview: the staff member who opened it. Such a
    /// session may read what its contact may read, and change nothing.
    pub preview_by: Option<StaffId>,
}

/// A session as staff see it in a contact's list: the record, and where the login came
/// from. Kept apart from [`SessionRecord`] so that verifying a session (every request)
/// reads only what verification needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The session.
    pub session: SessionRecord,
    /// IP at login.
    pub ip: Option<IpAddr>,
    /// User agent at login.
    pub user_agent: Option<String>,
}

impl SessionRecord {
    /// Whether this is a read-only staff preview rather than the contact's own login.
    #[must_use]
    pub fn is_preview(&self) -> bool {
        self.preview_by.is_some()
    }

    /// When the session ends if nothing renews it.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.idle_expires_at.min(self.absolute_expires_at)
    }
}

/// A conditional renewal.
#[derive(Clone, Copy, Debug)]
pub struct SessionRenewal {
    /// Write only if the last renewal is at or before this time.
    pub due_before: Timestamp,
    /// Now: the new `renewed_at` and the contact's `last_seen_at`.
    pub now: Timestamp,
    /// The new idle expiry (never past the absolute expiry).
    pub idle_expires_at: Timestamp,
}

/// Time left before `expires_at`, for a cookie's `Max-Age`.
#[must_use]
pub fn time_left(expires_at: Timestamp, now: Timestamp) -> Duration {
    expires_at.since(now)
}
