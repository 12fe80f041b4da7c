//! The three kinds of answer the portal gives, which decide how its errors look.

use super::request::Request;

/// What kind of answer a route gives, errors included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// An HTML page; one that needs a session sends a visitor without one to log in.
    Page,
    /// JSON, errors as `{"error": ...}`.
    Api,
    /// A static file: answered before any session work, and cacheable.
    Asset,
}

impl Kind {
    /// The kind of a path below the mount path that no route has: the client API and
    /// the assets each keep their namespace, so that a mistyped path there is answered
    /// as its neighbours are.
    pub(super) fn of_path(rest: &str) -> Kind {
        if rest.starts_with("/api/") {
            Kind::Api
        } else if rest.starts_with("/assets/") {
            Kind::Asset
        } else {
            Kind::Page
        }
    }

    /// The kind of answer `req` gets to a route of this kind: an HTML form (or a page's
    /// upload form) posted to the client API comes from one of the portal's pages, whose person should see a
    /// refusal as a page (and an ended session as the login page), not as JSON.
    pub(super) fn answering(self, req: &Request) -> Kind {
        // A page's upload form sends its token in the body; an API client uploading
        // sends it in `X-CSRF-Token`.
        let form = match req.content_type().as_deref() {
            Some("application/x-www-form-urlencoded") => true,
            Some("multipart/form-data") => req.header_value("x-csrf-token").is_none(),
            _ => false,
        };
        if self == Kind::Api && form {
            Kind::Page
        } else {
            self
        }
    }
}
