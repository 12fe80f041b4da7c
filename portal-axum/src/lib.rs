//! # portal-axum
//!
//! The axum 0.8 face of Portal: a thin translation of `portal_core::web`, which holds
//! every route and rule.
//!
//! ## Embedding in axum
//!
//! Build the portal on a store with a delivery, give it the firm, build its web layer
//! with the staff API, then add the portal's routes and its layer to the host's router
//! (the example host `examples/src/bin/axum-host.rs` does the same on SQLite):
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Duration;
//!
//! use axum::{Router, response::Html, routing::get};
//! use portal_axum::prelude::*;
//!
//! async fn dashboard(me: CurrentContact) -> Html<String> {
//!     let name = portal_core::notify::escape_html(&me.contact().first_name);
//!     Html(format!("<h1>Hello, {name}</h1><p>Client {}</p>", me.active_client()))
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let portal = Portal::builder(portal_core::MemoryStore::new())
//!     .delivery(LogDelivery)
//!     .maintain_every(Duration::from_secs(300))
//!     .allow_next_under("/dashboard")
//!     .build()?;
//! let public_url = PublicUrl::parse("http://localhost:3000")?;
//! let settings = FirmSettings::new("Acme Accounting", public_url);
//! let firm = portal.ensure_firm(&FirmKey::new("acme")?, settings).await?;
//! let admin = BearerToken::new(std::env::var("ADMIN_TOKEN")?, StaffId::new("admin")?)?;
//! let web = PortalWeb::builder(portal, firm.id)
//!     .staff_api("/admin/api", admin)
//!     .build()
//!     .await?;
//! let app = Router::new()
//!     .route("/dashboard", get(dashboard))
//!     .merge(portal_axum::router(web.clone()))
//!     .merge(portal_axum::staff_router(web.clone()))
//!     .layer(PortalLayer::new(web));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! What each part does:
//!
//! - [`router`] answers the portal's pages and client API under its mount path
//!   (`/portal`), [`staff_router`] the staff JSON API (`/admin/api`), every path below
//!   it included.
//! - [`PortalLayer`] gives the host's own handlers the session through the
//!   [`CurrentContact`] and [`MaybeContact`] extractors. The session is verified only
//!   when a handler asks (a route that does not pays nothing), and a response whose
//!   handler used it gets the renewed session cookie and the security headers it did
//!   not set itself.
//! - [`CurrentContact`] is the logged-in contact: its record (`me.contact()`) and the
//!   session (`active_client()`, `permissions()`, `csrf_token()`). Without one, a
//!   browser (an `Accept` naming HTML) is sent `303` to the login page, with `next`
//!   when a login may land on the page (the portal's own, or one under a prefix given
//!   to `allow_next_under`), so that it comes back there; an API client gets `401`. [`MaybeContact`] is `None`
//!   instead, for a page that serves both.
//! - [`PortalError`] answers any error of `Portal`'s operations as the portal's own API
//!   does (`404`, `403`, `503` with `Retry-After`, ...): return `Result<_, PortalError>`
//!   from a handler and use `?`.
//! - Serving with `into_make_service_with_connect_info::<SocketAddr>()` gives the
//!   portal the client's address, for its per-address throttles and the audit log;
//!   without it, it says so in a warning at the first request.
//!
//! [`prelude`] holds these types and those the set-up names.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod convert;
mod error;
mod extract;
mod layer;
pub mod prelude;

pub use error::PortalError;
pub use extract::{CurrentContact, MaybeContact, Rejection};
pub use layer::{PortalLayer, PortalService};

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use portal_core::web::PortalWeb;

/// The portal's routes under its mount path, e.g. `/portal` and `/portal/...`.
///
/// A host route below the mount path takes its path over from the portal, whichever
/// is added first: on one of the portal's own paths, the portal no longer answers it.
pub fn router<S: Clone + Send + Sync + 'static>(web: PortalWeb) -> Router<S> {
    let mount = web.mount_path().to_owned();
    // The fixed paths too, exactly: a wildcard match makes axum decode and store the
    // captured rest of the path, which the portal does not use.
    portal_core::web::FIXED_PATHS
        .iter()
        .fold(Router::new(), |r, path| {
            r.route(&format!("{mount}{path}"), any(portal))
        })
        .route(&format!("{mount}/{{*rest}}"), any(portal))
        .with_state(web)
}

/// The staff API under its mount path (`/admin/api`, `/admin/api/` and
/// `/admin/api/...`), if configured with `PortalWebBuilder::staff_api`. Every path
/// there is answered by the portal, paths it does not know with its own 404; a host
/// route on one of these exact paths conflicts with it (axum panics when merging).
pub fn staff_router<S: Clone + Send + Sync + 'static>(web: PortalWeb) -> Router<S> {
    let mount = web.staff_mount_path().to_owned();
    ["", "/", "/{*rest}"]
        .iter()
        .fold(Router::new(), |r, path| {
            r.route(&format!("{mount}{path}"), any(staff))
        })
        .with_state(web)
}

async fn portal(State(web): State<PortalWeb>, req: Request) -> Response {
    let req = convert::request(&web, req).await;
    convert::response(web.handle(req).await)
}

async fn staff(State(web): State<PortalWeb>, req: Request) -> Response {
    let req = convert::request(&web, req).await;
    convert::response(web.handle_staff(req).await)
}
