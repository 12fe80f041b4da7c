//! Email codes, the failure counter, and throttling.

use super::*;

pub async fn code_allows_five_guesses_then_dies(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, code) = w.code("jane@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r =
            w.a.verify_login_code(w.firm.id, &challenge, wrong, None, &req())
                .await;
        assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    }
    let sixth =
        w.b.verify_login_code(w.firm.id, &challenge, &code, None, &req())
            .await;
    assert!(
        matches!(sixth, Err(LoginError::InvalidCode)),
        "the sixth guess is refused even if right, as a wrong one is: {sixth:?}"
    );
    let failed = w.audit(AuditAction::CodeFailed).await;
    assert_eq!(failed.len(), 6);
    assert_eq!(failed[5].entry.detail, "reason=exhausted");
}

pub async fn code_answers_never_tell_a_known_address(f: Fixture) {
    let w = World::new(f).await;
    let guesses = |email: &'static str| {
        let w = &w;
        async move {
            let requested =
                w.a.request_login_code(w.firm.id, email, None, &req())
                    .await
                    .unwrap();
            // The challenge is stored by a background job, for every address alike.
            w.a.settle().await;
            let challenge = requested.challenge.expose_secret();
            let mut answers = Vec::new();
            for _ in 0..7 {
                let r =
                    w.a.verify_login_code(w.firm.id, &challenge, "000000", None, &req())
                        .await;
                answers.push(format!("{r:?}"));
            }
            answers
        }
    };
    let known = guesses("jane@example.com").await;
    assert_eq!(known, guesses("nobody@example.com").await);
    // Past the back-off threshold, too.
    for _ in 0..4 {
        w.advance(4 * MINUTE);
        guesses("jane@example.com").await;
    }
    assert!(
        w.a.store()
            .failure_state(w.jane.id)
            .await
            .unwrap()
            .consecutive
            >= 20
    );
    assert!(!w.audit(AuditAction::LockedOut).await.is_empty());
    w.advance(4 * MINUTE);
    assert_eq!(guesses("jane@example.com").await, known);
}

pub async fn concurrent_guesses_cannot_exceed_the_limit(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, _) = w.code("jane@example.com").await;
    let digest = Token::parse(&challenge).unwrap().digest();
    let stores: [Arc<dyn Store>; 2] = [w.a.store().clone(), w.b.store().clone()];
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move { s.reserve_guess(&digest, START, 5).await.unwrap() })
        })
        .collect();
    let mut reserved = 0;
    for t in tasks {
        if matches!(
            t.await.unwrap(),
            crate::email_code::GuessReservation::Reserved { .. }
        ) {
            reserved += 1;
        }
    }
    assert_eq!(reserved, 5, "30 concurrent guesses take exactly 5");
}

pub async fn sixth_code_of_an_attempt_is_refused(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, _) = w.code("jane@example.com").await;
    let digest = Token::parse(&challenge).unwrap().digest();
    let s = w.a.store();
    for n in 2..=5 {
        let r = s
            .resend_code(
                &digest,
                &format!("hash{n}"),
                START,
                START + 10 * MINUTE,
                5,
                &|_| None,
                &[],
            )
            .await
            .unwrap();
        assert!(
            matches!(r, crate::email_code::ResendOutcome::Resent { .. }),
            "code {n}: {r:?}"
        );
    }
    let sixth = s
        .resend_code(
            &digest,
            "hash6",
            START,
            START + 10 * MINUTE,
            5,
            &|_| None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(sixth, crate::email_code::ResendOutcome::LimitReached);
    // Through the portal: the resend request answers the same but sends nothing more.
    let before = w.outbox.to("jane@example.com").len();
    w.a.resend_login_code(w.firm.id, &challenge, &req())
        .await
        .unwrap();
    w.a.settle().await;
    assert_eq!(w.outbox.to("jane@example.com").len(), before);
}

pub async fn resend_kills_the_previous_code(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, first) = w.code("jane@example.com").await;
    w.a.resend_login_code(w.firm.id, &challenge, &req())
        .await
        .unwrap();
    w.a.settle().await;
    let second = w.last_code("jane@example.com");
    if first != second {
        let r =
            w.a.verify_login_code(w.firm.id, &challenge, &first, None, &req())
                .await;
        assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    }
    w.b.verify_login_code(w.firm.id, &challenge, &second, None, &req())
        .await
        .expect("the new code works");
}

pub async fn code_expires_after_its_lifetime(f: Fixture) {
    let w = World::new(f).await;
    let (challenge, code) = w.code("jane@example.com").await;
    w.advance(10 * MINUTE + Duration::from_secs(1));
    let r =
        w.a.verify_login_code(w.firm.id, &challenge, &code, None, &req())
            .await;
    assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    let (challenge, code) = w.code("jane@example.com").await;
    w.advance(10 * MINUTE - Duration::from_secs(1));
    w.a.verify_login_code(w.firm.id, &challenge, &code, None, &req())
        .await
        .expect("valid a second before expiry");
    let (challenge, code) = w.code("jane@example.com").await;
    w.advance(10 * MINUTE);
    let r =
        w.b.verify_login_code(w.firm.id, &challenge, &code, None, &req())
            .await;
    assert!(
        matches!(r, Err(LoginError::InvalidCode)),
        "at the very instant: {r:?}"
    );
}

pub async fn code_redeems_once_under_concurrency(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let (challenge, code) = w.code("jane@example.com").await;
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let (w, challenge, code) = (w.clone(), challenge.clone(), code.clone());
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                p.verify_login_code(w.firm.id, &challenge, &code, None, &req())
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 1, "one code, one session");
}

pub async fn new_challenge_kills_the_older_one(f: Fixture) {
    let w = World::new(f).await;
    let (old_challenge, old_code) = w.code("jane@example.com").await;
    let (new_challenge, new_code) = w.code("jane@example.com").await;
    let r =
        w.a.verify_login_code(w.firm.id, &old_challenge, &old_code, None, &req())
            .await;
    assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    w.a.verify_login_code(w.firm.id, &new_challenge, &new_code, None, &req())
        .await
        .expect("newest works");
}

pub async fn failure_counter_survives_new_codes_and_backs_off(f: Fixture) {
    let w = World::new(f).await;
    let mut wrong_total = 0;
    // Four attempts with five wrong guesses each: 20 consecutive failures, none reset
    // by the new challenges.
    for attempt in 0..4 {
        if attempt > 0 {
            w.advance(4 * MINUTE); // keeps under the per-address email limit
        }
        let (challenge, code) = w.code("jane@example.com").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            let p = if attempt % 2 == 0 { &w.a } else { &w.b };
            let _ = p
                .verify_login_code(w.firm.id, &challenge, wrong, None, &req())
                .await;
            wrong_total += 1;
        }
    }
    let state = w.a.store().failure_state(w.jane.id).await.unwrap();
    assert_eq!(state.consecutive, wrong_total);
    // The 21st try, even with the right code of a fresh challenge, waits out the back-off.
    let (challenge, code) = w.code("jane@example.com").await;
    let r =
        w.a.verify_login_code(w.firm.id, &challenge, &code, None, &req())
            .await;
    assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    assert_eq!(w.audit(AuditAction::LockedOut).await.len(), 1);
    // A magic link still works, and a successful login resets the counter.
    w.login(w.jane.id).await;
    assert_eq!(
        w.a.store()
            .failure_state(w.jane.id)
            .await
            .unwrap()
            .consecutive,
        0
    );
    w.a.verify_login_code(w.firm.id, &challenge, &code, None, &req())
        .await
        .expect("after reset");
}

pub async fn throttle_allows_the_limit_per_sliding_window(f: Fixture) {
    let s = f.primary;
    let key = TokenDigest::of(b"throttle-window");
    let limit = RateLimit::new(5, 15 * MINUTE);
    for i in 0..5 {
        let at = START + Duration::from_secs(i * 60);
        assert_eq!(
            s.throttle_hit(&key, limit, at).await.unwrap(),
            ThrottleDecision::Allowed
        );
    }
    let at = START + 5 * MINUTE;
    assert_eq!(
        s.throttle_hit(&key, limit, at).await.unwrap(),
        ThrottleDecision::Throttled
    );
    // Refused hits are not recorded: the first hit leaves the window at START + 15 min.
    let at = START + 15 * MINUTE;
    assert_eq!(
        s.throttle_hit(&key, limit, at).await.unwrap(),
        ThrottleDecision::Allowed
    );
    assert_eq!(
        s.throttle_hit(&key, limit, at).await.unwrap(),
        ThrottleDecision::Throttled
    );
    // Other keys are counted apart.
    let other = TokenDigest::of(b"throttle-other");
    assert_eq!(
        s.throttle_hit(&other, limit, at).await.unwrap(),
        ThrottleDecision::Allowed
    );
}

pub async fn throttle_is_atomic_across_instances(f: Fixture) {
    let key = TokenDigest::of(b"throttle-race");
    let limit = RateLimit::new(5, 15 * MINUTE);
    let stores = [f.primary.clone(), f.secondary.clone()];
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move { s.throttle_hit(&key, limit, START).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap() == ThrottleDecision::Allowed);
    }
    assert_eq!(
        allowed, 5,
        "40 concurrent hits over two instances: exactly 5 allowed"
    );
}
