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
    /// `PORTAL_DEMO`: seed demo data and serve `/dev/outbox`. Default on; `0` turns it off.
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
            demo: get("PORTAL_DEMO").is_none_or(|v| v != "0"),
        })
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
        let off = Config::from_lookup(|k| (k == "PORTAL_DEMO").then(|| "0".into())).unwrap();
        assert!(!off.demo);
        assert!(Config::from_lookup(|k| (k == "PORTAL_ADDR").then(|| "nowhere".into())).is_err());
        assert!(
            Config::from_lookup(|k| (k == "PORTAL_ADMIN_TOKEN").then(|| "short".into())).is_err()
        );
    }
}
