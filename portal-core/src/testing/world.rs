//! A small firm to run conformance cases in: two portal instances on one store (one per
//! [`Fixture`] handle) sharing a manual clock and an outbox.

use std::sync::Arc;

use super::{Fixture, ManualClock};
use crate::audit::{AuditAction, AuditEvent, RequestInfo};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::contact::Contact;
use crate::firm::{Branding, Firm, NewFirm, PublicUrl};
use crate::grant::Permissions;
use crate::id::{ContactId, StaffId};
use crate::notify::DevOutbox;
use crate::policy::Policy;
use crate::portal::Portal;
use crate::portal::login::LoginSuccess;
use crate::staff::{Invitation, StaffContext};
use crate::store::Store;
use crate::vault::{KeyId, Vault, VaultKey};
use crate::web::PortalWeb;

/// The key of the vault every world's instances have: id `k1`, 32 bytes of 1.
pub const VAULT_KEY: (&str, u8) = ("k1", 1);

/// A firm with two clients, a merged contact (`jane`, both clients), a single-client
/// contact (`bob`), and another firm with its own client and contact (`olga`).
#[derive(Debug)]
#[allow(missing_docs)]
pub struct World {
    pub clock: Arc<ManualClock>,
    /// The portal on the fixture's primary handle.
    pub a: Portal,
    /// The portal on the fixture's secondary handle (a second application instance).
    pub b: Portal,
    pub outbox: DevOutbox,
    pub firm: Firm,
    pub client1: Client,
    pub client2: Client,
    pub jane: Contact,
    pub bob: Contact,
    pub other_firm: Firm,
    pub other_client: Client,
    pub olga: Contact,
    pub staff: StaffContext,
    pub other_staff: StaffContext,
}

/// 2026-01-01T00:00:00Z.
pub const START: Timestamp = Timestamp::from_unix_millis(1_767_225_600_000);

#[allow(clippy::expect_used, clippy::unwrap_used)] // test support
impl World {
    /// The store under [`World::a`], for tests that check what the operations left
    /// there (a host never needs it: it goes through the operations).
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        self.a.store()
    }

    /// Builds the world with the default policy.
    pub async fn new(fixture: Fixture) -> World {
        Self::with_policy(fixture, Policy::default()).await
    }

    /// Builds the world with `policy` for every firm.
    pub async fn with_policy(fixture: Fixture, policy: Policy) -> World {
        let clock = Arc::new(ManualClock::new(START));
        let outbox = DevOutbox::new();
        // One file storage for both instances, as they would share a bucket.
        let files = fixture.files.clone().unwrap_or_else(|| {
            Arc::new(crate::blob::FileStorage::memory().with_clock(clock.clone()))
        });
        let build = |store| {
            Portal::builder_shared(store)
                .files_shared(files.clone())
                .clock(clock.clone())
                .delivery(outbox.clone())
                .policy(policy.clone())
                .vault(Self::vault(&[VAULT_KEY]))
                // What an instance queues it delivers at once; no round on a timer, which
                // would take the messages that outbox cases queue by hand.
                .outbox_every(std::time::Duration::from_secs(24 * 3600))
                .build()
                .expect("portal")
        };
        let (a, b) = (build(fixture.primary), build(fixture.secondary));
        let firm = a
            .create_firm(NewFirm {
                name: "Acme Accounting".into(),
                public_url: PublicUrl::parse("https://portal.acme.example").unwrap(),
                branding: Branding::default(),
                mail_from: None,
            })
            .await
            .expect("firm");
        let other_firm = a
            .create_firm(NewFirm {
                name: "Other Firm".into(),
                public_url: PublicUrl::parse("https://portal.other.example").unwrap(),
                branding: Branding::default(),
                mail_from: None,
            })
            .await
            .expect("firm");
        let client1 = a
            .create_client(firm.id, "Bakery Ltd")
            .await
            .expect("client");
        let client2 = a.create_client(firm.id, "Cafe Ltd").await.expect("client");
        let other_client = a
            .create_client(other_firm.id, "Foreign Ltd")
            .await
            .expect("client");
        let staff = StaffContext {
            firm: firm.id,
            staff: StaffId::new("alice").unwrap(),
            request: RequestInfo::default(),
        };
        let other_staff = StaffContext {
            firm: other_firm.id,
            staff: StaffId::new("oscar").unwrap(),
            request: RequestInfo::default(),
        };
        let invite = |email: &str, name: &str, clients: Vec<_>| Invitation {
            email: email.into(),
            first_name: name.into(),
            phone: None,
            client_ids: clients,
            permissions: Permissions::ALL,
        };
        let jane = a
            .invite(
                &staff,
                invite("jane@example.com", "Jane", vec![client1.id, client2.id]),
            )
            .await
            .expect("invite")
            .contact;
        let bob = a
            .invite(&staff, invite("bob@example.com", "Bob", vec![client1.id]))
            .await
            .expect("invite")
            .contact;
        let olga = a
            .invite(
                &other_staff,
                invite("olga@example.com", "Olga", vec![other_client.id]),
            )
            .await
            .expect("invite")
            .contact;
        a.settle().await;
        World {
            clock,
            a,
            b,
            outbox,
            firm,
            client1,
            client2,
            jane,
            bob,
            other_firm,
            other_client,
            olga,
            staff,
            other_staff,
        }
    }

    /// A vault of the given `(id, key byte)` pairs, the first active: each key is 32
    /// times its byte.
    #[must_use]
    pub fn vault(keys: &[(&str, u8)]) -> Vault {
        let key = |(id, byte): &(&str, u8)| {
            VaultKey::new(KeyId::new(id).expect("key id"), &[*byte; 32]).expect("key")
        };
        Vault::new(key(&keys[0]), keys[1..].iter().map(key)).expect("vault")
    }

    /// Another instance over the store handle `store` of this world, as `a` and `b` are
    /// built but with `vault` (or none): a host that rotated its keys, or forgot them.
    #[must_use]
    pub fn instance(&self, store: &Portal, vault: Option<Vault>) -> Portal {
        let builder = Portal::builder_shared(store.store().clone())
            .files_shared(store.files().clone())
            .clock(self.clock.clone())
            .delivery(self.outbox.clone())
            .outbox_every(std::time::Duration::from_secs(24 * 3600))
            .policy(store.policy(self.firm.id).clone());
        match vault {
            Some(v) => builder.vault(v),
            None => builder,
        }
        .build()
        .expect("portal")
    }

    /// A request from nowhere in particular (no IP: not throttled).
    #[must_use]
    pub fn req() -> RequestInfo {
        RequestInfo::new(None, Some("conformance"))
    }

    /// Moves the shared clock.
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    /// A fresh magic link token of `contact`, generated by staff (older links die).
    pub async fn link(&self, contact: ContactId) -> String {
        let url = self
            .a
            .generate_magic_link(&self.staff, contact)
            .await
            .expect("link");
        url.rsplit('/').next().unwrap().to_owned()
    }

    /// Logs `contact` in through a fresh magic link.
    pub async fn login(&self, contact: ContactId) -> LoginSuccess {
        let token = self.link(contact).await;
        self.a
            .redeem_magic_link(self.firm.id, &token, None, None, &Self::req())
            .await
            .expect("login")
    }

    /// The HTTP layer of `firm` on the primary handle (`a`), with the default settings.
    pub async fn web(&self) -> PortalWeb {
        PortalWeb::builder(self.a.clone(), self.firm.id)
            .build()
            .await
            .expect("web layer")
    }

    /// Asks for a login code for `email` and returns the challenge and the code mailed.
    pub async fn code(&self, email: &str) -> (String, String) {
        let requested = self
            .a
            .request_login_code(self.firm.id, email, None, &Self::req())
            .await
            .expect("code request");
        self.a.settle().await;
        (requested.challenge.expose_secret(), self.last_code(email))
    }

    /// The code in the newest message to `email`.
    pub fn last_code(&self, email: &str) -> String {
        let text = self
            .outbox
            .last_to(email)
            .expect("a message")
            .text()
            .to_owned();
        code_in(&text).expect("a code in the message")
    }

    /// The firm's audit entries with `action`.
    pub async fn audit(&self, action: AuditAction) -> Vec<AuditEvent> {
        // The staff view gives at most a page of entries: read every page.
        let mut found = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .a
                .audit_log(&self.staff, None, after, 1000)
                .await
                .expect("audit");
            let Some(last) = page.last() else {
                return found;
            };
            after = last.seq;
            found.extend(page.into_iter().filter(|e| e.entry.action == action));
        }
    }
}

/// The first run of exactly six digits after a space in `text` (links hold no spaces).
#[must_use]
pub fn code_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let before = i > 0 && bytes[i - 1] == b' ';
        let after = bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
        (before && after && run.iter().all(u8::is_ascii_digit))
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}
