//! Randomness, injected: every secret Portal mints is drawn from a [`SecretSource`],
//! so that tests can replay a run and production uses the operating system's CSPRNG.

use std::fmt;

/// The operating system's random number generator could not be read.
///
/// Portal never falls back to a weaker source: the operation that needed a secret fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator is unavailable")]
pub struct RandomnessUnavailable;

/// A source of cryptographically secure random bytes.
pub trait SecretSource: Send + Sync + fmt::Debug + 'static {
    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable>;
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsSecretSource;

impl SecretSource for OsSecretSource {
    #[allow(clippy::disallowed_methods)] // the one place that reads the OS generator
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        getrandom::fill(dest).map_err(|_| RandomnessUnavailable)
    }
}

/// A deterministic stream (SHA-256 of a seed and a counter) for reproducible tests.
///
/// # Warning
/// Never use this outside tests: anyone who knows the seed knows every token.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug)]
pub struct SeededSecretSource {
    seed: [u8; 32],
    counter: std::sync::atomic::AtomicU64,
}

#[cfg(any(test, feature = "testing"))]
impl SeededSecretSource {
    /// A stream determined by `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        use sha2::Digest as _;
        SeededSecretSource {
            seed: sha2::Sha256::digest(seed.to_le_bytes()).into(),
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

#[cfg(any(test, feature = "testing"))]
impl SecretSource for SeededSecretSource {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        use sha2::Digest as _;
        for chunk in dest.chunks_mut(32) {
            let n = self
                .counter
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut h = sha2::Sha256::new();
            h.update(self.seed);
            h.update(n.to_le_bytes());
            let block: [u8; 32] = h.finalize().into();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// A uniformly distributed integer below `bound` (> 0), without modulo bias.
pub(crate) fn uniform_below(
    source: &dyn SecretSource,
    bound: u32,
) -> Result<u32, RandomnessUnavailable> {
    // Reject the top partial range so every residue is equally likely.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let mut b = [0u8; 4];
        source.fill(&mut b)?;
        let v = u32::from_le_bytes(b);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_source_is_reproducible_and_seed_dependent() {
        let (a, b, c) = (
            SeededSecretSource::new(1),
            SeededSecretSource::new(1),
            SeededSecretSource::new(2),
        );
        let mut x = [0u8; 40];
        let mut y = [0u8; 40];
        let mut z = [0u8; 40];
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn uniform_below_stays_in_range() {
        let s = SeededSecretSource::new(7);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[uniform_below(&s, 10).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800 && n < 1200), "{seen:?}");
    }

    #[test]
    fn os_source_fills() {
        let mut a = [0u8; 32];
        OsSecretSource.fill(&mut a).unwrap();
        assert_ne!(a, [0u8; 32]);
    }
}
