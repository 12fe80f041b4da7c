//! The axum HTTP path in process, without sockets: `GET /healthz` (a bare handler) beside
//! `/whoami` (a host handler asking `CurrentContact`), the portal's `/portal/api/me` and
//! a static asset, all through one router with the `PortalLayer`, on the memory store.
//! It splits the cost the load test (`benches/http/load.sh`) sees into what is the
//! portal's and what is the kernel's.
//!
//! Run with: `cargo bench -p portal-benches --bench axum_inproc`

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use axum::{Router, body::Body, routing::get};
use criterion::{Criterion, criterion_group, criterion_main};
use portal_axum::{CurrentContact, PortalLayer};
use portal_core::audit::RequestInfo;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::id::StaffId;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::web::{CookieSecurity, PortalWeb};
use portal_core::{MemoryStore, Portal};
use std::hint::black_box;
use tower_service::Service;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (router, cookie) = rt.block_on(async {
        let portal = Portal::builder(MemoryStore::new()).build().expect("portal");
        let firm = portal
            .create_firm(NewFirm {
                name: "Bench".into(),
                public_url: PublicUrl::parse("http://127.0.0.1:3000").expect("url"),
                branding: Branding::default(),
                mail_from: None,
            })
            .await
            .expect("firm");
        let a = portal.create_client(firm.id, "A").await.expect("client");
        let staff = StaffContext {
            firm: firm.id,
            staff: StaffId::new("bench").expect("id"),
            request: RequestInfo::default(),
        };
        let contact = portal
            .invite(
                &staff,
                Invitation {
                    email: "a@b.example".into(),
                    first_name: "A".into(),
                    client_ids: vec![a.id],
                    permissions: Permissions::ALL,
                },
            )
            .await
            .expect("invite")
            .contact;
        let url = portal
            .generate_magic_link(&staff, contact.id)
            .await
            .expect("link");
        let login = portal
            .redeem_magic_link(
                firm.id,
                url.rsplit('/').next().expect("t"),
                None,
                None,
                &RequestInfo::default(),
            )
            .await
            .expect("login");
        let web = PortalWeb::builder(portal, firm.id)
            .cookies(CookieSecurity::InsecureLocalDevelopment)
            .build()
            .await
            .expect("web");
        let router: Router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/whoami",
                get(|c: CurrentContact| async move { c.contact_id().to_string() }),
            )
            .merge(portal_axum::router(web.clone()))
            .layer(PortalLayer::new(web));
        (
            router,
            format!("portal_session={}", login.token.expose_secret()),
        )
    });
    for path in [
        "/healthz",
        "/whoami",
        "/portal/api/me",
        "/portal/assets/theme.css",
    ] {
        c.bench_function(path, |b| {
            b.to_async(&rt).iter(|| {
                let mut r = router.clone();
                let req = axum::http::Request::builder()
                    .uri(path)
                    .header("host", "127.0.0.1:3000")
                    .header("cookie", &cookie)
                    .body(Body::empty())
                    .expect("req");
                async move { black_box(r.call(req).await.expect("resp").status()) }
            })
        });
    }
}
criterion_group!(benches, bench);
criterion_main!(benches);
