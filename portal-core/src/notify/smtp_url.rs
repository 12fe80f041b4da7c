//! Where and how [`super::SmtpDelivery`] reaches its server, read from one URL.

use std::fmt;
use std::time::Duration;

use percent_encoding::percent_decode_str;

/// How long a delivery may take by default, from connecting to the server's last
/// answer: a server that accepts and never answers costs a background job this long.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The longest `timeout=` accepted, in seconds.
const MAX_TIMEOUT_SECS: u64 = 300;

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpSecurity {
    /// `smtp://` (default port 587): plain at first, then STARTTLS, which the server
    /// must offer. A server without it (or a network that strips it from the server's
    /// answer) gets no mail, rather than mail in clear.
    StartTls,
    /// `smtps://` (default port 465): TLS from the first byte.
    Tls,
    /// `smtp://host?tls=none` (default port 25): no encryption, for a relay on the
    /// same machine or private network only.
    ///
    /// # Warning
    /// Everything sent, live login links included, crosses the network in clear: anyone
    /// on the path can read them and log in. Credentials are refused in this mode.
    Plain,
}

/// An SMTP server's address, protection, credentials and time bound, read from a URL:
///
/// | URL | protection | default port |
/// |---|---|---|
/// | `smtp://host[:port]` | STARTTLS, required | 587 |
/// | `smtps://host[:port]` | TLS from the first byte | 465 |
/// | `smtp://host[:port]?tls=none` | none: a local relay only ([`SmtpSecurity::Plain`]) | 25 |
///
/// Credentials come from the user info, percent-decoded:
/// `smtps://apikey:s%40cret@smtp.example.com` logs in as `apikey` with `s@cret`.
/// `timeout=SECONDS` (1 to 300, default 15) bounds a whole delivery, from connecting
/// to the server's last answer. Anything else in the URL is refused, so that a typo
/// cannot turn a setting off unnoticed.
///
/// Neither `Debug` nor `Display` shows the password.
///
/// ```
/// use portal_core::notify::{SmtpSecurity, SmtpUrl};
///
/// let url = SmtpUrl::parse("smtp://mailer:p%40ss@mail.example.com")?;
/// assert_eq!((url.host(), url.port()), ("mail.example.com", 587));
/// assert_eq!(url.security(), SmtpSecurity::StartTls);
/// assert_eq!(url.user(), Some("mailer"));
/// assert!(!format!("{url:?} {url}").contains("p@ss"));
///
/// let relay = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none&timeout=5")?;
/// assert_eq!(relay.security(), SmtpSecurity::Plain);
/// assert!(SmtpUrl::parse("smtp://user:pw@127.0.0.1?tls=none").is_err());
/// # Ok::<(), portal_core::notify::SmtpSetupError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    host: String,
    port: u16,
    security: SmtpSecurity,
    credentials: Option<(String, String)>,
    timeout: Duration,
}

/// An SMTP URL that cannot be used, or a transport that cannot be set up. No message
/// repeats the URL: it may hold a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpSetupError {
    /// Not a URL at all.
    #[error("not a URL: write smtp://host, smtps://host or smtp://host?tls=none")]
    Malformed,
    /// A scheme other than `smtp` or `smtps`.
    #[error("the SMTP URL's scheme {0:?} is neither smtp nor smtps")]
    Scheme(String),
    /// No host, or a path or fragment after it.
    #[error("an SMTP URL names a host and nothing after it but ?settings")]
    Shape,
    /// A query setting that is unknown or has a value out of its range.
    #[error(
        "the SMTP URL setting {0:?} is unknown or out of range (tls=none on smtp://, timeout=1..300)"
    )]
    Setting(String),
    /// A user name or password that is not UTF-8 once percent-decoded.
    #[error("the SMTP URL's user or password is not UTF-8 once percent-decoded")]
    Encoding,
    /// Credentials on a plain connection, where anyone on the path could read them.
    #[error(
        "SMTP credentials are never sent over a plain connection: use smtp:// (STARTTLS) or smtps://"
    )]
    PlainCredentials,
    /// The TLS configuration could not be built.
    #[error("TLS for the SMTP server could not be set up: {0}")]
    Tls(String),
}

impl SmtpUrl {
    /// Reads `url` (see the type's documentation for its forms).
    pub fn parse(url: &str) -> Result<SmtpUrl, SmtpSetupError> {
        let parsed = url::Url::parse(url.trim()).map_err(|_| SmtpSetupError::Malformed)?;
        let (mut security, mut port) = match parsed.scheme() {
            "smtp" => (SmtpSecurity::StartTls, 587),
            "smtps" => (SmtpSecurity::Tls, 465),
            other => return Err(SmtpSetupError::Scheme(other.to_owned())),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(SmtpSetupError::Shape),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.fragment().is_some() {
            return Err(SmtpSetupError::Shape);
        }
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value) in parsed.query_pairs() {
            match (&*key, &*value) {
                ("tls", "none") if security == SmtpSecurity::StartTls => {
                    security = SmtpSecurity::Plain;
                    port = 25;
                }
                ("timeout", secs) => {
                    timeout = secs
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (1..=MAX_TIMEOUT_SECS).contains(s))
                        .map(Duration::from_secs)
                        .ok_or_else(|| SmtpSetupError::Setting(format!("timeout={secs}")))?;
                }
                // Only the name: a misplaced secret in the value stays out of the error.
                (key, _) => return Err(SmtpSetupError::Setting(key.to_owned())),
            }
        }
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|d| d.into_owned())
                .map_err(|_| SmtpSetupError::Encoding)
        };
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or_default())?)),
        };
        if credentials.is_some() && security == SmtpSecurity::Plain {
            return Err(SmtpSetupError::PlainCredentials);
        }
        Ok(SmtpUrl {
            host,
            port: parsed.port().unwrap_or(port),
            security,
            credentials,
            timeout,
        })
    }

    /// The server's host name or IP address.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    #[must_use]
    pub fn security(&self) -> SmtpSecurity {
        self.security
    }

    /// The user name to log in with, if any.
    #[must_use]
    pub fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(user, _)| user.as_str())
    }

    /// The most one delivery may take.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same server with another time bound (a host that knows its relay is slow
    /// or fast; at least a second).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> SmtpUrl {
        self.timeout = timeout.max(Duration::from_secs(1));
        self
    }

    pub(super) fn credentials(&self) -> Option<&(String, String)> {
        self.credentials.as_ref()
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user())
            .field("password", &self.credentials.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URL without its password, e.g. `smtps://apikey@smtp.example.com:465`.
impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            SmtpSecurity::Tls => "smtps",
            SmtpSecurity::StartTls | SmtpSecurity::Plain => "smtp",
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = self.user() {
            write!(
                f,
                "{}@",
                percent_encoding::utf8_percent_encode(user, USERINFO)
            )?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.security == SmtpSecurity::Plain {
            f.write_str("?tls=none")?;
        }
        Ok(())
    }
}

/// What a user name keeps encoded when the URL is written back: what would end it.
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'@')
    .add(b':')
    .add(b'/')
    .add(b'?')
    .add(b'#');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_gets_its_protection_and_default_port() {
        for (url, security, port) in [
            ("smtp://mail.example.com", SmtpSecurity::StartTls, 587),
            (
                "smtp://mail.example.com:2587/",
                SmtpSecurity::StartTls,
                2587,
            ),
            ("smtps://mail.example.com", SmtpSecurity::Tls, 465),
            ("smtp://127.0.0.1?tls=none", SmtpSecurity::Plain, 25),
            ("smtp://[::1]:2525?tls=none", SmtpSecurity::Plain, 2525),
        ] {
            let u = SmtpUrl::parse(url).unwrap();
            assert_eq!((u.security(), u.port()), (security, port), "{url}");
            assert_eq!(u.timeout(), DEFAULT_TIMEOUT);
        }
        assert_eq!(
            SmtpUrl::parse("smtp://[::1]:25?tls=none").unwrap().host(),
            "::1"
        );
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_shown() {
        let u = SmtpUrl::parse("smtps://api%20key:s%40cr%3At@smtp.example.com").unwrap();
        assert_eq!(
            u.credentials(),
            Some(&("api key".to_owned(), "s@cr:t".to_owned()))
        );
        let shown = format!("{u:?} {u}");
        assert!(
            !shown.contains("s@cr") && !shown.contains("s%40cr"),
            "{shown}"
        );
        assert!(shown.contains("<hidden>"), "{shown}");
        assert_eq!(u.to_string(), "smtps://api%20key@smtp.example.com:465");
        assert_eq!(
            SmtpUrl::parse("smtp://u:%FF@h").unwrap_err(),
            SmtpSetupError::Encoding
        );
    }

    #[test]
    fn unknown_or_contradictory_settings_are_refused() {
        for (url, error) in [
            (
                "http://mail.example.com",
                SmtpSetupError::Scheme("http".into()),
            ),
            ("smtp://", SmtpSetupError::Shape),
            ("smtp://mail.example.com/inbox", SmtpSetupError::Shape),
            ("smtp://mail.example.com#x", SmtpSetupError::Shape),
            ("smtps://h?tls=none", SmtpSetupError::Setting("tls".into())),
            ("smtp://h?tls=off", SmtpSetupError::Setting("tls".into())),
            ("smtp://h?tsl=none", SmtpSetupError::Setting("tsl".into())),
            (
                "smtp://h?timeout=0",
                SmtpSetupError::Setting("timeout=0".into()),
            ),
            (
                "smtp://h?timeout=301",
                SmtpSetupError::Setting("timeout=301".into()),
            ),
            ("smtp://u:p@h?tls=none", SmtpSetupError::PlainCredentials),
            ("not a url", SmtpSetupError::Malformed),
        ] {
            assert_eq!(SmtpUrl::parse(url).unwrap_err(), error, "{url}");
        }
        let quick = SmtpUrl::parse("smtp://h?timeout=3").unwrap();
        assert_eq!(quick.timeout(), Duration::from_secs(3));
    }

    #[test]
    fn an_error_never_repeats_a_secret_from_the_query() {
        let e = SmtpUrl::parse("smtp://h?password=hunter2").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
