//! Configuration from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use portal_core::blob::StorageConfig;
use portal_core::email::EmailAddress;
use portal_core::local_time::TimeZone;
use portal_core::notify::SmtpUrl;
use portal_core::policy::NotificationPolicy;
use portal_core::vault::Vault;

/// The example servers' settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// `PORTAL_ADDR`: where to listen. Default `127.0.0.1:3000`.
    pub addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite:...`, `postgres://...` or `memory:`. Default: a SQLite
    /// file `portal.db` in the working folder.
    pub database_url: String,
    /// `PORTAL_PUBLIC_URL`: the base of every link. Default `http://` + the bound address.
    pub public_url: Option<String>,
    /// `PORTAL_ADMIN_TOKEN`: the staff API's bearer token. Generated and printed when unset.
    pub admin_token: Option<String>,
    /// `PORTAL_DEMO`: seed demo data and, without `PORTAL_SMTP_URL`, keep every email
    /// in memory and serve it at `/dev/outbox`. Default on; `0`, `false`, `off` or `no`
    /// turn it off, `1`, `true`, `on` or `yes` on (any case); any other value is refused.
    /// Off, the server needs `PORTAL_SMTP_URL`, or it does not start.
    pub demo: bool,
    /// `PORTAL_SMTP_URL`: send mail through this SMTP server: `smtp://host[:port]`
    /// (STARTTLS required, port 587 by default), `smtps://host[:port]` (TLS from the
    /// first byte, 465), or `smtp://host[:port]?tls=none` for a plain relay on this
    /// machine or network (25); credentials as `smtps://user:password@host`
    /// (percent-encoded), a time bound per email as `?timeout=SECONDS` (default 15).
    /// Unset: demo mode keeps mail at `/dev/outbox`; without demo mode each email is
    /// written to the log, login links included, and no mail leaves the machine.
    pub smtp: Option<SmtpUrl>,
    /// `PORTAL_MAIL_FROM`: the example firm's own sender address (its emails come from
    /// `"Acme Accounting" <this address>`, replies go to it). Unset: the portal's
    /// placeholder sender, which a real mail server would refuse.
    pub mail_from: Option<EmailAddress>,
    /// `PORTAL_FILES`: where uploaded files live: `file:PATH`, `memory:` or
    /// `s3://BUCKET` (with the usual `AWS_*` settings). Checked at start: a malformed
    /// value stops the server. Unset: see [`Config::storage`].
    pub files: Option<StorageConfig>,
    /// `PORTAL_VAULT_KEYS`: the keys that seal the credentials clients hand over, as
    /// `id:base64key` pairs separated by commas, the first the active one that seals
    /// everything new (the others only open what they sealed, until a rotation,
    /// `POST /admin/api/vault/rotate`, has moved it under the first). A key is 32 bytes;
    /// `openssl rand -base64 32` makes one. A malformed or short key stops the server
    /// at start, the message naming the key by its id. Unset: demo mode seals with a
    /// demo key of its own (see [`Config::demo_vault_key`]) and says so in the log;
    /// outside demo mode there is no vault, and credential tasks are refused.
    pub vault: Option<Arc<Vault>>,
    /// How connections are bounded, and how the server stops.
    pub server: ServerSettings,
    /// When clients and staff hear of tasks and activity.
    pub notices: NoticeSettings,
}

/// When clients and staff hear of tasks and activity: the example firm's
/// [`NotificationPolicy`], and how often the outbox worker looks for work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSettings {
    /// `PORTAL_OUTBOX_EVERY` (seconds, default 5): how often this process looks for due
    /// messages and notices on its own.
    pub outbox_every: Duration,
    /// The firm's policy: `PORTAL_ANNOUNCE_AFTER` (seconds, default 300),
    /// `PORTAL_REMINDERS` (default 3), `PORTAL_REMIND_EVERY` (seconds, default 259200,
    /// three days), `PORTAL_TIME_ZONE` (an IANA name, default UTC),
    /// `PORTAL_SENDING_HOURS` (`9-17` by default: reminders from 09:00 to 17:00 local),
    /// `PORTAL_WEEKENDS` (on/off, default off), `PORTAL_STAFF_WINDOW` (seconds, default
    /// 600), `PORTAL_DIGEST_HOUR` (default 8).
    pub policy: NotificationPolicy,
    /// `PORTAL_TEXTS` (on/off): contacts with a phone number also get announcements and
    /// reminders by text message. Unset: on when mail stays at `/dev/outbox` (demo mode
    /// without SMTP, where texts are recorded beside the emails), off otherwise (the
    /// SMTP delivery sends no texts).
    pub texts: Option<bool>,
}

impl NoticeSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = NotificationPolicy::default();
        let secs = |name: &str, default: Duration, min: u64, max: u64| {
            number(get, name, default.as_secs(), min, max).map(Duration::from_secs)
        };
        let mut policy = NotificationPolicy::default();
        policy.announce_after = secs("PORTAL_ANNOUNCE_AFTER", d.announce_after, 0, 86_400)?;
        policy.reminders = u32::try_from(number(get, "PORTAL_REMINDERS", 3, 0, 100)?)
            .map_err(|_| ConfigError("PORTAL_REMINDERS is too large".into()))?;
        policy.remind_every = secs("PORTAL_REMIND_EVERY", d.remind_every, 1, 365 * 86_400)?;
        if let Some(zone) = get("PORTAL_TIME_ZONE").filter(|z| !z.trim().is_empty()) {
            policy.time_zone = TimeZone::named(zone.trim())
                .map_err(|e| ConfigError(format!("PORTAL_TIME_ZONE {zone:?}: {e}")))?;
        }
        if let Some(hours) = get("PORTAL_SENDING_HOURS").filter(|h| !h.trim().is_empty()) {
            policy.sending_hours = hours
                .trim()
                .split_once('-')
                .and_then(|(a, b)| Some(a.parse::<u8>().ok()?..b.parse::<u8>().ok()?))
                .filter(|r| r.start < r.end && r.end <= 24)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "PORTAL_SENDING_HOURS {hours:?} is not a range of hours like 9-17"
                    ))
                })?;
        }
        policy.weekends =
            get("PORTAL_WEEKENDS").map_or(Ok(false), |v| switch("PORTAL_WEEKENDS", &v))?;
        policy.staff_window = secs("PORTAL_STAFF_WINDOW", d.staff_window, 0, 86_400)?;
        policy.digest_hour = u8::try_from(number(get, "PORTAL_DIGEST_HOUR", 8, 0, 23)?)
            .map_err(|_| ConfigError("PORTAL_DIGEST_HOUR is too large".into()))?;
        Ok(NoticeSettings {
            outbox_every: secs("PORTAL_OUTBOX_EVERY", Duration::from_secs(5), 1, 3600)?,
            policy,
            texts: get("PORTAL_TEXTS")
                .filter(|v| !v.trim().is_empty())
                .map(|v| switch("PORTAL_TEXTS", &v))
                .transpose()?,
        })
    }
}

impl Config {
    /// Where files live: `PORTAL_FILES` when set; else beside the database, so that the
    /// two are backed up and moved together: a folder named after a SQLite file
    /// (`portal.db` keeps its files in `portal-files/` next to it), memory with the
    /// in-memory store, and `./files` with PostgreSQL (several instances of one
    /// deployment share an S3 bucket instead: set `PORTAL_FILES=s3://...`).
    #[must_use]
    pub fn storage(&self) -> StorageConfig {
        if let Some(files) = &self.files {
            return files.clone();
        }
        if self.database_url == "memory:" {
            return StorageConfig::Memory;
        }
        let Some(path) = self.database_url.strip_prefix("sqlite:") else {
            return StorageConfig::File("./files".into());
        };
        let path = path.strip_prefix("//").unwrap_or(path);
        let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("portal");
        StorageConfig::File(path.with_file_name(format!("{stem}-files")))
    }
}

/// Where demo mode keeps its vault key when `PORTAL_VAULT_KEYS` is not set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoVaultKey {
    /// In a file, created (readable by its owner alone) at the first start.
    File(PathBuf),
    /// In the process alone: what it sealed cannot be opened after a restart, as
    /// nothing else of an in-memory store survives one.
    Process,
}

impl Config {
    /// Where demo mode keeps its vault key without `PORTAL_VAULT_KEYS`: beside the
    /// SQLite file, as its files are (`portal.db` keeps it in `portal-vault.key`, so
    /// that a copy of the database that keeps its credentials readable is a copy of
    /// both); in the process alone with the in-memory store; `./portal-vault.key` with
    /// PostgreSQL.
    #[must_use]
    pub fn demo_vault_key(&self) -> DemoVaultKey {
        if self.database_url == "memory:" {
            return DemoVaultKey::Process;
        }
        let Some(path) = self.database_url.strip_prefix("sqlite:") else {
            return DemoVaultKey::File("./portal-vault.key".into());
        };
        let path = path.strip_prefix("//").unwrap_or(path);
        let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("portal");
        DemoVaultKey::File(path.with_file_name(format!("{stem}-vault.key")))
    }
}

/// How the server bounds what each connection may hold, and how it stops: the same
/// values on the axum and the actix-web server. The defaults suit a server facing the
/// open internet directly; the README says what to change behind a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// `PORTAL_HEADER_TIMEOUT` (seconds, default 10): a client must send a request's
    /// whole head (request line and headers) within this, or the connection is closed.
    /// Defeats slowloris: connections that trickle a head byte by byte.
    pub header_timeout: Duration,
    /// `PORTAL_REQUEST_TIMEOUT` (seconds, default 30): the most a request may take from
    /// its head to its answer, body upload included; past it the client gets 408 and
    /// the connection is closed. Defeats bodies sent byte by byte.
    pub request_timeout: Duration,
    /// `PORTAL_KEEP_ALIVE` (seconds, default 5; `0` turns keep-alive off): the most a
    /// connection may sit idle between two requests.
    pub keep_alive: Duration,
    /// `PORTAL_MAX_CONNECTIONS` (default 2048): connections served at once; further
    /// ones wait in the listen backlog until one closes. Keep it below the process's
    /// open file limit (`ulimit -n`), which the database's connections share.
    pub max_connections: usize,
    /// `PORTAL_BACKLOG` (default 1024): connections the kernel queues, accepted, before
    /// the server takes them; past it new connections are refused.
    pub backlog: u32,
    /// `PORTAL_SHUTDOWN_TIMEOUT` (seconds, default 10): on SIGTERM or Ctrl-C, the most
    /// the server waits for requests in flight, then the most it waits again for the
    /// portal's queued mail, before it exits.
    pub shutdown_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(5),
            max_connections: 2048,
            backlog: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// An environment variable with an unusable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let addr = get("PORTAL_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr.parse().map_err(|_| {
            ConfigError(format!(
                "PORTAL_ADDR {addr:?} is not an address like 127.0.0.1:3000"
            ))
        })?;
        let admin_token = get("PORTAL_ADMIN_TOKEN").filter(|t| !t.is_empty());
        if admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError(
                "PORTAL_ADMIN_TOKEN must have at least 16 characters".into(),
            ));
        }
        Ok(Config {
            addr,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite:portal.db".into()),
            public_url: get("PORTAL_PUBLIC_URL").filter(|u| !u.is_empty()),
            admin_token,
            demo: get("PORTAL_DEMO").map_or(Ok(true), |v| switch("PORTAL_DEMO", &v))?,
            smtp: get("PORTAL_SMTP_URL")
                .filter(|u| !u.trim().is_empty())
                // The error names what is wrong, never the URL: it may hold a password.
                .map(|u| {
                    SmtpUrl::parse(&u).map_err(|e| ConfigError(format!("PORTAL_SMTP_URL: {e}")))
                })
                .transpose()?,
            mail_from: get("PORTAL_MAIL_FROM")
                .filter(|a| !a.trim().is_empty())
                .map(|a| {
                    EmailAddress::parse(&a)
                        .map_err(|e| ConfigError(format!("PORTAL_MAIL_FROM {a:?}: {e}")))
                })
                .transpose()?,
            files: get("PORTAL_FILES")
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    v.parse::<StorageConfig>()
                        .map_err(|e| ConfigError(format!("PORTAL_FILES {v:?}: {e}")))
                })
                .transpose()?,
            vault: get("PORTAL_VAULT_KEYS")
                .filter(|v| !v.trim().is_empty())
                // The error names a key by its id or position, never by any part of it.
                .map(|v| {
                    Vault::from_config(&v)
                        .map(Arc::new)
                        .map_err(|e| ConfigError(format!("PORTAL_VAULT_KEYS: {e}")))
                })
                .transpose()?,
            server: ServerSettings::from_lookup(&get)?,
            notices: NoticeSettings::from_lookup(&get)?,
        })
    }
}

impl ServerSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = ServerSettings::default();
        let secs = |name: &str, default: Duration, min: u64| -> Result<Duration, ConfigError> {
            number(get, name, default.as_secs(), min, 86_400).map(Duration::from_secs)
        };
        Ok(ServerSettings {
            header_timeout: secs("PORTAL_HEADER_TIMEOUT", d.header_timeout, 1)?,
            request_timeout: secs("PORTAL_REQUEST_TIMEOUT", d.request_timeout, 1)?,
            keep_alive: secs("PORTAL_KEEP_ALIVE", d.keep_alive, 0)?,
            max_connections: usize::try_from(number(
                get,
                "PORTAL_MAX_CONNECTIONS",
                d.max_connections as u64,
                1,
                1_000_000,
            )?)
            .map_err(|_| ConfigError("PORTAL_MAX_CONNECTIONS is too large".into()))?,
            backlog: u32::try_from(number(
                get,
                "PORTAL_BACKLOG",
                u64::from(d.backlog),
                1,
                65_535,
            )?)
            .map_err(|_| ConfigError("PORTAL_BACKLOG is too large".into()))?,
            shutdown_timeout: secs("PORTAL_SHUTDOWN_TIMEOUT", d.shutdown_timeout, 1)?,
        })
    }
}

/// The whole number `name` holds, `default` when unset, refused outside `min..=max`.
fn number(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(text) = get(name).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ConfigError(format!(
                "{name} {text:?} is not a whole number in {min}..={max}"
            ))
        })
}

/// An on/off setting. A value that is neither is refused rather than guessed: demo
/// mode serves every email sent at `/dev/outbox`, so a deployment that meant to turn it
/// off with `PORTAL_DEMO=disabled` must not find it on.
fn switch(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(ConfigError(format!(
            "{name} {value:?} is neither on (1, true, on, yes) nor off (0, false, off, no)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &'static str) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| (k == name).then(|| value.to_owned()))
    }

    fn with_owned(name: &'static str, value: String) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| (k == name).then(|| value.clone()))
    }

    #[test]
    fn the_notification_policy_is_read_and_checked() {
        let d = with("PORTAL_ADDR", "127.0.0.1:3000").unwrap().notices;
        assert_eq!(d.policy, NotificationPolicy::default());
        assert_eq!((d.outbox_every, d.texts), (Duration::from_secs(5), None));
        let c = with("PORTAL_SENDING_HOURS", "8-18").unwrap();
        assert_eq!(c.notices.policy.sending_hours, 8..18);
        let c = with("PORTAL_TIME_ZONE", "Europe/Paris").unwrap();
        assert_eq!(c.notices.policy.time_zone.name(), "Europe/Paris");
        assert_eq!(
            with("PORTAL_REMIND_EVERY", "60")
                .unwrap()
                .notices
                .policy
                .remind_every,
            Duration::from_secs(60)
        );
        assert_eq!(
            with("PORTAL_TEXTS", "on").unwrap().notices.texts,
            Some(true)
        );
        for (name, bad) in [
            ("PORTAL_SENDING_HOURS", "17-9"),
            ("PORTAL_SENDING_HOURS", "9-25"),
            ("PORTAL_SENDING_HOURS", "nine"),
            ("PORTAL_TIME_ZONE", "Mars/Olympus"),
            ("PORTAL_DIGEST_HOUR", "24"),
            ("PORTAL_REMIND_EVERY", "0"),
            ("PORTAL_TEXTS", "sometimes"),
        ] {
            let refused = with(name, bad).unwrap_err();
            assert!(refused.0.starts_with(name), "{name}={bad}: {}", refused.0);
        }
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite:portal.db");
        assert!(c.demo && c.public_url.is_none() && c.admin_token.is_none());
        assert!(c.smtp.is_none() && c.mail_from.is_none() && c.files.is_none());
        assert!(c.vault.is_none());
        assert_eq!(c.server, ServerSettings::default());
        let off = with("PORTAL_DEMO", "0").unwrap();
        assert!(!off.demo);
        assert!(with("PORTAL_ADDR", "nowhere").is_err());
        assert!(with("PORTAL_ADMIN_TOKEN", "short").is_err());
    }

    #[test]
    fn portal_files_is_checked_at_start() {
        assert_eq!(
            with("PORTAL_FILES", "file:./files").unwrap().files,
            Some(StorageConfig::File("./files".into()))
        );
        assert_eq!(
            with("PORTAL_FILES", "memory:").unwrap().files,
            Some(StorageConfig::Memory)
        );
        for bad in ["./files", "s3://No_Such", "ftp://x"] {
            let refused = with("PORTAL_FILES", bad).unwrap_err();
            assert!(refused.0.starts_with("PORTAL_FILES"), "{refused}");
        }
    }

    #[test]
    fn files_live_beside_the_database_unless_portal_files_says_otherwise() {
        let at = |db: &'static str| with("DATABASE_URL", db).unwrap().storage();
        assert_eq!(
            at("sqlite:portal.db"),
            StorageConfig::File("portal-files".into())
        );
        assert_eq!(
            at("sqlite:///var/lib/p/main.db?mode=rwc"),
            StorageConfig::File("/var/lib/p/main-files".into())
        );
        assert_eq!(at("memory:"), StorageConfig::Memory);
        assert_eq!(
            at("postgres://u@h/db"),
            StorageConfig::File("./files".into())
        );
        let chosen = with("PORTAL_FILES", "memory:").unwrap();
        assert_eq!(chosen.storage(), StorageConfig::Memory);
    }

    #[test]
    fn server_settings_are_read_in_seconds_and_checked() {
        let c = with("PORTAL_HEADER_TIMEOUT", "3").unwrap();
        assert_eq!(c.server.header_timeout, Duration::from_secs(3));
        assert_eq!(
            with("PORTAL_KEEP_ALIVE", "0").unwrap().server.keep_alive,
            Duration::ZERO,
            "0 turns keep-alive off"
        );
        assert_eq!(
            with("PORTAL_MAX_CONNECTIONS", "50")
                .unwrap()
                .server
                .max_connections,
            50
        );
        for (name, bad) in [
            ("PORTAL_HEADER_TIMEOUT", "0"),
            ("PORTAL_REQUEST_TIMEOUT", "ten"),
            ("PORTAL_SHUTDOWN_TIMEOUT", "-1"),
            ("PORTAL_MAX_CONNECTIONS", "0"),
            ("PORTAL_BACKLOG", "70000"),
            ("PORTAL_KEEP_ALIVE", "1.5"),
        ] {
            let e = with(name, bad).unwrap_err();
            assert!(e.0.starts_with(name), "{e}");
        }
    }

    #[test]
    fn the_smtp_url_is_checked_at_start_and_its_password_never_shown() {
        let c = with("PORTAL_SMTP_URL", "smtps://mailer:hunter2@smtp.example.com").unwrap();
        let url = c.smtp.as_ref().expect("an SMTP URL");
        assert_eq!((url.host(), url.port()), ("smtp.example.com", 465));
        assert!(!format!("{c:?}").contains("hunter2"));
        let refused = with("PORTAL_SMTP_URL", "smtp://mailer:hunter2@relay?tls=none").unwrap_err();
        assert!(
            refused.0.starts_with("PORTAL_SMTP_URL") && !refused.0.contains("hunter2"),
            "{refused}"
        );
        assert!(with("PORTAL_SMTP_URL", "").unwrap().smtp.is_none());
        let from = with("PORTAL_MAIL_FROM", "hello@acme.example").unwrap();
        assert_eq!(
            from.mail_from.map(|a| a.to_string()).as_deref(),
            Some("hello@acme.example")
        );
        assert!(with("PORTAL_MAIL_FROM", "nobody").is_err());
    }

    #[test]
    fn vault_keys_are_checked_at_start_and_never_shown() {
        // 32 bytes of 0x07 and of 0x2a, in base64.
        let k1 = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        let k2 = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
        let c = with_owned("PORTAL_VAULT_KEYS", format!("2027:{k2}, 2026:{k1}")).unwrap();
        let vault = c.vault.as_ref().expect("a vault");
        let ids: Vec<_> = vault.key_ids().map(|k| k.as_str().to_owned()).collect();
        assert_eq!(ids, ["2027", "2026"], "the first is active");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains(k1) && !shown.contains("KioqKioq"),
            "{shown}"
        );
        assert!(with("PORTAL_VAULT_KEYS", "").unwrap().vault.is_none());
        for (bad, says) in [
            ("k1:short", "vault key k1 is not base64"),
            ("k1:c2hvcnQ=", "vault key k1 has 5 bytes; a key has 32"),
            ("k1", "vault key 1 is not of the form id:base64key"),
            ("bad!:c2hvcnQ=", "a vault key id has"),
        ] {
            let refused = with("PORTAL_VAULT_KEYS", bad).unwrap_err();
            assert!(
                refused.0.starts_with("PORTAL_VAULT_KEYS: ") && refused.0.contains(says),
                "{bad}: {refused}"
            );
            assert!(!refused.0.contains("c2hvcnQ"), "{refused}");
        }
        let twice = with_owned("PORTAL_VAULT_KEYS", format!("k1:{k1},k1:{k2}")).unwrap_err();
        assert_eq!(twice.0, "PORTAL_VAULT_KEYS: vault key id k1 is given twice");
    }

    #[test]
    fn the_demo_vault_key_lives_beside_the_database() {
        let at = |db: &'static str| with("DATABASE_URL", db).unwrap().demo_vault_key();
        assert_eq!(
            at("sqlite:portal.db"),
            DemoVaultKey::File("portal-vault.key".into())
        );
        assert_eq!(
            at("sqlite:///var/lib/p/main.db?mode=rwc"),
            DemoVaultKey::File("/var/lib/p/main-vault.key".into())
        );
        assert_eq!(at("memory:"), DemoVaultKey::Process);
        assert_eq!(
            at("postgres://u@h/db"),
            DemoVaultKey::File("./portal-vault.key".into())
        );
    }

    #[test]
    fn demo_mode_is_on_only_for_an_explicit_true_value() {
        let demo = |v: &str| {
            Config::from_lookup(|k| (k == "PORTAL_DEMO").then(|| v.to_owned())).map(|c| c.demo)
        };
        for on in ["1", "true", "on", "yes", "TRUE", "Yes", " on "] {
            assert_eq!(demo(on), Ok(true), "{on:?}");
        }
        for off in ["0", "false", "off", "no", "False", "OFF", "No"] {
            assert_eq!(demo(off), Ok(false), "{off:?}");
        }
        for bad in ["", "2", "disabled", "nope", "y", "t", "0x0", "off!"] {
            let refused = demo(bad).expect_err(bad);
            assert!(refused.0.contains("PORTAL_DEMO"), "{refused}");
        }
    }
}
