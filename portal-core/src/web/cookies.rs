//! The two cookies Portal sets, built by hand so every attribute is deliberate: the
//! session cookie and the short-lived login-binding cookie. Neither is signed: each
//! holds a 256-bit random token that the store knows only by its digest.

use std::time::Duration;

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
}
