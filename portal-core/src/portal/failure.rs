//! Taking one attempt at a code or password against the failure counter.

use crate::failure::FailureState;
use crate::id::ContactId;
use crate::policy::FailureBackoff;
use crate::portal::Portal;
use crate::store::StoreError;

/// How often an attempt reads the counter again after another attempt counted first.
/// Past that, it is refused: only a burst of concurrent guesses loses this many races
/// in a row.
const ATTEMPT_RACES: usize = 5;

/// What taking an attempt at a code or password gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The attempt may check its secret; it is already counted as a failure (a
    /// successful login resets the count), with this state.
    Counted(FailureState),
    /// The contact is in back-off: refuse without checking.
    Locked,
    /// Other attempts kept counting first: refuse without checking, as in back-off
    /// (the audit log tells the two apart).
    Contended,
}

impl Attempt {
    /// The audit detail of a refused attempt `with` a code or a password.
    pub(crate) fn refusal(self, with: &str) -> String {
        match self {
            Attempt::Contended => format!("with={with} reason=contended"),
            _ => format!("with={with}"),
        }
    }
}

impl Portal {
    /// Takes one attempt at a code or password of `contact`, counting it as a failure
    /// *before* the secret is checked, in the same store step as the back-off check: so
    /// that concurrent guesses cannot all pass one check before any of them is counted.
    pub(crate) async fn take_attempt(
        &self,
        contact: ContactId,
        backoff: &FailureBackoff,
    ) -> Result<Attempt, StoreError> {
        let store = &self.inner.store;
        for _ in 0..ATTEMPT_RACES {
            let now = self.now();
            let seen = store.failure_state(contact).await?;
            if seen.locked_until(backoff, now).is_some() {
                return Ok(Attempt::Locked);
            }
            if let Some(counted) = store.record_failure(contact, now, seen.consecutive).await? {
                return Ok(Attempt::Counted(counted));
            }
        }
        Ok(Attempt::Contended)
    }
}
