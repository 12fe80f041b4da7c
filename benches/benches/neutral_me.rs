//! The portal's own cost of an authenticated `GET /portal/api/me`, in process: the
//! framework-neutral `PortalWeb::handle` on the memory store, without any HTTP server,
//! beside a static asset through the same `handle`. Prints the size of `handle`'s
//! future first.
//!
//! Run with: `cargo bench -p portal-benches --bench neutral_me`

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portal_core::web::Request;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (web, cookie) = rt.block_on(portal_benches::logged_in_portal());
    // A future is moved whole, at its full size, into whatever awaits it (and axum
    // boxes the handler's): its size is part of what a request costs.
    let future = web.handle(Request::new("GET", "/portal/api/me"));
    println!(
        "neutral_handle: PortalWeb::handle's future is {} bytes",
        std::mem::size_of_val(&future)
    );
    drop(future);
    let mut group = c.benchmark_group("neutral_handle");
    for path in ["/portal/api/me", "/portal/assets/theme.css"] {
        group.bench_function(path, |b| {
            b.to_async(&rt).iter(|| {
                let req = Request::new("GET", path).header("cookie", &cookie);
                let web = web.clone();
                async move { black_box(web.handle(req).await.status) }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
