//! Benchmarks of Portal. Run them with `cargo bench -p portal-benches`; each bench
//! measures a baseline in the same run, and `RESULTS.md` records the figures with the
//! command that produced them. This library holds what several benches set up alike.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;

use portal_core::audit::RequestInfo;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::id::{ClientId, ContactId, FirmId, StaffId};
use portal_core::notify::DevOutbox;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::store::Store;
use portal_core::testing::{ManualClock, START, SeededSecretSource};
use portal_core::web::{CookieSecurity, PortalWeb};
use portal_core::{MemoryStore, Portal};

/// What [`populate`] made.
#[derive(Debug)]
pub struct Population {
    /// The portal on the store, with a manual clock at [`START`] and seeded secrets.
    pub portal: Portal,
    /// The store under the portal, for benches that measure it alone.
    pub store: Arc<dyn Store>,
    /// The firm.
    pub firm: FirmId,
    /// Its one client.
    pub client: ClientId,
    /// The contacts, each granted everything on the client.
    pub contacts: Vec<ContactId>,
}

/// A firm, a client and `contacts` contacts on `store`, made through the portal as a
/// host would (mail settled).
///
/// # Panics
/// If setting up fails: a bench without its fixture has nothing to measure.
#[allow(clippy::expect_used)]
pub async fn populate(store: Arc<dyn Store>, contacts: usize) -> Population {
    let portal = Portal::builder_shared(store.clone())
        .delivery(DevOutbox::new())
        .clock(Arc::new(ManualClock::new(START)))
        .secrets(SeededSecretSource::new(42))
        .build()
        .expect("portal");
    let (firm, staff) = firm(&portal, "https://bench.example").await;
    let client = portal.create_client(firm, "Client").await.expect("client");
    let mut ids = Vec::with_capacity(contacts);
    for i in 0..contacts {
        ids.push(
            invite(
                &portal,
                &staff,
                &format!("contact{i}@bench.example"),
                vec![client.id],
            )
            .await,
        );
    }
    portal.settle().await;
    Population {
        portal,
        store,
        firm,
        client: client.id,
        contacts: ids,
    }
}

/// A firm at `url` on `portal`, and a member of its staff.
#[allow(clippy::expect_used)]
async fn firm(portal: &Portal, url: &str) -> (FirmId, StaffContext) {
    let firm = portal
        .create_firm(NewFirm {
            name: "Bench Firm".into(),
            public_url: PublicUrl::parse(url).expect("url"),
            branding: Branding::default(),
            mail_from: None,
        })
        .await
        .expect("firm");
    let staff = StaffContext {
        firm: firm.id,
        staff: StaffId::new("bench").expect("id"),
        request: RequestInfo::default(),
    };
    (firm.id, staff)
}

/// Invites `email` with every permission on `clients`.
#[allow(clippy::expect_used)]
async fn invite(
    portal: &Portal,
    staff: &StaffContext,
    email: &str,
    clients: Vec<ClientId>,
) -> ContactId {
    let invitation = Invitation {
        email: email.into(),
        first_name: "Bench".into(),
        phone: None,
        client_ids: clients,
        permissions: Permissions::ALL,
    };
    portal
        .invite(staff, invitation)
        .await
        .expect("invite")
        .contact
        .id
}

/// A portal on the memory store with one contact holding grants to two clients and
/// logged in: its HTTP layer, and the `Cookie` header value of its session.
///
/// # Panics
/// If setting up fails: a bench without its fixture has nothing to measure.
#[allow(clippy::expect_used)]
pub async fn logged_in_portal() -> (PortalWeb, String) {
    let portal = Portal::builder(MemoryStore::new())
        .delivery(DevOutbox::new())
        .build()
        .expect("portal");
    let (firm, staff) = firm(&portal, "http://127.0.0.1:3000").await;
    let a = portal
        .create_client(firm, "Alpha Ltd")
        .await
        .expect("client");
    let b = portal
        .create_client(firm, "Beta Ltd")
        .await
        .expect("client");
    let contact = invite(&portal, &staff, "jane@bench.example", vec![a.id, b.id]).await;
    let url = portal
        .generate_magic_link(&staff, contact)
        .await
        .expect("link");
    let token = url.rsplit('/').next().expect("token");
    let login = portal
        .redeem_magic_link(firm, token, None, None, &RequestInfo::default())
        .await
        .expect("login");
    let web = PortalWeb::builder(portal, firm)
        .cookies(CookieSecurity::InsecureLocalDevelopment)
        .build()
        .await
        .expect("web");
    (
        web,
        format!("portal_session={}", login.token.expose_secret()),
    )
}

/// A response captured from the portal (as `curl -si` prints it), for a bare server to
/// answer with the same bytes: the measure of what sending them costs, without the work
/// that made them.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The headers, except `date` and `content-length`, which frameworks write
    /// themselves.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Captured {
    /// Parses `curl -si` output: a status line, headers, a blank line, the body.
    #[must_use]
    pub fn parse(text: &str) -> Captured {
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .filter(|(n, _)| n != "date" && n != "content-length")
            .collect();
        Captured {
            headers,
            body: body.to_owned(),
        }
    }

    /// The captured responses a twin serves: `$TWIN_DIR/{me,whoami}.http`, as
    /// `benches/http/load.sh` writes them.
    ///
    /// # Panics
    /// If a file is missing: the twin has nothing to serve.
    #[allow(clippy::expect_used)]
    #[must_use]
    pub fn from_twin_dir() -> [(&'static str, Captured); 2] {
        let dir = std::env::var("TWIN_DIR").expect("TWIN_DIR");
        let read = |name: &str| {
            let text = std::fs::read_to_string(format!("{dir}/{name}.http")).expect(name);
            Captured::parse(&text)
        };
        [("/portal/api/me", read("me")), ("/whoami", read("whoami"))]
    }

    /// The headers, converted to a framework's types by `header`, and the body, for
    /// the life of the process, as a handler's constants are.
    #[must_use]
    pub fn leak<H>(
        self,
        header: impl Fn(&'static str, &'static str) -> H,
    ) -> (&'static [H], &'static str) {
        let headers: Vec<H> = self
            .headers
            .into_iter()
            .map(|(n, v)| header(n.leak(), v.leak()))
            .collect();
        (headers.leak(), self.body.leak())
    }
}

/// The reference point for the HTTP path, served by the bare twins beside the
/// portal's bytes: a minimal session check in memory, a session id from the `sid`
/// cookie looked up in a map, and nothing else (no digest, no expiry, no store trait).
#[derive(Debug, Default)]
pub struct MinimalSessions(std::sync::RwLock<std::collections::HashMap<String, u64>>);

impl MinimalSessions {
    /// The sessions of the load script: the one id in `$PEER_SESSION`.
    #[must_use]
    pub fn from_env() -> Self {
        let sessions = std::env::var("PEER_SESSION").into_iter().map(|id| (id, 1));
        MinimalSessions(std::sync::RwLock::new(sessions.collect()))
    }

    /// Whether the `Cookie` header names a session.
    #[must_use]
    pub fn check(&self, cookie_header: Option<&[u8]>) -> bool {
        let Some(id) = cookie_header
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| portal_core::web::cookie_in([h], "sid"))
        else {
            return false;
        };
        self.0.read().is_ok_and(|map| map.contains_key(id))
    }
}

#[cfg(test)]
mod tests {
    use super::Captured;

    #[test]
    fn a_capture_keeps_the_headers_a_framework_does_not_write_and_the_whole_body() {
        let c = Captured::parse(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 9\r\n\
             date: Mon, 30 Nov 2026 08:33:04 GMT\r\nx-a: b: c\r\n\r\n{\"a\":\n\n1}",
        );
        assert_eq!(
            c.headers,
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                ("x-a".to_owned(), "b: c".to_owned())
            ]
        );
        assert_eq!(c.body, "{\"a\":\n\n1}");
    }
}
