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

use std::hint::black_box;

use axum::body::Body;
use axum::{Router, routing::get};
use criterion::{Criterion, criterion_group, criterion_main};
use portal_axum::{CurrentContact, PortalLayer};
use tower_service::Service as _;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (web, cookie) = rt.block_on(portal_benches::logged_in_portal());
    let router: Router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/whoami",
            get(|c: CurrentContact| async move { c.contact_id().to_string() }),
        )
        .merge(portal_axum::router(web.clone()))
        .layer(PortalLayer::new(web));
    let mut group = c.benchmark_group("axum_in_process");
    for path in [
        "/healthz",
        "/whoami",
        "/portal/api/me",
        "/portal/assets/theme.css",
    ] {
        group.bench_function(path, |b| {
            b.to_async(&rt).iter(|| {
                let mut r = router.clone();
                let req = axum::http::Request::builder()
                    .uri(path)
                    .header("cookie", &cookie)
                    .body(Body::empty())
                    .expect("request");
                async move { black_box(r.call(req).await.map(|resp| resp.status())) }
            })
        });
    }
    group.finish();
    for path in ["/whoami", "/portal/api/me"] {
        interleaved_ratio(&rt, &router, &cookie, path);
    }
}

/// Criterion's benches run seconds apart, and this machine's speed drifts by tens of
/// percent in that time; this alternates short blocks of `/healthz` and of `path` so
/// that both see the same machine, and prints the median ratio of 51 rounds.
#[allow(clippy::disallowed_methods)] // a benchmark reads the real clock
fn interleaved_ratio(rt: &tokio::runtime::Runtime, router: &Router, cookie: &str, path: &str) {
    const BLOCK: usize = 5_000;
    let block = |path: &str| {
        let start = std::time::Instant::now();
        rt.block_on(async {
            for _ in 0..BLOCK {
                let req = axum::http::Request::builder()
                    .uri(path)
                    .header("cookie", cookie)
                    .body(Body::empty())
                    .expect("request");
                let resp = router.clone().call(req).await.expect("response");
                black_box(resp.status());
            }
        });
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..51)
        .map(|_| {
            let bare = block("/healthz");
            block(path) / bare
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "axum_in_process/interleaved: {path} / /healthz = {:.2} (median of 51 rounds; quartiles {:.2}..{:.2})",
        ratios[25], ratios[12], ratios[38]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
