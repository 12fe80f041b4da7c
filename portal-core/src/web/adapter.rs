//! What every framework adapter does the same way, written once: converting Portal's
//! response headers into the framework's types (once per process, not per response),
//! deciding how much of a body to read, and what an extractor answers when it has no
//! session to give. An adapter keeps only what its framework's types force on it.

use super::dispatch::below_mount;
use super::errors::retry_after_secs;
use super::guard::host_security_headers;
use super::portal_web::PortalWeb;
use super::request::Request;
use super::response::{CommonValue, HeaderText, appended_beside_host};
use super::routes;
use super::routing::{self, Lookup};
use crate::portal::InternalError;

/// Every header name Portal's own responses and the host security headers use.
const NAMES: [&str; 14] = [
    "set-cookie",
    "content-type",
    "cache-control",
    "location",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "content-security-policy",
    "strict-transport-security",
    "retry-after",
    "allow",
    "www-authenticate",
    "content-disposition",
    "content-length",
];

/// Portal's header names and constant values converted into a framework's own types
/// `N` (name) and `V` (value). An adapter builds one per process (in a `LazyLock`)
/// and converts every response through it, so that no constant is parsed twice.
#[derive(Debug)]
pub struct HeaderTable<N, V> {
    names: Vec<(&'static str, N)>,
    common: Vec<V>,
    host: [Vec<(N, V)>; 2],
    parse_name: fn(&str) -> Option<N>,
    static_value: fn(&'static str) -> V,
}

impl<N: Clone, V: Clone> HeaderTable<N, V> {
    /// The table, from the framework's name parser and its constructor of a value from
    /// a static string (Portal's constants are all valid header values).
    #[must_use]
    pub fn new(parse_name: fn(&str) -> Option<N>, static_value: fn(&'static str) -> V) -> Self {
        let names: Vec<(&'static str, N)> = NAMES
            .iter()
            .filter_map(|n| Some((*n, parse_name(n)?)))
            .collect();
        let common = CommonValue::ALL
            .iter()
            .map(|v| static_value(v.as_str()))
            .collect();
        let mut table = HeaderTable {
            names,
            common,
            host: [Vec::new(), Vec::new()],
            parse_name,
            static_value,
        };
        table.host = [false, true].map(|https| {
            host_security_headers(https)
                .iter()
                .filter_map(|(n, v)| Some((table.name(n)?, table.common_value(*v))))
                .collect()
        });
        table
    }

    /// The framework's name for one of Portal's header names.
    fn name(&self, name: &str) -> Option<N> {
        match self.names.iter().find(|(n, _)| *n == name) {
            Some((_, converted)) => Some(converted.clone()),
            None => (self.parse_name)(name),
        }
    }

    fn common_value(&self, v: CommonValue) -> V {
        self.common
            .get(v.index())
            .cloned()
            .unwrap_or_else(|| (self.static_value)(v.as_str()))
    }

    /// Each of a response's headers as the framework's types, in order, to `append`.
    /// `owned` converts a value made for this response (a cookie, a location) and may
    /// refuse it: such a header is dropped, never a panic.
    pub fn convert(
        &self,
        headers: Vec<(&'static str, HeaderText)>,
        owned: impl Fn(String) -> Option<V>,
        mut append: impl FnMut(N, V),
    ) {
        for (name, value) in headers {
            let Some(n) = self.name(name) else {
                continue;
            };
            let v = match value {
                HeaderText::Common(v) => self.common_value(v),
                HeaderText::Static(s) => (self.static_value)(s),
                HeaderText::Owned(s) => match owned(s) {
                    Some(v) => v,
                    None => continue,
                },
            };
            append(n, v);
        }
    }

    /// The host security headers for a host's own response that used the session
    /// (see [`PortalWeb::session_headers`]), each with whether it goes beside a header
    /// of that name the host set itself (`true`) or only where the host set none.
    pub fn host_headers(&self, https: bool) -> impl Iterator<Item = (&N, &V, bool)> {
        self.host[usize::from(https)]
            .iter()
            .zip(host_security_headers(https))
            .map(|((n, v), (name, _))| (n, v, appended_beside_host(name)))
    }
}

/// How an adapter reads a request's body, decided from its head alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyPlan {
    /// Portal ignores the body of this request (`GET`, `HEAD`): do not wait for one.
    Skip,
    /// The declared length is over the limit already: mark the request
    /// [`Request::oversized`] without reading.
    TooLarge,
    /// Read at most this many bytes; past them, or on a broken upload, mark the
    /// request oversized and keep none of it.
    UpTo(usize),
    /// An upload to an upload route: hand the body over as a stream
    /// ([`Request::with_stream`]), wrapped in [`crate::web::limit_stream`] with this
    /// limit, without reading any of it first.
    Stream {
        /// The most bytes the stream may carry.
        limit: u64,
    },
}

impl PortalWeb {
    /// What an extractor answers a request for `path_and_query` that needs a contact
    /// and has none: a browser (its `Accept` names HTML) goes to the login page, with
    /// `next` set to come back when the path is one a login may land on (the portal's,
    /// or the host's allowed with `PortalBuilder::allow_next_under`); an API client
    /// gets 401.
    #[must_use]
    pub fn login_required(&self, path_and_query: &str, accept: Option<&str>) -> SessionRejection {
        let browser = accept.is_some_and(|a| {
            a.split(',').any(|t| {
                t.trim()
                    .get(.."text/html".len())
                    .is_some_and(|media| media.eq_ignore_ascii_case("text/html"))
            })
        });
        if !browser {
            return SessionRejection::NotLoggedIn;
        }
        let mut location = format!("{}/login", self.mount_path());
        if let Some(next) = self.portal().landing(path_and_query) {
            location.push_str("?next=");
            location.push_str(&query_component(&next));
        }
        SessionRejection::LoginRequired { location }
    }

    /// How an adapter reads the body of `head` (method, path and headers filled in).
    #[must_use]
    pub fn body_plan(&self, head: &Request) -> BodyPlan {
        if !head.is_state_changing() {
            return BodyPlan::Skip;
        }
        if head.content_type().as_deref() == Some("multipart/form-data") && self.is_upload(head) {
            let limit = self.inner.limits.upload;
            return match head.declared_length() {
                Some(n) if n as u64 > limit => BodyPlan::TooLarge,
                _ => BodyPlan::Stream { limit },
            };
        }
        let limit = self.body_limit(head);
        if head.declared_length().is_some_and(|n| n > limit) {
            BodyPlan::TooLarge
        } else {
            BodyPlan::UpTo(limit)
        }
    }
}

impl PortalWeb {
    /// Whether `head`'s method and path name an upload route, of the portal or of the
    /// staff API: only those read their body as a stream.
    fn is_upload(&self, head: &Request) -> bool {
        let portal =
            below_mount(&head.path, self.mount_path()).and_then(|rest| {
                match routing::find(routes::PORTAL, head.method, rest) {
                    Lookup::Route(route, _) => Some(route.handler.streams_body()),
                    Lookup::WrongMethod(_) | Lookup::NotFound => None,
                }
            });
        let staff = || {
            below_mount(&head.path, self.staff_mount_path()).and_then(|rest| {
                match routing::find(routes::STAFF, head.method, rest) {
                    Lookup::Route(route, _) => Some(route.handler.streams_body()),
                    Lookup::WrongMethod(_) | Lookup::NotFound => None,
                }
            })
        };
        portal == Some(true) || (self.inner.staff_auth.is_some() && staff() == Some(true))
    }
}

/// Why an adapter's session extractor has no contact to give the host's handler: the
/// same answer in every framework.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionRejection {
    /// No valid session, asked by an API client: 401.
    #[error("Not logged in")]
    NotLoggedIn,
    /// No valid session, asked by a browser: 303 to the login page, which comes back
    /// to the page asked for when the host allowed it as a login target.
    #[error("Log in first")]
    LoginRequired {
        /// The login page's path, with `next` when the page asked for may be one.
        location: String,
    },
    /// The adapter's middleware is not on the route, or the store failed: 500.
    #[error("{0}")]
    Misconfigured(&'static str),
    /// The store is unavailable for a moment: 503 with `Retry-After`.
    #[error("Temporarily unavailable")]
    Unavailable {
        /// The seconds a client should wait before trying again.
        retry_after_secs: u32,
    },
}

impl SessionRejection {
    /// The status code to answer.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            SessionRejection::NotLoggedIn => 401,
            SessionRejection::LoginRequired { .. } => 303,
            SessionRejection::Misconfigured(_) => 500,
            SessionRejection::Unavailable { .. } => 503,
        }
    }

    /// The `Location` to send the browser to, for [`SessionRejection::LoginRequired`].
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        match self {
            SessionRejection::LoginRequired { location } => Some(location),
            _ => None,
        }
    }

    /// The `Retry-After` value in seconds, when the client should try again.
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            SessionRejection::Unavailable { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl From<InternalError> for SessionRejection {
    fn from(e: InternalError) -> Self {
        match retry_after_secs(&e) {
            Some(retry_after_secs) => SessionRejection::Unavailable { retry_after_secs },
            None => SessionRejection::Misconfigured("the session store failed"),
        }
    }
}

/// `s` percent-encoded for a query string's value: unreserved characters and `/` as
/// they are, every other byte as `%XX`.
fn query_component(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> HeaderTable<String, String> {
        HeaderTable::new(|n| Some(n.to_owned()), str::to_owned)
    }

    #[test]
    fn converts_every_kind_of_value_and_drops_refused_ones() {
        let mut out = Vec::new();
        table().convert(
            vec![
                ("content-type", HeaderText::Common(CommonValue::Json)),
                ("x-custom", HeaderText::Static("a")),
                ("set-cookie", HeaderText::Owned("bad\n".into())),
                ("location", HeaderText::Owned("/ok".into())),
            ],
            |s| (!s.contains('\n')).then_some(s),
            |n, v| out.push((n, v)),
        );
        let pairs: Vec<(&str, &str)> = out.iter().map(|(n, v)| (&**n, &**v)).collect();
        assert_eq!(
            pairs,
            [
                ("content-type", "application/json"),
                ("x-custom", "a"),
                ("location", "/ok")
            ]
        );
    }

    #[test]
    fn host_headers_are_the_security_headers_with_hsts_only_on_https() {
        let t = table();
        let names =
            |https| -> Vec<String> { t.host_headers(https).map(|(n, _, _)| n.clone()).collect() };
        assert!(names(true).contains(&"strict-transport-security".to_owned()));
        assert!(!names(false).contains(&"strict-transport-security".to_owned()));
        let beside: Vec<String> = t
            .host_headers(true)
            .filter(|(_, _, b)| *b)
            .map(|(n, _, _)| n.clone())
            .collect();
        assert_eq!(beside, ["content-security-policy"]);
    }

    #[test]
    fn a_query_component_keeps_paths_readable_and_encodes_the_rest() {
        assert_eq!(
            query_component("/dashboard/r?y=2026&x=a b"),
            "/dashboard/r%3Fy%3D2026%26x%3Da%20b"
        );
    }

    #[test]
    fn a_store_outage_is_503_with_retry_after_and_other_failures_500() {
        let down = InternalError::Store(crate::store::StoreError::Unavailable("gone".into()));
        let r = SessionRejection::from(down);
        assert_eq!((r.status(), r.retry_after_secs().is_some()), (503, true));
        let r = SessionRejection::Misconfigured("x");
        assert_eq!((r.status(), r.retry_after_secs()), (500, None));
        assert_eq!(SessionRejection::NotLoggedIn.status(), 401);
    }
}
