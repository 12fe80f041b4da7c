//! Demo data: a firm with two clients, a contact with access to both (merged), a
//! contact with access to one. Seeded once; a restart on the same database keeps it.

use portal_core::Portal;
use portal_core::audit::RequestInfo;
use portal_core::grant::Permissions;
use portal_core::id::{FirmId, StaffId};
use portal_core::staff::{Invitation, StaffContext};

/// The demo contact with grants to both clients.
pub(crate) const MERGED_CONTACT: &str = "jane@example.com";
/// The demo contact with a grant to one client.
pub(crate) const SINGLE_CONTACT: &str = "bob@example.com";

pub(crate) async fn seed(portal: &Portal, firm: FirmId) -> Result<(), Box<dyn std::error::Error>> {
    if !portal.clients(firm).await?.is_empty() {
        return Ok(());
    }
    let bakery = portal.create_client(firm, "Sunrise Bakery Ltd").await?;
    let garage = portal.create_client(firm, "Northside Garage LLC").await?;
    let staff = StaffContext {
        firm,
        staff: StaffId::new("demo-seed")?,
        request: RequestInfo::default(),
    };
    for (email, name, clients) in [
        (MERGED_CONTACT, "Jane", vec![bakery.id, garage.id]),
        (SINGLE_CONTACT, "Bob", vec![garage.id]),
    ] {
        let invitation = Invitation {
            email: email.into(),
            first_name: name.into(),
            client_ids: clients,
            permissions: Permissions::ALL,
        };
        portal.invite(&staff, invitation).await?;
    }
    Ok(())
}
