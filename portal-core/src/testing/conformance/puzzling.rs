//! Session puzzling: a secret of one flow presented in another flow's step.
//!
//! Every secret is a token of the same shape (43 base64url characters), so each flow
//! must look it up among its own kind only. A secret in the wrong place is refused as
//! an unknown one, and consumes nothing: each then works where it belongs.

use super::*;
use crate::magic_link::code_challenge_for;

/// The token at the end of the first link of the newest message to `email`.
fn mailed_token(w: &World, email: &str, path: &str) -> String {
    let message = w.outbox.last_to(email).unwrap();
    let url = message
        .message
        .links
        .iter()
        .find(|l| l.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in {:?}", message.message.links))
        .clone();
    url.rsplit('/').next().unwrap().to_owned()
}

pub async fn a_secret_of_one_flow_is_refused_in_every_other(f: Fixture) {
    let w = World::new(f).await;
    let firm = w.firm.id;
    // One live secret of each kind. Jane: a session, a login email (its link, the
    // binding cookie of the browser that asked, the code of the same email), a
    // personal link. Bob: a code attempt and a password link.
    let session = w.login(w.jane.id).await.token.expose_secret();
    let csrf =
        w.a.authenticate(firm, &session, &req())
            .await
            .unwrap()
            .csrf_token();
    let binding =
        w.a.request_login_link(firm, "jane@example.com", None, &req())
            .await
            .unwrap()
            .binding
            .expose_secret();
    w.a.settle().await;
    let link = mailed_token(&w, "jane@example.com", "/auth/link/");
    let link_code = w.last_code("jane@example.com");
    let link_challenge = code_challenge_for(&Token::parse(&link).unwrap()).expose_secret();
    let personal =
        w.a.generate_personal_link(&w.staff, w.jane.id)
            .await
            .unwrap();
    let personal = personal.rsplit('/').next().unwrap().to_owned();
    let (challenge, code) = w.code("bob@example.com").await;
    w.a.send_password_link(&w.staff, w.bob.id).await.unwrap();
    w.a.settle().await;
    let password = mailed_token(&w, "bob@example.com", "/password/set/");

    let all = [
        ("session", &session),
        ("csrf token", &csrf),
        ("binding cookie", &binding),
        ("magic link", &link),
        ("the link's code challenge", &link_challenge),
        ("personal link", &personal),
        ("code challenge", &challenge),
        ("password link", &password),
    ];
    let others = |own: &[&str]| {
        all.into_iter()
            .filter(move |(kind, _)| !own.contains(kind))
            .collect::<Vec<_>>()
    };

    for (kind, secret) in others(&["magic link"]) {
        let r =
            w.a.redeem_magic_link(firm, secret, None, None, &req())
                .await;
        assert_eq!(
            link_problem(r),
            LinkProblem::Unknown,
            "{kind} as a magic link"
        );
    }
    for (kind, secret) in others(&["session"]) {
        let r = w.a.authenticate(firm, secret, &req()).await;
        assert!(
            matches!(r, Err(SessionError::NotLoggedIn)),
            "{kind} as a session: {r:?}"
        );
    }
    for (kind, secret) in others(&["code challenge", "the link's code challenge"]) {
        // With the code of each live challenge: only its own challenge takes it.
        for typed in [&code, &link_code] {
            let r =
                w.a.verify_login_code(firm, secret, typed, None, &req())
                    .await;
            assert!(
                matches!(r, Err(LoginError::InvalidCode)),
                "{kind} as a code challenge: {r:?}"
            );
        }
    }
    for (kind, secret) in others(&["password link"]) {
        let r = w.a.check_password_link(firm, secret).await;
        assert!(
            matches!(r, Err(LoginError::PasswordLinkInvalid)),
            "{kind} as a password link: {r:?}"
        );
        let r =
            w.a.set_password(firm, secret, "lantern meadow quietly 42", &req())
                .await;
        assert!(
            matches!(r, Err(LoginError::PasswordLinkInvalid)),
            "{kind} setting a password: {r:?}"
        );
    }
    for (kind, secret) in others(&["personal link"]) {
        let r = w.a.open_personal_link(firm, secret, None).await.unwrap();
        assert_eq!(r, None, "{kind} as a personal link");
    }
    let auth = w.a.authenticate(firm, &session, &req()).await.unwrap();
    for (kind, secret) in others(&["csrf token"]) {
        assert!(!auth.csrf_matches(secret), "{kind} as the CSRF token");
    }

    // Nothing was consumed or counted: each secret works where it belongs.
    assert!(auth.csrf_matches(&csrf));
    assert!(
        w.a.open_personal_link(firm, &personal, None)
            .await
            .unwrap()
            .is_some()
    );
    w.a.check_password_link(firm, &password)
        .await
        .expect("the password link lives");
    let bob =
        w.a.verify_login_code(firm, &challenge, &code, None, &req())
            .await
            .expect("the code attempt lives");
    assert_eq!(bob.session.contact_id, w.bob.id);
    let jane =
        w.a.redeem_magic_link(firm, &link, Some(&binding), None, &req())
            .await
            .expect("the magic link lives");
    assert_eq!(jane.session.contact_id, w.jane.id);
    assert_eq!(
        w.a.store().failure_state(w.jane.id).await.unwrap(),
        Default::default(),
        "no failure counted against jane"
    );
}
