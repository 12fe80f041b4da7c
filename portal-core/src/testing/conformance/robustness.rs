//! Arbitrary requests to the neutral HTTP layer on the store under test, logged in or
//! not, same-site or not, with or without a valid CSRF token: whatever the input, the
//! answer is never a 5xx, never a panic, and always carries the security headers. A
//! store that refuses what another keeps (PostgreSQL and a NUL) shows here as a 500.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::*;
use crate::id::StaffId;
use crate::web::{BearerToken, Method, PortalWeb, Request};

const STAFF_TOKEN: &str = "staff-secret-token";
const ORIGIN: &str = "https://portal.acme.example";

/// Requests tried per store (each on a fresh login).
const CASES: u32 = 512;

/// The routes of the portal and of the staff API with their methods; `{id}` and
/// `{token}` are filled in.
const ROUTES: [(&str, &str); 34] = [
    ("GET", "/portal/"),
    ("GET", "/portal/login"),
    ("POST", "/portal/login/link"),
    ("POST", "/portal/login/code"),
    ("POST", "/portal/login/code/verify"),
    ("POST", "/portal/login/code/resend"),
    ("POST", "/portal/login/password"),
    ("GET", "/portal/auth/link/{token}"),
    ("POST", "/portal/auth/link"),
    ("GET", "/portal/c/{token}"),
    ("POST", "/portal/c/{token}"),
    ("POST", "/portal/password/forgot"),
    ("GET", "/portal/password/set/{token}"),
    ("POST", "/portal/password/set/{token}"),
    ("POST", "/portal/logout"),
    ("GET", "/portal/api/me"),
    ("POST", "/portal/api/switch"),
    ("GET", "/portal/api/clients/{id}/tasks"),
    ("POST", "/portal/api/tasks/{id}/complete"),
    ("POST", "/portal/api/tasks/{id}/uncomplete"),
    ("GET", "/portal/assets/theme.css"),
    ("GET", "/admin/api/contacts"),
    ("POST", "/admin/api/contacts"),
    ("GET", "/admin/api/contacts/{id}"),
    ("POST", "/admin/api/contacts/{id}/magic-link"),
    ("POST", "/admin/api/contacts/{id}/personal-link"),
    ("GET", "/admin/api/contacts/{id}/sessions"),
    ("PUT", "/admin/api/contacts/{id}/grants/{id}"),
    ("GET", "/admin/api/contacts/{id}/access-log"),
    ("GET", "/admin/api/audit"),
    ("GET", "/admin/api/audit/verify"),
    ("GET", "/admin/api/clients"),
    ("POST", "/admin/api/clients"),
    ("POST", "/admin/api/clients/{id}/tasks"),
];

/// A path segment: the routes' own words, ids, tokens, and hostile bytes.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "", "api", "me", "switch", "clients", "tasks", "complete", "login", "link", "code",
            "auth", "c", "password", "set", "logout", "assets", "contacts", "audit", "..", "%00",
            "%2F", "%ff%fe", "\u{e9}",
        ])
        .prop_map(str::to_owned),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[A-Za-z0-9_-]{43}",
        "[ -~]{0,60}",
    ]
}

/// A method and path: a route with its own method (or another), its holes filled by
/// real ids, random ids, tokens or garbage; or segments put together at random.
fn target(ids: Vec<String>) -> impl Strategy<Value = (Method, String)> {
    let method = prop::sample::select(vec![
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get", "BREW",
    ]);
    let filler = prop_oneof![
        prop::sample::select(ids),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[A-Za-z0-9_-]{43}",
        segment(),
    ];
    let route = (
        prop::sample::select(ROUTES.to_vec()),
        prop::option::weighted(0.2, method.clone()),
        filler.clone(),
        filler,
    )
        .prop_map(|((own, route), other, a, b)| {
            let path = route
                .replacen("{id}", &a, 1)
                .replacen("{id}", &b, 1)
                .replace("{token}", &a);
            (Method::parse(other.unwrap_or(own)), path)
        });
    let random = (
        method,
        prop::sample::select(vec!["/portal", "/admin/api", "/elsewhere"]),
        prop_oneof![
            4 => prop::collection::vec(segment(), 0..5),
            1 => prop::collection::vec(segment(), 5..11),
        ],
    )
        .prop_map(|(method, root, segments)| {
            let path = segments
                .iter()
                .fold(root.to_owned(), |p, s| format!("{p}/{s}"));
            (Method::parse(method), path)
        });
    prop_oneof![4 => route, 1 => random]
}

/// A header value: the real one (filled in at run time), none, or garbage.
#[derive(Clone, Debug)]
enum Value {
    Real,
    Absent,
    Garbage(String),
}

fn value(real: u32) -> impl Strategy<Value = Value> {
    prop_oneof![
        real => Just(Value::Real),
        1 => Just(Value::Absent),
        1 => "[ -~]{0,80}".prop_map(Value::Garbage),
    ]
}

#[derive(Clone, Debug)]
struct Case {
    method: Method,
    path: String,
    query: String,
    cookie: Value,
    csrf: Value,
    origin: Value,
    content_type: Option<&'static str>,
    staff_auth: Value,
    body: Vec<u8>,
}

fn case(ids: Vec<String>) -> impl Strategy<Value = Case> {
    let query = prop_oneof![
        Just(String::new()),
        "[ -~]{0,80}",
        Just("next=//evil.example".to_owned()),
        Just("contact_id=not-an-id&next=%2Fportal%2F".to_owned()),
        Just("contact_id=%ZZ&after=x&limit=-1".to_owned()),
        Just("next=%00&notice=%0d%0a".to_owned()),
    ];
    let content_type = prop::sample::select(vec![
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
    ]);
    // Random bytes, printable garbage, and the shapes each route reads, filled with
    // what one store keeps and another refuses (NUL, other control characters).
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        Just(b"email=jane%40example.com&next=%2Fportal%2F".to_vec()),
        Just(b"email=jane%40example.com&password=correct-horse-battery".to_vec()),
        Just(b"email=jane%00%40example.com".to_vec()),
        Just(b"token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=123456".to_vec()),
        Just(b"note=sent%00by%1b%5b31mpost&csrf_token=x".to_vec()),
        Just(br#"{"email":"x@example.com","first_name":"X","client_ids":[]}"#.to_vec()),
        Just(br#"{"email":"x@example.com","first_name":"X\u0000","client_ids":[]}"#.to_vec()),
        Just(br#"{"client_id":"00000000-0000-0000-0000-000000000000"}"#.to_vec()),
        Just(br#"{"permissions":["tasks"],"title":"T","assignee":"client"}"#.to_vec()),
        Just(br#"{"title":"T\u0000","description":"\u0000\u001b[2J","phase":"\u0000"}"#.to_vec()),
        Just(br#"{"name":"N\u0000"}"#.to_vec()),
        Just(br#"{"note":"a\u0000b"}"#.to_vec()),
        Just(br#"{"note":null,"x":[1,{"y":2.5e300}]}"#.to_vec()),
        Just(br#"{"title":"T","due_on":20260101,"due_on":null}"#.to_vec()),
    ];
    (
        target(ids),
        query,
        value(3),
        value(3),
        value(3),
        content_type,
        value(1),
        body,
    )
        .prop_map(
            |((method, path), query, cookie, csrf, origin, content_type, staff_auth, body)| Case {
                method,
                path,
                query,
                cookie,
                csrf,
                origin,
                content_type,
                staff_auth,
                body,
            },
        )
}

/// A fresh session of jane (earlier cases may have logged her out, suspended her or
/// taken her grant): its cookie and CSRF token.
async fn login(w: &World, web: &PortalWeb) -> (String, String) {
    // A login email an earlier case asked for is issued in the background; a link it
    // issues after this one was made would supersede it.
    w.a.settle().await;
    let _ = w.a.lift_suspension(&w.staff, w.jane.id).await;
    let _ =
        w.a.grant(&w.staff, w.jane.id, w.client1.id, Permissions::ALL)
            .await;
    let token = w.login(w.jane.id).await.token.expose_secret();
    let cookie = format!("{}={token}", web.session_cookie_name());
    let me = web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    (cookie, me["csrf_token"].as_str().unwrap().to_owned())
}

async fn check(w: &World, web: &PortalWeb, c: Case) -> Result<(), TestCaseError> {
    let (cookie, csrf) = login(w, web).await;
    let pick = |v: &Value, real: &str| match v {
        Value::Real => Some(real.to_owned()),
        Value::Absent => None,
        Value::Garbage(g) => Some(g.clone()),
    };
    let mut req = Request::new("GET", &c.path);
    req.method = c.method;
    req.query = c.query.clone();
    req.peer = Some([192, 0, 2, 7].into());
    let headers = [
        ("cookie", pick(&c.cookie, &cookie)),
        ("x-csrf-token", pick(&c.csrf, &csrf)),
        ("origin", pick(&c.origin, ORIGIN)),
        ("content-type", c.content_type.map(str::to_owned)),
        (
            "authorization",
            pick(&c.staff_auth, &format!("Bearer {STAFF_TOKEN}")),
        ),
        ("user-agent", Some("proptest".to_owned())),
    ];
    for (name, value) in headers {
        if let Some(v) = value {
            req = req.header(name, &v);
        }
    }
    let req = req.body(c.body.clone());
    let resp = if c.path.starts_with("/admin/api") {
        web.handle_staff(req).await
    } else {
        web.handle(req).await
    };
    let target = format!("{} {}", c.method.as_str(), c.path);
    prop_assert!(
        resp.status < 500,
        "{target}: {} {}",
        resp.status,
        String::from_utf8_lossy(&resp.body)
    );
    prop_assert_eq!(
        resp.header("x-content-type-options"),
        Some("nosniff"),
        "{}",
        target
    );
    Ok(())
}

/// Needs a multi-threaded runtime (as [`crate::testing::run_case`] gives): proptest's
/// runner is synchronous, and each case is awaited in place.
pub async fn no_input_gets_a_server_error(f: Fixture) {
    let w = World::new(f).await;
    let web = PortalWeb::builder(w.a.clone(), w.firm.id)
        .staff_api(
            "/admin/api",
            BearerToken::new(STAFF_TOKEN, StaffId::new("fuzz").unwrap()).unwrap(),
        )
        .build()
        .await
        .unwrap();
    let ids: Vec<String> = [w.jane.id, w.bob.id, w.olga.id]
        .map(|c| c.to_string())
        .into_iter()
        .chain([w.client1.id, w.client2.id, w.other_client.id].map(|c| c.to_string()))
        .collect();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let runtime = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner
            .run(&case(ids), |c| runtime.block_on(check(&w, &web, c)))
            .map_err(|e| e.to_string())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
