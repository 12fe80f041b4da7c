//! # portal-actix
//!
//! The actix-web 4 face of Portal: a thin translation of `portal_core::web`, which
//! holds every route and rule.
//!
//! ## Embedding in actix-web
//!
//! Build the portal on a store with a delivery, give it the firm, build its web layer
//! with the staff API, then wrap the host's app in the portal's middleware and add the
//! portal's routes (the example host `examples/src/bin/actix-host.rs` does the same on
//! SQLite):
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use portal_actix::prelude::*;
//!
//! async fn dashboard(me: CurrentContact) -> HttpResponse {
//!     let name = portal_core::notify::escape_html(&me.contact().first_name);
//!     HttpResponse::Ok()
//!         .content_type("text/html; charset=utf-8")
//!         .body(format!("<h1>Hello, {name}</h1><p>Client {}</p>", me.active_client()))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # actix_web::rt::System::new().block_on(async {
//! let portal = Portal::builder(portal_core::MemoryStore::new())
//!     .delivery(LogDelivery)
//!     .maintain_every(Duration::from_secs(300))
//!     .allow_next_under("/dashboard")
//!     .build()?;
//! let public_url = PublicUrl::parse("http://localhost:8080")?;
//! let settings = FirmSettings::new("Acme Accounting", public_url);
//! let firm = portal.ensure_firm(&FirmKey::new("acme")?, settings).await?;
//! let admin = BearerToken::new(std::env::var("ADMIN_TOKEN")?, StaffId::new("admin")?)?;
//! let portal_web = PortalWeb::builder(portal, firm.id)
//!     .staff_api("/admin/api", admin)
//!     .build()
//!     .await?;
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(PortalMiddleware::new(portal_web.clone()))
//!         .configure(portal_actix::configure(portal_web.clone()))
//!         .route("/dashboard", web::get().to(dashboard))
//! })
//! .bind("127.0.0.1:8080")?
//! .run()
//! .await?;
//! # Ok(()) })
//! # }
//! ```
//!
//! What each part does:
//!
//! - [`configure`] registers the portal's pages and client API under its mount path
//!   (`/portal`) and the staff JSON API (`/admin/api`), every path below each included.
//! - [`PortalMiddleware`] gives the host's own handlers the session through the
//!   [`CurrentContact`] and [`MaybeContact`] extractors. The session is verified only
//!   when a handler asks (a route that does not pays nothing), and a response whose
//!   handler used it gets the renewed session cookie and the security headers it did
//!   not set itself.
//! - [`CurrentContact`] is the logged-in contact: its record (`me.contact()`) and the
//!   session (`active_client()`, `permissions()`, `csrf_token()`). Without one, a
//!   browser (an `Accept` naming HTML) is sent `303` to the login page, with `next`
//!   when a login may land on the page (the portal's own, or one under a prefix given
//!   to `allow_next_under`), so that it comes back there; an API client gets `401`.
//!   [`MaybeContact`] is `None` instead, for a page that serves both.
//! - [`PortalError`] answers any error of `Portal`'s operations as the portal's own API
//!   does (`404`, `403`, `503` with `Retry-After`, ...): return `Result<_, PortalError>`
//!   from a handler and use `?`.
//! - actix-web gives every request its peer address, which the portal uses for its
//!   per-address throttles and the audit log.
//!
//! [`prelude`] holds these types and those the set-up names.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod convert;
mod error;
mod extract;
mod middleware;
pub mod prelude;

pub use error::PortalError;
pub use extract::{CurrentContact, MaybeContact, Rejection};
pub use middleware::{PortalMiddleware, PortalMiddlewareService};

use actix_web::{HttpRequest, HttpResponse, web};
use portal_core::web::PortalWeb;

/// Registers the portal's routes under its mount path and, if configured, the staff API.
pub fn configure(portal_web: PortalWeb) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let portal_mount = portal_web.mount_path().to_owned();
        let staff_mount = portal_web.staff_mount_path().to_owned();
        cfg.app_data(web::Data::new(portal_web))
            .service(web::scope(&staff_mount).default_service(web::to(staff)))
            .service(web::scope(&portal_mount).default_service(web::to(portal)));
    }
}

async fn portal(
    req: HttpRequest,
    payload: web::Payload,
    portal_web: web::Data<PortalWeb>,
) -> HttpResponse {
    let req = convert::request(&portal_web, &req, payload).await;
    convert::response(portal_web.handle(req).await)
}

async fn staff(
    req: HttpRequest,
    payload: web::Payload,
    portal_web: web::Data<PortalWeb>,
) -> HttpResponse {
    let req = convert::request(&portal_web, &req, payload).await;
    convert::response(portal_web.handle_staff(req).await)
}
