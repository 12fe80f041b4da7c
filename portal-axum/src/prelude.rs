//! Everything an axum host names to embed Portal, in one import:
//! `use portal_axum::prelude::*;`.
//!
//! - from this crate, what the host's own routes use: the extractors
//!   [`CurrentContact`] and [`MaybeContact`], the [`PortalLayer`] they need, and
//!   [`PortalError`], Portal's errors as responses;
//! - from [`portal_core::web::prelude`], what setting Portal up names: [`Portal`],
//!   [`Delivery`], [`LogDelivery`], [`FirmKey`], [`FirmSettings`], [`PublicUrl`],
//!   [`Branding`], [`PortalWeb`], [`BearerToken`], [`StaffId`], [`CookieSecurity`], and
//!   `SmtpDelivery` when the host turns on `portal-core`'s `smtp` feature (this crate
//!   asks `portal-core` for `web` only, so the feature is the host's to enable on its
//!   own `portal-core` dependency).
//!
//! The routers stay paths, `portal_axum::router` and `portal_axum::staff_router`: names
//! that general would collide with a host's own, and the path says whose routes they
//! are.

pub use crate::{CurrentContact, MaybeContact, PortalError, PortalLayer};
pub use portal_core::web::prelude::*;
