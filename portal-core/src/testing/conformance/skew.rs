//! Clock skew: instances whose clocks disagree, and a clock that steps back.
//!
//! The instance that issues a secret, starts a session or renews it stamps the expiry
//! instants with its own clock; every instance compares its own clock with them. So a
//! secret lives until its stamped instant whichever clock reads it, never later; a
//! renewal is written only by a clock at least one renewal interval past the last one,
//! so a clock behind never writes one and moves no expiry.

use super::*;

async fn stored_session(w: &World, cookie: &str) -> crate::session::SessionRecord {
    let digest = Token::parse(cookie).unwrap().digest();
    w.a.store().session(&digest).await.unwrap().unwrap()
}

pub async fn secrets_from_a_clock_ahead_live_until_their_stamped_expiry(f: Fixture) {
    let w = World::new(f).await;
    let firm = w.firm.id;
    // Issued by an instance ten minutes ahead, redeemed by one on time.
    w.clock.set(START + 10 * MINUTE);
    let token = w.link(w.jane.id).await;
    w.clock.set(START);
    let login =
        w.b.redeem_magic_link(firm, &token, None, None, &req())
            .await
            .expect("alive until its stamped expiry");
    // The session's lifetimes count from the clock that starts it, not the link's.
    let s = &login.session;
    assert_eq!(s.created_at, START);
    assert_eq!(s.idle_expires_at, START + Duration::from_secs(24 * 3600));
    assert_eq!(
        s.absolute_expires_at,
        START + Duration::from_secs(30 * 24 * 3600)
    );
    // Never past it: a link issued at +10 min is dead at +25 min, on any clock.
    w.clock.set(START + 10 * MINUTE);
    let token = w.link(w.jane.id).await;
    w.clock.set(START + 25 * MINUTE);
    let r =
        w.b.redeem_magic_link(firm, &token, None, None, &req())
            .await;
    assert_eq!(link_problem(r), LinkProblem::Expired);
    // The same for a code: issued at +10 min, alive at +0, dead at +20.
    w.clock.set(START + 10 * MINUTE);
    let (challenge, code) = w.code("bob@example.com").await;
    w.clock.set(START + 20 * MINUTE);
    let r =
        w.b.verify_login_code(firm, &challenge, &code, None, &req())
            .await;
    assert!(matches!(r, Err(LoginError::InvalidCode)), "{r:?}");
    w.clock.set(START + 10 * MINUTE);
    let (challenge, code) = w.code("bob@example.com").await;
    w.clock.set(START);
    w.b.verify_login_code(firm, &challenge, &code, None, &req())
        .await
        .expect("alive until its stamped expiry");
}

pub async fn a_clock_behind_a_session_verifies_it_and_renews_nothing(f: Fixture) {
    let w = World::new(f).await;
    w.clock.set(START + Duration::from_secs(3600));
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let created = stored_session(&w, &cookie).await;
    // An instance an hour behind, then one whose clock fell back to 1970: the session
    // is valid (its expiries are ahead) and is never renewed by them.
    for now in [START, START + 30 * MINUTE, crate::clock::Timestamp::EPOCH] {
        w.clock.set(now);
        let auth =
            w.b.authenticate(w.firm.id, &cookie, &req())
                .await
                .expect("valid");
        assert!(!auth.renewed, "at {now}");
    }
    assert_eq!(stored_session(&w, &cookie).await, created);
    assert!(w.audit(AuditAction::Visit).await.is_empty());
}

pub async fn a_clock_stepping_back_after_a_renewal_extends_nothing(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    w.advance(16 * MINUTE);
    assert!(
        w.a.authenticate(w.firm.id, &cookie, &req())
            .await
            .unwrap()
            .renewed
    );
    let renewed = stored_session(&w, &cookie).await;
    assert_eq!(renewed.renewed_at, START + 16 * MINUTE);
    // The clock steps back fifteen minutes and the browser stays busy: nothing is
    // written until the clock is a renewal interval past the renewal.
    w.clock.set(START + MINUTE);
    for _ in 0..29 {
        w.advance(MINUTE);
        let auth = w.b.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
        assert!(!auth.renewed, "at {}", w.a.now());
    }
    assert_eq!(stored_session(&w, &cookie).await, renewed);
    // So the session ends when the renewal said, whatever the clock did meanwhile.
    w.clock.set(renewed.idle_expires_at);
    let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(matches!(r, Err(SessionError::NotLoggedIn)), "{r:?}");
}

pub async fn the_absolute_lifetime_holds_however_the_clock_moves(f: Fixture) {
    let w = World::new(f).await;
    let cookie = w.login(w.jane.id).await.token.expose_secret();
    let absolute = START + Duration::from_secs(30 * 24 * 3600);
    // Renewed every 20 hours, the clock stepping back 10 hours and forward again after
    // each renewal: 29 days of it.
    for _ in 0..35 {
        w.advance(Duration::from_secs(20 * 3600));
        w.a.authenticate(w.firm.id, &cookie, &req())
            .await
            .expect("renewed");
        w.clock.set(w.a.now() - Duration::from_secs(10 * 3600));
        w.b.authenticate(w.firm.id, &cookie, &req())
            .await
            .expect("valid");
        w.advance(Duration::from_secs(10 * 3600));
        let s = stored_session(&w, &cookie).await;
        assert_eq!(s.absolute_expires_at, absolute);
        assert!(s.idle_expires_at <= absolute);
    }
    w.clock.set(absolute);
    let r = w.a.authenticate(w.firm.id, &cookie, &req()).await;
    assert!(matches!(r, Err(SessionError::NotLoggedIn)), "{r:?}");
}
