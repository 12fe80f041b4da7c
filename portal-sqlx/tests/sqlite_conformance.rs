//! SQLite on a file in WAL mode against the store conformance suite: two pools on one
//! file stand in for two application instances (or processes).

mod common;

portal_core::store_conformance!(common::sqlite_file);
