//! The example portal on actix-web.
//!
//! Run with `cargo run -p portal-examples --bin actix-portal` (SQLite file `portal.db` in the working folder,
//! demo data, emails readable at `/dev/outbox`). Settings: `PORTAL_ADDR`,
//! `DATABASE_URL` (`sqlite:...`, `postgres://...`, `memory:`), `PORTAL_PUBLIC_URL`,
//! `PORTAL_ADMIN_TOKEN`, `PORTAL_DEMO=0`.

use actix_web::{App, HttpResponse, HttpServer, web};
use portal_actix::{CurrentContact, PortalMiddleware};
use portal_core::firm::PublicUrl;
use portal_examples::{Config, banner, build, init_logging, outbox_json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logging();
    let config = Config::from_env()?;
    // The portal's background work (mail) runs on this runtime; actix serves on its own.
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = std::net::TcpListener::bind(config.addr)?;
    let bound = format!("http://{}", listener.local_addr()?);
    let public = PublicUrl::parse(config.public_url.as_deref().unwrap_or(&bound))?;
    let app = runtime.block_on(build(&config, public))?;
    println!("{}", banner(&app, &bound));

    let (portal_web, outbox) = (app.web.clone(), app.outbox.clone());
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let mut a = App::new()
                .wrap(PortalMiddleware::new(portal_web.clone()))
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
        })
        .listen(listener)?
        .run()
        .await
    })?;
    runtime.block_on(app.web.portal().settle());
    Ok(())
}
