//! Staff activity cursors in the SQL stores, beyond what the conformance suite can
//! reach through the store traits: a cursor's cancelled sequence numbers are stored as
//! one compact text ("12,15"), and a row whose text was changed to anything the store
//! does not write is reported as corrupt rather than read as some other list.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::sync::Arc;

use portal_core::StoreError;
use portal_core::staff_notice::{StaffCursor, StaffNotifyMode};
use portal_core::testing::{Fixture, World};

/// On `$store` (a concrete store, whose pool the tampering uses): the cursor made by
/// the firm's first staff choice, moved with two cancelled entries, is stored as
/// `"a,b"`; each tampered text makes the cursors' read `Corrupt`.
macro_rules! cursor_case {
    ($store:expr) => {{
        let store = $store;
        let w = World::new(Fixture::single(Arc::new(store.clone()))).await;
        w.a.set_staff_notifications(&w.staff, "alice@acme.example", StaffNotifyMode::Instant)
            .await
            .unwrap();
        let s = w.store();
        let (firm, start) = s.staff_cursors().await.unwrap().remove(0);
        assert_eq!(firm, w.firm.id);
        let next = StaffCursor {
            last_seq: start.last_seq + 1,
            cancelled: vec![start.last_seq + 3, start.last_seq + 2],
        };
        assert!(
            s.advance_staff_cursor(firm, &start, &next, &[], &[])
                .await
                .unwrap()
        );
        let (stored,): (String,) =
            sqlx::query_as("SELECT cancelled FROM portal_staff_cursors WHERE firm_id = $1")
                .bind(firm.as_uuid())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            stored,
            format!("{},{}", start.last_seq + 3, start.last_seq + 2),
            "in the cursor's order"
        );
        assert_eq!(s.staff_cursors().await.unwrap(), [(firm, next)]);
        for tampered in ["1,", ",1", "1,,2", "01", "+1", " 1", "1;2", "-1"] {
            sqlx::query("UPDATE portal_staff_cursors SET cancelled = $1 WHERE firm_id = $2")
                .bind(tampered)
                .bind(firm.as_uuid())
                .execute(store.pool())
                .await
                .unwrap();
            let read = s.staff_cursors().await;
            assert!(
                matches!(read, Err(StoreError::Corrupt(_))),
                "{tampered:?}: {read:?}"
            );
        }
    }};
}

#[tokio::test]
async fn sqlite_cancelled_entries_are_compact_text_read_strictly() {
    cursor_case!(common::sqlite_file_store(&common::sqlite_path()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cancelled_entries_are_compact_text_read_strictly() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_cancelled_entries_are_compact_text_read_strictly: no DATABASE_URL"
        );
        return;
    };
    cursor_case!(common::pg_store(&url, &common::pg_schema(&url).await).await);
}
