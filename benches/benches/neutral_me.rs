//! The portal's own cost of an authenticated `GET /portal/api/me`, in process: the
//! framework-neutral `PortalWeb::handle` on the memory store, without any HTTP server.
//!
//! Run with: `cargo bench -p portal-benches --bench neutral_me`

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portal_core::audit::RequestInfo;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::id::StaffId;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::web::{CookieSecurity, PortalWeb, Request};
use portal_core::{MemoryStore, Portal};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (web, cookie) = rt.block_on(async {
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
        let b = portal.create_client(firm.id, "B").await.expect("client");
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
                    client_ids: vec![a.id, b.id],
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
                url.rsplit('/').next().expect("token"),
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
        (
            web,
            format!("portal_session={}", login.token.expose_secret()),
        )
    });
    let mut group = c.benchmark_group("neutral_handle");
    group.bench_function("api_me", |bench| {
        bench.to_async(&rt).iter(|| {
            let req = Request::new("GET", "/portal/api/me")
                .header("host", "127.0.0.1:3000")
                .header("cookie", &cookie);
            let web = web.clone();
            async move { black_box(web.handle(req).await.status) }
        })
    });
    group.bench_function("theme_css", |bench| {
        bench.to_async(&rt).iter(|| {
            let req =
                Request::new("GET", "/portal/assets/theme.css").header("host", "127.0.0.1:3000");
            let web = web.clone();
            async move { black_box(web.handle(req).await.status) }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
