//! What `PortalBuilder` and `PortalWebBuilder` refuse, and where a login lands when the
//! host allowed its own pages as login targets. What a host is warned of is in
//! `warnings.rs`.

#![allow(clippy::unwrap_used, missing_docs)]

use portal_core::audit::RequestInfo;
use portal_core::firm::{Branding, Firm, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::id::StaffId;
use portal_core::notify::DevOutbox;
use portal_core::portal::BuildError;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::{MemoryStore, Portal};

#[tokio::test]
async fn a_portal_without_a_delivery_is_refused() {
    let refused = Portal::builder(MemoryStore::new()).build();
    assert!(
        matches!(refused, Err(BuildError::NoDelivery)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_host_prefix_that_is_not_a_path_is_refused() {
    for bad in ["dashboard", "/dashboard/", "//evil.com", "/a b", ""] {
        let refused = Portal::builder(MemoryStore::new())
            .delivery(DevOutbox::new())
            .allow_next_under(bad)
            .build();
        assert!(matches!(refused, Err(BuildError::NextPrefix)), "{bad:?}");
    }
}

/// A portal on the memory store whose logins may land under `prefixes` too, its outbox,
/// and a firm on it.
async fn portal_allowing(prefixes: &[&str]) -> (Portal, DevOutbox, Firm) {
    let outbox = DevOutbox::new();
    let builder = prefixes.iter().fold(
        Portal::builder(MemoryStore::new()).delivery(outbox.clone()),
        |b, p| b.allow_next_under(*p),
    );
    let portal = builder.build().unwrap();
    let firm = portal
        .create_firm(NewFirm {
            name: "Acme".into(),
            public_url: PublicUrl::parse("https://acme.example").unwrap(),
            branding: Branding::default(),
            mail_from: None,
        })
        .await
        .unwrap();
    (portal, outbox, firm)
}

/// Where a login link asked for with `next` lands once redeemed, on a portal whose
/// logins may land under `prefixes`.
async fn landing(prefixes: &[&str], next: &str) -> Option<String> {
    let (portal, outbox, firm) = portal_allowing(prefixes).await;
    let client = portal.create_client(firm.id, "Bakery").await.unwrap();
    let staff = StaffContext {
        firm: firm.id,
        staff: StaffId::new("alice").unwrap(),
        request: RequestInfo::default(),
    };
    portal
        .invite(
            &staff,
            Invitation {
                email: "jane@example.com".into(),
                first_name: "Jane".into(),
                phone: None,
                client_ids: vec![client.id],
                permissions: Permissions::ALL,
            },
        )
        .await
        .unwrap();
    let ip = RequestInfo::new(Some([192, 0, 2, 1].into()), None);
    portal
        .request_login_link(firm.id, "jane@example.com", Some(next), &ip)
        .await
        .unwrap();
    portal.settle().await;
    let mail = outbox.last_to("jane@example.com").unwrap();
    let token = mail.message.links[0].rsplit('/').next().unwrap().to_owned();
    let login = portal
        .redeem_magic_link(firm.id, &token, None, None, &ip)
        .await
        .unwrap();
    login.next
}

#[tokio::test]
async fn next_lands_on_the_hosts_pages_only_under_the_prefixes_it_allowed() {
    assert_eq!(
        landing(&["/dashboard"], "/dashboard/reports?year=2026")
            .await
            .as_deref(),
        Some("/dashboard/reports?year=2026")
    );
    assert_eq!(landing(&[], "/dashboard/reports").await, None);
    assert_eq!(landing(&["/dashboard"], "/dashboard/../admin").await, None);
}

#[tokio::test]
async fn a_browser_without_a_session_is_sent_to_log_in_and_back_to_an_allowed_page() {
    use portal_core::web::{PortalWeb, SessionRejection};
    let (portal, _, firm) = portal_allowing(&["/dashboard"]).await;
    let web = PortalWeb::builder(portal, firm.id).build().await.unwrap();
    let html = Some("text/html,application/xhtml+xml;q=0.9");
    let to = |location: &str| SessionRejection::LoginRequired {
        location: location.to_owned(),
    };
    assert_eq!(
        web.login_required("/dashboard/reports?year=2026&q=a%20b", html),
        to("/portal/login?next=/dashboard/reports%3Fyear%3D2026%26q%3Da%2520b")
    );
    assert_eq!(web.login_required("/admin", html), to("/portal/login"));
    assert_eq!(
        web.login_required("/dashboard/../admin", html),
        to("/portal/login")
    );
    for api in [None, Some("application/json"), Some("*/*")] {
        assert_eq!(
            web.login_required("/dashboard", api),
            SessionRejection::NotLoggedIn
        );
    }
}

/// A firm at `url` on `portal`.
async fn firm_at(portal: &Portal, url: &str) -> Firm {
    portal
        .create_firm(NewFirm::new("Acme", PublicUrl::parse(url).unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn secure_cookies_on_plain_http_to_another_host_are_refused() {
    use portal_core::web::{CookieSecurity, PortalWeb, WebBuildError};
    let portal = Portal::builder(MemoryStore::new())
        .delivery(DevOutbox::new())
        .build()
        .unwrap();
    let web = |url: &'static str, cookies: CookieSecurity| {
        let portal = portal.clone();
        async move {
            let firm = firm_at(&portal, url).await;
            PortalWeb::builder(portal, firm.id)
                .cookies(cookies)
                .build()
                .await
        }
    };
    for url in ["http://portal.acme.example", "http://192.0.2.7:3000"] {
        let refused = web(url, CookieSecurity::Secure).await;
        assert!(
            matches!(&refused, Err(WebBuildError::SecureCookiesOverHttp(u)) if u == url),
            "{url}: {refused:?}"
        );
        web(url, CookieSecurity::InsecureLocalDevelopment)
            .await
            .unwrap();
    }
    for url in [
        "https://portal.acme.example",
        "http://localhost:3000",
        "http://acme.localhost:3000",
        "http://127.0.0.1:3000",
        "http://127.1.2.3",
    ] {
        web(url, CookieSecurity::Secure).await.unwrap();
    }
}
