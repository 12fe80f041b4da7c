//! An existing actix-web application, the website of an accounting firm, with Portal
//! added: the firm's clients log in with an emailed link and land on the firm's own
//! `/dashboard`, which greets them by name.
//!
//! The lines that add Portal sit between the `Portal: begin` and `Portal: end`
//! comments; the README shows them. Run with
//! `ADMIN_TOKEN=<16 characters or more> cargo run -p portal-examples --bin actix-host`.
//! Settings: `ADDR` (default `127.0.0.1:8080`), `DATABASE_URL` (default
//! `sqlite:host.db`, a file in the working folder), `PUBLIC_URL` (default
//! `http://localhost:PORT`). Mail is written to the log, login links included.

use actix_web::{App, HttpResponse, HttpServer, web};
use portal_core::notify::escape_html;
// Portal: begin
use portal_actix::prelude::*;
// Portal: end

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    // actix-web runs on tokio: Portal's background work (mail, maintenance) runs on
    // this runtime beside the server.
    actix_web::rt::System::new().block_on(serve())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind(env_or("ADDR", "127.0.0.1:8080"))?;
    let addr = listener.local_addr()?;
    // Portal: begin
    let store = portal_sqlx::open(&env_or("DATABASE_URL", "sqlite:host.db")).await?;
    let portal = Portal::builder_shared(store)
        .delivery(LogDelivery) // mail to the log; `SmtpDelivery::from_url` sends it for real
        .maintain_every(std::time::Duration::from_secs(300))
        .allow_next_under("/dashboard")
        .build()?;
    let public_url = env_or("PUBLIC_URL", &format!("http://localhost:{}", addr.port()));
    let settings = FirmSettings::new("Acme Accounting", PublicUrl::parse(&public_url)?);
    let firm = portal.ensure_firm(&FirmKey::new("acme")?, settings).await?;
    let admin = BearerToken::new(std::env::var("ADMIN_TOKEN")?, StaffId::new("admin")?)?;
    let portal_web = PortalWeb::builder(portal, firm.id)
        .staff_api("/admin/api", admin)
        .build()
        .await?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(PortalMiddleware::new(portal_web.clone()))
            .configure(portal_actix::configure(portal_web.clone()))
            // Portal: end
            .configure(site)
    })
    .listen(listener)?
    .run();
    println!("listening on http://{addr}");
    server.await?;
    Ok(())
}

/// The firm's website as it was before the portal, and the clients' dashboard.
fn site(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/about", web::get().to(about))
        .route("/healthz", web::get().to(|| async { "ok" }))
        .route("/dashboard", web::get().to(dashboard));
}

async fn home() -> HttpResponse {
    page(
        "Acme Accounting",
        "<p>Bookkeeping, payroll and tax returns for small businesses.</p>\
         <p>Clients: <a href=\"/dashboard\">your dashboard</a>.</p>",
    )
}

async fn about() -> HttpResponse {
    page(
        "About us",
        "<p>Twelve accountants, one office, clients in every trade since 1998.</p>",
    )
}

/// The host's own page for a logged-in contact; without a session the extractor
/// sends a browser to the portal's login page and back here.
async fn dashboard(me: CurrentContact) -> HttpResponse {
    let name = escape_html(&me.contact().first_name);
    let client = me.active_client();
    page(
        "Dashboard",
        &format!(
            "<p>Hello, {name}.</p><p>You are working on client {client}.</p>\
             <p><a href=\"/portal/\">Your tasks</a></p>"
        ),
    )
}

/// The site's layout around a page's own HTML.
fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a> <a href=\"/dashboard\">Dashboard</a></nav>\
         <h1>{title}</h1>{body}<footer>Acme Accounting, 1 Ledger Lane</footer></body></html>"
    ))
}

/// The environment variable `name`, or `default` when it is not set.
fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}
