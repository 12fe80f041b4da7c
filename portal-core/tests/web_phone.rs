//! A contact's phone number through the staff API of the neutral HTTP layer:
//! `PUT /admin/api/contacts/{id}/phone` stores what staff type in E.164 form, refuses
//! a number it cannot read with a 422 that says why, and is guarded as every staff
//! route is (bearer token, same origin, the firm's own contacts only). (Through real
//! servers on every store: `examples/tests/http/cases.rs`.)

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::audit::AuditAction;
use portal_core::id::{ContactId, StaffId};
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};
use serde_json::{Value, json};

const TOKEN: &str = "a-staff-token-of-some-length";

async fn setup() -> (World, PortalWeb) {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let staff = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
    let web = PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api("/admin/api", staff)
        .build()
        .await
        .unwrap();
    (w, web)
}

fn put_phone(contact: ContactId, body: &Value) -> Request {
    Request::new("PUT", &format!("/admin/api/contacts/{contact}/phone"))
        .header("authorization", &format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(body.to_string())
}

fn json_of(resp: &Response) -> Value {
    serde_json::from_slice(&resp.body).unwrap()
}

/// Jane's number as stored, and how many audit entries the firm has.
async fn stored(w: &World) -> (Option<String>, u64) {
    let jane = w.store().contact(w.jane.id).await.unwrap().unwrap();
    let head = w.store().audit_head(w.firm.id).await.unwrap().unwrap();
    (jane.phone.map(|p| p.as_str().to_owned()), head.seq)
}

#[tokio::test]
async fn staff_set_a_phone_in_e164_form_and_clear_it() {
    let (w, web) = setup().await;
    let resp = web
        .handle_staff(put_phone(w.jane.id, &json!({"phone": "+44 20 7946 0958"})))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(json_of(&resp)["phone"], "+442079460958");
    assert_eq!(stored(&w).await.0.as_deref(), Some("+442079460958"));
    // The contact's JSON shows it, in the list too.
    let get = |path: String| {
        Request::new("GET", &format!("/admin/api{path}"))
            .header("authorization", &format!("Bearer {TOKEN}"))
    };
    let one = web
        .handle_staff(get(format!("/contacts/{}", w.jane.id)))
        .await;
    assert_eq!(json_of(&one)["phone"], "+442079460958");
    let all = json_of(&web.handle_staff(get("/contacts".into())).await);
    let bob = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "bob@example.com")
        .unwrap();
    assert_eq!(bob["phone"], Value::Null);

    let resp = web
        .handle_staff(put_phone(w.jane.id, &json!({"phone": null})))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(json_of(&resp)["phone"], Value::Null);
    assert_eq!(stored(&w).await.0, None);
    let details: Vec<_> = w
        .audit(AuditAction::ContactPhoneChanged)
        .await
        .into_iter()
        .map(|e| e.entry.detail)
        .collect();
    assert_eq!(details, ["set", "cleared"]);
}

#[tokio::test]
async fn a_number_that_does_not_parse_is_a_422_that_says_why_and_changes_nothing() {
    let (w, web) = setup().await;
    web.handle_staff(put_phone(w.jane.id, &json!({"phone": "+44 20 7946 0958"})))
        .await;
    let before = stored(&w).await;
    for (typed, says) in [
        ("0044 20 7946 0958", "instead of the leading 00"),
        ("020 7946 0958", "start the phone number with +"),
        ("+44 20 7946 0958 ext. 12", "only digits"),
        ("+44 123", "at least 8 digits"),
        ("+44 1234 5678 9012 34", "at most 15 digits"),
        ("", "enter a phone number"),
    ] {
        let resp = web
            .handle_staff(put_phone(w.jane.id, &json!({ "phone": typed })))
            .await;
        assert_eq!(resp.status, 422, "{typed:?}");
        let error = json_of(&resp)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(says), "{typed:?}: {error}");
        assert!(!error.contains("7946"), "the number is not echoed: {error}");
        assert_eq!(stored(&w).await, before, "{typed:?}");
    }
    // A body without the key, or with a number that is no string, clears nothing.
    for body in [json!({}), json!({"phone": 442_079_460_958_u64})] {
        let resp = web.handle_staff(put_phone(w.jane.id, &body)).await;
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(stored(&w).await, before, "{body}");
    }
}

#[tokio::test]
async fn another_firm_s_contact_is_not_found_and_the_route_is_guarded() {
    let (w, web) = setup().await;
    let before = stored(&w).await;
    let number = json!({"phone": "+44 20 7946 0958"});
    let resp = web.handle_staff(put_phone(w.olga.id, &number)).await;
    assert_eq!(resp.status, 404);
    let olga = w.store().contact(w.olga.id).await.unwrap().unwrap();
    assert_eq!(olga.phone, None);
    let resp = web
        .handle_staff(put_phone(ContactId::from_bytes([7; 16]), &number))
        .await;
    assert_eq!(resp.status, 404);

    // No token, a wrong one, or another site's page: refused before the route runs.
    let path = format!("/admin/api/contacts/{}/phone", w.jane.id);
    let bare = || {
        Request::new("PUT", &path)
            .header("content-type", "application/json")
            .body(number.to_string())
    };
    assert_eq!(web.handle_staff(bare()).await.status, 401);
    let wrong = bare().header("authorization", "Bearer not-the-staff-token-at-all");
    assert_eq!(web.handle_staff(wrong).await.status, 401);
    let cross_site = put_phone(w.jane.id, &number).header("origin", "https://evil.example");
    assert_eq!(web.handle_staff(cross_site).await.status, 403);
    let text = Request::new("PUT", &path)
        .header("authorization", &format!("Bearer {TOKEN}"))
        .header("content-type", "text/plain")
        .body(number.to_string());
    assert_eq!(web.handle_staff(text).await.status, 415);
    assert_eq!(stored(&w).await, before);
}
