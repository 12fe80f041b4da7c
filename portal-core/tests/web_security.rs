//! Security rules of the neutral HTTP layer, each tried with the wrong secret as well
//! as the right one: the CSRF token, the staff token, logout, the session cookie's
//! lifetime, two cookies of the session's name, and HSTS.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use portal_core::MemoryStore;
use portal_core::SessionError;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::id::StaffId;
use portal_core::testing::{Fixture, World};
use portal_core::web::{BearerToken, PortalWeb, Request, Response};

const STAFF_TOKEN: &str = "a-staff-token-of-some-length";
const COOKIE: &str = "__Host-portal_session";

async fn world() -> World {
    World::new(Fixture::single(Arc::new(MemoryStore::new()))).await
}

/// A session of `contact`: its cookie header and CSRF token.
async fn session(
    w: &World,
    web: &PortalWeb,
    contact: portal_core::id::ContactId,
) -> (String, String) {
    let token = w.login(contact).await.token.expose_secret();
    let cookie = format!("{COOKIE}={token}");
    let me = web.handle(get("/portal/api/me", &cookie)).await;
    assert_eq!(me.status, 200);
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    (cookie, me["csrf_token"].as_str().unwrap().to_owned())
}

fn get(path: &str, cookie: &str) -> Request {
    Request::new("GET", path).header("cookie", cookie)
}

fn post(path: &str, cookie: &str, body: &str) -> Request {
    Request::new("POST", path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
}

fn set_cookies(resp: &Response) -> Vec<&str> {
    resp.headers
        .iter()
        .filter(|(n, _)| *n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The same token with its first character changed: same length, same alphabet.
fn near_miss(secret: &str) -> String {
    let first = if secret.starts_with('A') { "B" } else { "A" };
    format!("{first}{}", &secret[1..])
}

#[tokio::test]
async fn a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = session(&w, &web, w.jane.id).await;
    let (_, bobs_csrf) = session(&w, &web, w.bob.id).await;
    let client2 = w.client2.id.to_string();
    for wrong in [
        near_miss(&csrf),
        bobs_csrf,
        String::new(),
        csrf[..42].to_owned(),
    ] {
        let logout = web
            .handle(post(
                "/portal/logout",
                &cookie,
                &format!("csrf_token={wrong}"),
            ))
            .await;
        assert_eq!(logout.status, 403, "logout with {wrong:?}");
        let switch = web
            .handle(
                post(
                    "/portal/api/switch",
                    &cookie,
                    &format!("client_id={client2}"),
                )
                .header("x-csrf-token", &wrong),
            )
            .await;
        assert_eq!(switch.status, 403, "switch with {wrong:?}");
    }
    let logout = web.handle(post("/portal/logout", &cookie, "")).await;
    assert_eq!(logout.status, 403, "no token");
    let me = web.handle(get("/portal/api/me", &cookie)).await;
    assert_eq!(me.status, 200, "still logged in");
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(
        me["active_client"]["id"].as_str(),
        Some(w.client1.id.to_string().as_str()),
        "not switched: {me}"
    );
    let switch = web
        .handle(
            post(
                "/portal/api/switch",
                &cookie,
                &format!("client_id={client2}"),
            )
            .header("x-csrf-token", &csrf),
        )
        .await;
    assert_eq!(switch.status, 303, "the right token");
    let me = web.handle(get("/portal/api/me", &cookie)).await;
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    assert_eq!(
        me["active_client"]["id"].as_str(),
        Some(client2.as_str()),
        "{me}"
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_its_cookie() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = session(&w, &web, w.jane.id).await;
    let resp = web
        .handle(post(
            "/portal/logout",
            &cookie,
            &format!("csrf_token={csrf}"),
        ))
        .await;
    assert_eq!(resp.status, 303);
    assert_eq!(
        set_cookies(&resp),
        [format!(
            "{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
        )]
    );
    // Ended in the store, not only in this browser: the cookie, replayed, is refused.
    let token = cookie.split_once('=').unwrap().1;
    assert!(matches!(
        w.a.authenticate(w.firm.id, token, &World::req()).await,
        Err(SessionError::NotLoggedIn)
    ));
    assert_eq!(web.handle(get("/portal/api/me", &cookie)).await.status, 401);
    assert_eq!(
        w.audit(portal_core::audit::AuditAction::Logout).await.len(),
        1
    );
}

#[tokio::test]
async fn a_wrong_staff_token_is_refused() {
    let w = world().await;
    let staff = BearerToken::new(STAFF_TOKEN, StaffId::new("staff").unwrap()).unwrap();
    let web = PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api("/admin/api", staff)
        .build()
        .await
        .unwrap();
    let call = |bearer: String| {
        let web = web.clone();
        async move {
            web.handle_staff(
                Request::new("GET", "/admin/api/contacts").header("authorization", &bearer),
            )
            .await
            .status
        }
    };
    for wrong in [
        near_miss(STAFF_TOKEN),
        STAFF_TOKEN[..STAFF_TOKEN.len() - 1].to_owned(),
        format!("{STAFF_TOKEN}x"),
        STAFF_TOKEN.to_ascii_uppercase(),
    ] {
        assert_eq!(call(format!("Bearer {wrong}")).await, 401, "{wrong}");
    }
    assert_eq!(call(STAFF_TOKEN.to_owned()).await, 401, "no scheme");
    assert_eq!(call(format!("Bearer {STAFF_TOKEN}")).await, 200);
}

#[tokio::test]
async fn the_session_cookie_lives_exactly_as_long_as_the_session() {
    let w = world().await;
    let web = w.web().await;
    let token = w.link(w.jane.id).await;
    let resp = web
        .handle(post("/portal/auth/link", "", &format!("token={token}")))
        .await;
    assert_eq!(resp.status, 303);
    let set = set_cookies(&resp);
    let session = set.iter().find(|c| c.starts_with(COOKIE)).unwrap();
    // A new session ends after the idle timeout (24 hours) unless renewed.
    assert!(
        session.contains("; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax; Secure"),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap().to_owned();
    // Renewed every 20 hours, the cookie's life is the next idle period, until the
    // absolute lifetime (30 days) cuts it short: never longer than the session.
    let mut max_ages = Vec::new();
    for _ in 0..35 {
        w.advance(Duration::from_secs(20 * 3600));
        let resp = web.handle(get("/portal/api/me", &cookie)).await;
        assert_eq!(resp.status, 200);
        let renewed = set_cookies(&resp);
        assert_eq!(renewed.len(), 1, "{renewed:?}");
        let max_age = renewed[0].split("Max-Age=").nth(1).unwrap();
        max_ages.push(max_age.split(';').next().unwrap().parse::<u64>().unwrap());
    }
    assert!(max_ages[..34].iter().all(|&s| s == 86_400), "{max_ages:?}");
    assert_eq!(
        max_ages[34],
        (30 * 24 - 700) * 3600,
        "what is left of 30 days"
    );
}

#[tokio::test]
async fn two_cookies_of_the_sessions_name_are_no_session() {
    let w = world().await;
    let web = w.web().await;
    let (jane, _) = session(&w, &web, w.jane.id).await;
    let (planted, _) = session(&w, &web, w.bob.id).await;
    assert_eq!(web.handle(get("/portal/api/me", &jane)).await.status, 200);
    for request in [
        get("/portal/api/me", &format!("{planted}; {jane}")),
        get("/portal/api/me", &format!("{jane}; {planted}")),
        get("/portal/api/me", &format!("{jane}; {COOKIE}=garbage")),
        get("/portal/api/me", &planted).header("cookie", &jane),
    ] {
        let resp = web.handle(request).await;
        assert_eq!(resp.status, 401);
        // Neither is cleared: clearing the portal's own would leave the planted one
        // alone, and it would then be believed.
        assert!(set_cookies(&resp).is_empty(), "{resp:?}");
    }
    let both = format!("{jane}; {planted}");
    let host = web
        .authenticate([both.as_str()], || get("/", &both))
        .await
        .unwrap();
    assert!(host.is_none(), "the host's handlers see no session either");
    assert_eq!(web.handle(get("/portal/api/me", &jane)).await.status, 200);
}

#[tokio::test]
async fn hsts_only_when_the_public_url_is_https() {
    let w = world().await;
    let https = w.web().await;
    let resp = https.handle(Request::new("GET", "/portal/login")).await;
    assert_eq!(
        resp.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert!(https.session_headers(None).https);
    let local =
        w.a.create_firm(NewFirm {
            name: "Local".into(),
            public_url: PublicUrl::parse("http://localhost:3000").unwrap(),
            branding: Branding::default(),
            mail_from: None,
        })
        .await
        .unwrap();
    let http = PortalWeb::builder(w.a.clone(), local.id)
        .build()
        .await
        .unwrap();
    for path in [
        "/portal/login",
        "/portal/api/me",
        "/portal/nowhere",
        "/portal/assets/theme.css",
    ] {
        let resp = http.handle(Request::new("GET", path)).await;
        assert_eq!(resp.header("strict-transport-security"), None, "{path}");
        assert_eq!(
            resp.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    assert!(!http.session_headers(None).https);
}

/// A preview session's cookie and CSRF token, started through the preview routes.
async fn preview_session(w: &World, web: &PortalWeb) -> (String, String) {
    let link = w.a.issue_preview_link(&w.staff, w.jane.id).await.unwrap();
    let token = link.url.rsplit('/').next().unwrap().to_owned();
    let page = web
        .handle(get(&format!("/portal/preview/{token}"), ""))
        .await;
    assert_eq!(page.status, 200);
    let started = web
        .handle(post("/portal/preview", "", &format!("token={token}")))
        .await;
    assert_eq!(started.status, 303);
    let set = set_cookies(&started)
        .into_iter()
        .find(|c| c.starts_with(COOKIE))
        .unwrap()
        .to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let me = web.handle(get("/portal/api/me", &cookie)).await;
    assert_eq!(me.status, 200);
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    (cookie, me["csrf_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_guard_refuses_a_preview_before_any_route_runs() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = preview_session(&w, &web).await;
    let page = web.handle(get("/portal/", &cookie)).await;
    assert!(String::from_utf8_lossy(&page.body).contains("Preview — read-only"));
    // A task that does not exist would be 404 from the operation: 403 here shows the
    // guard answered first, whatever the route would have done.
    let nowhere = "00000000-0000-4000-8000-000000000000";
    for action in ["complete", "uncomplete"] {
        let resp = web
            .handle(
                post(
                    &format!("/portal/api/tasks/{nowhere}/{action}"),
                    &cookie,
                    "{}",
                )
                .header("content-type", "application/json")
                .header("x-csrf-token", &csrf),
            )
            .await;
        assert_eq!(resp.status, 403, "{action}");
        assert!(String::from_utf8_lossy(&resp.body).contains("Read-only preview"));
    }
    // The contact's own session on the same route reaches the operation.
    let (own, own_csrf) = session(&w, &web, w.jane.id).await;
    let resp = web
        .handle(
            post(&format!("/portal/api/tasks/{nowhere}/complete"), &own, "{}")
                .header("content-type", "application/json")
                .header("x-csrf-token", &own_csrf),
        )
        .await;
    assert_eq!(resp.status, 404);
    // Logout ends the preview.
    let out = web
        .handle(post(
            "/portal/logout",
            &cookie,
            &format!("csrf_token={csrf}"),
        ))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(web.handle(get("/portal/api/me", &cookie)).await.status, 401);
}
