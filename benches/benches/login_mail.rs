//! Login mail through the outbox (issue 18), on SQLite (a file in WAL mode): a login
//! request for a known address, from the request to the email handed to the delivery
//! (the challenge and the sealed message written in one transaction, claimed, opened,
//! delivered, the attempt recorded), beside the same request for an address nobody has
//! (the same challenge and hashing on a stand-in, no message) in the same run.
//!
//! - `login_mail/answer/{known,unknown}`: the time to the request's answer; the work is
//!   in the background, so the two must not differ (enumeration).
//! - `login_mail/delivered/known`: the time until the email is handed to the delivery.
//!   Most of it is the argon2id hash of the email's code (the policy's cost), measured
//!   alone as `login_mail/floor/argon2_code`; `login_mail/settled/unknown` is the same
//!   request's store work without a code or a message. What the outbox adds is
//!   `delivered/known - floor/argon2_code - settled/unknown`.
//!
//! Run with: `cargo bench -p portal-benches --bench login_mail`

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly; a bench measures real time.
#![allow(missing_docs, clippy::expect_used, clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use portal_core::audit::RequestInfo;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::grant::Permissions;
use portal_core::notify::DevOutbox;
use portal_core::policy::RateLimit;
use portal_core::staff::{Invitation, StaffContext};
use portal_core::{Policy, Portal};
use portal_sqlx::SqliteStore;

const JANE: &str = "jane@example.com";

struct Setup {
    portal: Portal,
    outbox: DevOutbox,
    firm: portal_core::id::FirmId,
}

async fn setup(path: &std::path::Path) -> Setup {
    let _ = std::fs::remove_file(path);
    let store = SqliteStore::open(path).await.expect("open");
    store.migrate().await.expect("migrate");
    let outbox = DevOutbox::new();
    // No throttle in the way of thousands of requests for one address.
    let mut policy = Policy::default();
    policy.login_emails_per_address = RateLimit::new(u32::MAX, Duration::from_secs(1));
    let portal = Portal::builder(store)
        .delivery(outbox.clone())
        .policy(policy)
        .build()
        .expect("portal");
    let firm = portal
        .create_firm(NewFirm {
            name: "Acme".into(),
            public_url: PublicUrl::parse("https://portal.acme.example").expect("url"),
            branding: Branding::default(),
            mail_from: None,
        })
        .await
        .expect("firm");
    let client = portal
        .create_client(firm.id, "Bakery")
        .await
        .expect("client");
    let staff = StaffContext {
        firm: firm.id,
        staff: portal_core::id::StaffId::new("alice").expect("staff"),
        request: RequestInfo::default(),
    };
    portal
        .invite(
            &staff,
            Invitation {
                email: JANE.into(),
                first_name: "Jane".into(),
                phone: None,
                client_ids: vec![client.id],
                permissions: Permissions::ALL,
            },
        )
        .await
        .expect("invite");
    portal.settle().await;
    Setup {
        portal,
        outbox,
        firm: firm.id,
    }
}

fn login_mail(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let path = std::env::temp_dir().join(format!("portal-bench-mail-{}.db", std::process::id()));
    let s = rt.block_on(setup(&path));
    let request = RequestInfo::default();
    let mut group = c.benchmark_group("login_mail");
    group.sample_size(30);
    for (name, email) in [("known", JANE), ("unknown", "nobody@example.com")] {
        // The answer only; the background work is waited for outside the timing. Each
        // iteration also makes the other address's request, untimed, in alternating
        // order, so that both benches see the database grow alike.
        let other = if name == "known" {
            "nobody@example.com"
        } else {
            JANE
        };
        group.bench_function(format!("answer/{name}"), |b| {
            b.to_async(&rt).iter_custom(|n| {
                let (p, request) = (s.portal.clone(), request.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for i in 0..n {
                        if i % 2 == 0 {
                            p.request_login_link(s.firm, other, None, &request)
                                .await
                                .expect("request");
                            p.settle().await;
                        }
                        let started = Instant::now();
                        p.request_login_link(s.firm, email, None, &request)
                            .await
                            .expect("request");
                        total += started.elapsed();
                        if i % 2 == 1 {
                            p.request_login_link(s.firm, other, None, &request)
                                .await
                                .expect("request");
                        }
                        p.settle().await;
                    }
                    total
                }
            });
        });
        let label = if name == "known" {
            "delivered"
        } else {
            "settled"
        };
        group.bench_function(format!("{label}/{name}"), |b| {
            b.to_async(&rt).iter_custom(|n| {
                let (p, request, outbox) = (s.portal.clone(), request.clone(), s.outbox.clone());
                async move {
                    let before = outbox.entries().len();
                    let started = Instant::now();
                    for _ in 0..n {
                        p.request_login_link(s.firm, email, None, &request)
                            .await
                            .expect("request");
                        p.settle().await;
                    }
                    let took = started.elapsed();
                    let sent = outbox.entries().len() - before;
                    let expected = if name == "known" { n as usize } else { 0 };
                    assert_eq!(sent, expected, "one email per known request");
                    took
                }
            });
        });
    }
    // The floor: the code's hash alone, at the policy's cost, with the argon2 crate.
    let cost = Policy::default().password.hashing;
    let params = argon2::Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    group.bench_function("floor/argon2_code", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            argon
                .hash_password_into(b"123456", b"a salt of 16 b.", &mut out)
                .expect("hash");
            out
        });
    });
    group.finish();
    drop(s);
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, login_mail);
criterion_main!(benches);
