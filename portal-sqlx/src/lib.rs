//! PostgreSQL and SQLite implementations of the `portal-core` store traits.
//!
//! - `PgStore` (feature `postgres`): for one or several application instances sharing
//!   a PostgreSQL database.
//! - `SqliteStore` (feature `sqlite`): an embedded SQLite file on one machine, or a
//!   private in-memory database for tests and demos.
//!
//! Only `sqlite` is on by default, the embedded database that needs no server: a host
//! on PostgreSQL enables `postgres` (and may turn default features off), so that a
//! SQLite host never compiles the PostgreSQL driver. Both stores pass `portal-core`'s
//! conformance suite, race cases included, with two pools on one database standing in
//! for two application instances.
//!
//! # Starting in one call each
//!
//! [`open`] opens the store a URL names and migrates it; the portal's builder runs its
//! housekeeping ([`PortalBuilder::maintain_every`](portal_core::PortalBuilder::maintain_every));
//! and [`Portal::ensure_firm`](portal_core::Portal::ensure_firm) finds the host's firm
//! by a key the host chooses, making it the first time and giving it the settings of
//! this start every time. Every instance may run all three at every start.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use portal_core::Portal;
//! use portal_core::firm::{Branding, FirmKey, FirmSettings, PublicUrl};
//! use portal_core::notify::SmtpDelivery;
//!
//! // `sqlite:portal.db` for a file, `postgres://portal@localhost/portal` for PostgreSQL.
//! let store = portal_sqlx::open("sqlite::memory:").await?;
//! let mail = SmtpDelivery::from_url("smtp://user:password@mail.example.com")?;
//! let portal = Portal::builder_shared(store)
//!     .delivery(mail)
//!     .maintain_every(Duration::from_secs(300))
//!     .build()?;
//! let firm = portal
//!     .ensure_firm(
//!         &FirmKey::new("acme")?,
//!         FirmSettings {
//!             name: "Acme Accounting".into(),
//!             public_url: PublicUrl::parse("https://portal.acme.example")?,
//!             branding: Branding::default(),
//!             mail_from: None,
//!         },
//!     )
//!     .await?;
//! assert_eq!(portal.firm_by_key(&FirmKey::new("acme")?).await?, Some(firm));
//! # Ok(()) }
//! ```
//!
//! Each step can be done by hand instead: open the store type with the pool settings
//! or the PostgreSQL schema wanted and call its `migrate`
//! (`SqliteStore::open_with`, `PgStore::connect_with`); call
//! [`Portal::maintain`](portal_core::Portal::maintain) from the host's own scheduler;
//! create the firm with [`Portal::create_firm`](portal_core::Portal::create_firm) and
//! keep its id.
//!
//! Queries are built at run time (no compile-time checking), so the crate builds
//! without a database. sqlx is compiled without TLS: connect to PostgreSQL on the
//! same host or a trusted network.
//!
//! # How the guarantees are kept
//!
//! Every store method is one statement or one transaction. A single-use secret is
//! consumed by one conditional `UPDATE ... WHERE consumed_at IS NULL AND
//! invalidated_at IS NULL AND expires_at > $now RETURNING ...`, in the transaction that
//! starts the session and appends the audit entry; when it matches nothing, a read
//! explains why and nothing is consumed. "Newest wins" is a partial unique index over
//! each contact's live links, an invalidating `UPDATE` and the `INSERT` in one
//! transaction, retried if a concurrent issuance got in first. Guesses and failures are
//! counted by `UPDATE ... SET n = n + 1 ... RETURNING`; throttling windows by one
//! transaction per key under a lock. Sessions are verified by one primary-key read of
//! the session row, which carries its grant's permissions: every operation that could
//! make a session stale (a suspension, a removed grant, a password set) deletes it, and
//! a permission change or a client switch rewrites it, in the same transaction and
//! under the contact's lock. Renewal is a conditional `UPDATE` that only the first request after the
//! interval performs. The audit chain of each firm has a head row, locked by the
//! transaction that appends.
//!
//! # When the database fails
//!
//! Errors from the driver become [`StoreError`](portal_core::StoreError)s that keep
//! the driver's error as the source: `Unavailable` when the database cannot serve
//! anyone right now (unreachable, the connection lost, no connection free within the
//! acquire timeout, the server shutting down, a lock held past the lock timeout, too
//! many connections), which the web layer answers 503 with `Retry-After`; `Refused`
//! when it rejected the statement itself; `Corrupt` for a value that does not decode.
//! A failed operation's transaction is rolled back, so it leaves nothing half-made.
//! Every wait is bounded by [`PoolSettings`], and the pool replaces connections the
//! server closed, so a store recovers by itself once its database is back.
//!
#![doc = include_str!("../SCHEMA.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod columns;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod db;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod dialect;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod engine;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod error;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod migrate;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod open;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod rows;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod settings;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod stmt;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use open::{OpenError, open};
#[cfg(feature = "postgres")]
pub use postgres::{InvalidSchemaName, PgStore};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use settings::PoolSettings;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

pub use portal_core::Store;
