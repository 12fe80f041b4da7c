//! The framework-neutral HTTP layer: every route of the portal and of the staff API,
//! once, as `Request` in and `Response` out. The axum and actix adapters only convert
//! their request and response types and call [`PortalWeb::handle`] /
//! [`PortalWeb::handle_staff`].
//!
//! Done here, for every route: the same-origin check on state-changing requests, the
//! CSRF token of authenticated ones, body limits, the client IP behind trusted
//! proxies, session verification and renewal cookies, and the security headers.
//!
#![doc = include_str!("../../docs/templates.md")]

mod adapter;
mod api_error;
mod app_routes;
mod cookies;
mod errors;
mod guard;
mod http;
mod json;
mod lazy;
mod login_routes;
mod pages;
mod responses;
mod routes;
mod routing;
mod staff_api;
mod staff_routes;
mod strict;
mod templates;

pub use adapter::{BodyPlan, HeaderTable, SessionRejection};
pub use api_error::ApiError;
pub use cookies::{CookieSecurity, cookie_in};
pub use guard::{BodyLimits, ProxyParseError, TrustedProxies, host_security_headers};
pub use http::{
    CommonValue, Form, FormError, HeaderText, Method, READ_HEADERS, Request, Response,
    appended_beside_host,
};
pub use lazy::{LazySession, LoggedIn};
pub use staff_routes::{BearerToken, StaffAuthenticator, WeakBearerToken};

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::audit::RequestInfo;
use crate::firm::Firm;
use crate::id::FirmId;
use crate::portal::session::Authenticated;
use crate::portal::{InternalError, Portal};
use crate::session::time_left;
use cookies::PortalCookie;
use errors::WebError;
use routing::{Answer, Lookup};
use templates::Templates;

/// The paths below the mount path that have no variable segment, e.g. `/api/me`, read
/// from the portal's route table.
///
/// Every path below the mount path goes to [`PortalWeb::handle`], which routes it; an
/// adapter whose framework pays for capturing a wildcard segment (axum percent-decodes
/// and stores it) routes these exactly as well.
pub const FIXED_PATHS: [&str; routing::fixed_count(routes::PORTAL)] =
    routing::fixed_paths(routes::PORTAL);

/// The portal's HTTP face for one firm. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PortalWeb {
    inner: Arc<WebInner>,
}

#[derive(Debug)]
struct WebInner {
    portal: Portal,
    firm_id: FirmId,
    // Read on every request (an `Arc`, so reading costs no copy); refreshed when staff
    // change the firm through the API.
    firm: RwLock<Arc<Firm>>,
    cookies: CookieSecurity,
    proxies: TrustedProxies,
    limits: BodyLimits,
    staff_mount: String,
    staff_auth: Option<Arc<dyn StaffAuthenticator>>,
    templates: Templates,
    // Set once a request came without a client address, so that the warning about it
    // is logged once, not per request.
    warned_no_peer: std::sync::atomic::AtomicBool,
}

/// Why a [`PortalWeb`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebBuildError {
    /// The staff API's mount path is not `/segment[/segment...]`.
    #[error("the staff API's mount path must look like /admin/api")]
    StaffMountPath,
    /// [`PortalWebBuilder::template`] named a template that Portal does not have.
    #[error("no page template is named {0:?}")]
    UnknownTemplate(String),
    /// A template given to [`PortalWebBuilder::template`] does not parse.
    #[error("the template {name:?} does not parse: {source}")]
    TemplateSyntax {
        /// The template's name.
        name: String,
        /// What the template engine found.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The firm could not be read.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Configures a [`PortalWeb`].
#[derive(Debug)]
#[must_use]
pub struct PortalWebBuilder {
    portal: Portal,
    firm: FirmId,
    cookies: CookieSecurity,
    proxies: TrustedProxies,
    limits: BodyLimits,
    staff_mount: String,
    staff_auth: Option<Arc<dyn StaffAuthenticator>>,
    templates: BTreeMap<String, String>,
}

impl PortalWebBuilder {
    /// Cookie security (default [`CookieSecurity::Secure`]).
    pub fn cookies(mut self, security: CookieSecurity) -> Self {
        self.cookies = security;
        self
    }

    /// Proxies whose `X-Forwarded-For` is believed (default: none).
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Body limits.
    pub fn body_limits(mut self, limits: BodyLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Enables the staff API under `mount` (e.g. `/admin/api`: no trailing slash, or
    /// [`PortalWebBuilder::build`] refuses it), authenticated by `auth`.
    pub fn staff_api(mut self, mount: impl Into<String>, auth: impl StaffAuthenticator) -> Self {
        self.staff_mount = mount.into();
        self.staff_auth = Some(Arc::new(auth));
        self
    }

    /// Renders the pages named `name` (one of the templates listed under "Pages and
    /// their templates" in the [module's documentation](crate::web)) with the minijinja
    /// template `source` instead of Portal's own; given twice, the last one counts.
    ///
    /// [`PortalWebBuilder::build`] refuses a name Portal does not have and a source
    /// that does not parse, so a broken template stops the server at start-up rather
    /// than on the page that uses it.
    ///
    /// The values Portal passes in arrive escaped for HTML whatever the template
    /// does: `|safe` and `{% autoescape false %}` cannot print a contact's name as
    /// markup. What the template writes itself is the host's to keep safe, and the
    /// pages' Content-Security-Policy still refuses scripts and inline styles.
    pub fn template(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.templates.insert(name.into(), source.into());
        self
    }

    /// Checks the templates, loads the firm and builds the HTTP layer.
    pub async fn build(self) -> Result<PortalWeb, WebBuildError> {
        if self.staff_auth.is_some() && !crate::portal::is_mount_path(&self.staff_mount) {
            return Err(WebBuildError::StaffMountPath);
        }
        let templates = Templates::new(self.templates)?;
        let firm = self.portal.firm(self.firm).await?;
        Ok(PortalWeb {
            inner: Arc::new(WebInner {
                portal: self.portal,
                firm_id: self.firm,
                firm: RwLock::new(Arc::new(firm)),
                cookies: self.cookies,
                proxies: self.proxies,
                limits: self.limits,
                staff_mount: self.staff_mount,
                staff_auth: self.staff_auth,
                templates,
                warned_no_peer: Default::default(),
            }),
        })
    }
}

/// What kind of answer a route gives, errors included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
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
    fn of_path(rest: &str) -> Kind {
        if rest.starts_with("/api/") {
            Kind::Api
        } else if rest.starts_with("/assets/") {
            Kind::Asset
        } else {
            Kind::Page
        }
    }
}

/// What a host's response that used the session gets (see
/// [`PortalWeb::session_headers`]). Its `Debug` leaves the cookie's value out.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionHeaders {
    /// The session's `Set-Cookie` value, when this request renewed the session.
    pub cookie: Option<String>,
    /// Which set of [`host_security_headers`] applies: the public URL is https.
    pub https: bool,
}

impl std::fmt::Debug for SessionHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHeaders")
            .field("cookie", &self.cookie.as_ref().map(|_| http::REDACTED))
            .field("https", &self.https)
            .finish()
    }
}

/// Per-request context handed to route handlers.
struct Ctx<'a> {
    web: &'a PortalWeb,
    req: &'a Request,
    // Most requests record nothing: the user agent is copied out only when asked.
    info: std::sync::OnceLock<RequestInfo>,
    auth: Option<Authenticated>,
    firm: Arc<Firm>,
}

impl PortalWeb {
    /// Starts configuring the HTTP layer of `firm` on `portal`.
    pub fn builder(portal: Portal, firm: FirmId) -> PortalWebBuilder {
        PortalWebBuilder {
            portal,
            firm,
            cookies: CookieSecurity::default(),
            proxies: TrustedProxies::default(),
            limits: BodyLimits::default(),
            staff_mount: "/admin/api".to_owned(),
            staff_auth: None,
            templates: BTreeMap::new(),
        }
    }

    /// The portal.
    #[must_use]
    pub fn portal(&self) -> &Portal {
        &self.inner.portal
    }

    /// The firm served.
    #[must_use]
    pub fn firm_id(&self) -> FirmId {
        self.inner.firm_id
    }

    /// Where the portal routes live, e.g. `/portal`.
    #[must_use]
    pub fn mount_path(&self) -> &str {
        self.inner.portal.mount_path()
    }

    /// Where the staff API lives, e.g. `/admin/api`.
    #[must_use]
    pub fn staff_mount_path(&self) -> &str {
        &self.inner.staff_mount
    }

    /// The session cookie's name under the configured security.
    #[must_use]
    pub fn session_cookie_name(&self) -> &'static str {
        PortalCookie::Session.name(self.inner.cookies)
    }

    fn firm(&self) -> Arc<Firm> {
        match self.inner.firm.read() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the firm (name, URL, branding) from the store.
    pub async fn refresh_firm(&self) -> Result<(), InternalError> {
        let firm = self.inner.portal.firm(self.inner.firm_id).await?;
        if let Ok(mut f) = self.inner.firm.write() {
            *f = Arc::new(firm);
        }
        Ok(())
    }

    /// The most body an adapter should read for this request (method, path and headers
    /// filled in, body empty); one byte more is answered 413 by [`PortalWeb::handle`].
    #[must_use]
    pub fn body_limit(&self, req: &Request) -> usize {
        match req.content_type().as_deref() {
            Some("application/json") => self.inner.limits.json,
            _ => self.inner.limits.form,
        }
    }

    /// Where the request comes from, per the trusted proxies. A request without the
    /// client's address is not throttled per IP: the first one logs a warning.
    #[must_use]
    pub fn request_info(&self, req: &Request) -> RequestInfo {
        if req.peer.is_none()
            && !self
                .inner
                .warned_no_peer
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            // Failing closed would lock every login out of a host that forgot it;
            // saying so, once, is what is left.
            tracing::warn!(
                "a request came without the client's address: login requests are not \
                 throttled per IP and the audit log records no IP (with axum, serve with \
                 `into_make_service_with_connect_info::<SocketAddr>()`)"
            );
        }
        RequestInfo::new(
            self.inner.proxies.client_ip(req),
            req.header_value("user-agent"),
        )
    }

    /// Verifies a request's session, if it has one, from the values of its `Cookie`
    /// headers: the one way to do it, which the adapters' extractors use and a host
    /// without an adapter calls itself. `head` (the request's headers and peer) is built
    /// only if a renewal records where the request came from, so that verifying copies
    /// nothing out of the framework's request. A host's response that used the session
    /// then carries [`PortalWeb::session_headers`].
    pub async fn authenticate<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
        head: impl FnOnce() -> Request,
    ) -> Result<Option<Authenticated>, InternalError> {
        let cookie = cookie_in(cookie_headers, self.session_cookie_name());
        self.verify(cookie, || self.request_info(&head())).await
    }

    /// [`PortalWeb::authenticate`] for one of the portal's own requests.
    async fn authenticate_request(
        &self,
        req: &Request,
    ) -> Result<Option<Authenticated>, InternalError> {
        self.verify(req.cookie(self.session_cookie_name()), || {
            self.request_info(req)
        })
        .await
    }

    async fn verify(
        &self,
        cookie: Option<&str>,
        info: impl FnOnce() -> RequestInfo,
    ) -> Result<Option<Authenticated>, InternalError> {
        let Some(cookie) = cookie else {
            return Ok(None);
        };
        match self
            .inner
            .portal
            .authenticate_with(self.inner.firm_id, cookie, info)
            .await
        {
            Ok(auth) => Ok(Some(auth)),
            Err(crate::portal::session::SessionError::Internal(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// The headers a host response that used the session must carry: the session
    /// cookie again when the session was renewed (so the cookie never outlives the
    /// session, nor dies before it), and the constant [`host_security_headers`].
    #[must_use]
    pub fn session_headers(&self, auth: Option<&Authenticated>) -> SessionHeaders {
        SessionHeaders {
            cookie: self.renewal_cookie(auth),
            https: self.firm().public_url.is_https(),
        }
    }

    fn renewal_cookie(&self, auth: Option<&Authenticated>) -> Option<String> {
        let a = auth.filter(|a| a.renewed)?;
        let max_age = time_left(a.session.expires_at(), self.inner.portal.now());
        Some(PortalCookie::Session.set(self.inner.cookies, &a.token().expose_secret(), max_age))
    }

    /// Finishes one of the portal's own responses: the renewed session's cookie and the
    /// portal's security headers (headers it already has are kept).
    fn finish_for(&self, firm: &Firm, resp: &mut Response, auth: Option<&Authenticated>) {
        if let Some(cookie) = self.renewal_cookie(auth) {
            resp.headers.push(("set-cookie", cookie.into()));
        }
        guard::apply_security_headers(resp, true, firm.public_url.is_https());
    }

    /// Answers a request under the portal's mount path.
    // Not an `async fn`: that would keep a second copy of the request in its future, and
    // every future is moved whole, at its full size, into whatever awaits it. The
    // routes' own futures are boxed (see `routing::Pending`), so that this one stays
    // small.
    pub fn handle(&self, mut req: Request) -> impl Future<Output = Response> + Send + '_ {
        let is_head = req.head_as_get();
        async move {
            let mut resp = self.respond(&req).await;
            if is_head {
                resp.body.clear();
            }
            resp
        }
    }

    async fn respond(&self, req: &Request) -> Response {
        let mount = self.mount_path();
        let Some(rest) = below_mount(&req.path, mount) else {
            return self.error(Kind::Page, WebError::NotFound);
        };
        let lookup = routing::find(routes::PORTAL, req.method, rest);
        let kind = match &lookup {
            Lookup::Route(route, _) => route.rules.kind,
            Lookup::WrongMethod(_) | Lookup::NotFound => Kind::of_path(rest),
        };
        if kind == Kind::Asset {
            return self.asset(req, lookup).await;
        }
        let firm = self.firm();
        if !guard::same_origin(req, firm.public_url.origin()) {
            return self.error(kind, WebError::CrossSite);
        }
        if req.oversized || req.body.len() > self.body_limit(req) {
            return self.error(kind, WebError::TooLarge);
        }
        let auth = match self.authenticate_request(req).await {
            Ok(a) => a,
            Err(e) => return self.error(kind, WebError::from(e)),
        };
        let mut ctx = Ctx::new(self, req, auth, firm);
        // Asked of `ctx`: a borrow of `auth` itself would keep a second copy of it in
        // this future.
        let stale_cookie = ctx.auth.is_none() && req.cookie(self.session_cookie_name()).is_some();
        let mut resp = match answer(lookup, &mut ctx).await {
            Ok(r) => r,
            Err(e) => self.error(kind, e),
        };
        if stale_cookie && !resp.headers.iter().any(|(n, _)| *n == "set-cookie") {
            resp.headers.push((
                "set-cookie",
                PortalCookie::Session.clear(self.inner.cookies).into(),
            ));
        }
        self.finish_for(&ctx.firm, &mut resp, ctx.auth.as_ref());
        resp
    }

    /// A request for an asset, or for a path among them: no session work, and nothing
    /// in the answer that a cache must not keep.
    async fn asset(&self, req: &Request, lookup: Lookup<'_, routes::Portal>) -> Response {
        let mut ctx = Ctx::new(self, req, None, self.firm());
        let mut resp = match answer(lookup, &mut ctx).await {
            Ok(r) => r,
            Err(e) => errors::response(Kind::Asset, &e, &self.frame(&ctx.firm, None)),
        };
        guard::apply_security_headers(&mut resp, false, ctx.firm.public_url.is_https());
        resp
    }

    /// What a page of `firm` is rendered in; `auth` puts a logout form in its header.
    fn frame<'a>(&'a self, firm: &'a Firm, auth: Option<&Authenticated>) -> pages::Frame<'a> {
        pages::Frame {
            templates: &self.inner.templates,
            firm,
            mount: self.mount_path(),
            csrf_token: auth.map(Authenticated::csrf_token),
        }
    }

    fn error(&self, kind: Kind, e: WebError) -> Response {
        let firm = self.firm();
        let mut resp = errors::response(kind, &e, &self.frame(&firm, None));
        guard::apply_security_headers(&mut resp, true, firm.public_url.is_https());
        resp
    }
}

/// The part of `path` below `mount`, if `path` is `mount` itself or goes on from it
/// with `/`: `/portallogin` is not under `/portal`, whatever an adapter passes on.
pub(crate) fn below_mount<'a>(path: &'a str, mount: &str) -> Option<&'a str> {
    path.strip_prefix(mount)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The answer of the portal's route table: the route's handler, or the 404 or 405
/// (with the methods the path has) of a path it has no route for.
async fn answer(lookup: Lookup<'_, routes::Portal>, ctx: &mut Ctx<'_>) -> Answer {
    match lookup {
        Lookup::Route(route, params) => route.handler.call(ctx, route.rules, params)?.await,
        Lookup::WrongMethod(allow) => Err(WebError::MethodNotAllowed(allow)),
        Lookup::NotFound => Err(WebError::NotFound),
    }
}

/// `/assets/portal.css`.
fn stylesheet() -> Response {
    Response::new(200)
        .with_header("content-type", "text/css; charset=utf-8")
        .with_header("cache-control", "public, max-age=3600")
        .with_body(include_bytes!("portal.css").to_vec())
}

/// `/assets/icon.svg`, in the firm's accent colour.
fn icon(ctx: &Ctx<'_>) -> Response {
    Response::new(200)
        .with_header("content-type", "image/svg+xml")
        .with_header("cache-control", "no-cache")
        .with_body(
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"{}\"/></svg>",
                ctx.firm.branding.accent_colour
            )
            .into_bytes(),
        )
}

/// `/assets/theme.css`: the firm's accent colour.
fn theme(ctx: &Ctx<'_>) -> Response {
    Response::new(200)
        .with_header("content-type", "text/css; charset=utf-8")
        .with_header("cache-control", "no-cache")
        .with_body(
            format!(
                ":root {{ --accent: {}; }}\n",
                ctx.firm.branding.accent_colour
            )
            .into_bytes(),
        )
}

impl<'a> Ctx<'a> {
    fn new(
        web: &'a PortalWeb,
        req: &'a Request,
        auth: Option<Authenticated>,
        firm: Arc<Firm>,
    ) -> Self {
        Ctx {
            web,
            req,
            info: std::sync::OnceLock::new(),
            auth,
            firm,
        }
    }
}

impl Ctx<'_> {
    /// Where the request comes from, for what it records.
    fn info(&self) -> &RequestInfo {
        self.info.get_or_init(|| self.web.request_info(self.req))
    }

    fn mount(&self) -> &str {
        self.web.mount_path()
    }

    /// `page` with `title` as a response with `status`; a page that fails to render
    /// is answered as the usual server error.
    fn page(&self, status: u16, title: &str, page: pages::Page) -> Response {
        let frame = self.web.frame(&self.firm, self.auth.as_ref());
        frame
            .render(status, title, page)
            .unwrap_or_else(|e| errors::response(Kind::Page, &WebError::Render(e), &frame))
    }

    fn cookie(&self, which: PortalCookie) -> Option<&str> {
        self.req.cookie(which.name(self.web.inner.cookies))
    }

    fn set_cookie(
        &self,
        which: PortalCookie,
        value: &str,
        max_age: std::time::Duration,
    ) -> (&'static str, HeaderText) {
        (
            "set-cookie",
            which.set(self.web.inner.cookies, value, max_age).into(),
        )
    }

    fn clear_cookie(&self, which: PortalCookie) -> (&'static str, HeaderText) {
        ("set-cookie", which.clear(self.web.inner.cookies).into())
    }

    /// The verified session, or 401 (API) / a redirect to the login page (pages). A
    /// route whose table entry asks for a session has had it checked already.
    fn require_auth(&self) -> Result<&Authenticated, WebError> {
        self.auth.as_ref().ok_or(WebError::Unauthenticated)
    }

    /// The session's CSRF token from the `X-CSRF-Token` header, else from the body's
    /// `csrf_token` field (`in_body`).
    fn check_csrf(&self, in_body: Option<&str>) -> Result<&Authenticated, WebError> {
        let auth = self.require_auth()?;
        let presented = self.req.header_value("x-csrf-token").or(in_body);
        match presented {
            Some(t) if auth.csrf_matches(t) => Ok(auth),
            _ => Err(WebError::Csrf),
        }
    }
}
