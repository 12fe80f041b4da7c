//! Contacts' phone numbers in the SQL stores, beyond what the conformance suite can
//! reach through the store traits: a number is stored in its E.164 form, and a row
//! whose number was changed to one Portal would not accept is reported as corrupt on
//! every read of the contact rather than handed on.
//!
//! PostgreSQL cases read `DATABASE_URL`; without it they print `SKIPPED` and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] fns

mod common;

use std::sync::Arc;

use portal_core::StoreError;
use portal_core::testing::{Fixture, World};

/// What a hand-edited row might hold: a national number, no country code.
const TAMPERED: &str = "020 7946 0958";

/// On `$store` (a concrete store, whose pool the tampering uses): a number staff set
/// is stored as E.164 text; one edited into the row makes every read of the contact
/// `Corrupt`.
macro_rules! phone_case {
    ($store:expr) => {{
        let store = $store;
        let w = World::new(Fixture::single(Arc::new(store.clone()))).await;
        w.a.set_contact_phone(&w.staff, w.jane.id, Some("+44 (20) 7946-0958"))
            .await
            .unwrap();
        let (stored,): (Option<String>,) =
            sqlx::query_as("SELECT phone FROM portal_contacts WHERE id = $1")
                .bind(w.jane.id.as_uuid())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(stored.as_deref(), Some("+442079460958"));
        sqlx::query("UPDATE portal_contacts SET phone = $1 WHERE id = $2")
            .bind(TAMPERED)
            .bind(w.jane.id.as_uuid())
            .execute(store.pool())
            .await
            .unwrap();
        let s = w.store();
        let read = s.contact(w.jane.id).await;
        assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
        let listed = s.contacts(w.firm.id).await;
        assert!(matches!(listed, Err(StoreError::Corrupt(_))), "{listed:?}");
        let by_email = s
            .contact_by_email(w.firm.id, w.jane.email.canonical())
            .await;
        assert!(
            matches!(by_email, Err(StoreError::Corrupt(_))),
            "{by_email:?}"
        );
        if let Err(StoreError::Corrupt(why)) = read {
            assert!(!why.contains("7946"), "the value is not echoed: {why}");
        }
        // Bob's row is untouched and reads as before.
        assert_eq!(s.contact(w.bob.id).await.unwrap().unwrap().phone, None);
    }};
}

#[tokio::test]
async fn sqlite_a_phone_is_stored_as_e164_and_a_tampered_one_is_corrupt() {
    phone_case!(common::sqlite_file_store(&common::sqlite_path()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_phone_is_stored_as_e164_and_a_tampered_one_is_corrupt() {
    let Some(url) = common::database_url() else {
        eprintln!(
            "SKIPPED postgres_a_phone_is_stored_as_e164_and_a_tampered_one_is_corrupt: \
             no DATABASE_URL"
        );
        return;
    };
    phone_case!(common::pg_store(&url, &common::pg_schema(&url).await).await);
}
