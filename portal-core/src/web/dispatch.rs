//! One request of the portal's, from its path to its answer: the route table's lookup,
//! the guard's checks before any handler runs, the session, and the headers every
//! answer carries.

use super::context::Ctx;
use super::cookies::PortalCookie;
use super::errors::{self, WebError};
use super::kind::Kind;
use super::portal_web::PortalWeb;
use super::request::Request;
use super::response::Response;
use super::routing::{self, Answer, Lookup};
use super::{guard, pages, routes};
use crate::firm::Firm;
use crate::portal::session::Authenticated;

impl PortalWeb {
    pub(super) async fn respond(&self, req: &Request) -> Response {
        let mount = self.mount_path();
        let Some(rest) = below_mount(&req.path, mount) else {
            return self.error(Kind::Page, WebError::NotFound);
        };
        let lookup = routing::find(routes::PORTAL, req.method, rest);
        let kind = match &lookup {
            Lookup::Route(route, _) => route.rules.kind,
            Lookup::WrongMethod(_) | Lookup::NotFound => Kind::of_path(rest),
        }
        .answering(req);
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
    pub(super) fn frame<'a>(
        &'a self,
        firm: &'a Firm,
        auth: Option<&Authenticated>,
    ) -> pages::Frame<'a> {
        pages::Frame {
            templates: &self.inner.templates,
            firm,
            mount: self.mount_path(),
            csrf_token: auth.map(Authenticated::csrf_token),
            preview: auth.is_some_and(Authenticated::is_preview),
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
