//! Everything an actix-web host names to embed Portal, in one import:
//! `use portal_actix::prelude::*;`.
//!
//! - from this crate, what the host's own routes use: the extractors
//!   [`CurrentContact`] and [`MaybeContact`], the [`PortalMiddleware`] they need, and
//!   [`PortalError`], Portal's errors as responses;
//! - from [`portal_core::web::prelude`], what setting Portal up names: [`Portal`],
//!   [`Delivery`], [`LogDelivery`], [`FirmKey`], [`FirmSettings`], [`PublicUrl`],
//!   [`Branding`], [`PortalWeb`], [`BearerToken`], [`StaffId`], [`CookieSecurity`], and
//!   `SmtpDelivery` when the host turns on `portal-core`'s `smtp` feature (this crate
//!   asks `portal-core` for `web` only, so the feature is the host's to enable on its
//!   own `portal-core` dependency).
//!
//! The service configuration stays a path, `portal_actix::configure`: a name that
//! general would collide with a host's own, and the path says whose routes they are.

pub use crate::{CurrentContact, MaybeContact, PortalError, PortalMiddleware};
pub use portal_core::web::prelude::*;
