//! The portal's HTTP face for one firm, and the one entry point of every request to
//! it, [`PortalWeb::handle`].

use std::sync::{Arc, RwLock};

use super::cookies::{CookieSecurity, PortalCookie};
use super::guard::{BodyLimits, TrustedProxies};
use super::request::Request;
use super::response::Response;
use super::staff_routes::StaffAuthenticator;
use super::templates::Templates;
use crate::audit::RequestInfo;
use crate::firm::Firm;
use crate::id::FirmId;
use crate::portal::{InternalError, Portal};

/// The portal's HTTP face for one firm. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PortalWeb {
    pub(super) inner: Arc<WebInner>,
}

#[derive(Debug)]
pub(super) struct WebInner {
    pub(super) portal: Portal,
    pub(super) firm_id: FirmId,
    // Read on every request (an `Arc`, so reading costs no copy); refreshed when staff
    // change the firm through the API.
    pub(super) firm: RwLock<Arc<Firm>>,
    pub(super) cookies: CookieSecurity,
    pub(super) proxies: TrustedProxies,
    pub(super) limits: BodyLimits,
    pub(super) staff_mount: String,
    pub(super) staff_auth: Option<Arc<dyn StaffAuthenticator>>,
    pub(super) templates: Templates,
    // Set once a request came without a client address, so that the warning about it
    // is logged once, not per request.
    pub(super) warned_no_peer: std::sync::atomic::AtomicBool,
}

impl PortalWeb {
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

    pub(super) fn firm(&self) -> Arc<Firm> {
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
                resp.drop_body();
            }
            resp
        }
    }
}
