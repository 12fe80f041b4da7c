//! The example portal on actix-web.
//!
//! Run with `cargo run -p portal-examples --bin actix-portal` (SQLite file `portal.db` in the working folder,
//! demo data, emails readable at `/dev/outbox`). Settings: `PORTAL_ADDR`,
//! `DATABASE_URL` (`sqlite:...`, `postgres://...`, `memory:`), `PORTAL_PUBLIC_URL`,
//! `PORTAL_ADMIN_TOKEN`, `PORTAL_DEMO=0`, `PORTAL_SMTP_URL` (real mail; see
//! [`portal_examples::Config`]), `PORTAL_MAIL_FROM`, `PORTAL_FILES`, `PORTAL_VAULT_KEYS`
//! (the keys that seal handed-over credentials), and the connection bounds of
//! [`portal_examples::ServerSettings`]. SIGTERM or Ctrl-C stops it gracefully.

use std::process::ExitCode;
use std::time::Duration;

use actix_web::dev::Service as _;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpResponse, HttpServer, web};
use portal_actix::{CurrentContact, PortalMiddleware};
use portal_core::firm::PublicUrl;
use portal_examples::{
    Config, banner, bind, build, finish, init_logging, outbox_json, shutdown_signal,
};

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    init_logging();
    let config = Config::from_env()?;
    let settings = config.server;
    // The portal's background work (mail) runs on this runtime; actix serves on its own.
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = runtime
        .block_on(async { bind(config.addr, &settings) })?
        .into_std()?;
    let bound = format!("http://{}", listener.local_addr()?);
    let public = PublicUrl::parse(config.public_url.as_deref().unwrap_or(&bound))?;
    let app = runtime.block_on(build(&config, public))?;
    println!("{}", banner(&app, &bound));

    let (portal_web, outbox) = (app.web.clone(), app.outbox.clone());
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    actix_web::rt::System::new().block_on(async move {
        let stop = shutdown_signal()?;
        let server = HttpServer::new(move || {
            let mut a = App::new()
                .wrap(PortalMiddleware::new(portal_web.clone()))
                // Registered last, so outermost: the whole request is under the bound.
                .wrap_fn(move |req, srv| {
                    let answer = srv.call(req);
                    async move {
                        match actix_web::rt::time::timeout(settings.request_timeout, answer).await {
                            Ok(answered) => answered,
                            // Dropping the request's future rolls back any store
                            // transaction it had open: nothing half-made is left.
                            Err(_) => Err(actix_web::error::ErrorRequestTimeout("Request timeout")),
                        }
                    }
                })
                .route("/healthz", web::get().to(|| async { "ok" }))
                // A host handler using the session: the extractor verifies it lazily.
                .route(
                    "/whoami",
                    web::get().to(|contact: CurrentContact| async move {
                        contact.contact_id().to_string()
                    }),
                )
                .configure(portal_actix::configure(portal_web.clone()));
            if let Some(outbox) = outbox.clone() {
                a = a.route(
                    "/dev/outbox",
                    web::get().to(move || {
                        let body = outbox_json(&outbox);
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body)
                        }
                    }),
                );
            }
            a
        });
        let keep_alive = if settings.keep_alive.is_zero() {
            KeepAlive::Disabled
        } else {
            KeepAlive::Timeout(settings.keep_alive)
        };
        // actix-web counts connections per worker: each worker gets its share. Its head
        // timer covers a connection's first request only: a later one on a kept-alive
        // connection is bounded by the keep-alive timer until its first byte and by the
        // request timeout above once its head is read, but between the two only by the
        // connection limit (the README says so). Its own signal handling is off (it
        // stops at once on Ctrl-C): `shutdown_signal` stops it gracefully.
        let server = server
            .workers(workers)
            .max_connections(settings.max_connections.div_ceil(workers))
            .client_request_timeout(settings.header_timeout)
            // After the server closes a connection, how long the client gets to close.
            .client_disconnect_timeout(Duration::from_secs(1))
            .keep_alive(keep_alive)
            .shutdown_timeout(settings.shutdown_timeout.as_secs())
            .disable_signals()
            .listen(listener)?
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            stop.await;
            // Stop accepting, let the workers finish their requests within the bound.
            handle.stop(true).await;
        });
        server.await
    })?;
    // actix-web waits for its workers within the bound and does not say whether they
    // all finished: it logs the ones it stopped.
    Ok(runtime.block_on(finish(app.web.portal(), &settings, true)))
}
