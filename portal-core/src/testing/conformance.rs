//! The store conformance cases. Each takes a fresh [`Fixture`] and panics when the
//! store breaks the rule it is named after. Race cases spread their calls over both
//! handles of the fixture, as two application instances would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use super::Fixture;
use super::world::{START, World};
use crate::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
use crate::contact::ContactStatus;
use crate::email::EmailAddress;
use crate::grant::Permissions;
use crate::login::{LinkProblem, LoginError};
use crate::policy::{LinkRedemption, Policy, RateLimit};
use crate::session::SessionError;
use crate::store::Store;
use crate::throttle::ThrottleDecision;
use crate::token::{Token, TokenDigest};

const MINUTE: Duration = Duration::from_secs(60);

fn req() -> RequestInfo {
    World::req()
}

fn link_problem<T: std::fmt::Debug>(r: Result<T, LoginError>) -> LinkProblem {
    match r {
        Err(LoginError::Link(p)) => p,
        other => panic!("expected a refused link, got {other:?}"),
    }
}

pub async fn link_redeems_once_under_concurrency(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let token = w.link(w.jane.id).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (w, token) = (w.clone(), token.clone());
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                p.redeem_magic_link(w.firm.id, &token, None, None, &req())
                    .await
            })
        })
        .collect();
    let mut sessions = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => sessions += 1,
            Err(LoginError::Link(LinkProblem::AlreadyUsed)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(sessions, 1, "exactly one of 50 concurrent redemptions wins");
    assert_eq!(w.a.store().sessions(w.jane.id).await.unwrap().len(), 1);
}

pub async fn older_link_is_refused_after_a_new_one_is_issued(f: Fixture) {
    let w = World::new(f).await;
    let old = w.link(w.jane.id).await;
    let new = w.link(w.jane.id).await;
    let r =
        w.a.redeem_magic_link(w.firm.id, &old, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Superseded);
    w.b.redeem_magic_link(w.firm.id, &new, None, None, &req())
        .await
        .expect("newest link works");
    // Another contact's links are untouched by jane's.
    let bob = w.link(w.bob.id).await;
    w.link(w.jane.id).await;
    w.a.redeem_magic_link(w.firm.id, &bob, None, None, &req())
        .await
        .expect("bob's link lives");
}

pub async fn racing_issuances_leave_exactly_one_live_link(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    for _ in 0..5 {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    let p = if i % 2 == 0 { &w.a } else { &w.b };
                    let url = p.generate_magic_link(&w.staff, w.jane.id).await.unwrap();
                    url.rsplit('/').next().unwrap().to_owned()
                })
            })
            .collect();
        let mut tokens = Vec::new();
        for t in tasks {
            tokens.push(t.await.unwrap());
        }
        let mut live = 0;
        for t in &tokens {
            if w.a
                .redeem_magic_link(w.firm.id, t, None, None, &req())
                .await
                .is_ok()
            {
                live += 1;
            }
        }
        assert_eq!(live, 1, "of 8 racing issuances exactly one link stays live");
    }
}

pub async fn redeeming_while_a_new_link_is_issued_never_uses_an_invalidated_link(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    for _ in 0..10 {
        let old = w.link(w.jane.id).await;
        let (w1, w2, old2) = (w.clone(), w.clone(), old.clone());
        let redeem = tokio::spawn(async move {
            w1.b.redeem_magic_link(w1.firm.id, &old2, None, None, &req())
                .await
        });
        let issue = tokio::spawn(async move { w2.link(w2.jane.id).await });
        let redeemed = redeem.await.unwrap();
        let new = issue.await.unwrap();
        // Whatever the order, the newest link is live and the old one is spent or dead:
        let again =
            w.a.redeem_magic_link(w.firm.id, &old, None, None, &req())
                .await;
        match redeemed {
            Ok(_) => assert_eq!(link_problem(again), LinkProblem::AlreadyUsed),
            Err(LoginError::Link(LinkProblem::Superseded)) => {
                assert_eq!(link_problem(again), LinkProblem::Superseded)
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
        w.a.redeem_magic_link(w.firm.id, &new, None, None, &req())
            .await
            .expect("the newest link is live");
    }
}

pub async fn link_expires_after_its_lifetime(f: Fixture) {
    let w = World::new(f).await;
    let token = w.link(w.jane.id).await;
    w.advance(15 * MINUTE + Duration::from_secs(1));
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Expired);
    let token = w.link(w.jane.id).await;
    w.advance(15 * MINUTE - Duration::from_secs(1));
    w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
        .await
        .expect("still valid a second before expiry");
}

pub async fn unknown_or_foreign_link_changes_nothing(f: Fixture) {
    let w = World::new(f).await;
    let unknown = Token::generate(&crate::random::OsSecretSource)
        .unwrap()
        .expose_secret();
    let r =
        w.a.redeem_magic_link(w.firm.id, &unknown, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Unknown);
    for malformed in [
        "",
        "short",
        &"A".repeat(44),
        &format!("{}=", &unknown[..42]),
        "../../etc/passwd",
    ] {
        let r =
            w.a.redeem_magic_link(w.firm.id, malformed, None, None, &req())
                .await;
        assert_eq!(link_problem(r), LinkProblem::Unknown, "{malformed:?}");
    }
    // A link of jane's firm presented at another firm's portal starts nothing there ...
    let token = w.link(w.jane.id).await;
    let r =
        w.a.redeem_magic_link(w.other_firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Unknown);
    // ... and is still good at its own.
    w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
        .await
        .expect("unchanged");
}

pub async fn used_link_is_recorded_for_support(f: Fixture) {
    let w = World::new(f).await;
    let token = w.link(w.jane.id).await;
    w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
        .await
        .unwrap();
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::AlreadyUsed);
    let refused = w.audit(AuditAction::LinkRefused).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].entry.contact_id, Some(w.jane.id));
    assert_eq!(refused[0].entry.detail, "reason=already_used");
    // The code from the same email still works: independent single-use secrets.
    let challenge = crate::magic_link::code_challenge_for(&Token::parse(&token).unwrap());
    assert!(
        w.a.store()
            .reserve_guess(&challenge.digest(), w.a.now(), 5)
            .await
            .is_ok()
    );
}

pub async fn binding_is_required_only_when_policy_says_so(f: Fixture) {
    let mut policy = Policy::default();
    policy.link_redemption = LinkRedemption::SameBrowserOrCode;
    let w = World::with_policy(f, policy).await;
    let asked =
        w.a.request_login_link(w.firm.id, "jane@example.com", None, &req())
            .await
            .unwrap();
    w.a.settle().await;
    let url = w.outbox.last_to("jane@example.com").unwrap().message.links[0].clone();
    let token = url.rsplit('/').next().unwrap().to_owned();
    let other = Token::generate(&crate::random::OsSecretSource)
        .unwrap()
        .expose_secret();
    for binding in [None, Some(other.as_str())] {
        let r =
            w.a.redeem_magic_link(w.firm.id, &token, binding, None, &req())
                .await;
        assert_eq!(
            link_problem(r),
            LinkProblem::NeedsCode,
            "another browser must give the code"
        );
    }
    // Nothing was consumed: the browser that asked redeems it.
    let ok =
        w.a.redeem_magic_link(
            w.firm.id,
            &token,
            Some(&asked.binding.expose_secret()),
            None,
            &req(),
        )
        .await
        .unwrap();
    let redeemed = w.audit(AuditAction::LinkRedeemed).await;
    assert!(
        redeemed
            .last()
            .unwrap()
            .entry
            .detail
            .ends_with("same_browser=true"),
        "{:?}",
        redeemed
    );
    assert_eq!(ok.session.contact_id, w.jane.id);
}

pub async fn link_next_target_is_the_one_stored_at_issue(f: Fixture) {
    let w = World::new(f).await;
    for (asked, landed) in [
        (Some("/portal/tasks?x=1"), Some("/portal/tasks?x=1")),
        (Some("https://evil.example/portal"), None),
        (Some("//evil.example"), None),
        (None, None),
    ] {
        w.a.request_login_link(w.firm.id, "bob@example.com", asked, &req())
            .await
            .unwrap();
        w.a.settle().await;
        let url = w.outbox.last_to("bob@example.com").unwrap().message.links[0].clone();
        assert!(!url.contains('?'), "the emailed URL carries no next: {url}");
        let token = url.rsplit('/').next().unwrap();
        let login =
            w.a.redeem_magic_link(w.firm.id, token, None, None, &req())
                .await
                .unwrap();
        assert_eq!(login.next.as_deref(), landed, "asked {asked:?}");
        w.advance(15 * MINUTE); // stay under the per-address limit
    }
}

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
        matches!(sixth, Err(LoginError::CodeExhausted)),
        "the sixth guess is refused even if right: {sixth:?}"
    );
    assert_eq!(w.audit(AuditAction::CodeFailed).await.len(), 6);
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
            .resend_code(&digest, &format!("hash{n}"), START, START + 10 * MINUTE, 5)
            .await
            .unwrap();
        assert!(
            matches!(r, crate::email_code::ResendOutcome::Resent { .. }),
            "code {n}: {r:?}"
        );
    }
    let sixth = s
        .resend_code(&digest, "hash6", START, START + 10 * MINUTE, 5)
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
    assert!(matches!(r, Err(LoginError::LockedOut)), "{r:?}");
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

pub async fn idle_session_expires_and_activity_renews_it(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(Duration::from_secs(24 * 3600 + 1));
    let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(
        matches!(r, Err(SessionError::NotLoggedIn)),
        "idle 24 h + 1 s is over"
    );
    // Active every 20 hours, a session outlives many idle timeouts.
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    for _ in 0..5 {
        w.advance(Duration::from_secs(20 * 3600));
        let auth =
            w.b.authenticate(w.firm.id, &cookie, &req())
                .await
                .expect("active session lives");
        assert!(auth.renewed);
    }
}

pub async fn absolute_lifetime_is_never_extended(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    for _ in 0..59 {
        w.advance(Duration::from_secs(12 * 3600));
        w.a.authenticate(w.firm.id, &cookie, &req())
            .await
            .expect("within 30 days");
    }
    w.advance(Duration::from_secs(12 * 3600 - 1));
    w.a.authenticate(w.firm.id, &cookie, &req())
        .await
        .expect("a second before 30 days");
    w.advance(Duration::from_secs(1));
    let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(
        matches!(r, Err(SessionError::NotLoggedIn)),
        "30 days old, however active"
    );
}

pub async fn renewal_writes_at_most_once_per_interval(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(16 * MINUTE);
    let mut renewed = 0;
    for _ in 0..100 {
        w.advance(Duration::from_secs(5));
        let p = if renewed % 2 == 0 { &w.a } else { &w.b };
        renewed += usize::from(
            p.authenticate(w.firm.id, &cookie, &req())
                .await
                .unwrap()
                .renewed,
        );
    }
    assert_eq!(renewed, 1, "100 verifications within 15 minutes write once");
    assert_eq!(
        w.audit(AuditAction::Visit).await.len(),
        1,
        "one visit recorded"
    );
    let contact = w.a.store().contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(
        contact.last_seen_at,
        Some(START + 16 * MINUTE + Duration::from_secs(5))
    );
}

pub async fn concurrent_renewals_write_once(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(20 * MINUTE);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (w, cookie) = (w.clone(), cookie.clone());
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                p.authenticate(w.firm.id, &cookie, &req())
                    .await
                    .unwrap()
                    .renewed
            })
        })
        .collect();
    let mut writes = 0;
    for t in tasks {
        writes += usize::from(t.await.unwrap());
    }
    assert_eq!(writes, 1);
}

pub async fn login_rotates_the_session_id(f: Fixture) {
    let w = World::new(f).await;
    let first = w.login(w.jane.id).await.token.expose_secret();
    // Logging in again from the same browser (presenting its cookie) replaces the session.
    let token = w.link(w.jane.id).await;
    let second =
        w.a.redeem_magic_link(w.firm.id, &token, None, Some(&first), &req())
            .await
            .unwrap();
    assert_ne!(second.token.expose_secret(), first);
    assert!(
        matches!(
            w.a.authenticate(w.firm.id, &first, &req()).await,
            Err(SessionError::NotLoggedIn)
        ),
        "old cookie dies"
    );
    w.a.authenticate(w.firm.id, &second.token.expose_secret(), &req())
        .await
        .expect("new cookie works");
    // A fixated cookie of another contact is replaced, never adopted.
    let bob = w.login(w.bob.id).await.token.expose_secret();
    let token = w.link(w.jane.id).await;
    let jane =
        w.a.redeem_magic_link(w.firm.id, &token, None, Some(&bob), &req())
            .await
            .unwrap();
    assert_eq!(jane.session.contact_id, w.jane.id);
    assert!(w.a.authenticate(w.firm.id, &bob, &req()).await.is_err());
}

pub async fn suspended_contact_is_refused_at_next_verification(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let token = w.link(w.jane.id).await;
    w.b.suspend_contact(&w.staff, w.jane.id).await.unwrap();
    assert!(matches!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await,
        Err(SessionError::NotLoggedIn)
    ));
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(
        link_problem(r),
        LinkProblem::Superseded,
        "outstanding links die with the suspension"
    );
    assert!(
        w.a.generate_magic_link(&w.staff, w.jane.id).await.is_err(),
        "no links while suspended"
    );
    // Lifting needs no new invitation.
    w.a.lift_suspension(&w.staff, w.jane.id).await.unwrap();
    w.login(w.jane.id).await;
}

pub async fn revoked_contact_needs_a_new_invitation(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    w.a.revoke_contact(&w.staff, w.bob.id).await.unwrap();
    assert!(w.a.authenticate(w.firm.id, &cookie, &req()).await.is_err());
    assert!(
        w.a.lift_suspension(&w.staff, w.bob.id).await.is_err(),
        "revocation is not a suspension"
    );
    // An address of a revoked contact asks for links in vain.
    w.a.request_login_link(w.firm.id, "bob@example.com", None, &req())
        .await
        .unwrap();
    w.a.settle().await;
    assert!(
        w.outbox.last_to("bob@example.com").unwrap().message.kind
            != crate::notify::MessageKind::Login
    );
    let again = crate::staff::Invitation {
        email: "bob@example.com".into(),
        first_name: "Bob".into(),
        client_ids: vec![w.client1.id],
        permissions: Permissions::ALL,
    };
    w.a.invite(&w.staff, again).await.unwrap();
    w.login(w.bob.id).await;
}

pub async fn ungrant_ends_sessions_on_that_client(f: Fixture) {
    let w = World::new(f).await;
    let login = w.login(w.jane.id).await;
    let cookie = login.token.expose_secret();
    let active = login.session.active_client;
    w.b.ungrant(&w.staff, w.jane.id, active).await.unwrap();
    assert!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await.is_err(),
        "the next request is refused"
    );
    let login = w.login(w.jane.id).await;
    assert_ne!(
        login.session.active_client, active,
        "lands on the remaining grant"
    );
    // Without any grant, a link starts nothing.
    w.a.ungrant(&w.staff, w.jane.id, login.session.active_client)
        .await
        .unwrap();
    let token = w.link(w.jane.id).await;
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::ContactUnavailable);
}

pub async fn merged_contact_switches_only_to_granted_clients(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    let other = if auth.session.active_client == w.client1.id {
        w.client2.id
    } else {
        w.client1.id
    };
    let switched = w.b.switch_client(&auth, other, &req()).await.unwrap();
    assert_eq!(switched.active_client, other);
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert_eq!(auth.session.active_client, other, "the switch is stored");
    for foreign in [w.other_client.id, crate::id::ClientId::from_bytes([7; 16])] {
        assert!(matches!(
            w.a.switch_client(&auth, foreign, &req()).await,
            Err(SessionError::NotFound)
        ));
    }
    // bob holds one grant only.
    let bob_cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob =
        w.a.authenticate(w.firm.id, &bob_cookie, &req())
            .await
            .unwrap();
    assert!(matches!(
        w.a.switch_client(&bob, w.client2.id, &req()).await,
        Err(SessionError::NotFound)
    ));
}

pub async fn permission_changes_reach_live_sessions(f: Fixture) {
    let w = World::new(f).await;
    let login = w.login(w.bob.id).await;
    assert_eq!(login.session.permissions, Permissions::ALL);
    w.b.grant(&w.staff, w.bob.id, w.client1.id, Permissions::TASKS)
        .await
        .unwrap();
    let auth =
        w.a.authenticate(w.firm.id, &login.token.expose_secret(), &req())
            .await
            .unwrap();
    assert_eq!(auth.session.permissions, Permissions::TASKS);
    // Staff of another firm cannot touch this firm's contacts or grant foreign clients.
    assert!(
        w.a.grant(
            &w.other_staff,
            w.bob.id,
            w.other_client.id,
            Permissions::ALL
        )
        .await
        .is_err()
    );
    assert!(
        w.a.grant(&w.staff, w.bob.id, w.other_client.id, Permissions::ALL)
            .await
            .is_err()
    );
    assert_eq!(w.a.store().grants(w.bob.id).await.unwrap().len(), 1);
}

/// Every session of `contact` that the store lists verifies, on a client the contact
/// holds a grant to, with that grant's permissions.
async fn sessions_match_grants(store: &dyn Store, contact: crate::id::ContactId) {
    let grants = store.grants(contact).await.unwrap();
    for listed in store.sessions(contact).await.unwrap() {
        let s = listed.session;
        let grant = grants
            .iter()
            .find(|g| g.client_id == s.active_client)
            .unwrap_or_else(|| panic!("a session on a client without a grant: {s:?}"));
        assert_eq!(s.permissions, grant.permissions, "listed: {s:?}");
        let verified = store.session(&s.digest).await.unwrap().expect("verifies");
        assert_eq!(verified.active_client, grant.client_id);
        assert_eq!(
            verified.permissions, grant.permissions,
            "verified: {verified:?}"
        );
    }
}

pub async fn permission_changes_race_logins_and_switches(f: Fixture) {
    let w = World::new(f).await;
    let r = req();
    for round in 0..8 {
        let permissions = if round % 2 == 0 {
            Permissions::TASKS
        } else {
            Permissions::ALL
        };
        let login = w.login(w.jane.id).await;
        let auth =
            w.a.authenticate(w.firm.id, &login.token.expose_secret(), &r)
                .await
                .unwrap();
        let other = if auth.session.active_client == w.client1.id {
            w.client2.id
        } else {
            w.client1.id
        };
        let landing = auth.session.active_client;
        let token = w.link(w.jane.id).await;
        // A switch to `other` while its permissions change, and a login landing on
        // the oldest grant while its permissions change.
        let (switched, redeemed, changed, changed_landing) = tokio::join!(
            w.b.switch_client(&auth, other, &r),
            w.a.redeem_magic_link(w.firm.id, &token, None, None, &r),
            w.b.grant(&w.staff, w.jane.id, other, permissions),
            w.a.grant(&w.staff, w.jane.id, landing, permissions),
        );
        switched.expect("jane holds both grants");
        redeemed.expect("a fresh link");
        changed.unwrap();
        changed_landing.unwrap();
        sessions_match_grants(w.a.store().as_ref(), w.jane.id).await;
    }
}

pub async fn suspensions_and_ungrants_race_logins_and_switches(f: Fixture) {
    let w = World::new(f).await;
    let r = req();
    let store = w.a.store().clone();
    for _ in 0..6 {
        // A switch to client2 while client2's grant is removed.
        let login = w.login(w.jane.id).await;
        let cookie = login.token.expose_secret();
        let auth = w.a.authenticate(w.firm.id, &cookie, &r).await.unwrap();
        let target = if auth.session.active_client == w.client1.id {
            w.client2.id
        } else {
            w.client1.id
        };
        let (_, removed) = tokio::join!(
            w.a.switch_client(&auth, target, &r),
            w.b.ungrant(&w.staff, w.jane.id, target),
        );
        removed.unwrap();
        sessions_match_grants(store.as_ref(), w.jane.id).await;
        if let Ok(auth) = w.a.authenticate(w.firm.id, &cookie, &r).await {
            assert_ne!(auth.session.active_client, target, "no grant, no session");
        }
        w.a.grant(&w.staff, w.jane.id, target, Permissions::ALL)
            .await
            .unwrap();
        // A login while the contact is suspended.
        let token = w.link(w.jane.id).await;
        let (redeemed, suspended) = tokio::join!(
            w.a.redeem_magic_link(w.firm.id, &token, None, None, &r),
            w.b.suspend_contact(&w.staff, w.jane.id),
        );
        suspended.unwrap();
        assert!(
            store.sessions(w.jane.id).await.unwrap().is_empty(),
            "a suspended contact has no session"
        );
        if let Ok(login) = redeemed {
            assert!(
                w.a.authenticate(w.firm.id, &login.token.expose_secret(), &r)
                    .await
                    .is_err()
            );
        }
        w.a.lift_suspension(&w.staff, w.jane.id).await.unwrap();
    }
}

pub async fn staff_revoke_one_session_and_all_sessions(f: Fixture) {
    let w = World::new(f).await;
    let first = w.login(w.jane.id).await;
    let second = w.login(w.jane.id).await;
    let third = w.login(w.jane.id).await;
    let listed = w.b.contact_sessions(&w.staff, w.jane.id).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|s| s.user_agent.as_deref() == Some("conformance") && s.ip.is_none()),
        "where each login came from"
    );
    assert!(
        listed.iter().any(|s| s.session == third.session),
        "the same record as verification reads"
    );
    w.b.revoke_session(&w.staff, w.jane.id, first.session.id)
        .await
        .unwrap();
    assert!(
        w.a.authenticate(w.firm.id, &first.token.expose_secret(), &req())
            .await
            .is_err()
    );
    w.a.authenticate(w.firm.id, &second.token.expose_secret(), &req())
        .await
        .expect("others live");
    // Another firm's staff cannot revoke it; a foreign session id is not found.
    assert!(
        w.a.revoke_session(&w.other_staff, w.jane.id, second.session.id)
            .await
            .is_err()
    );
    let token = w.link(w.jane.id).await;
    assert_eq!(w.a.revoke_access(&w.staff, w.jane.id).await.unwrap(), 2);
    for s in [&second, &third] {
        assert!(
            w.a.authenticate(w.firm.id, &s.token.expose_secret(), &req())
                .await
                .is_err()
        );
    }
    let r =
        w.a.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(
        link_problem(r),
        LinkProblem::Superseded,
        "outstanding links die too"
    );
}

async fn password_link(w: &World, email: &str) -> String {
    w.a.settle().await;
    let url = w.outbox.last_to(email).unwrap().message.links[0].clone();
    assert!(url.contains("/password/set/"), "{url}");
    url.rsplit('/').next().unwrap().to_owned()
}

pub async fn password_link_is_single_use_and_revokes_sessions(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.a.send_password_link(&w.staff, w.jane.id).await.unwrap();
    let token = password_link(&w, "jane@example.com").await;
    w.a.check_password_link(w.firm.id, &token)
        .await
        .expect("GET consumes nothing");
    let weak = w.a.set_password(w.firm.id, &token, "short", &req()).await;
    assert!(matches!(weak, Err(LoginError::Password(_))), "{weak:?}");
    let pw = "lantern meadow quietly 42";
    w.b.set_password(w.firm.id, &token, pw, &req())
        .await
        .expect("a refused password left the link usable");
    assert!(
        w.a.authenticate(w.firm.id, &cookie, &req()).await.is_err(),
        "a reset revokes every session"
    );
    let again =
        w.a.set_password(w.firm.id, &token, "another fine passphrase", &req())
            .await;
    assert!(matches!(again, Err(LoginError::PasswordLinkInvalid)));
    let login =
        w.a.login_with_password(w.firm.id, "JANE@example.com", pw, None, &req())
            .await
            .expect("password login");
    assert_eq!(login.session.contact_id, w.jane.id);
    let wrong =
        w.a.login_with_password(
            w.firm.id,
            "jane@example.com",
            "lantern meadow quietly 43",
            None,
            &req(),
        )
        .await;
    assert!(matches!(wrong, Err(LoginError::InvalidCredentials)));
    assert_eq!(
        w.a.store()
            .failure_state(w.jane.id)
            .await
            .unwrap()
            .consecutive,
        1
    );
    let unknown =
        w.a.login_with_password(w.firm.id, "nobody@example.com", pw, None, &req())
            .await;
    assert!(matches!(unknown, Err(LoginError::InvalidCredentials)));
}

pub async fn password_link_expires_after_thirty_minutes(f: Fixture) {
    let w = World::new(f).await;
    w.a.send_password_link(&w.staff, w.bob.id).await.unwrap();
    let token = password_link(&w, "bob@example.com").await;
    w.advance(30 * MINUTE + Duration::from_secs(1));
    assert!(matches!(
        w.a.check_password_link(w.firm.id, &token).await,
        Err(LoginError::PasswordLinkInvalid)
    ));
    let r =
        w.a.set_password(w.firm.id, &token, "lantern meadow quietly 42", &req())
            .await;
    assert!(matches!(r, Err(LoginError::PasswordLinkInvalid)));
}

pub async fn personal_link_identifies_but_never_authenticates(f: Fixture) {
    let w = World::new(f).await;
    let url =
        w.a.generate_personal_link(&w.staff, w.jane.id)
            .await
            .unwrap();
    let token = url.rsplit('/').next().unwrap().to_owned();
    assert!(
        w.a.authenticate(w.firm.id, &token, &req()).await.is_err(),
        "not a session"
    );
    let view =
        w.b.open_personal_link(w.firm.id, &token, None)
            .await
            .unwrap();
    assert_eq!(
        view,
        Some(crate::personal_link::PersonalLinkView::OfferLogin {
            masked_email: "j***@example.com".into()
        })
    );
    let view =
        w.b.open_personal_link(w.firm.id, &token, Some(w.jane.id))
            .await
            .unwrap();
    assert_eq!(
        view,
        Some(crate::personal_link::PersonalLinkView::AlreadyLoggedIn)
    );
    assert_eq!(
        w.b.open_personal_link(w.other_firm.id, &token, None)
            .await
            .unwrap(),
        None
    );
    // Asking through it mails the owner's stored address, nobody else.
    let before = w.outbox.entries().len();
    w.a.request_login_link_for_personal_link(w.firm.id, &token, &req())
        .await
        .unwrap();
    w.a.settle().await;
    let sent = &w.outbox.entries()[before..];
    assert!(sent.iter().any(
        |m| m.to() == "jane@example.com" && m.message.kind == crate::notify::MessageKind::Login
    ));
    assert!(sent.iter().all(|m| m.to() == "jane@example.com"));
    w.a.revoke_contact(&w.staff, w.jane.id).await.unwrap();
    assert_eq!(
        w.a.open_personal_link(w.firm.id, &token, None)
            .await
            .unwrap(),
        None,
        "dies with revocation"
    );
}

fn draft(w: &World, i: usize) -> AuditDraft {
    AuditDraft {
        firm_id: w.firm.id,
        at: START + Duration::from_millis(i as u64),
        actor: Actor::Staff(crate::id::StaffId::new(format!("staff-{i}")).unwrap()),
        action: AuditAction::GrantChanged,
        contact_id: Some(w.jane.id),
        request: RequestInfo::new(Some([192, 0, 2, (i % 250) as u8].into()), Some("race")),
        outcome: AuditOutcome::Success,
        detail: format!("n={i}"),
    }
}

pub async fn audit_chain_holds_under_concurrent_appends(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let s = if i % 2 == 0 { w.a.store() } else { w.b.store() };
                s.append_audit(draft(&w, i)).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(w.a.verify_audit_chain(w.firm.id).await.unwrap(), Ok(()));
    assert_eq!(
        w.a.verify_audit_chain(w.other_firm.id).await.unwrap(),
        Ok(())
    );
    let events =
        w.a.store()
            .audit_events(w.firm.id, None, 0, 100_000)
            .await
            .unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "contiguous sequence");
    }
}

pub async fn audit_entries_round_trip(f: Fixture) {
    let w = World::new(f).await;
    let mut d = draft(&w, 7);
    d.request = RequestInfo::new(
        Some("2001:db8::1".parse().unwrap()),
        Some("Mozilla/5.0 (ünïcode)"),
    );
    d.outcome = AuditOutcome::Refused;
    let appended = w.b.store().append_audit(d.clone()).await.unwrap();
    let read =
        w.a.store()
            .audit_events(w.firm.id, Some(w.jane.id), appended.seq - 1, 10)
            .await
            .unwrap();
    assert_eq!(read, vec![appended.clone()]);
    assert_eq!(read[0].entry, d);
    let head = w.a.store().audit_head(w.firm.id).await.unwrap().unwrap();
    assert_eq!((head.seq, head.hash), (appended.seq, appended.hash));
    // Filtering by contact keeps other contacts' entries out.
    let bob =
        w.a.store()
            .audit_events(w.firm.id, Some(w.bob.id), 0, 1000)
            .await
            .unwrap();
    assert!(bob.iter().all(|e| e.entry.contact_id == Some(w.bob.id)));
    assert!(!bob.is_empty());
}

pub async fn purge_removes_expired_rows_in_batches(f: Fixture) {
    let w = World::new(f).await;
    let old = w.login(w.jane.id).await;
    w.link(w.bob.id).await;
    w.code("jane@example.com").await;
    let s = w.a.store();
    s.throttle_hit(
        &TokenDigest::of(b"purge"),
        RateLimit::new(5, 15 * MINUTE),
        START,
    )
    .await
    .unwrap();
    w.advance(Duration::from_secs(31 * 86_400));
    let fresh = w.login(w.bob.id).await;
    let mut total = 0;
    loop {
        let report = s.purge_expired(w.a.now(), Duration::ZERO, 1).await.unwrap();
        total += report.removed;
        if !report.more {
            break;
        }
    }
    assert!(
        total >= 4,
        "expired session, links, challenge, throttle hit: {total}"
    );
    assert!(s.session(&old.token.digest()).await.unwrap().is_none());
    assert!(
        s.session(&fresh.token.digest()).await.unwrap().is_some(),
        "live rows stay"
    );
    assert_eq!(
        s.purge_expired(w.a.now(), Duration::ZERO, 100)
            .await
            .unwrap()
            .removed,
        0
    );
    assert_eq!(
        w.a.verify_audit_chain(w.firm.id).await.unwrap(),
        Ok(()),
        "audit entries are never purged"
    );
}

pub async fn concurrent_invitations_create_one_contact(f: Fixture) {
    let w = Arc::new(World::new(f).await);
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let p = if i % 2 == 0 { &w.a } else { &w.b };
                let email = if i % 3 == 0 {
                    "New.Person@Example.com"
                } else {
                    "new.person@example.COM"
                };
                let inv = crate::staff::Invitation {
                    email: email.into(),
                    first_name: "New".into(),
                    client_ids: vec![w.client1.id],
                    permissions: Permissions::ALL,
                };
                p.invite(&w.staff, inv).await.unwrap().contact.id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one contact per canonical address");
    let canon = EmailAddress::parse("NEW.PERSON@example.com").unwrap();
    let found =
        w.a.store()
            .contact_by_email(w.firm.id, canon.canonical())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(found.id, ids[0]);
    assert!(
        w.a.store()
            .contact_by_email(w.other_firm.id, canon.canonical())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn directory_round_trips(f: Fixture) {
    let w = World::new(f).await;
    let s = w.b.store();
    assert_eq!(s.firm(w.firm.id).await.unwrap().as_ref(), Some(&w.firm));
    let mut firm = w.firm.clone();
    firm.branding.display_name = "Acme <Portal>".into();
    firm.branding.accent_colour = crate::firm::AccentColour::parse("#112233").unwrap();
    firm.branding.logo_url = Some("https://cdn.acme.example/logo.png".into());
    firm.mail_from = Some(EmailAddress::parse("Hello@Acme.example").unwrap());
    assert!(s.update_firm(&firm).await.unwrap());
    assert_eq!(w.a.store().firm(firm.id).await.unwrap(), Some(firm));
    let clients = s.clients(w.firm.id).await.unwrap();
    assert_eq!(
        clients,
        vec![w.client1.clone(), w.client2.clone()],
        "by name"
    );
    let contacts = s.contacts(w.firm.id).await.unwrap();
    assert_eq!(
        contacts
            .iter()
            .map(|c| c.email.as_str())
            .collect::<Vec<_>>(),
        ["bob@example.com", "jane@example.com"]
    );
    let jane = s.contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(jane.status, ContactStatus::Active);
    assert!(jane.invited_at.is_some() && jane.joined_at.is_none());
    let grants = s.grants(w.jane.id).await.unwrap();
    assert_eq!(
        grants.iter().map(|g| g.client_id).collect::<Vec<_>>(),
        [w.client1.id, w.client2.id],
        "oldest first"
    );
    w.login(w.jane.id).await;
    let jane = s.contact(w.jane.id).await.unwrap().unwrap();
    assert_eq!(jane.joined_at, Some(START));
    assert!(
        s.firm(crate::id::FirmId::from_bytes([9; 16]))
            .await
            .unwrap()
            .is_none()
    );
}

fn new_task(title: &str, phase: &str, assignee: crate::task::Side) -> crate::task::NewTask {
    crate::task::NewTask {
        phase: Some(phase.into()),
        title: title.into(),
        description: format!("About {title} <b>bold</b>"),
        due_on: crate::task::parse_date("2026-02-15"),
        assignee,
        evidence: crate::task::Evidence::Standard,
    }
}

pub async fn tasks_round_trip_in_order(f: Fixture) {
    use crate::task::Side;
    let w = World::new(f).await;
    let a =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Upload bank statements", "Onboarding", Side::Client),
        )
        .await
        .unwrap();
    let b =
        w.b.create_task(
            &w.staff,
            w.client1.id,
            new_task("Reconcile accounts", "Month end", Side::Firm),
        )
        .await
        .unwrap();
    w.a.create_task(
        &w.staff,
        w.client2.id,
        new_task("Other client's task", "Onboarding", Side::Client),
    )
    .await
    .unwrap();
    let read = w.b.store().tasks(w.client1.id).await.unwrap();
    assert_eq!(read, vec![a.clone(), b]);
    assert_eq!(w.a.store().task(a.id).await.unwrap(), Some(a));
    assert!(
        w.a.create_task(
            &w.other_staff,
            w.client1.id,
            new_task("x", "y", Side::Client)
        )
        .await
        .is_err(),
        "another firm's staff"
    );
}

pub async fn task_completion_is_idempotent(f: Fixture) {
    use crate::task::{Side, TaskStatus};
    let w = World::new(f).await;
    let task =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Sign engagement letter", "Onboarding", Side::Client),
        )
        .await
        .unwrap();
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let auth = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    let first =
        w.a.complete_task(&auth, task.id, Some("done, see email"))
            .await
            .unwrap();
    assert_eq!(first.status, TaskStatus::Completed);
    w.advance(MINUTE);
    let second =
        w.b.complete_task(&auth, task.id, Some("again"))
            .await
            .unwrap();
    assert_eq!(second, first, "the first completion stands");
    let completion = second.completion.unwrap();
    assert_eq!(completion.by, Actor::Contact(w.bob.id));
    assert_eq!(completion.at, w.a.now() - MINUTE);
    assert_eq!(completion.note.as_deref(), Some("done, see email"));
    let undone = w.a.uncomplete_task(&auth, task.id).await.unwrap();
    assert_eq!(
        (undone.status, &undone.completion),
        (TaskStatus::Pending, &None)
    );
    assert_eq!(w.b.uncomplete_task(&auth, task.id).await.unwrap(), undone);
    // Concurrent completions leave one completion.
    let (x, y) = tokio::join!(
        w.a.complete_task(&auth, task.id, Some("x")),
        w.b.complete_task(&auth, task.id, Some("y"))
    );
    assert_eq!(x.unwrap().completion, y.unwrap().completion);
}

pub async fn tasks_of_other_clients_and_the_firm_side_are_out_of_reach(f: Fixture) {
    use crate::task::{Side, TaskError};
    let w = World::new(f).await;
    let firm_side =
        w.a.create_task(
            &w.staff,
            w.client1.id,
            new_task("Reconcile", "Month end", Side::Firm),
        )
        .await
        .unwrap();
    let janes =
        w.a.create_task(
            &w.staff,
            w.client2.id,
            new_task("Cafe receipts", "Month end", Side::Client),
        )
        .await
        .unwrap();
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert!(
        matches!(
            w.a.client_tasks(&bob, w.client2.id).await,
            Err(TaskError::NotFound)
        ),
        "no grant"
    );
    assert!(
        matches!(
            w.a.client_tasks(&bob, w.other_client.id).await,
            Err(TaskError::NotFound)
        ),
        "another firm"
    );
    assert!(
        matches!(
            w.a.complete_task(&bob, janes.id, None).await,
            Err(TaskError::NotFound)
        ),
        "another client's task"
    );
    assert!(
        matches!(
            w.a.complete_task(&bob, firm_side.id, None).await,
            Err(TaskError::Forbidden)
        ),
        "the firm's side"
    );
    assert!(matches!(
        w.a.complete_task(&bob, crate::id::TaskId::from_bytes([3; 16]), None)
            .await,
        Err(TaskError::NotFound)
    ));
    // Without the tasks permission, even a granted client's tasks are refused.
    w.a.grant(&w.staff, w.bob.id, w.client1.id, Permissions::DOCUMENTS)
        .await
        .unwrap();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    assert!(matches!(
        w.a.client_tasks(&bob, w.client1.id).await,
        Err(TaskError::Forbidden)
    ));
    assert_eq!(
        w.a.store()
            .task(janes.id)
            .await
            .unwrap()
            .unwrap()
            .completion,
        None,
        "nothing changed"
    );
}
