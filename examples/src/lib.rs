//! What the two example servers share, so that they differ only in the framework:
//! configuration from the environment, the store, the firm and its demo data, the
//! staff authenticator, where mail goes (SMTP or the demo outbox), the vault that
//! seals credentials, `/healthz`, the bounds on connections and graceful shutdown.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod axum_serve;
mod config;
mod demo;
mod shutdown;
mod vault_key;

pub use config::{Config, ConfigError, DemoVaultKey, ServerSettings};
pub use shutdown::{finish, shutdown_signal};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use portal_core::blob::FileStorage;
use portal_core::firm::{Branding, Firm, FirmKey, FirmSettings, PublicUrl};
use portal_core::id::StaffId;
use portal_core::notify::{Accepted, Delivery, DeliveryError, DevOutbox, Message, SmtpDelivery};
use portal_core::token::Token;
use portal_core::web::{BearerToken, CookieSecurity, PortalWeb};
use portal_core::{MemoryStore, Policy, Portal, Store};
use tokio::net::{TcpListener, TcpSocket};

/// A running example: the HTTP layer, the outbox (demo mode), what to print.
#[derive(Debug)]
pub struct App {
    /// The portal's HTTP layer, for the adapter.
    pub web: PortalWeb,
    /// Whether the demo data was seeded.
    pub demo: bool,
    /// The outbox served at `/dev/outbox`: demo mode without an SMTP server.
    pub outbox: Option<DevOutbox>,
    /// The staff API token.
    pub admin_token: String,
}

/// Binds `addr` with the listen backlog of `settings` (call inside a tokio runtime; the
/// actix-web server takes it over with `into_std`).
pub fn bind(addr: SocketAddr, settings: &ServerSettings) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // A restarted server binds at once, without waiting out the old one's TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(settings.backlog)
}

/// The key of the example's firm: a restart on the same database finds it by this.
const FIRM_KEY: &str = "example";

/// How often the portal's housekeeping runs.
const MAINTENANCE_PERIOD: Duration = Duration::from_secs(300);

/// Starts logging to stderr at INFO (or `RUST_LOG`-free: the examples keep it simple).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
}

/// Opens the store named by `database_url` and applies its migrations: `memory:` is the
/// in-memory store, anything else what [`portal_sqlx::open`] takes (`sqlite:PATH`, a
/// SQLite file created if missing; `postgres://...`, PostgreSQL).
pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    if database_url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    Ok(portal_sqlx::open(database_url).await?)
}

/// Builds the portal for `config`, whose public URL is final (the listener is bound).
pub async fn build(
    config: &Config,
    public_url: PublicUrl,
) -> Result<App, Box<dyn std::error::Error>> {
    let store = open_store(&config.database_url).await?;
    let outbox = (config.demo && config.smtp.is_none()).then(DevOutbox::new);
    let files = FileStorage::open(&config.storage(), |k| std::env::var(k).ok())?;
    tracing::info!(files = ?files, "file storage");
    let mut builder = Portal::builder_shared(store)
        .files(files)
        .delivery(LoggedDelivery(delivery(config, outbox.as_ref())?))
        .maintain_every(MAINTENANCE_PERIOD)
        .outbox_every(config.notices.outbox_every)
        .policy({
            let mut policy = Policy::default();
            policy.notifications = config.notices.policy.clone();
            policy.notifications.texts = config.notices.texts.unwrap_or(outbox.is_some());
            policy
        });
    if let Some(vault) = vault_key::vault(config)? {
        builder = builder.vault_shared(vault);
    }
    let portal = builder.build()?;
    let firm = ensure_firm(&portal, public_url.clone(), config).await?;
    if config.demo {
        demo::seed(&portal, firm.id).await?;
    }
    let admin_token = match &config.admin_token {
        Some(t) => t.clone(),
        None => Token::generate(portal.secrets())?.expose_secret(),
    };
    let cookies = if public_url.is_https() {
        CookieSecurity::Secure
    } else {
        tracing::warn!(
            "PORTAL_PUBLIC_URL is plain http: cookies without Secure, for local development only"
        );
        CookieSecurity::InsecureLocalDevelopment
    };
    let web = PortalWeb::builder(portal, firm.id)
        .cookies(cookies)
        .staff_api(
            "/admin/api",
            BearerToken::new(admin_token.clone(), StaffId::new("admin")?)?,
        )
        .build()
        .await?;
    Ok(App {
        web,
        demo: config.demo,
        outbox,
        admin_token,
    })
}

/// Where mail goes: the SMTP server when one is named, else the demo outbox. Outside
/// demo mode a server without an SMTP server does not start: its login emails would
/// reach no one, and no contact would be told.
fn delivery(
    config: &Config,
    outbox: Option<&DevOutbox>,
) -> Result<Box<dyn Delivery>, Box<dyn std::error::Error>> {
    Ok(match (&config.smtp, outbox) {
        (Some(url), _) => {
            tracing::info!(server = %url, "mail goes out through SMTP");
            Box::new(SmtpDelivery::new(url.clone())?)
        }
        (None, Some(outbox)) => Box::new(outbox.clone()),
        (None, None) => {
            return Err(
                "PORTAL_SMTP_URL is not set and demo mode is off: no login email \
                        would reach anyone. Name an SMTP server in PORTAL_SMTP_URL, or turn \
                        demo mode on (PORTAL_DEMO=1) for development"
                    .into(),
            );
        }
    })
}

/// The example firm, made by the first run and given this run's public URL and sender
/// address by every later one.
async fn ensure_firm(
    portal: &Portal,
    public_url: PublicUrl,
    config: &Config,
) -> Result<Firm, Box<dyn std::error::Error>> {
    let settings = FirmSettings {
        name: "Acme Accounting".into(),
        public_url,
        branding: Branding {
            display_name: "Acme Accounting · Client Portal".into(),
            welcome_message: "Here is what we need from you this month.".into(),
            ..Branding::default()
        },
        mail_from: config.mail_from.clone(),
    };
    Ok(portal
        .ensure_firm(&FirmKey::new(FIRM_KEY)?, settings)
        .await?)
}

/// A delivery, logging the outcome of each with the message's kind and contact, never
/// its links or text (tokens are never logged): the log shows that a contact's login
/// mail left, for instance during a shutdown, without holding a secret.
#[derive(Debug)]
struct LoggedDelivery(Box<dyn Delivery>);

#[async_trait]
impl Delivery for LoggedDelivery {
    async fn deliver(&self, message: &Message) -> Result<Accepted, DeliveryError> {
        let contact = message.contact_id.map(|c| c.to_string());
        let outcome = self.0.deliver(message).await;
        match &outcome {
            Ok(_) => {
                tracing::info!(kind = ?message.kind, contact = contact.as_deref(), "mail delivered")
            }
            Err(e) => {
                tracing::warn!(kind = ?message.kind, contact = contact.as_deref(), error = %e, "mail not delivered")
            }
        }
        outcome
    }
}

/// `GET /dev/outbox`: every message sent, as JSON (to, subject, text, links, kind).
#[must_use]
pub fn outbox_json(outbox: &DevOutbox) -> String {
    let list: Vec<serde_json::Value> = outbox
        .entries()
        .iter()
        .map(|e| {
            serde_json::json!({
                "to": e.to(),
                "subject": e.subject(),
                "text": e.text(),
                "links": e.message.links,
                "kind": e.message.kind,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The lines printed at start.
#[must_use]
pub fn banner(app: &App, url: &str) -> String {
    let mut s = format!(
        "Portal is running at {url}{}/login\nStaff API: {url}/admin/api (Authorization: Bearer {})\n",
        app.web.mount_path(),
        app.admin_token
    );
    if app.demo {
        s.push_str(&format!(
            "Demo mode: log in as {} or {}",
            demo::MERGED_CONTACT,
            demo::SINGLE_CONTACT
        ));
        if app.outbox.is_some() {
            s.push_str(&format!("; read the emails at {url}/dev/outbox"));
        }
        s.push('\n');
    }
    s
}
