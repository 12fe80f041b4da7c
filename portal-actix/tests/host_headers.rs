//! What `PortalMiddleware` adds to a host's own responses: the renewed session cookie,
//! and the security headers beside the host's own, never in their place.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{App, HttpResponse, test, web};
use portal_actix::{CurrentContact, PortalMiddleware};
use portal_core::MemoryStore;
use portal_core::testing::{Fixture, World};

fn all<'a>(h: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    h.get_all(name).map(|v| v.to_str().unwrap()).collect()
}

#[test]
fn host_responses_get_the_session_headers_beside_their_own() {
    actix_web::rt::System::new().block_on(async {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let portal_web = w.web().await;
        let token = w.login(w.jane.id).await.token.expose_secret();
        let cookie = format!("{}={token}", portal_web.session_cookie_name());
        let app = test::init_service(
            App::new()
                .wrap(PortalMiddleware::new(portal_web))
                .route(
                    "/own",
                    web::get().to(|_: CurrentContact| async {
                        HttpResponse::Ok()
                            .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
                            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'self'"))
                            .body("page")
                    }),
                )
                .route(
                    "/plain",
                    web::get().to(|_: CurrentContact| async { "plain" }),
                ),
        )
        .await;
        let call = |path: &'static str| {
            test::TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, cookie.clone()))
                .to_request()
        };

        let resp = test::call_service(&app, call("/own")).await;
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        assert_eq!(
            all(h, "cache-control"),
            ["private, max-age=60"],
            "the host's kept"
        );
        assert_eq!(
            all(h, "content-security-policy"),
            ["default-src 'self'", "frame-ancestors 'none'"],
            "a second policy beside the host's"
        );
        assert_eq!(all(h, "referrer-policy"), ["no-referrer"]);
        assert_eq!(all(h, "strict-transport-security").len(), 1, "https firm");
        assert!(all(h, "set-cookie").is_empty(), "nothing renewed yet");

        // Past the renewal interval, the next request renews the session: its cookie is
        // sent again with the new lifetime.
        w.advance(Duration::from_secs(16 * 60));
        let resp = test::call_service(&app, call("/plain")).await;
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        let set = all(h, "set-cookie");
        assert_eq!(set.len(), 1, "{set:?}");
        assert!(set[0].starts_with(&format!("{cookie};")), "{set:?}");
        assert!(set[0].contains("Max-Age="), "{set:?}");
        assert_eq!(all(h, "cache-control"), ["no-store"]);
    });
}
