//! PostgreSQL and SQLite implementations of the `portal-core` store traits.
//!
//! The implementation lands with the SQL store work; this crate currently only
//! re-exports the trait it will implement so that the workspace layout is final.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use portal_core::Store;
