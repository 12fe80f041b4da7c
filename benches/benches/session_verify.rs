//! Session verification on the in-memory store with 1,000,000 sessions, beside the bare
//! `HashMap` lookup of the same digests in the same run (issue 2's goal: at most 1.3
//! times the bare lookup).
//!
//! Run with: `cargo bench -p portal-benches --bench session_verify`

// criterion_group! generates undocumented functions; a bench that cannot set up
// should stop loudly.
#![allow(missing_docs, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use portal_core::audit::RequestInfo;
use portal_core::id::SessionId;
use portal_core::random::SecretSource;
use portal_core::session::{SessionRecord, SessionSeed};
use portal_core::testing::{START, SeededSecretSource};
use portal_core::token::{Token, TokenDigest};
use portal_core::{MemoryStore, Portal};

const SESSIONS: usize = 1_000_000;
const CONTACTS: usize = 1_000;
const SAMPLES: usize = 100_000;

struct Setup {
    portal: Portal,
    store: Arc<dyn portal_core::store::Store>,
    firm: portal_core::id::FirmId,
    cookies: Vec<String>,
    digests: Vec<TokenDigest>,
    bare: HashMap<[u8; 32], SessionRecord>,
}

fn setup(rt: &tokio::runtime::Runtime) -> Setup {
    rt.block_on(async {
        let portal_benches::Population {
            portal,
            store,
            firm,
            contacts,
            ..
        } = portal_benches::populate(Arc::new(MemoryStore::new()), CONTACTS).await;
        let secrets = SeededSecretSource::new(7);
        let mut cookies = Vec::with_capacity(SESSIONS);
        let mut bare = HashMap::with_capacity(SESSIONS);
        let request = RequestInfo::new(Some([192, 0, 2, 1].into()), Some("bench"));
        for i in 0..SESSIONS {
            let token = Token::generate(&secrets).expect("token");
            let seed = SessionSeed {
                id: SessionId::generate(&secrets).expect("id"),
                digest: token.digest(),
                firm_id: firm,
                created_at: START,
                idle_expires_at: START + std::time::Duration::from_secs(86_400),
                absolute_expires_at: START + std::time::Duration::from_secs(30 * 86_400),
                request: request.clone(),
                replaces: None,
                preview_by: None,
            };
            let record = store
                .start_session(contacts[i % CONTACTS], &seed, &|_| None)
                .await
                .expect("store")
                .expect("session");
            bare.insert(*record.digest.as_bytes(), record);
            cookies.push(token.expose_secret());
        }
        // A random order over the sessions, the same for both benches.
        let mut order = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let mut b = [0u8; 8];
            secrets.fill(&mut b).expect("random");
            order.push((u64::from_le_bytes(b) % SESSIONS as u64) as usize);
        }
        let cookies: Vec<String> = order.iter().map(|&i| cookies[i].clone()).collect();
        let digests = cookies
            .iter()
            .map(|c| Token::parse(c).expect("token").digest())
            .collect();
        Setup {
            portal,
            store,
            firm,
            cookies,
            digests,
            bare,
        }
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let s = Arc::new(setup(&rt));
    let request = RequestInfo::new(Some([192, 0, 2, 1].into()), Some("bench"));
    let mut group = c.benchmark_group("session_verify_1m");

    let mut i = 0;
    group.bench_function("bare_hashmap_lookup", |b| {
        b.iter(|| {
            i = (i + 1) % SAMPLES;
            black_box(s.bare.get(s.digests[i].as_bytes()).map(|r| r.contact_id))
        })
    });

    // The same lookup, copying out the whole record as a verification must.
    let mut i = 0;
    group.bench_function("bare_hashmap_lookup_and_copy", |b| {
        b.iter(|| {
            i = (i + 1) % SAMPLES;
            black_box(s.bare.get(s.digests[i].as_bytes()).cloned())
        })
    });

    let mut i = 0;
    group.bench_function("parse_and_digest", |b| {
        b.iter(|| {
            i = (i + 1) % SAMPLES;
            black_box(Token::parse(&s.cookies[i]).map(|t| t.digest()).is_ok())
        })
    });

    let mut i = 0;
    group.bench_function("store_session_read", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 1) % SAMPLES;
            let s = s.clone();
            async move {
                black_box(
                    s.store
                        .session(&s.digests[i])
                        .await
                        .map(|r| r.is_some())
                        .is_ok(),
                )
            }
        })
    });

    let mut i = 0;
    group.bench_function("sha256_only", |b| {
        b.iter(|| {
            i = (i + 1) % SAMPLES;
            black_box(TokenDigest::of(s.digests[i].as_bytes()))
        })
    });

    let mut i = 0;
    group.bench_function("portal_authenticate", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 1) % SAMPLES;
            let (s, request) = (s.clone(), &request);
            async move {
                let auth = s.portal.authenticate(s.firm, &s.cookies[i], request).await;
                black_box(auth.map(|a| a.session.contact_id).is_ok())
            }
        })
    });
    group.finish();
    interleaved_ratio(&rt, &s, &request);
}

/// On a VM the speed of memory drifts between criterion's benches (seconds apart); this
/// alternates short blocks of bare lookups and of verifications, so both see the same
/// machine, and prints the median ratio of 51 rounds.
#[allow(clippy::disallowed_methods)] // a benchmark reads the real clock
fn interleaved_ratio(rt: &tokio::runtime::Runtime, s: &Setup, request: &RequestInfo) {
    const BLOCK: usize = 20_000;
    let mut ratios = Vec::new();
    let mut i = 0;
    for _ in 0..51 {
        let start = std::time::Instant::now();
        for _ in 0..BLOCK {
            i = (i + 1) % SAMPLES;
            black_box(s.bare.get(s.digests[i].as_bytes()).map(|r| r.contact_id));
        }
        let bare = start.elapsed();
        let start = std::time::Instant::now();
        rt.block_on(async {
            for _ in 0..BLOCK {
                i = (i + 1) % SAMPLES;
                let auth = s.portal.authenticate(s.firm, &s.cookies[i], request).await;
                black_box(auth.map(|a| a.session.contact_id).is_ok());
            }
        });
        ratios.push(start.elapsed().as_secs_f64() / bare.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "session_verify_1m/interleaved: portal_authenticate / bare_hashmap_lookup = {:.2} (median of 51 rounds; quartiles {:.2}..{:.2})",
        ratios[25], ratios[12], ratios[38]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
