//! The framework-neutral HTTP layer: every route of the portal and of the staff API,
//! once, as `Request` in and `Response` out. The axum and actix adapters only convert
//! their request and response types and call [`PortalWeb::handle`] /
//! [`PortalWeb::handle_staff`].
//!
//! Done here, for every route: the same-origin check on state-changing requests, the
//! CSRF token of authenticated ones, body limits, the client IP behind trusted
//! proxies, session verification and renewal cookies, and the security headers.
//!
//! Uploads and downloads stream: an upload route (its handler takes [`Uploads`]) gets
//! its `multipart/form-data` body as a stream ([`BodyPlan::Stream`]), read part by
//! part, each file into the blob store with [`receive_file`]; a download
//! ([`Response::download`]) is sent as the blob store reads it.
//!
#![doc = include_str!("../../docs/templates.md")]

mod adapter;
mod api_body;
mod api_error;
mod app_routes;
mod assets;
mod body_stream;
mod build_error;
mod builder;
mod context;
mod conversation_pages;
mod conversation_routes;
mod cookies;
mod credential_pages;
mod credential_routes;
mod dispatch;
mod document_pages;
mod document_routes;
mod errors;
mod form;
mod guard;
mod json;
mod kind;
mod lazy;
mod login_routes;
mod looking;
mod method;
mod multipart;
mod page_routes;
mod pages;
mod portal_web;
pub mod prelude;
mod receive;
mod request;
mod response;
mod responses;
mod routes;
mod routing;
mod session;
mod signature_routes;
mod staff_api;
mod staff_routes;
mod staff_task_routes;
mod strict;
mod task_pages;
mod task_routes;
mod templates;
#[cfg(any(test, feature = "testing"))]
mod upload_probe;
mod viewer;

pub use adapter::{BodyPlan, HeaderTable, SessionRejection};
pub use api_error::ApiError;
pub use body_stream::{BodyTooLarge, limit_stream};
pub use build_error::WebBuildError;
pub use builder::PortalWebBuilder;
pub use cookies::{CookieSecurity, cookie_in};
pub use form::{Form, FormError};
pub use guard::{BodyLimits, ProxyParseError, TrustedProxies, host_security_headers};
pub use lazy::{LazySession, LoggedIn};
pub use method::Method;
pub use multipart::{
    FilePart, MAX_PART_HEAD_BYTES, MAX_PARTS, MAX_TEXT_BYTES, Part, UploadError, Uploads,
};
pub use portal_web::PortalWeb;
pub use receive::{ReceiveError, ReceivedFile, delete_blobs, receive_file};
pub use request::{READ_HEADERS, Request};
pub use response::{CommonValue, HeaderText, Response, StreamBody, appended_beside_host};
pub use routes::FIXED_PATHS;
pub use session::SessionHeaders;
pub use staff_routes::{BearerToken, StaffAuthenticator, WeakBearerToken};
