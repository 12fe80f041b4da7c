//! A login page under more password attempts than the argon2 pool can take: the
//! attempts past its queue are answered 503 with `Retry-After` at once, the same for
//! an address nobody has as for a contact's, and nothing else goes wrong.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::id::StaffId;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::web::{PortalWeb, Request};
use portal_core::{HashingLimits, MemoryStore, Portal, RequestInfo};

const ORIGIN: &str = "https://portal.acme.example";

async fn web() -> (Portal, PortalWeb) {
    // One computation at a time, one waiting.
    let portal = Portal::builder(MemoryStore::new())
        .delivery(portal_core::notify::DevOutbox::new())
        .hashing_limits(HashingLimits {
            memory_budget_kib: 19_456,
            queue: 1,
        })
        .build()
        .unwrap();
    let firm = portal
        .create_firm(NewFirm {
            name: "Acme Accounting".into(),
            public_url: PublicUrl::parse(ORIGIN).unwrap(),
            branding: Branding::default(),
            mail_from: None,
        })
        .await
        .unwrap();
    let client = portal.create_client(firm.id, "Bakery").await.unwrap();
    let staff = StaffContext {
        firm: firm.id,
        staff: StaffId::new("alice").unwrap(),
        request: RequestInfo::default(),
    };
    portal
        .invite(
            &staff,
            Invitation {
                email: "jane@example.com".into(),
                first_name: "Jane".into(),
                phone: None,
                client_ids: vec![client.id],
                permissions: portal_core::grant::Permissions::ALL,
            },
        )
        .await
        .unwrap();
    let web = PortalWeb::builder(portal.clone(), firm.id)
        .build()
        .await
        .unwrap();
    (portal, web)
}

fn attempt(email: &str) -> Request {
    Request::new("POST", "/portal/login/password")
        .header("origin", ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(format!("email={email}&password=not+the+right+one"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_past_the_queue_get_503_with_retry_after_for_every_address() {
    let (portal, web) = web().await;
    // The first attempt also makes the dummy hash that unknown addresses are checked
    // against; the flood comes after.
    assert_eq!(
        web.handle(attempt("nobody%40example.com")).await.status,
        401
    );
    let web = Arc::new(web);
    let all: Vec<_> = (0..40)
        .map(|i| {
            let web = web.clone();
            let email = if i % 2 == 0 {
                "jane%40example.com"
            } else {
                "nobody%40example.com"
            };
            tokio::spawn(async move { (i % 2, web.handle(attempt(email)).await) })
        })
        .collect();
    let mut busy_bodies = [Vec::new(), Vec::new()];
    let mut checked = 0;
    for a in all {
        let (who, r) = a.await.unwrap();
        match r.status {
            401 => checked += 1,
            503 => {
                // How long the queue takes to drain, from the last computation's time:
                // a second on a quiet machine, more on a loaded one.
                let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=60).contains(&secs), "{r:?}");
                busy_bodies[who].push(r.body.clone());
            }
            other => panic!("unexpected status {other}: {r:?}"),
        }
    }
    assert!(checked >= 1, "the pool checked some");
    assert!(
        !busy_bodies[0].is_empty() && !busy_bodies[1].is_empty(),
        "both kinds of address were refused"
    );
    let mut bodies: Vec<&Vec<u8>> = busy_bodies.iter().flatten().collect();
    bodies.dedup();
    assert_eq!(bodies.len(), 1, "one answer whatever the address");
    let load = portal.hashing_load();
    assert_eq!(load.refused_busy, 40 - checked);
    assert_eq!(load.queued, 0);
}
