//! The two cookies Portal sets, built by hand so every attribute is deliberate: the
//! session cookie and the short-lived login-binding cookie. Neither is signed: each
//! holds a 256-bit random token that the store knows only by its digest. And how a
//! cookie is read back: a name sent twice is no cookie at all.

use std::time::Duration;

/// A cookie's value in the values of a request's `Cookie` headers; `None` when the
/// name is missing or appears more than once.
///
/// Two cookies of one name are ambiguous, so neither is believed. A cookie without
/// the `__Host-` prefix can be planted beside the real one for a parent domain or a
/// longer path (from a sibling subdomain, or over plain http), and browsers send the
/// longer path first: taking the first would log the victim into the attacker's
/// session (their uploads then land in the attacker's account). Without a session,
/// Portal neither uses nor clears such a pair: clearing its own would leave the
/// planted one alone, and then it would be believed. At worst a planted cookie keeps
/// the browser logged out.
pub fn cookie_in<'a>(
    cookie_headers: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<&'a str> {
    let mut found = None;
    // Plain loops: this runs on every request, and the iterator chain cost three times
    // as much.
    for header in cookie_headers {
        for pair in header.split(';') {
            // Cookie headers separate pairs with `; ` (RFC 6265): ASCII space only. No
            // cookie name holds `=`, so the name is all before the first one.
            if let Some(value) = pair.trim_ascii().strip_prefix(name)
                && let Some(value) = value.strip_prefix('=')
            {
                if found.is_some() {
                    return None;
                }
                found = Some(value.trim_matches('"'));
            }
        }
    }
    found
}

/// Whether cookies require HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CookieSecurity {
    /// `__Host-` prefix and `Secure`: the browser sends them only over HTTPS, only to
    /// this host, for every path. The default.
    #[default]
    Secure,
    /// No prefix, no `Secure`: for plain-HTTP development on localhost only.
    ///
    /// # Warning
    /// Over plain HTTP anyone on the network path can read the session cookie and take
    /// over the session. Never use this where the portal is reachable by others.
    InsecureLocalDevelopment,
}

/// A cookie Portal sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortalCookie {
    Session,
    LoginBinding,
}

impl PortalCookie {
    pub(crate) fn name(self, security: CookieSecurity) -> &'static str {
        match (self, security) {
            (PortalCookie::Session, CookieSecurity::Secure) => "__Host-portal_session",
            (PortalCookie::Session, _) => "portal_session",
            (PortalCookie::LoginBinding, CookieSecurity::Secure) => "__Host-portal_login",
            (PortalCookie::LoginBinding, _) => "portal_login",
        }
    }

    /// `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, no `Domain`, `Secure` unless
    /// in development, and a `Max-Age` of what is left of the secret's life. Lax (not
    /// Strict) so that arriving from a link in an email still carries the session.
    pub(crate) fn set(self, security: CookieSecurity, value: &str, max_age: Duration) -> String {
        let secure = if security == CookieSecurity::Secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={value}; Max-Age={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            self.name(security),
            max_age.as_secs()
        )
    }

    /// A removal with the same attributes, so the browser matches and drops it.
    pub(crate) fn clear(self, security: CookieSecurity) -> String {
        self.set(security, "", Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_has_every_attribute() {
        let c = PortalCookie::Session.set(CookieSecurity::Secure, "abc", Duration::from_secs(90));
        assert_eq!(
            c,
            "__Host-portal_session=abc; Max-Age=90; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(!c.contains("Domain"));
        let dev = PortalCookie::Session.set(
            CookieSecurity::InsecureLocalDevelopment,
            "abc",
            Duration::from_secs(90),
        );
        assert_eq!(
            dev,
            "portal_session=abc; Max-Age=90; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            PortalCookie::Session.clear(CookieSecurity::Secure),
            "__Host-portal_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let one = ["a=1; __Host-portal_session=xyz; b=2"];
        assert_eq!(cookie_in(one, "__Host-portal_session"), Some("xyz"));
        assert_eq!(cookie_in(one, "portal_session"), None);
        assert_eq!(cookie_in(one, "b"), Some("2"));
        let two = ["portal_sessionx=1; portal_session=2", "other=\"3\""];
        assert_eq!(
            cookie_in(two, "portal_session"),
            Some("2"),
            "not a longer name's"
        );
        assert_eq!(
            cookie_in(two, "other"),
            Some("3"),
            "a later header, unquoted"
        );
        assert_eq!(cookie_in(two, "portal"), None);
        assert_eq!(cookie_in([], "portal_session"), None);
    }

    #[test]
    fn a_cookie_sent_twice_is_no_cookie() {
        for headers in [
            &["portal_session=planted; portal_session=real"][..],
            &["portal_session=real; a=1; portal_session=planted"],
            &["portal_session=planted", "portal_session=real"],
            &["portal_session=same; portal_session=same"],
            &["portal_session=; portal_session=real"],
        ] {
            assert_eq!(
                cookie_in(headers.iter().copied(), "portal_session"),
                None,
                "{headers:?}"
            );
        }
        // Another name sent twice does not hide this one.
        assert_eq!(
            cookie_in(["a=1; portal_session=real; a=2"], "portal_session"),
            Some("real")
        );
    }
}
