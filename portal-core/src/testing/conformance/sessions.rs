//! Sessions: lifetimes, renewal, rotation, revocation.

use super::*;

pub async fn idle_session_expires_and_activity_renews_it(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(Duration::from_secs(24 * 3600 + 1));
    let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(
        matches!(r, Err(SessionError::NotLoggedIn)),
        "idle 24 h + 1 s is over"
    );
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(Duration::from_secs(24 * 3600));
    let r = w.b.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(
        matches!(r, Err(SessionError::NotLoggedIn)),
        "idle exactly 24 h is over"
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
    let asked = std::sync::atomic::AtomicUsize::new(0);
    for _ in 0..100 {
        w.advance(Duration::from_secs(5));
        let p = if renewed % 2 == 0 { &w.a } else { &w.b };
        let details = || {
            asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            req()
        };
        renewed += usize::from(
            p.authenticate_with(w.firm.id, &cookie, details)
                .await
                .unwrap()
                .renewed,
        );
    }
    assert_eq!(renewed, 1, "100 verifications within 15 minutes write once");
    assert_eq!(
        asked.into_inner(),
        1,
        "the request's details are copied out for the renewal only"
    );
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
