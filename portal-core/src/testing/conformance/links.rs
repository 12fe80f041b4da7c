//! Magic links: single use, newest wins, lifetime, binding, `next`.

use super::*;

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
    let token = w.link(w.jane.id).await;
    w.advance(15 * MINUTE);
    let r =
        w.b.redeem_magic_link(w.firm.id, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Expired, "at the very instant");
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
