//! The example portal on axum.
//!
//! Run with `cargo run -p portal-examples --bin axum-portal` (SQLite file `portal.db` in the working folder,
//! demo data, emails readable at `/dev/outbox`). Settings: `PORTAL_ADDR`,
//! `DATABASE_URL` (`sqlite:...`, `postgres://...`, `memory:`), `PORTAL_PUBLIC_URL`,
//! `PORTAL_ADMIN_TOKEN`, `PORTAL_DEMO=0`, `PORTAL_SMTP_URL` (real mail; see
//! [`portal_examples::Config`]), `PORTAL_MAIL_FROM`, `PORTAL_FILES`, `PORTAL_VAULT_KEYS`
//! (the keys that seal handed-over credentials), and the connection bounds of
//! [`portal_examples::ServerSettings`]. SIGTERM or Ctrl-C stops it gracefully.

use std::process::ExitCode;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use portal_axum::{CurrentContact, PortalLayer};
use portal_core::firm::PublicUrl;
use portal_examples::{
    Config, axum_serve, banner, bind, build, finish, init_logging, outbox_json, shutdown_signal,
};

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    init_logging();
    let config = Config::from_env()?;
    let stop = shutdown_signal()?;
    let listener = bind(config.addr, &config.server)?;
    let bound = format!("http://{}", listener.local_addr()?);
    let public = PublicUrl::parse(config.public_url.as_deref().unwrap_or(&bound))?;
    let app = build(&config, public).await?;

    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        // A host handler using the session: the extractor verifies it lazily.
        .route(
            "/whoami",
            get(|contact: CurrentContact| async move { contact.contact_id().to_string() }),
        )
        .merge(portal_axum::router(app.web.clone()))
        .merge(portal_axum::staff_router(app.web.clone()));
    if let Some(outbox) = app.outbox.clone() {
        router = router.route(
            "/dev/outbox",
            get(move || {
                let body = outbox_json(&outbox);
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
    }
    let router = router.layer(PortalLayer::new(app.web.clone()));
    println!("{}", banner(&app, &bound));
    let drained = axum_serve::serve(listener, router, &config.server, stop).await;
    Ok(finish(app.web.portal(), &config.server, drained).await)
}
