//! Firms: the businesses that run portals, with their public URL and branding.

use std::fmt;

use crate::clock::Timestamp;
use crate::email::EmailAddress;
use crate::id::FirmId;
use crate::text::{self, CheckedText, TextError, TextProblem};

/// A firm (tenant).
#[derive(Clone, Debug, PartialEq)]
pub struct Firm {
    /// Its id.
    pub id: FirmId,
    /// The key the host finds it by, unique among firms
    /// ([`Portal::ensure_firm`](crate::Portal::ensure_firm)); `None` for a firm made by
    /// [`Portal::create_firm`](crate::Portal::create_firm), which the host finds by id.
    pub key: Option<FirmKey>,
    /// Legal or trading name, used in emails as `{{firm.name}}`.
    pub name: String,
    /// The base URL every link in this firm's emails is built from. Never the
    /// request's `Host` header (host-header poisoning of reset links).
    pub public_url: PublicUrl,
    /// How the portal looks.
    pub branding: Branding,
    /// The address the firm's emails come from (white label); `None` uses the
    /// deployment's default sender.
    pub mail_from: Option<EmailAddress>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A firm's look: name shown, logo, accent colour, welcome message. Checked by
/// [`Branding::checked`] when a firm is created.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Branding {
    /// Name shown in the portal's header (one line, at most 200 characters); the
    /// firm's name when empty.
    pub display_name: String,
    /// Absolute `https://` URL of a logo image, without spaces or control characters.
    pub logo_url: Option<String>,
    /// Accent colour.
    pub accent_colour: AccentColour,
    /// Shown above the tasks (at most 2,000 characters; line breaks are kept).
    pub welcome_message: String,
}

impl Branding {
    /// The branding with its texts trimmed and checked ([`crate::text`]), its logo
    /// address an `https://` URL with nothing a page's attribute or a log line would
    /// trip on.
    pub fn checked(self) -> Result<Branding, TextError> {
        let logo_url = match self.logo_url {
            Some(url) => {
                let url = CheckedText::new(&url, text::LOGO_URL)?.into_string();
                let rest = url.strip_prefix("https://").unwrap_or_default();
                if rest.is_empty() || rest.contains(char::is_whitespace) {
                    return Err(TextError {
                        field: text::LOGO_URL.field,
                        problem: TextProblem::Malformed,
                    });
                }
                Some(url)
            }
            None => None,
        };
        Ok(Branding {
            display_name: CheckedText::new(&self.display_name, text::DISPLAY_NAME)?.into_string(),
            logo_url,
            accent_colour: self.accent_colour,
            welcome_message: CheckedText::new(&self.welcome_message, text::WELCOME_MESSAGE)?
                .into_string(),
        })
    }
}

/// A colour as `#rrggbb`, validated so it is safe to place in a style attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccentColour([u8; 3]);

impl Default for AccentColour {
    fn default() -> Self {
        AccentColour([0x1f, 0x6f, 0xeb])
    }
}

/// A value that is not a `#rrggbb` colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a colour is written #rrggbb")]
pub struct ColourError;

impl AccentColour {
    /// Parses `#rrggbb`.
    pub fn parse(s: &str) -> Result<Self, ColourError> {
        let hex = s.strip_prefix('#').ok_or(ColourError)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ColourError);
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| ColourError);
        Ok(AccentColour([byte(0)?, byte(2)?, byte(4)?]))
    }
}

impl fmt::Display for AccentColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

impl fmt::Debug for AccentColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccentColour({self})")
    }
}

/// The public base URL of a firm's portal: `http(s)://host[:port][/path]`, with no
/// user info, query or fragment, and no trailing slash.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicUrl {
    url: String,
    origin_len: usize,
}

/// A string that is not an acceptable public base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a public URL is http(s)://host[:port][/path] without query or fragment")]
pub struct PublicUrlError;

impl PublicUrl {
    /// Parses and normalises (lower-case scheme and host, no default port, no trailing
    /// slash).
    pub fn parse(input: &str) -> Result<Self, PublicUrlError> {
        let lower = input.to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("https://") {
            ("https", &input[8..])
        } else if lower.starts_with("http://") {
            ("http", &input[7..])
        } else {
            return Err(PublicUrlError);
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        let port_ok = port.is_none_or(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        });
        let path = path.trim_end_matches('/');
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'))
            && !path.contains("//")
            && !path.split('/').any(|seg| seg == ".." || seg == ".");
        if !host_ok || !port_ok || !path_ok {
            return Err(PublicUrlError);
        }
        // As browsers serialize an origin: the scheme's default port left out, any
        // other without leading zeros (else no `Origin` header would ever match).
        let default_port = if scheme == "https" { 443 } else { 80 };
        let origin = match port.and_then(|p| p.parse::<u16>().ok()) {
            Some(p) if p != default_port => {
                format!("{scheme}://{}:{p}", host.to_ascii_lowercase())
            }
            _ => format!("{scheme}://{}", host.to_ascii_lowercase()),
        };
        Ok(PublicUrl {
            origin_len: origin.len(),
            url: format!("{origin}{path}"),
        })
    }

    /// Whether links use TLS (then cookies are `Secure` and HSTS is sent).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.url.starts_with("https://")
    }

    /// Whether the host is this machine (`localhost`, a name under `.localhost`, an
    /// address in 127.0.0.0/8): browsers treat such an origin as secure even over plain
    /// HTTP, and keep `Secure` cookies from it.
    ///
    /// ```
    /// use portal_core::firm::PublicUrl;
    /// assert!(PublicUrl::parse("http://localhost:3000")?.is_loopback());
    /// assert!(PublicUrl::parse("http://127.0.0.1:3000")?.is_loopback());
    /// assert!(!PublicUrl::parse("http://portal.acme.example")?.is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        // A public URL's host is a name or an IPv4 address (`parse` takes no IPv6).
        let host = self.host();
        host == "localhost"
            || host.ends_with(".localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.url[..self.origin_len]
    }

    /// The host name or address, without scheme or port: what names the firm's portal
    /// in identifiers that must stay the same wherever it is reached from (a calendar
    /// event's `UID`).
    ///
    /// ```
    /// use portal_core::firm::PublicUrl;
    /// assert_eq!(PublicUrl::parse("https://Portal.Acme.example:8443/x")?.host(), "portal.acme.example");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn host(&self) -> &str {
        let authority = self.origin().split_once("://").map_or("", |(_, a)| a);
        authority.split(':').next().unwrap_or_default()
    }

    /// The path part (empty or starting with `/`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.url[self.origin_len..]
    }

    /// The URL of `path` (which starts with `/`) under this base.
    #[must_use]
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The whole base URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicUrl({})", self.url)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// A stable name the host gives a firm, to find it again at every start without
/// storing its id: 1 to 64 of `a-z`, `0-9`, `.`, `_` and `-` (so that it reads the
/// same in a configuration file, a log line and a URL).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FirmKey(String);

/// A string that is not a [`FirmKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a firm key is 1 to 64 of a-z, 0-9, '.', '_' and '-'")]
pub struct FirmKeyError;

impl FirmKey {
    /// The longest key.
    pub const MAX_LEN: usize = 64;

    /// Checks `key`; nothing is normalised, so the key stored is the key written.
    ///
    /// ```
    /// use portal_core::firm::FirmKey;
    ///
    /// assert_eq!(FirmKey::new("acme-accounting")?.as_str(), "acme-accounting");
    /// assert!(FirmKey::new("Acme").is_err());
    /// assert!(FirmKey::new("").is_err());
    /// # Ok::<(), portal_core::firm::FirmKeyError>(())
    /// ```
    pub fn new(key: &str) -> Result<Self, FirmKeyError> {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
        if key.is_empty() || key.len() > Self::MAX_LEN || !key.bytes().all(allowed) {
            return Err(FirmKeyError);
        }
        Ok(FirmKey(key.to_owned()))
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FirmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the host configures about a firm: what
/// [`Portal::create_firm`](crate::Portal::create_firm) creates it with, and what
/// [`Portal::ensure_firm`](crate::Portal::ensure_firm) applies at every start.
#[derive(Clone, Debug)]
pub struct FirmSettings {
    /// Its name.
    pub name: String,
    /// Its public base URL.
    pub public_url: PublicUrl,
    /// Its branding.
    pub branding: Branding,
    /// Its own sender address, if any.
    pub mail_from: Option<EmailAddress>,
}

/// What is needed to create a firm: its settings.
pub type NewFirm = FirmSettings;

impl Firm {
    /// The firm with its name, URL, branding and sender replaced by `settings`, its id,
    /// key and creation time kept.
    #[must_use]
    pub fn with_settings(self, settings: FirmSettings) -> Firm {
        Firm {
            name: settings.name,
            public_url: settings.public_url,
            branding: settings.branding,
            mail_from: settings.mail_from,
            ..self
        }
    }
}

impl FirmSettings {
    /// Settings with a name and a public URL, the default branding and no sender of
    /// the firm's own (mail then goes out from the portal's default sender).
    ///
    /// ```
    /// use portal_core::firm::{FirmSettings, PublicUrl};
    /// let settings = FirmSettings::new("Acme Accounting", PublicUrl::parse("https://portal.acme.example")?);
    /// assert!(settings.mail_from.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(name: impl Into<String>, public_url: PublicUrl) -> FirmSettings {
        FirmSettings {
            name: name.into(),
            public_url,
            branding: Branding::default(),
            mail_from: None,
        }
    }

    /// A firm of these settings (as they are: [`FirmSettings::checked`] is the caller's).
    #[must_use]
    pub fn into_firm(self, id: FirmId, key: Option<FirmKey>, created_at: Timestamp) -> Firm {
        Firm {
            id,
            key,
            name: self.name,
            public_url: self.public_url,
            branding: self.branding,
            mail_from: self.mail_from,
            created_at,
        }
    }

    /// The settings with the name and the branding checked as every text from outside
    /// is ([`crate::text`], [`Branding::checked`]); the URL and the sender were checked
    /// when parsed.
    pub fn checked(self) -> Result<FirmSettings, TextError> {
        Ok(FirmSettings {
            name: CheckedText::new(&self.name, text::NAME)?.into_string(),
            branding: self.branding.checked()?,
            ..self
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_normalised() {
        let u = PublicUrl::parse("HTTPS://Portal.Example.COM:8443/firm/").unwrap();
        assert_eq!(u.as_str(), "https://portal.example.com:8443/firm");
        assert_eq!(u.origin(), "https://portal.example.com:8443");
        assert_eq!(u.path(), "/firm");
        assert!(u.is_https());
        assert_eq!(
            u.join("/portal/x"),
            "https://portal.example.com:8443/firm/portal/x"
        );
        assert_eq!(
            PublicUrl::parse("http://localhost:3000").unwrap().origin(),
            "http://localhost:3000"
        );
    }

    #[test]
    fn the_origin_is_written_as_browsers_send_it() {
        for (url, origin) in [
            (
                "https://portal.example.com:443/firm",
                "https://portal.example.com",
            ),
            ("http://portal.example.com:80", "http://portal.example.com"),
            (
                "http://portal.example.com:443",
                "http://portal.example.com:443",
            ),
            (
                "https://portal.example.com:08443",
                "https://portal.example.com:8443",
            ),
        ] {
            assert_eq!(PublicUrl::parse(url).unwrap().origin(), origin, "{url}");
        }
    }

    #[test]
    fn dubious_public_urls_are_refused() {
        for bad in [
            "ftp://x.com",
            "https://",
            "https://user@x.com",
            "https://x.com/?q=1",
            "https://x.com/#f",
            "https://x.com:99999",
            "https://x.com:",
            "https://x.com/../etc",
            "https://x.com//evil.com",
            "javascript:alert(1)",
        ] {
            assert_eq!(PublicUrl::parse(bad), Err(PublicUrlError), "{bad}");
        }
    }

    #[test]
    fn branding_is_checked_like_every_text_from_outside() {
        let checked = Branding {
            display_name: "  Acme · Portal ".into(),
            logo_url: Some("https://cdn.acme.example/logo.png".into()),
            accent_colour: AccentColour::default(),
            welcome_message: "Hello\r\nThere".into(),
        }
        .checked()
        .unwrap();
        assert_eq!(checked.display_name, "Acme · Portal");
        assert_eq!(checked.welcome_message, "Hello\nThere");
        let field = |b: Branding| b.checked().map_err(|e| e.field);
        for (bad, f) in [
            (
                Branding {
                    display_name: "Acme\u{1b}[2J".into(),
                    ..Branding::default()
                },
                "display_name",
            ),
            (
                Branding {
                    welcome_message: "Hi\0".into(),
                    ..Branding::default()
                },
                "welcome_message",
            ),
            (
                Branding {
                    logo_url: Some("javascript:alert(1)".into()),
                    ..Branding::default()
                },
                "logo_url",
            ),
            (
                Branding {
                    logo_url: Some("https://x.example/a b.png".into()),
                    ..Branding::default()
                },
                "logo_url",
            ),
            (
                Branding {
                    logo_url: Some("https://".into()),
                    ..Branding::default()
                },
                "logo_url",
            ),
        ] {
            assert_eq!(field(bad), Err(f));
        }
    }

    #[test]
    fn firm_keys_are_checked_not_normalised() {
        for good in ["a", "acme", "acme-accounting.eu_2", &"k".repeat(64)] {
            assert_eq!(FirmKey::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "Acme",
            "acme accounting",
            "acme/eu",
            "acme\n",
            "ac\u{e9}me",
            &"k".repeat(65),
        ] {
            assert_eq!(FirmKey::new(bad), Err(FirmKeyError), "{bad:?}");
        }
    }

    #[test]
    fn colours_are_strict() {
        assert_eq!(
            AccentColour::parse("#A1b2C3").unwrap().to_string(),
            "#a1b2c3"
        );
        for bad in ["a1b2c3", "#a1b2c", "#a1b2c3;x", "red", "#ggg000"] {
            assert!(AccentColour::parse(bad).is_err(), "{bad}");
        }
    }
}
