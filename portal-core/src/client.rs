//! Clients: the companies a firm serves, whose contacts use the portal.

use crate::clock::Timestamp;
use crate::id::{ClientId, FirmId};

/// A client of a firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// The firm it belongs to; never changes.
    pub firm_id: FirmId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}
