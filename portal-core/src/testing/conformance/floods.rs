//! What a flood of login attempts may cost: refusals decided before a secret is looked
//! at hash nothing and are not logged one by one; addresses nobody has are counted,
//! backed off and forgotten exactly as contacts are; counters do not pile up.

use super::*;
use crate::failure::{FORGET_FAILURES_AFTER, stand_in};
use crate::policy::FailureBackoff;
use crate::throttle::Refusal;

fn from(ip: [u8; 4]) -> RequestInfo {
    RequestInfo::new(Some(ip.into()), Some("flood"))
}

/// argon2 computations of portal `a` so far.
fn computed(w: &World) -> u64 {
    w.a.hashing_load().computed
}

pub async fn a_throttled_ip_is_refused_before_any_hashing(f: Fixture) {
    let mut policy = Policy::default();
    policy.login_requests_per_ip = RateLimit::new(3, 15 * MINUTE);
    let w = World::with_policy(f, policy).await;
    let flood = from([203, 0, 113, 5]);
    for _ in 0..3 {
        let r =
            w.a.login_with_password(w.firm.id, "nobody@example.com", "a guess", None, &flood)
                .await;
        assert!(matches!(r, Err(LoginError::InvalidCredentials)), "{r:?}");
    }
    let failed = w.audit(AuditAction::PasswordFailed).await.len();
    let before = computed(&w);
    assert!(before >= 3, "the allowed attempts were checked");
    for email in ["nobody@example.com", "jane@example.com"] {
        for _ in 0..10 {
            let r =
                w.a.login_with_password(w.firm.id, email, "a guess", None, &flood)
                    .await;
            assert!(matches!(r, Err(LoginError::InvalidCredentials)), "{r:?}");
        }
    }
    let (challenge, _) = w.code("jane@example.com").await;
    for _ in 0..10 {
        let r =
            w.a.verify_login_code(w.firm.id, &challenge, "123456", None, &flood)
                .await;
        assert!(matches!(r, Err(LoginError::LockedOut)), "{r:?}");
    }
    assert_eq!(
        computed(&w),
        before + 1,
        "only the code of the email was hashed"
    );
    assert_eq!(
        w.audit(AuditAction::PasswordFailed).await.len(),
        failed,
        "refusals are not logged one by one"
    );
    // Once the window has ended, one entry per block and window, from one instance.
    w.a.maintain().await.unwrap();
    assert!(w.audit(AuditAction::LoginThrottled).await.is_empty());
    w.advance(16 * MINUTE);
    let (a, b) = tokio::join!(w.a.maintain(), w.b.maintain());
    assert_eq!(a.unwrap().summarised + b.unwrap().summarised, 1);
    let summary = w.audit(AuditAction::LoginThrottled).await;
    assert_eq!(summary.len(), 1, "{summary:?}");
    let entry = &summary[0].entry;
    assert!(
        entry
            .detail
            .starts_with("block=203.0.113.5 refused=30 window_start="),
        "{}",
        entry.detail
    );
    assert_eq!(entry.request.ip, flood.ip);
    assert_eq!(entry.outcome, AuditOutcome::Refused);
    assert!(w.a.verify_audit_chain(w.firm.id).await.unwrap().is_ok());
}

/// `after` consecutive failures before back-off.
fn backing_off_after(after: u32) -> Policy {
    let mut policy = Policy::default();
    policy.failure_backoff = FailureBackoff {
        after,
        base: Duration::from_secs(30),
        max: Duration::from_secs(86_400),
    };
    policy
}

pub async fn unknown_addresses_back_off_as_contacts_do_and_hash_nothing_then(f: Fixture) {
    let w = World::with_policy(f, backing_off_after(3)).await;
    // Warm the dummy hash, so that every step below costs what it always costs.
    let _ =
        w.a.login_with_password(w.firm.id, "warm@example.com", "x", None, &req())
            .await;
    let steps = |email: &'static str| {
        let w = &w;
        async move {
            let mut steps = Vec::new();
            for _ in 0..6 {
                let before = computed(w);
                let r =
                    w.a.login_with_password(w.firm.id, email, "not the password", None, &req())
                        .await;
                steps.push((format!("{r:?}"), computed(w) - before));
            }
            steps
        }
    };
    let known = steps("bob@example.com").await;
    assert_eq!(known, steps("nobody@example.com").await);
    let hashed: Vec<u64> = known.iter().map(|(_, n)| *n).collect();
    assert_eq!(hashed, [1, 1, 1, 0, 0, 0], "in back-off nothing is hashed");
    let subject = stand_in(
        EmailAddress::parse("nobody@example.com")
            .unwrap()
            .canonical(),
    );
    assert_eq!(
        w.b.store()
            .failure_state(subject)
            .await
            .unwrap()
            .consecutive,
        3
    );
    assert!(w.audit(AuditAction::LockedOut).await.len() >= 6);
}

pub async fn unknown_addresses_codes_run_out_as_contacts_codes_do(f: Fixture) {
    let w = World::with_policy(f, backing_off_after(7)).await;
    let steps = |email: &'static str| {
        let w = &w;
        async move {
            let requested =
                w.a.request_login_code(w.firm.id, email, None, &req())
                    .await
                    .unwrap();
            w.a.settle().await;
            let challenge = requested.challenge.expose_secret();
            let mut steps = Vec::new();
            for _ in 0..9 {
                let before = computed(w);
                let r =
                    w.a.verify_login_code(w.firm.id, &challenge, "000000", None, &req())
                        .await;
                steps.push((format!("{r:?}"), computed(w) - before));
            }
            // A resend revives a stand-in's challenge as it does a contact's.
            w.a.resend_login_code(w.firm.id, &challenge, &req())
                .await
                .unwrap();
            w.a.settle().await;
            let before = computed(w);
            let r =
                w.a.verify_login_code(w.firm.id, &challenge, "000000", None, &req())
                    .await;
            steps.push((format!("{r:?}"), computed(w) - before));
            steps
        }
    };
    let known = steps("bob@example.com").await;
    assert_eq!(known, steps("nobody@example.com").await);
    let hashed: Vec<u64> = known.iter().map(|(_, n)| *n).collect();
    // Five guesses per code, then the code is dead and further guesses hash nothing;
    // the resent code takes guesses again.
    assert_eq!(hashed, [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]);
    let mailed = w.outbox.to("nobody@example.com");
    assert!(
        mailed.is_empty(),
        "nothing is sent to an address nobody has"
    );
}

pub async fn a_resent_code_is_in_the_audit_log(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, _) = w.code("jane@example.com").await;
    w.a.resend_login_code(w.firm.id, &challenge, &req())
        .await
        .unwrap();
    w.a.settle().await;
    let issued = w.audit(AuditAction::CodeIssued).await;
    let details: Vec<&str> = issued.iter().map(|e| e.entry.detail.as_str()).collect();
    assert_eq!(details, ["with=code", "with=resend"]);
    assert_eq!(issued[1].entry.contact_id, Some(w.jane.id));
}

pub async fn failure_counters_are_forgotten_after_thirty_days(f: Fixture) {
    let w = World::new(f).await;
    let nobody = stand_in(
        EmailAddress::parse("nobody@example.com")
            .unwrap()
            .canonical(),
    );
    let s = w.a.store();
    for subject in [w.jane.id, nobody] {
        assert!(s.record_failure(subject, START, 0).await.unwrap().is_some());
        assert!(s.record_failure(subject, START, 1).await.unwrap().is_some());
        assert_eq!(s.failure_state(subject).await.unwrap().consecutive, 2);
    }
    // A count read before another attempt counted is refused.
    assert_eq!(s.record_failure(nobody, START, 1).await.unwrap(), None);
    w.advance(FORGET_FAILURES_AFTER);
    w.a.maintain().await.unwrap();
    for subject in [w.jane.id, nobody] {
        assert_eq!(s.failure_state(subject).await.unwrap().consecutive, 2);
    }
    w.advance(Duration::from_secs(1));
    w.b.maintain().await.unwrap();
    for subject in [w.jane.id, nobody] {
        assert_eq!(s.failure_state(subject).await.unwrap().consecutive, 0);
    }
}

pub async fn refusal_windows_are_counted_and_summarised_once(f: Fixture) {
    let firm = crate::id::FirmId::from_bytes([7; 16]);
    let window = 15 * MINUTE;
    let one = Refusal::new(firm, [198, 51, 100, 1].into(), START, window);
    let two = Refusal::new(firm, [198, 51, 100, 2].into(), START, window);
    let later = Refusal::new(firm, [198, 51, 100, 1].into(), START + window, window);
    let stores = [f.primary.clone(), f.secondary.clone()];
    let counts: Vec<_> = (0..12)
        .map(|i| {
            let (s, r) = (stores[i % 2].clone(), one.clone());
            tokio::spawn(async move { s.count_refusal(&r).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for c in counts {
        seen.push(c.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=12).collect::<Vec<u64>>(), "each counted once");
    assert_eq!(f.primary.count_refusal(&two).await.unwrap(), 1);
    assert_eq!(f.primary.count_refusal(&later).await.unwrap(), 1);
    let summary = |c: &crate::throttle::RefusalCount| AuditDraft {
        firm_id: c.refusal.firm_id,
        at: START,
        actor: Actor::System,
        action: AuditAction::LoginThrottled,
        contact_id: None,
        client_id: None,
        task_id: None,
        request: RequestInfo::default(),
        outcome: AuditOutcome::Refused,
        detail: format!("{} {}", c.refusal.block, c.refused),
    };
    let end = one.window_end;
    let (a, b) = tokio::join!(
        f.primary.summarize_refusals(end, 10, &summary),
        f.secondary.summarize_refusals(end, 10, &summary)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        2,
        "two windows ended, each summarised once"
    );
    let mut logged: Vec<String> = f
        .primary
        .audit_events(firm, None, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry.detail)
        .collect();
    logged.sort();
    assert_eq!(logged, ["198.51.100.1 12", "198.51.100.2 1"]);
    // The later window is summarised once it ends, and counting starts afresh.
    assert_eq!(
        f.primary
            .summarize_refusals(end, 10, &summary)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        f.primary
            .summarize_refusals(later.window_end, 10, &summary)
            .await
            .unwrap(),
        1
    );
    assert_eq!(f.secondary.count_refusal(&one).await.unwrap(), 1);
}
