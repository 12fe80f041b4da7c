//! The bare actix-web twin of the example server for `benches/http/load.sh`:
//! `/healthz`, and `/portal/api/me` and `/whoami` answered with the bytes the portal
//! answered them with (captured in `$TWIN_DIR`), from constants, with no work: what the
//! bytes alone cost. Beside them, `/peer/minimal`, the minimal session check.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use portal_benches::{Captured, MinimalSessions};

fn main() -> std::io::Result<()> {
    let routes = Captured::from_twin_dir().map(|(path, captured)| {
        let (headers, body) =
            captured.leak(|n, v| (HeaderName::from_static(n), HeaderValue::from_static(v)));
        (path, headers, body)
    });
    let minimal = Arc::new(MinimalSessions::from_env());
    let addr = std::env::var("PORTAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            let minimal = minimal.clone();
            let mut app = App::new()
                .route("/healthz", web::get().to(|| async { "ok" }))
                .route(
                    "/peer/minimal",
                    web::get().to(move |req: HttpRequest| {
                        let known = minimal
                            .check(req.headers().get(header::COOKIE).map(HeaderValue::as_bytes));
                        async move {
                            // The headers `/healthz`'s "ok" gets, to compare like with like.
                            let mut r = if known {
                                HttpResponse::Ok()
                            } else {
                                HttpResponse::Unauthorized()
                            };
                            r.content_type("text/plain; charset=utf-8").body(if known {
                                "ok"
                            } else {
                                "no session"
                            })
                        }
                    }),
                );
            for (path, headers, body) in routes {
                app = app.route(
                    path,
                    web::get().to(move || async move {
                        let mut r = HttpResponse::Ok();
                        for (n, v) in headers {
                            r.append_header((n.clone(), v.clone()));
                        }
                        r.body(body)
                    }),
                );
            }
            app
        })
        .bind(addr)?
        .run(),
    )
}
