//! Every comparison of a secret takes the same time however much of the secret a
//! guess got right: a dudect-style statistical test of each comparison function.
//!
//! An early-exit comparison answers a guess that is wrong in its last byte later than
//! one wrong in its first, and an attacker who can time it learns the secret a byte at
//! a time. So each comparison is timed on two classes of wrong guesses, drawn in random
//! order: wrong only in the last byte, and wrong in the first. Welch's t statistic of
//! the two classes' timings stays small (under 4.5, dudect's threshold for "probably
//! leaks") for a constant-time comparison; it is in the hundreds for an early exit,
//! which `an_early_exit_comparison_is_caught` checks so that the test can fail.
//!
//! Against noise on a busy machine: the comparison function itself is timed (no
//! request, no allocation, no store), in batches long enough for the clock; the classes
//! interleave at random, so drifts in load or frequency hit both alike; the inputs of
//! both classes are copied to the same place before each measurement; t is taken over
//! the whole sample and over its lower 50, 75, 90 and 99 % (dudect's crops of the
//! interrupted tail); and a comparison fails only if it leaks in each of three
//! independent runs, which a real leak does every time and a burst of noise does not.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use argon2::password_hash::Output;
use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};
use portal_core::token::{Token, TokenDigest, secrets_equal};

/// dudect's threshold: above it, the timings tell the classes apart.
const THRESHOLD: f64 = 4.5;
/// Measurements per run, both classes together.
const SAMPLES: usize = 10_000;
/// Comparisons per measurement: long enough for the clock's resolution.
const BATCH: usize = 16;
/// Independent runs that must all show a leak before a comparison fails.
const RUNS: usize = 3;

/// A small xorshift generator: the order of the classes, and the secrets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.next() as u8)
    }
}

/// The two wrong guesses of `secret`: wrong in its last byte only, and wrong in its
/// first.
fn near_and_far<const N: usize>(secret: [u8; N]) -> [[u8; N]; 2] {
    let (mut near, mut far) = (secret, secret);
    near[N - 1] ^= 0x01;
    far[0] ^= 0x01;
    [near, far]
}

/// Welch's t of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    (ma - mb) / (va / na + vb / nb).sqrt()
}

/// The largest |t| of one run: `measure(class)` times one batch of that class.
fn one_run(seed: u64, mut measure: impl FnMut(usize) -> u64) -> f64 {
    let mut order = Rng(seed);
    for i in 0..SAMPLES / 10 {
        measure(i % 2); // warm-up: caches, branch predictors, frequency
    }
    let mut timed: Vec<(usize, f64)> = (0..SAMPLES)
        .map(|_| {
            let class = (order.next() >> 33) as usize & 1;
            (class, measure(class) as f64)
        })
        .collect();
    let mut sorted: Vec<f64> = timed.iter().map(|(_, t)| *t).collect();
    sorted.sort_by(f64::total_cmp);
    let mut worst: f64 = 0.0;
    for keep in [1.0, 0.99, 0.90, 0.75, 0.50] {
        let cut = sorted[((SAMPLES as f64 * keep) as usize).min(SAMPLES - 1)];
        let class = |c: usize| -> Vec<f64> {
            timed
                .iter()
                .filter(|(k, t)| *k == c && *t <= cut)
                .map(|(_, t)| *t)
                .collect()
        };
        worst = worst.max(welch_t(&class(0), &class(1)).abs());
    }
    timed.clear();
    worst
}

/// The |t| of each run, stopping at the first that shows no leak.
fn leakage(mut measure: impl FnMut(usize) -> u64) -> Vec<f64> {
    let mut ts = Vec::new();
    for run in 0..RUNS {
        let t = one_run(0x9e37_79b9_7f4a_7c15 ^ run as u64, &mut measure);
        ts.push(t);
        if t < THRESHOLD {
            break;
        }
    }
    ts
}

fn assert_constant_time(name: &str, ts: &[f64]) {
    eprintln!("{name}: |t| = {ts:?}");
    assert!(
        ts.iter().any(|t| *t < THRESHOLD),
        "{name} takes longer the more of the secret a guess gets right: |t| = {ts:?}"
    );
}

/// Times `BATCH` calls of `compare`.
#[allow(clippy::disallowed_methods)] // the real clock: time is what is measured here
fn time_batch(compare: impl Fn() -> bool) -> u64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        black_box(compare());
    }
    start.elapsed().as_nanos() as u64
}

// Each measurement below first copies its class's guess onto its own stack frame, so
// that both classes are read from one address: guesses left where they were made sit
// at different offsets in cache lines and pages, and once showed |t| of 75 in every
// run of a process for a comparison that is constant-time.

#[test]
fn an_early_exit_comparison_is_caught() {
    fn early_exit(a: &[u8; 32], b: &[u8; 32]) -> bool {
        for i in 0..32 {
            if a[i] != b[i] {
                return false;
            }
        }
        true
    }
    let secret = Rng(1).bytes::<32>();
    let guesses = near_and_far(secret);
    let ts = leakage(|class| {
        let guess = guesses[class];
        time_batch(|| early_exit(black_box(&secret), black_box(&guess)))
    });
    eprintln!("early exit: |t| = {ts:?}");
    assert_eq!(ts.len(), RUNS, "{ts:?}");
    assert!(ts.iter().all(|t| *t > 2.0 * THRESHOLD), "{ts:?}");
}

#[test]
fn token_digests_compare_in_constant_time() {
    // What every store looks sessions, links, code challenges, password links,
    // personal links and binding cookies up by.
    let secret_bytes = Rng(2).bytes::<32>();
    let secret = TokenDigest::from_bytes(secret_bytes);
    let guesses = near_and_far(secret_bytes);
    let ts = leakage(|class| {
        let guess = TokenDigest::from_bytes(guesses[class]);
        time_batch(|| black_box(&secret) == black_box(&guess))
    });
    assert_constant_time("TokenDigest::eq", &ts);
}

#[test]
fn tokens_compare_in_constant_time() {
    let secret_bytes = Rng(3).bytes::<32>();
    let secret = Token::parse(&base64_url(&secret_bytes)).unwrap();
    let guesses = near_and_far(secret_bytes).map(|g| base64_url(&g));
    let ts = leakage(|class| {
        let guess = Token::parse(&guesses[class]).unwrap();
        time_batch(|| black_box(&secret) == black_box(&guess))
    });
    assert_constant_time("Token::eq", &ts);
}

#[test]
fn the_staff_token_compares_in_constant_time() {
    // `BearerToken` compares the presented token with `secrets_equal`.
    let secret: [u8; 32] = Rng(4).bytes::<32>().map(|b| b'a' + b % 26);
    let guesses = near_and_far(secret);
    let secret = std::str::from_utf8(&secret).unwrap();
    let ts = leakage(|class| {
        let guess = guesses[class];
        let guess = std::str::from_utf8(&guess).unwrap();
        time_batch(|| secrets_equal(black_box(secret), black_box(guess)))
    });
    assert_constant_time("secrets_equal", &ts);
}

#[test]
fn the_csrf_token_compares_in_constant_time() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let auth = rt.block_on(async {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let cookie = w.login(w.jane.id).await.token.expose_secret();
        w.a.authenticate(w.firm.id, &cookie, &World::req())
            .await
            .unwrap()
    });
    let csrf: [u8; 43] = auth.csrf_token().into_bytes().try_into().unwrap();
    // Wrong guesses that stay in the alphabet.
    let swap = |c: u8| if c == b'A' { b'B' } else { b'A' };
    let (mut near, mut far) = (csrf, csrf);
    near[42] = swap(near[42]);
    far[0] = swap(far[0]);
    let guesses = [near, far];
    let ts = leakage(|class| {
        let guess = guesses[class];
        let guess = std::str::from_utf8(&guess).unwrap();
        assert!(!auth.csrf_matches(guess));
        time_batch(|| auth.csrf_matches(black_box(guess)))
    });
    assert_constant_time("Authenticated::csrf_matches", &ts);
}

#[test]
fn argon2_outputs_compare_in_constant_time() {
    // An email code (or a password) is checked by argon2's verification, which ends
    // comparing the hash it computed with the stored one as `Output`s.
    let secret_bytes = Rng(5).bytes::<32>();
    let secret = Output::new(&secret_bytes).unwrap();
    let guesses = near_and_far(secret_bytes);
    let ts = leakage(|class| {
        let guess = Output::new(&guesses[class]).unwrap();
        time_batch(|| black_box(&secret) == black_box(&guess))
    });
    assert_constant_time("argon2 Output::eq", &ts);
}

/// base64url without padding, written out here so that the test does not lean on the
/// code under test to make its inputs.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
