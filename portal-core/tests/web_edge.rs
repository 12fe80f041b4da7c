//! Rules of the neutral HTTP layer that hold whatever adapter passes requests on: the
//! mount paths are whole path segments, and the staff API's token is a real secret.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::id::StaffId;
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, SessionHeaders, WebBuildError};

const TOKEN: &str = "a-staff-token-of-some-length";

async fn web_with_staff_api() -> PortalWeb {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let staff = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
    PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api("/admin/api", staff)
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_path_that_only_shares_the_mounts_prefix_is_not_below_it() {
    let web = web_with_staff_api().await;
    assert_eq!(
        web.handle(Request::new("GET", "/portal/login"))
            .await
            .status,
        200
    );
    for path in ["/portallogin", "/portal-login", "/portalx/"] {
        assert_eq!(
            web.handle(Request::new("GET", path)).await.status,
            404,
            "{path}"
        );
    }
    let bearer = format!("Bearer {TOKEN}");
    let staff = |path: &str| Request::new("GET", path).header("authorization", &bearer);
    assert_eq!(
        web.handle_staff(staff("/admin/api/contacts")).await.status,
        200
    );
    assert_eq!(
        web.handle_staff(staff("/admin/apicontacts")).await.status,
        404
    );
}

#[tokio::test]
async fn a_doubled_slash_is_not_read_as_a_single_one() {
    let web = web_with_staff_api().await;
    for path in [
        "/portal//api/me",
        "/portal//login",
        "/portal/api//me",
        "/portal//",
    ] {
        assert_eq!(
            web.handle(Request::new("GET", path)).await.status,
            404,
            "{path}"
        );
    }
    let bearer = format!("Bearer {TOKEN}");
    for path in [
        "/admin/api//contacts",
        "/admin/api/contacts//",
        "/admin/api//audit",
    ] {
        let req = Request::new("GET", path).header("authorization", &bearer);
        assert_eq!(web.handle_staff(req).await.status, 404, "{path}");
    }
    let req = Request::new("GET", "/admin/api/contacts").header("authorization", &bearer);
    assert_eq!(web.handle_staff(req).await.status, 200, "the single slash");
}

#[tokio::test]
async fn staff_head_requests_are_answered_as_get_without_a_body() {
    let web = web_with_staff_api().await;
    let bearer = format!("Bearer {TOKEN}");
    let req = |method| Request::new(method, "/admin/api/contacts").header("authorization", &bearer);
    let get = web.handle_staff(req("GET")).await;
    let head = web.handle_staff(req("HEAD")).await;
    assert_eq!((get.status, head.status), (200, 200));
    assert!(!get.body.is_empty() && head.body.is_empty());
}

#[test]
fn a_staff_token_must_be_a_secret() {
    let staff = || StaffId::new("staff").unwrap();
    for weak in [
        "",
        "short",
        "fifteen chars!!",
        "sixteen chars  x",
        "tab\tinside-a-token",
    ] {
        assert!(BearerToken::new(weak, staff()).is_err(), "{weak:?}");
    }
    assert!(BearerToken::new(TOKEN, staff()).is_ok());
}

#[tokio::test]
async fn a_staff_mount_path_is_refused_unless_it_is_one() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    for bad in ["/admin/api/", "admin/api", "/", "", "/admin//api"] {
        let staff = BearerToken::new(TOKEN, StaffId::new("staff").unwrap()).unwrap();
        let built = PortalWeb::builder(w.a.clone(), w.firm.id)
            .staff_api(bad, staff)
            .build()
            .await;
        assert!(
            matches!(built, Err(WebBuildError::StaffMountPath)),
            "{bad:?}"
        );
    }
}

#[test]
fn session_headers_print_no_cookie() {
    let token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let headers = SessionHeaders {
        cookie: Some(format!("__Host-portal_session={token}; Max-Age=86400")),
        https: true,
    };
    let printed = format!("{headers:?}");
    assert!(
        !printed.contains(token) && printed.contains("redacted"),
        "{printed}"
    );
}
