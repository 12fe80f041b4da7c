//! # portal-core
//!
//! The domain and every security rule of Portal, the embeddable client portal: firms,
//! clients, contacts and their grants; magic links, email codes, passwords, personal
//! links; sessions; the hash-chained audit log; notifications; and the store traits
//! that SQL and in-memory backends implement. No web framework, no database driver.
//!
//! Its modules stand in layers, each importing only from its own and those below
//! (a test, `tests/layers.rs`, keeps it so): the foundations (`clock`, `random`,
//! `token`, `id`, `email`, `phone`, `text`, `file_name`, `file_type`, `policy`, `redirect`); the
//! records and their rules (`firm`, `client`, `contact`, `grant`, `session`, `magic_link`, `email_code`,
//! `password`, `personal_link`, `preview`, `task`, `staff`, `failure`, `throttle`, `audit`,
//! `notify`); the [`store`] traits and the [`blob`] store of file bytes; the [`Portal`] handle and its operations
//! ([`portal`], one module per concept); and, behind the `web` feature, the
//! framework-neutral HTTP layer (`web`) that the axum and actix-web adapters wrap.
//!
//! ```
//! use portal_core::{Portal, MemoryStore, RequestInfo};
//! use portal_core::firm::{NewFirm, PublicUrl, Branding};
//! use portal_core::grant::Permissions;
//! use portal_core::id::StaffId;
//! use portal_core::notify::DevOutbox;
//! use portal_core::staff::{Invitation, StaffContext};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let outbox = DevOutbox::new();
//! let portal = Portal::builder(MemoryStore::new()).delivery(outbox.clone()).build()?;
//!
//! // The host sets up a firm and a client, and a staff member invites a contact.
//! let firm = portal.create_firm(NewFirm {
//!     name: "Acme Accounting".into(),
//!     public_url: PublicUrl::parse("https://portal.acme.example")?,
//!     branding: Branding::default(),
//!     mail_from: None,
//! }).await?;
//! let client = portal.create_client(firm.id, "Jane's Bakery").await?;
//! let staff = StaffContext { firm: firm.id, staff: StaffId::new("alice")?, request: RequestInfo::default() };
//! portal.invite(&staff, Invitation {
//!     email: "jane@bakery.example".into(),
//!     first_name: "Jane".into(),
//!     phone: None,
//!     client_ids: vec![client.id],
//!     permissions: Permissions::ALL,
//! }).await?;
//!
//! // The contact asks for a login link; it arrives by email.
//! let browser = RequestInfo::new(Some([203, 0, 113, 7].into()), Some("Firefox"));
//! portal.request_login_link(firm.id, "Jane@Bakery.example", None, &browser).await?;
//! portal.settle().await;
//! let email = outbox.last_to("jane@bakery.example").expect("login email");
//! let link = &email.message.links[0];
//! let token = link.rsplit('/').next().unwrap();
//!
//! // The confirmation page's POST redeems it and starts a session ...
//! let login = portal.redeem_magic_link(firm.id, token, None, None, &browser).await?;
//! let cookie = login.token.expose_secret();
//!
//! // ... which later requests verify.
//! let auth = portal.authenticate(firm.id, &cookie, &browser).await?;
//! assert_eq!(auth.session.active_client, client.id);
//!
//! // The link worked once.
//! assert!(portal.redeem_magic_link(firm.id, token, None, None, &browser).await.is_err());
//! # Ok(()) }
//! ```
//!
//! Read `SECURITY.md` at the repository root for every default, its source, and the
//! test that proves it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
mod background;
pub mod blob;
pub mod blob_name;
pub mod client;
pub mod clock;
pub mod contact;
pub mod conversation;
pub mod credential;
pub mod document;
pub mod email;
pub mod email_code;
pub mod evidence;
pub mod failure;
pub mod file;
pub mod file_name;
pub mod file_type;
pub mod firm;
pub mod grant;
mod hashing;
pub mod id;
pub mod local_time;
pub mod magic_link;
pub mod notice;
pub mod notify;
pub mod outbox;
pub mod password;
pub mod personal_link;
pub mod phase;
pub mod phone;
pub mod policy;
pub mod portal;
pub mod preview;
pub mod random;
pub mod redirect;
pub mod session;
pub mod staff;
pub mod staff_notice;
pub mod store;
pub mod task;
pub mod text;
pub mod throttle;
pub mod token;
pub mod vault;
#[cfg(feature = "web")]
pub mod web;

#[cfg(feature = "testing")]
pub mod testing;

/// The attribute for implementing Portal's async traits ([`notify::Delivery`], the
/// [`store`] traits): `#[portal_core::async_trait]` on the `impl` block, with no
/// `async-trait` dependency of the host's own (see [`notify::Delivery`] for an example).
pub use async_trait::async_trait;

pub use audit::RequestInfo;
pub use hashing::{HashError, HashingLimits, HashingLoad};
pub use policy::Policy;
pub use portal::login::{LoginError, LoginSuccess};
pub use portal::maintenance::MaintenanceReport;
pub use portal::session::{Authenticated, NewSession, SessionError};
pub use portal::staff::StaffError;
pub use portal::task::TaskError;
pub use portal::{BuildError, InternalError, Portal, PortalBuilder};
pub use store::{MemoryStore, Store, StoreError};
