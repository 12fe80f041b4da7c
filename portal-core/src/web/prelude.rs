//! The framework-neutral half of the adapters' preludes (`portal_axum::prelude`,
//! `portal_actix::prelude`), which re-export it beside their own extractors, layer
//! and error type: kept here once so that the two adapters offer the same names.
//!
//! It holds what a host names while it sets Portal up: the portal and its builder's
//! parts ([`Portal`], [`Delivery`], [`LogDelivery`], and `SmtpDelivery` when
//! `portal-core`'s `smtp` feature is on), the firm's settings ([`FirmKey`],
//! [`FirmSettings`], [`PublicUrl`], [`Branding`]), and the HTTP layer with its
//! staff API and cookies ([`PortalWeb`], [`BearerToken`], [`StaffId`],
//! [`CookieSecurity`]). The rest stays behind its module's path, named where it is
//! used.

pub use super::{BearerToken, CookieSecurity, PortalWeb};
pub use crate::Portal;
pub use crate::firm::{Branding, FirmKey, FirmSettings, PublicUrl};
pub use crate::id::StaffId;
#[cfg(feature = "smtp")]
pub use crate::notify::SmtpDelivery;
pub use crate::notify::{Delivery, LogDelivery};
