//! Demo data: a firm with two clients, a contact with access to both (merged), a
//! contact with access to one, and a few tasks per client on both sides, by phase.
//! Seeded once; a restart on the same database keeps it.

use portal_core::Portal;
use portal_core::audit::RequestInfo;
use portal_core::clock::Timestamp;
use portal_core::grant::Permissions;
use portal_core::id::{FirmId, StaffId};
use portal_core::staff::{Invitation, StaffContext};
use portal_core::task::{Evidence, NewTask, Side};

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
    for client in [&bakery, &garage] {
        for (phase, title, description, due, assignee) in [
            (
                "Onboarding",
                "Sign the engagement letter",
                "Read and confirm our engagement terms.",
                None,
                Side::Client,
            ),
            (
                "Onboarding",
                "Set up your bank feed",
                "We connect your business bank account to the books.",
                None,
                Side::Firm,
            ),
            (
                "Month end",
                "Upload October bank statements",
                "All business accounts, as PDF.",
                Some("2026-12-05"),
                Side::Client,
            ),
            (
                "Month end",
                "Explain three uncategorised transactions",
                "See the list in your email.",
                Some("2026-12-10"),
                Side::Client,
            ),
            (
                "Month end",
                "Reconcile accounts",
                "We match every transaction.",
                Some("2026-12-15"),
                Side::Firm,
            ),
            (
                "Year end",
                "Approve the annual accounts",
                "We send the draft in January.",
                Some("2027-01-31"),
                Side::Client,
            ),
        ] {
            let task = NewTask {
                phase: Some(phase.into()),
                title: title.into(),
                description: description.into(),
                due_on: due.and_then(Timestamp::parse_date),
                assignee,
                evidence: Evidence::Standard,
            };
            portal.create_task(&staff, client.id, task).await?;
        }
    }
    Ok(())
}
