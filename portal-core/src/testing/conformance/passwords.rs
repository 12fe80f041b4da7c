//! Password set/reset links.

use super::*;

pub(super) async fn password_link(w: &World, email: &str) -> String {
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

pub async fn concurrent_password_guesses_cannot_pass_one_backoff_check(f: Fixture) {
    let mut policy = Policy::default();
    policy.failure_backoff.after = 2;
    let w = Arc::new(World::with_policy(f, policy.clone()).await);
    w.a.send_password_link(&w.staff, w.jane.id).await.unwrap();
    let token = password_link(&w, "jane@example.com").await;
    let pw = "lantern meadow quietly 42";
    w.a.set_password(w.firm.id, &token, pw, &req())
        .await
        .unwrap();
    let guess = |w: Arc<World>, i: usize, password: String| async move {
        let p = if i.is_multiple_of(2) { &w.a } else { &w.b };
        p.login_with_password(w.firm.id, "jane@example.com", &password, None, &req())
            .await
    };
    for i in 0..2 {
        assert!(
            guess(w.clone(), i, format!("wrong guess {i}"))
                .await
                .is_err()
        );
    }
    // The back-off is over: the next attempt may try, and only that one.
    w.advance(policy.failure_backoff.wait_after(2) + Duration::from_secs(1));
    let tasks: Vec<_> = (0..20)
        .map(|i| tokio::spawn(guess(w.clone(), i, format!("wrong guess {i} again"))))
        .collect();
    for t in tasks {
        assert!(matches!(
            t.await.unwrap(),
            Err(LoginError::InvalidCredentials)
        ));
    }
    assert_eq!(
        w.audit(AuditAction::PasswordFailed).await.len(),
        3,
        "one of the twenty was checked; the others met the back-off it started"
    );
    assert_eq!(w.audit(AuditAction::LockedOut).await.len(), 19);
    let state = w.a.store().failure_state(w.jane.id).await.unwrap();
    assert_eq!(state.consecutive, 3);
    let right = guess(w.clone(), 0, pw.to_owned()).await;
    assert!(
        right.is_err(),
        "the right password waits out the back-off too"
    );
}
