//! # portal-actix
//!
//! The actix-web 4 face of Portal: a thin translation of `portal_core::web`, which
//! holds every route and rule.
//!
//! - [`configure`] registers the portal under its mount path (`/portal`) and the staff
//!   JSON API (`/admin/api`);
//! - [`PortalMiddleware`] lets the host's own handlers use the session through the
//!   [`CurrentContact`] and [`MaybeContact`] extractors: verified lazily (a route that
//!   does not ask pays nothing), with a renewed session's cookie and the security
//!   headers set on the way out.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, web};
//! use portal_actix::{CurrentContact, PortalMiddleware};
//! # fn demo(web_layer: portal_core::web::PortalWeb) {
//! async fn dashboard(contact: CurrentContact) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("client {}", contact.active_client()))
//! }
//! let app = App::new()
//!     .wrap(PortalMiddleware::new(web_layer.clone()))
//!     .configure(portal_actix::configure(web_layer))
//!     .route("/dashboard", web::get().to(dashboard));
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod convert;
mod error;
mod extract;
mod middleware;

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
