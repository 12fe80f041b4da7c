//! What a host is warned of, once, in its log.
//!
//! These tests live in a binary of their own: tracing caches whether a call site logs
//! for every thread at once, and a test on another thread without a subscriber that
//! reached the same warning first could cache "never" and hide it from the test that
//! counts it. Here each warning is reached only by the test that counts it.

#![allow(clippy::unwrap_used, missing_docs)]

use portal_core::audit::RequestInfo;
use portal_core::firm::{Firm, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::id::StaffId;
use portal_core::notify::DevOutbox;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::{MemoryStore, Portal, PortalBuilder};

/// What is logged on this thread while the guard lives.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn start() -> (Log, tracing::subscriber::DefaultGuard) {
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        (log, guard)
    }

    /// How many lines hold `text`.
    fn count(&self, text: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(text))
            .count()
    }
}

/// A portal built by `builder` delivering to a fresh outbox, and a firm on it with no
/// sender address of its own.
async fn portal_with_firm(builder: PortalBuilder) -> (Portal, DevOutbox, Firm) {
    let outbox = DevOutbox::new();
    let portal = builder.delivery(outbox.clone()).build().unwrap();
    let firm = portal
        .create_firm(NewFirm::new(
            "Acme",
            PublicUrl::parse("https://acme.example").unwrap(),
        ))
        .await
        .unwrap();
    (portal, outbox, firm)
}

#[tokio::test]
async fn a_request_without_the_clients_address_is_warned_of_once() {
    use portal_core::web::{PortalWeb, Request};
    let (log, _guard) = Log::start();
    let (portal, _, firm) = portal_with_firm(Portal::builder(MemoryStore::new())).await;
    let web = PortalWeb::builder(portal, firm.id).build().await.unwrap();
    let mut with_peer = Request::new("GET", "/portal/login");
    with_peer.peer = Some([192, 0, 2, 1].into());
    let _ = web.request_info(&with_peer);
    assert_eq!(log.count("without the client's address"), 0);
    for _ in 0..3 {
        let _ = web.request_info(&Request::new("GET", "/portal/login"));
    }
    assert_eq!(log.count("WARN"), 1);
    assert_eq!(log.count("without the client's address"), 1);
}

#[tokio::test]
async fn mail_from_the_placeholder_sender_is_warned_of_once() {
    for default_sender in [None, Some("portal@acme.example")] {
        let (log, _guard) = Log::start();
        let mut builder = Portal::builder(MemoryStore::new());
        if let Some(sender) = default_sender {
            builder =
                builder.default_sender(portal_core::email::EmailAddress::parse(sender).unwrap());
        }
        let (portal, outbox, firm) = portal_with_firm(builder).await;
        let client = portal.create_client(firm.id, "Bakery").await.unwrap();
        let staff = StaffContext {
            firm: firm.id,
            staff: StaffId::new("alice").unwrap(),
            request: RequestInfo::default(),
        };
        for email in ["jane@example.com", "bob@example.com"] {
            portal
                .invite(
                    &staff,
                    Invitation {
                        email: email.into(),
                        first_name: "Jane".into(),
                        phone: None,
                        client_ids: vec![client.id],
                        permissions: Permissions::ALL,
                    },
                )
                .await
                .unwrap();
        }
        portal.settle().await;
        let from = &outbox.last_to("bob@example.com").unwrap().message;
        let warned = log.count("portal@localhost.invalid");
        match default_sender {
            None => assert_eq!(warned, 1, "{from:?}"),
            Some(_) => assert_eq!(warned, 0, "{from:?}"),
        }
    }
}
