//! The axum adapter of Portal: a thin translation of portal-core's framework-neutral
//! HTTP layer. It lands with the web adapter work.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use portal_core::Portal;
