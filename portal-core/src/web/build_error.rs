//! Why a [`PortalWeb`](super::PortalWeb) could not be built.

use crate::portal::InternalError;

/// Why a [`PortalWeb`](super::PortalWeb) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebBuildError {
    /// The staff API's mount path is not `/segment[/segment...]`.
    #[error("the staff API's mount path must look like /admin/api")]
    StaffMountPath,
    /// [`PortalWebBuilder::template`](super::PortalWebBuilder::template) named a template that Portal does not have.
    #[error("no page template is named {0:?}")]
    UnknownTemplate(String),
    /// A template given to [`PortalWebBuilder::template`](super::PortalWebBuilder::template) does not parse.
    #[error("the template {name:?} does not parse: {source}")]
    TemplateSyntax {
        /// The template's name.
        name: String,
        /// What the template engine found.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The firm's public URL is plain HTTP on a host other than this machine, and the
    /// cookies are [`CookieSecurity::Secure`](super::CookieSecurity::Secure): browsers
    /// would drop the session cookie, and every login would seem to fail.
    #[error(
        "the public URL {0} is plain http on a host other than this machine, where \
         browsers drop Portal's Secure session cookie: serve the portal over https, or \
         in development use http://localhost or CookieSecurity::InsecureLocalDevelopment"
    )]
    SecureCookiesOverHttp(String),
    /// The firm could not be read.
    #[error(transparent)]
    Internal(#[from] InternalError),
}
