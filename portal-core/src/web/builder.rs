//! Configuring a [`PortalWeb`]: cookies, proxies, limits, the staff API and the
//! host's page templates, all checked when it is built.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::build_error::WebBuildError;
use super::cookies::CookieSecurity;
use super::guard::{BodyLimits, TrustedProxies};
use super::portal_web::{PortalWeb, WebInner};
use super::staff_routes::StaffAuthenticator;
use super::templates::Templates;
use crate::id::FirmId;
use crate::portal::Portal;

impl PortalWeb {
    /// Starts configuring the HTTP layer of `firm` on `portal`.
    pub fn builder(portal: Portal, firm: FirmId) -> PortalWebBuilder {
        PortalWebBuilder::new(portal, firm)
    }
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
    fn new(portal: Portal, firm: FirmId) -> Self {
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
        let url = &firm.public_url;
        if self.cookies == CookieSecurity::Secure && !url.is_https() && !url.is_loopback() {
            return Err(WebBuildError::SecureCookiesOverHttp(
                url.as_str().to_owned(),
            ));
        }
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
