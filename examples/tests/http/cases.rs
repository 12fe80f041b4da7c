//! The cases: each starts from a fresh server with the demo data (jane@example.com with
//! two clients, bob@example.com with one) and drives it only through HTTP.

use std::thread;

use serde_json::{Value, json};

use super::client::{Browser, Resp, form, send};
use super::server::{ADMIN_TOKEN, Server, code_of, link_of, path_of, token_of};

pub use super::conversation::*;
pub use super::credentials::*;
pub use super::documents::*;
pub use super::evidence::*;
pub use super::hostile::*;
pub use super::preview::*;
pub use super::staff_tasks::*;

const JANE: &str = "jane@example.com";
const BOB: &str = "bob@example.com";

pub fn assert_status(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {}", resp.text());
}

/// Asks for a login link in `b` and returns the emailed link's path.
pub fn request_link(s: &Server, b: &mut Browser, email: &str) -> String {
    let before = s.mail(email, "login").len();
    let r = b.post_form("/portal/login/link", &[("email", email)]);
    assert_status(&r, 200, "link request");
    let mail = s.wait_mail(email, "login", before + 1);
    path_of(&link_of(&mail[before]))
}

/// Logs `email` in through the whole link flow in a new browser.
pub fn login(s: &Server, email: &str) -> Browser {
    let mut b = s.browser();
    let link = request_link(s, &mut b, email);
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
    assert_status(&r, 303, "redeem");
    b
}

pub fn me(b: &mut Browser) -> Resp {
    b.get("/portal/api/me")
}

pub fn csrf(b: &mut Browser) -> String {
    me(b).json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned()
}

pub fn magic_link_logs_in_and_lands_in_the_portal(s: &Server) {
    let mut b = s.browser();
    let page = b.get("/portal/login");
    assert_status(&page, 200, "login page");
    assert!(page.text().contains("name=\"email\""));
    let link = request_link(s, &mut b, JANE);
    assert!(
        b.jar.contains_key(s.binding_cookie()),
        "the asking browser is bound"
    );
    assert!(link.starts_with("/portal/auth/link/"));
    let confirm = b.get(&link);
    assert_status(&confirm, 200, "confirmation page");
    assert!(
        confirm.text().contains("Log in to portal") && confirm.text().contains("method=\"post\"")
    );
    assert!(!confirm.text().contains("<script"), "no auto-submit");
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
    assert_status(&r, 303, "redeem");
    assert_eq!(r.header("location"), Some("/portal/"));
    assert!(b.jar.contains_key(s.session_cookie()));
    assert!(
        !b.jar.contains_key(s.binding_cookie()),
        "binding cookie cleared"
    );
    let me = me(&mut b).json();
    assert_eq!(me["email"], JANE);
    assert_eq!(
        me["clients"].as_array().map(Vec::len),
        Some(2),
        "merged access"
    );
    let home = b.get("/portal/");
    assert_status(&home, 200, "portal home");
    assert!(home.text().contains("Jane"));
}

pub fn link_is_single_use_under_20_concurrent_posts(s: &Server) {
    let mut b = s.browser();
    let token = token_of(&request_link(s, &mut b, JANE));
    let handles: Vec<_> = (0..20)
        .map(|_| {
            let (addr, origin, token) = (s.addr, s.origin.clone(), token.clone());
            thread::spawn(move || {
                let body = form(&[("token", &token)]);
                send(
                    addr,
                    "POST",
                    "/portal/auth/link",
                    &[
                        ("Origin", &origin),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ],
                    &body,
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&c| c == 303).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&c| c == 303 || c == 410),
        "{statuses:?}"
    );
}

pub fn get_and_head_consume_nothing(s: &Server) {
    let mut b = s.browser();
    let link = request_link(s, &mut b, JANE);
    for _ in 0..3 {
        assert_status(&b.get(&link), 200, "GET");
        assert_status(&b.request("HEAD", &link, &[], b""), 200, "HEAD");
    }
    assert_status(
        &b.post_form("/portal/auth/link", &[("token", &token_of(&link))]),
        303,
        "still redeemable",
    );
}

pub fn older_link_is_refused(s: &Server) {
    let mut b = s.browser();
    let old = request_link(s, &mut b, JANE);
    let new = request_link(s, &mut b, JANE);
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&old))]);
    assert_status(&r, 410, "older link");
    assert!(r.text().contains("newer"), "{}", r.text());
    assert!(r.text().contains("/portal/login/link"), "offers a new link");
    assert_status(
        &b.post_form("/portal/auth/link", &[("token", &token_of(&new))]),
        303,
        "newest",
    );
}

pub fn used_link_offers_the_code_from_the_same_email(s: &Server) {
    let mut b = s.browser();
    let link = request_link(s, &mut b, JANE);
    let code = code_of(&s.mail(JANE, "login")[0]);
    // A scanner got there first.
    let mut scanner = s.browser();
    assert_status(
        &scanner.post_form("/portal/auth/link", &[("token", &token_of(&link))]),
        303,
        "scanner",
    );
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
    assert_status(&r, 410, "used link");
    let page = r.text();
    let challenge = page
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the error page offers the code form");
    let r = b.post_form(
        "/portal/login/code/verify",
        &[("challenge", challenge), ("code", &code)],
    );
    assert_status(&r, 303, "code from the same email");
    assert_eq!(me(&mut b).json()["email"], JANE);
    let audit = s
        .admin(
            "GET",
            &format!("/audit?contact_id={}", s.contact_id(JANE)),
            None,
        )
        .json();
    let refused = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "link.refused")
        .count();
    assert_eq!(refused, 1, "recorded for support");
}

pub fn unknown_addresses_get_the_same_answer(s: &Server) {
    for path in [
        "/portal/login/link",
        "/portal/login/code",
        "/portal/password/forgot",
    ] {
        let mut known = s.browser();
        let mut unknown = s.browser();
        let a = known.post_form(path, &[("email", JANE)]);
        let b = unknown.post_form(path, &[("email", "nobody@example.com")]);
        assert_eq!(a.status, b.status, "{path}");
        let strip = |r: &Resp| {
            // The code page carries a random challenge; everything else is identical.
            let t = r.text();
            match t.find("name=\"challenge\" value=\"") {
                Some(i) => t[..i].to_owned(),
                None => t,
            }
        };
        assert_eq!(strip(&a), strip(&b), "{path}");
        let names = |r: &Resp| {
            r.set_cookies()
                .iter()
                .map(|c| c.split('=').next().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b), "{path}");
    }
    assert_eq!(s.settled_count("nobody@example.com", "login"), 0);
}

pub fn host_header_is_ignored_in_links(s: &Server) {
    let body = form(&[("email", JANE)]);
    let r = send(
        s.addr,
        "POST",
        "/portal/login/link",
        &[
            ("Host", "evil.example"),
            ("X-Forwarded-Host", "evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    assert_status(&r, 200, "request");
    let mail = s.wait_mail(JANE, "login", 1);
    for link in mail[0]["links"].as_array().expect("links") {
        assert!(
            link.as_str().unwrap_or_default().starts_with(&s.origin),
            "{link}"
        );
    }
    assert!(
        !mail[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("evil.example")
    );
}

pub fn next_targets_stay_inside_the_portal(s: &Server) {
    // Three requests per address stay under the per-address limit.
    for (i, (next, expect)) in [
        ("/portal/?tab=documents", "/portal/?tab=documents"),
        ("https://evil.example/", "/portal/"),
        ("//evil.example/portal", "/portal/"),
        ("/\\evil.example", "/portal/"),
        ("/portal/../admin", "/portal/"),
        ("javascript:alert(1)", "/portal/"),
    ]
    .into_iter()
    .enumerate()
    {
        let who = if i % 2 == 0 { BOB } else { JANE };
        let mut b = s.browser();
        let before = s.mail(who, "login").len();
        b.post_form("/portal/login/link", &[("email", who), ("next", next)]);
        let link = path_of(&link_of(&s.wait_mail(who, "login", before + 1)[before]));
        assert!(
            !link.contains("next") && !link.contains('?'),
            "the emailed URL carries no target: {link}"
        );
        let r = b.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
        assert_eq!(r.header("location"), Some(expect), "next={next}");
    }
}

pub fn cross_site_posts_are_refused_with_no_effect(s: &Server) {
    let body = form(&[("email", JANE)]);
    let ct = ("Content-Type", "application/x-www-form-urlencoded");
    for headers in [
        vec![("Origin", "https://evil.example"), ct],
        vec![("Origin", "null"), ct],
        vec![("Sec-Fetch-Site", "cross-site"), ct],
        vec![("Sec-Fetch-Site", "same-site"), ct],
    ] {
        let r = send(s.addr, "POST", "/portal/login/link", &headers, &body);
        assert_status(&r, 403, &format!("{headers:?}"));
    }
    assert_eq!(s.settled_count(JANE, "login"), 0, "no email was sent");
    // An authenticated cross-site request is refused too, CSRF token or not.
    let mut b = login(s, JANE);
    let token = csrf(&mut b);
    let r = b.request(
        "POST",
        "/portal/logout",
        &[("Origin", "https://evil.example"), ct],
        &form(&[("csrf_token", &token)]),
    );
    assert_status(&r, 403, "cross-site logout");
    assert_status(&me(&mut b), 200, "still logged in");
}

pub fn csrf_token_is_required_for_authenticated_posts(s: &Server) {
    let mut b = login(s, JANE);
    let other = me(&mut b).json()["clients"][1]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let r = b.post_form("/portal/api/switch", &[("client_id", &other)]);
    assert_status(&r, 403, "no token");
    let r = b.post_form(
        "/portal/api/switch",
        &[("client_id", &other), ("csrf_token", "forged")],
    );
    assert_status(&r, 403, "forged token");
    let token = csrf(&mut b);
    let r = b.post_json("/portal/api/switch", &token, &json!({"client_id": other}));
    assert_status(&r, 200, "with token");
    assert_eq!(me(&mut b).json()["active_client"]["id"], other.as_str());
    // Another session's token does not work.
    let mut bob = login(s, BOB);
    let bob_token = csrf(&mut bob);
    let r = b.post_json(
        "/portal/api/switch",
        &bob_token,
        &json!({"client_id": other}),
    );
    assert_status(&r, 403, "another session's token");
}

pub fn login_rotates_the_session_and_defeats_fixation(s: &Server) {
    // An attacker logs in and plants their session cookie in the victim's browser.
    let attacker = login(s, BOB);
    let planted = attacker.jar[s.session_cookie()].clone();
    let mut victim = s.browser();
    victim
        .jar
        .insert(s.session_cookie().to_owned(), planted.clone());
    let link = request_link(s, &mut victim, JANE);
    victim.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
    assert_ne!(
        victim.jar[s.session_cookie()],
        planted,
        "a fresh id at login"
    );
    assert_eq!(me(&mut victim).json()["email"], JANE);
    let mut replay = s.browser();
    replay.jar.insert(s.session_cookie().to_owned(), planted);
    assert_status(&me(&mut replay), 401, "the replaced session is dead");
}

pub fn logout_ends_the_session(s: &Server) {
    let mut b = login(s, JANE);
    let cookie = b.jar[s.session_cookie()].clone();
    let token = csrf(&mut b);
    let r = b.post_form("/portal/logout", &[("csrf_token", &token)]);
    assert_status(&r, 303, "logout");
    let cleared = r.set_cookie(s.session_cookie()).expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let mut replay = s.browser();
    replay
        .jar
        .insert(s.session_cookie().to_owned(), cookie.clone());
    assert_status(&me(&mut replay), 401, "old cookie refused");
    // A dead cookie is cleared on any path of the portal, found or not, however deep.
    for path in ["/portal/nope", "/portal/a/b/c/d/e/f/g/h/i/j"] {
        let mut replay = s.browser();
        replay
            .jar
            .insert(s.session_cookie().to_owned(), cookie.clone());
        let r = replay.get(path);
        assert_status(&r, 404, path);
        let cleared = r.set_cookie(s.session_cookie()).unwrap_or_default();
        assert!(cleared.contains("Max-Age=0"), "{path}: {cleared}");
    }
}

pub fn staff_revocation_takes_effect_at_the_next_request(s: &Server) {
    let mut b = login(s, JANE);
    let id = s.contact_id(JANE);
    let r = s.admin("POST", &format!("/contacts/{id}/revoke"), None);
    assert_status(&r, 200, "revoke");
    assert_eq!(r.json()["sessions_revoked"], 1);
    assert_status(&me(&mut b), 401, "revoked");
    // Suspension: sessions end, links stop; lifting it needs no invitation.
    let mut b = login(s, JANE);
    assert_status(
        &s.admin("POST", &format!("/contacts/{id}/suspend"), None),
        200,
        "suspend",
    );
    assert_status(&me(&mut b), 401, "suspended");
    assert_status(
        &s.admin("POST", &format!("/contacts/{id}/magic-link"), None),
        409,
        "no links while suspended",
    );
    assert_status(
        &s.admin("POST", &format!("/contacts/{id}/unsuspend"), None),
        200,
        "lift",
    );
    login(s, JANE);
}

pub fn email_codes_log_in_within_their_limits(s: &Server) {
    let mut b = s.browser();
    let page = b.post_form("/portal/login/code", &[("email", JANE)]);
    assert_status(&page, 200, "code page");
    let text = page.text();
    assert!(text.contains("autocomplete=\"one-time-code\""));
    let challenge = text
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("challenge")
        .to_owned();
    let code = code_of(&s.wait_mail(JANE, "code", 1)[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = b.post_form(
            "/portal/login/code/verify",
            &[("challenge", &challenge), ("code", wrong)],
        );
        assert_status(&r, 401, "wrong code");
    }
    let r = b.post_form(
        "/portal/login/code/verify",
        &[("challenge", &challenge), ("code", &code)],
    );
    assert_status(&r, 401, "the sixth guess is refused, right or not");
    assert!(
        r.text().contains("That code is not valid"),
        "answered as a wrong code is, as for an unknown address"
    );
    // A new attempt: resends up to five codes in all, then nothing more is sent.
    let page = b.post_form("/portal/login/code", &[("email", JANE)]);
    let challenge = page
        .text()
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("challenge")
        .to_owned();
    s.wait_mail(JANE, "code", 2);
    for _ in 0..6 {
        assert_status(
            &b.post_form("/portal/login/code/resend", &[("challenge", &challenge)]),
            200,
            "resend",
        );
    }
    s.wait_mail(JANE, "code", 5);
    assert_eq!(
        s.settled_count(JANE, "code"),
        5,
        "at most 5 emails per address in 15 minutes"
    );
    // Concurrent resends may deliver their emails out of order: the code that works is
    // one of the three resent, and the others answer 401.
    let codes: Vec<String> = s
        .mail(JANE, "code")
        .iter()
        .rev()
        .take(3)
        .map(code_of)
        .collect();
    let statuses: Vec<u16> = codes
        .iter()
        .map(|c| {
            b.post_form(
                "/portal/login/code/verify",
                &[("challenge", &challenge), ("code", c)],
            )
            .status
        })
        .take_while(|st| *st != 303)
        .collect();
    assert!(
        statuses.len() < codes.len() && statuses.iter().all(|st| *st == 401),
        "the current code works: {statuses:?}"
    );
}

pub fn throttling_counts_address_variants_together(s: &Server) {
    let mut b = s.browser();
    for v in [
        "bob@example.com",
        "BOB@example.com",
        "Bob@Example.COM",
        " bob@EXAMPLE.com",
        "bOb@example.com",
        "BOB@EXAMPLE.COM",
        "bob@example.Com",
    ] {
        let r = b.post_form("/portal/login/link", &[("email", v)]);
        assert_status(&r, 200, "same answer when throttled");
    }
    // Mail leaves in the background: wait for the five, then make sure no more come.
    s.wait_mail(BOB, "login", 5);
    assert_eq!(s.settled_count(BOB, "login"), 5);
}

pub fn malformed_tokens_and_ids_answer_4xx(s: &Server) {
    let mut b = login(s, JANE);
    let token = csrf(&mut b);
    for path in [
        "/portal/auth/link/short",
        "/portal/auth/link/%00%01",
        "/portal/auth/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/portal/c/..%2F..%2Fetc%2Fpasswd",
        "/portal/c/%C3%A9%C3%A9",
        "/portal/password/set/not-a-token",
        "/portal/api/clients/not-a-uuid/tasks",
        "/portal/nope",
        "/portal/api/nope",
        "/admin/api/contacts/not-a-uuid",
    ] {
        let r = b.get(path);
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
    for (path, body) in [
        ("/portal/auth/link", form(&[("token", "x")])),
        ("/portal/auth/link", b"token=%ZZ".to_vec()),
        ("/portal/auth/link", vec![0xff, 0xfe, b'=', 0x80]),
        (
            "/portal/login/code/verify",
            form(&[("challenge", "é"), ("code", "12")]),
        ),
        ("/portal/login/link", form(&[("email", "not an address")])),
        (
            "/portal/login/link",
            form(&[("email", &format!("{}@example.com", "a".repeat(300)))]),
        ),
        (
            "/portal/login/password",
            form(&[("email", JANE), ("password", &"x".repeat(5000))]),
        ),
    ] {
        let r = b.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        );
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
    let r = b.request(
        "POST",
        "/portal/api/switch",
        &[
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &token),
        ],
        b"{not json",
    );
    assert_status(&r, 400, "malformed JSON");
    let r = b.request(
        "POST",
        "/portal/api/switch",
        &[("Content-Type", "text/plain"), ("X-CSRF-Token", &token)],
        b"x",
    );
    assert_status(&r, 415, "content-type lie");
    let r = s.admin(
        "POST",
        "/contacts",
        Some(&json!({"email": "x@example.com", "first_name": "X", "client_ids": ["nope"]})),
    );
    assert_status(&r, 404, "forged client id");
}

pub fn oversized_bodies_get_413_and_change_nothing(s: &Server) {
    let mut b = s.browser();
    let mut big = form(&[("email", JANE), ("pad", "")]);
    big.resize(64 * 1024 + 1, b'a');
    let r = b.request(
        "POST",
        "/portal/login/link",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_status(&r, 413, "form over 64 KiB");
    let mut ok = form(&[("email", JANE), ("pad", "")]);
    ok.resize(60 * 1024, b'a');
    assert_status(
        &b.request(
            "POST",
            "/portal/login/link",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &ok,
        ),
        200,
        "form under 64 KiB",
    );
    s.wait_mail(JANE, "login", 1);
    assert_eq!(
        s.settled_count(JANE, "login"),
        1,
        "the oversized request sent nothing"
    );
    let mut signed_in = login(s, BOB);
    let token = csrf(&mut signed_in);
    let huge = format!("{{\"client_id\": \"{}\"}}", "a".repeat(1024 * 1024));
    let r = signed_in.request(
        "POST",
        "/portal/api/switch",
        &[
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &token),
        ],
        huge.as_bytes(),
    );
    assert_status(&r, 413, "JSON over 1 MiB");
}

pub fn cookies_carry_every_attribute(s: &Server) {
    let mut b = s.browser();
    let link = request_link(s, &mut b, JANE);
    let r = b.post_form("/portal/auth/link", &[("token", &token_of(&link))]);
    let cookie = r
        .set_cookie(s.session_cookie())
        .expect("session cookie")
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain"), "{cookie}");
    let max_age: u64 = cookie
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("max-age");
    assert!(
        max_age <= 24 * 3600 && max_age > 24 * 3600 - 60,
        "never beyond the session: {max_age}"
    );
    assert_eq!(cookie.contains("Secure"), s.secure_cookies, "{cookie}");
    assert_eq!(cookie.starts_with("__Host-"), s.secure_cookies, "{cookie}");
}

pub fn security_headers_are_set(s: &Server) {
    let mut b = login(s, JANE);
    for path in [
        "/portal/login",
        "/portal/",
        "/portal/api/me",
        "/portal/auth/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r = b.get(path);
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert!(
            r.header("content-security-policy")
                .unwrap_or_default()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(
            r.header("strict-transport-security").is_some(),
            s.secure_cookies,
            "{path}: HSTS only for https"
        );
    }
}

pub fn staff_api_answers_every_path_below_its_mount(s: &Server) {
    for path in ["", "/", "/nowhere"] {
        let r = s.admin("GET", path, None);
        assert_status(&r, 404, path);
        assert_eq!(r.json()["error"], "Not found", "the portal's own 404");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    let get = s.admin("GET", "/contacts", None);
    let head = s.admin("HEAD", "/contacts", None);
    assert_status(&head, 200, "HEAD is the GET without its body");
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = send(
        s.addr,
        "GET",
        "/admin/apicontacts",
        &[("Authorization", &auth)],
        b"",
    );
    assert_status(&r, 404, "a path that only shares the mount's prefix");
}

pub fn other_clients_ids_answer_404(s: &Server) {
    let mut bob = login(s, BOB);
    let jane_only = {
        let mut jane = login(s, JANE);
        let mine: Vec<Value> = me(&mut bob).json()["clients"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        me(&mut jane).json()["clients"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| !mine.iter().any(|m| m["id"] == c["id"]))
            .and_then(|c| c["id"].as_str())
            .expect("a client bob cannot see")
            .to_owned()
    };
    let token = csrf(&mut bob);
    let r = bob.post_json(
        "/portal/api/switch",
        &token,
        &json!({"client_id": jane_only}),
    );
    assert_status(&r, 404, "switch to a foreign client");
    let r = bob.post_json(
        "/portal/api/switch",
        &token,
        &json!({"client_id": "00000000-0000-4000-8000-000000000000"}),
    );
    assert_status(&r, 404, "switch to a missing client: the same answer");
}

pub fn personal_link_identifies_without_logging_in(s: &Server) {
    let id = s.contact_id(JANE);
    let url = s
        .admin("POST", &format!("/contacts/{id}/personal-link"), None)
        .json()["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let mut stranger = s.browser();
    let page = stranger.get(&path_of(&url));
    assert_status(&page, 200, "personal link");
    assert!(page.text().contains("j***@example.com"), "masked address");
    assert!(!stranger.jar.contains_key(s.session_cookie()));
    assert_status(&me(&mut stranger), 401, "not logged in");
    let r = stranger.post_form(&path_of(&url), &[]);
    assert_status(&r, 200, "asks for a link");
    s.wait_mail(JANE, "login", 1);
    let mut jane = login(s, JANE);
    let r = jane.get(&path_of(&url));
    assert_status(&r, 303, "straight in with the owner's session");
}

pub fn password_set_through_a_link_then_used(s: &Server) {
    let id = s.contact_id(BOB);
    let mut old = login(s, BOB);
    assert_status(
        &s.admin("POST", &format!("/contacts/{id}/password-link"), None),
        202,
        "password link",
    );
    let link = path_of(&link_of(&s.wait_mail(BOB, "password_link", 1)[0]));
    let mut b = s.browser();
    let form_page = b.get(&link);
    assert_status(&form_page, 200, "form");
    assert!(
        form_page.text().contains("autocomplete=\"new-password\"")
            && form_page.text().contains("autocomplete=\"username\"")
    );
    assert_status(
        &b.post_form(&link, &[("password", "short")]),
        400,
        "too short",
    );
    let pw = "correct lantern meadow 9";
    let r = b.post_form(&link, &[("password", pw)]);
    assert_status(&r, 303, "saved");
    assert_status(&me(&mut old), 401, "a password reset ends every session");
    assert_status(
        &b.post_form(&link, &[("password", "another lantern meadow")]),
        410,
        "single use",
    );
    let r = b.post_form(
        "/portal/login/password",
        &[("email", BOB), ("password", pw)],
    );
    assert_status(&r, 303, "password login");
    assert_eq!(me(&mut b).json()["email"], BOB);
    let r = s.browser().post_form(
        "/portal/login/password",
        &[("email", BOB), ("password", "wrong lantern meadow 9")],
    );
    assert_status(&r, 401, "wrong password");
}

pub fn staff_api_manages_contacts(s: &Server) {
    let r = send(
        s.addr,
        "GET",
        "/admin/api/contacts",
        &[("Authorization", "Bearer wrong-token-wrong-token")],
        b"",
    );
    assert_status(&r, 401, "bad token");
    assert_status(
        &send(s.addr, "GET", "/admin/api/contacts", &[], b""),
        401,
        "no token",
    );
    let clients = s.admin("GET", "/clients", None).json();
    let client = clients[0]["id"].as_str().expect("client").to_owned();
    let r = s.admin("POST", "/contacts", Some(&json!({"email": "New.Person@Example.com", "first_name": "New", "client_ids": [client]})));
    assert_status(&r, 201, "invite");
    let created = r.json();
    assert_eq!(created["clients"], json!([client]));
    assert!(created["id"].is_string() && created["first_name"] == "New");
    let invitation = s.wait_mail("New.Person@Example.com", "invitation", 1);
    assert!(link_of(&invitation[0]).starts_with(&format!("{}/portal/c/", s.origin)));
    let id = created["id"].as_str().expect("id");
    let url = s
        .admin("POST", &format!("/contacts/{id}/magic-link"), None)
        .json()["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let mut b = s.browser();
    assert_status(
        &b.post_form("/portal/auth/link", &[("token", &token_of(&url))]),
        303,
        "staff link works",
    );
    assert_status(
        &s.admin("POST", &format!("/contacts/{id}/login-email"), None),
        202,
        "login email",
    );
    s.wait_mail("New.Person@Example.com", "login", 1);
    let audit = s
        .admin("GET", &format!("/audit?contact_id={id}"), None)
        .json();
    let actions: Vec<&str> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["contact.invited", "link.issued", "link.redeemed"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let first = &audit[0];
    for field in ["time", "action", "actor", "ip", "user_agent", "outcome"] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert_eq!(s.admin("GET", "/audit/verify", None).json()["intact"], true);
}

pub fn staff_set_and_clear_a_contact_s_phone(s: &Server) {
    let jane = s.contact_id(JANE);
    let path = format!("/contacts/{jane}/phone");
    let phone_now = || s.admin("GET", &format!("/contacts/{jane}"), None).json()["phone"].clone();
    assert_eq!(phone_now(), "+447700900123", "the demo data's number");
    let r = s.admin("PUT", &path, Some(&json!({"phone": "+1 (555) 010-0199"})));
    assert_status(&r, 200, "set");
    assert_eq!(r.json()["phone"], "+15550100199");
    assert_eq!(phone_now(), "+15550100199");
    let r = s.admin("PUT", &path, Some(&json!({"phone": "001 555 010 0199"})));
    assert_status(&r, 422, "00 for +");
    assert!(
        r.json()["error"].as_str().unwrap_or("").contains('+'),
        "{}",
        r.text()
    );
    assert_eq!(
        phone_now(),
        "+15550100199",
        "a refused number changes nothing"
    );
    let r = s.admin("PUT", &path, Some(&json!({"phone": null})));
    assert_status(&r, 200, "clear");
    assert_eq!(r.json()["phone"], Value::Null);
    assert_eq!(phone_now(), Value::Null);
    let audit = s
        .admin("GET", &format!("/audit?contact_id={jane}"), None)
        .json();
    let details: Vec<&str> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "contact.phone_changed")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert_eq!(details, ["set", "cleared"]);
    assert!(
        !audit.to_string().contains("0100199"),
        "no number in the log"
    );
}

pub fn tasks_are_listed_and_completed_within_the_grant(s: &Server) {
    let mut bob = login(s, BOB);
    let me = me(&mut bob).json();
    let client = me["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let tasks = bob.get(&format!("/portal/api/clients/{client}/tasks"));
    assert_status(&tasks, 200, "tasks");
    let tasks = tasks.json();
    let list = tasks.as_array().expect("list");
    assert!(list.len() >= 4);
    let mine = list
        .iter()
        .find(|t| t["assignee"] == "client")
        .expect("a client task");
    let firms = list
        .iter()
        .find(|t| t["assignee"] == "firm")
        .expect("a firm task");
    let token = csrf(&mut bob);
    let path = format!(
        "/portal/api/tasks/{}/complete",
        mine["id"].as_str().expect("id")
    );
    let first = bob.post_json(&path, &token, &json!({"note": "sent by post"}));
    assert_status(&first, 200, "complete");
    assert_eq!(first.json()["status"], "completed");
    let again = bob.post_json(&path, &token, &json!({"note": "other"}));
    assert_eq!(again.json(), first.json(), "idempotent");
    assert_status(&bob.post_json(&path, "forged", &json!({})), 403, "CSRF");
    let firm_path = format!(
        "/portal/api/tasks/{}/complete",
        firms["id"].as_str().expect("id")
    );
    assert_status(
        &bob.post_json(&firm_path, &token, &json!({})),
        403,
        "the firm's side",
    );
    // Jane's other client: bob holds no grant, so it does not exist for him.
    let mut jane = login(s, JANE);
    let other = me_clients(&mut jane)
        .into_iter()
        .find(|c| *c != client)
        .expect("another client");
    assert_status(
        &bob.get(&format!("/portal/api/clients/{other}/tasks")),
        404,
        "ungranted client",
    );
    let jane_task = jane
        .get(&format!("/portal/api/clients/{other}/tasks"))
        .json()[0]["id"]
        .as_str()
        .expect("task")
        .to_owned();
    assert_status(
        &bob.post_json(
            &format!("/portal/api/tasks/{jane_task}/complete"),
            &token,
            &json!({}),
        ),
        404,
        "another client's task",
    );
    let page = bob.get("/portal/");
    assert!(page.text().contains("Your tasks") && page.text().contains("Our progress"));
    // The page's own form works too.
    let undo = bob.post_form(
        &format!(
            "/portal/api/tasks/{}/uncomplete",
            mine["id"].as_str().expect("id")
        ),
        &[("csrf_token", &token)],
    );
    assert_status(&undo, 303, "form post");
}

fn me_clients(b: &mut Browser) -> Vec<String> {
    me(b).json()["clients"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

pub fn host_handlers_see_the_session_through_the_extractor(s: &Server) {
    assert_status(&s.get("/whoami"), 401, "no session");
    let mut b = login(s, JANE);
    let id = me(&mut b).json()["contact_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = b.get("/whoami");
    assert_status(&r, 200, "the extractor");
    assert_eq!(r.text(), id);
    // The host's page gets the session's headers, but no policy that would break it.
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.header("content-security-policy"),
        Some("frame-ancestors 'none'")
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    // A route that never asks for the session pays nothing and gets nothing.
    let h = b.get("/healthz");
    assert_eq!(h.text(), "ok");
    assert!(h.header("cache-control").is_none() && h.set_cookies().is_empty());
}
