//! PostgreSQL against the store conformance suite, each case in a fresh schema of the
//! database at `DATABASE_URL`, with two pools as two application instances. Without
//! `DATABASE_URL`, every case prints `SKIPPED` and passes.

mod common;

portal_core::store_conformance!(common::postgres);
