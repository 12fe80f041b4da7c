//! SQLite in memory (one connection, see `SqliteStore::open_in_memory`) against the
//! store conformance suite.

mod common;

portal_core::store_conformance!(common::sqlite_memory);
