//! Configuration from the environment, as SPEC section 6 names it.

use std::net::SocketAddr;

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
    /// `PORTAL_DEMO`: seed demo data and serve `/dev/outbox`. Default on; `0`,
    /// `false`, `off` or `no` turn it off, `1`, `true`, `on` or `yes` on (any case);
    /// any other value is refused.
    pub demo: bool,
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
        })
    }
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

    #[test]
    fn defaults_follow_the_spec() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite:portal.db");
        assert!(c.demo && c.public_url.is_none() && c.admin_token.is_none());
        assert!(Config::from_lookup(|k| (k == "PORTAL_ADDR").then(|| "nowhere".into())).is_err());
        assert!(
            Config::from_lookup(|k| (k == "PORTAL_ADMIN_TOKEN").then(|| "short".into())).is_err()
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
