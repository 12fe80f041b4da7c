//! # portal-axum
//!
//! The axum 0.8 face of Portal: a thin translation of `portal_core::web`, which holds
//! every route and rule.
//!
//! - [`router`] serves the portal under its mount path (`/portal`), [`staff_router`]
//!   the staff JSON API (`/admin/api`);
//! - [`PortalLayer`] lets the host's own handlers use the session through the
//!   [`CurrentContact`] and [`MaybeContact`] extractors: the session is verified lazily
//!   (a route that does not ask pays nothing), and a renewed session's cookie and the
//!   security headers are set on the way out.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use portal_axum::{CurrentContact, PortalLayer};
//! # async fn demo(web: portal_core::web::PortalWeb) {
//! async fn dashboard(contact: CurrentContact) -> String {
//!     format!("client {}", contact.active_client())
//! }
//! let app: Router = Router::new()
//!     .route("/dashboard", get(dashboard))
//!     .merge(portal_axum::router(web.clone()))
//!     .merge(portal_axum::staff_router(web.clone()))
//!     .layer(PortalLayer::new(web));
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod convert;
mod error;
mod extract;
mod layer;

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
