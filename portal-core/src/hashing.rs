//! argon2id hashing of passwords and email codes, always on tokio's blocking pool so
//! that a 20 ms hash never stalls the async workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::policy::Argon2Params;
use crate::random::{RandomnessUnavailable, SecretSource};

/// Hashing could not be done.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// No randomness for the salt.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// argon2 refused the parameters or the input.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The blocking task did not complete.
    #[error("hashing task failed")]
    Task,
}

fn argon2(params: Argon2Params) -> Result<Argon2<'static>, HashError> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
}

/// Hashes and verifies low-entropy secrets with argon2id.
#[derive(Debug)]
pub(crate) struct SecretHasher {
    secrets: Arc<dyn SecretSource>,
    // A hash of a fixed string per parameter set: verifying against it costs what a real
    // verification costs, so unknown accounts take the same time as known ones.
    dummies: Mutex<HashMap<(u32, u32, u32), Arc<str>>>,
}

impl SecretHasher {
    pub(crate) fn new(secrets: Arc<dyn SecretSource>) -> Self {
        SecretHasher {
            secrets,
            dummies: Mutex::new(HashMap::new()),
        }
    }

    /// A salted argon2id hash (PHC string) of `secret`.
    pub(crate) async fn hash(
        &self,
        params: Argon2Params,
        secret: String,
    ) -> Result<String, HashError> {
        let mut salt = [0u8; 16];
        self.secrets.fill(&mut salt)?;
        tokio::task::spawn_blocking(move || {
            let salt =
                SaltString::encode_b64(&salt).map_err(|e| HashError::Argon2(e.to_string()))?;
            argon2(params)?
                .hash_password(secret.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Argon2(e.to_string()))
        })
        .await
        .map_err(|_| HashError::Task)?
    }

    /// Whether `secret` matches `phc`. With `None`, verifies against a dummy hash of the
    /// same cost and answers `false`.
    pub(crate) async fn verify(
        &self,
        params: Argon2Params,
        secret: String,
        phc: Option<&str>,
    ) -> Result<bool, HashError> {
        let (phc, real) = match phc {
            Some(p) => (Arc::from(p), true),
            None => (self.dummy(params).await?, false),
        };
        let matched = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&phc).map_err(|e| HashError::Argon2(e.to_string()))?;
            Ok::<bool, HashError>(
                argon2(params)?
                    .verify_password(secret.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .map_err(|_| HashError::Task)??;
        Ok(real && matched)
    }

    async fn dummy(&self, params: Argon2Params) -> Result<Arc<str>, HashError> {
        let key = (params.memory_kib, params.iterations, params.parallelism);
        if let Some(d) = self.dummies.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(d);
        }
        let d: Arc<str> = Arc::from(self.hash(params, "portal-dummy-secret".to_owned()).await?);
        if let Ok(mut m) = self.dummies.lock() {
            m.insert(key, d.clone());
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededSecretSource;

    #[tokio::test]
    async fn hashes_verify_and_are_salted_argon2id() {
        let h = SecretHasher::new(Arc::new(SeededSecretSource::new(1)));
        let p = Argon2Params::default();
        let a = h.hash(p, "correct horse battery".into()).await.unwrap();
        let b = h.hash(p, "correct horse battery".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(
            h.verify(p, "correct horse battery".into(), Some(&a))
                .await
                .unwrap()
        );
        assert!(!h.verify(p, "wrong".into(), Some(&a)).await.unwrap());
        assert!(
            !h.verify(p, "portal-dummy-secret".into(), None)
                .await
                .unwrap()
        );
    }
}
