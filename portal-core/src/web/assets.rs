//! The portal's static files: its stylesheet, its two scripts (the signature pad, the
//! show and hide buttons of a credential's masked fields), and the icon and theme drawn
//! in the firm's accent colour.

use super::context::Ctx;
use super::response::Response;

/// `/assets/portal.css`.
pub(super) fn stylesheet() -> Response {
    Response::new(200)
        .with_header("content-type", "text/css; charset=utf-8")
        .with_header("cache-control", "public, max-age=3600")
        .with_body(include_bytes!("portal.css").to_vec())
}

/// `/assets/signature.js`: the signature pad, loaded by a signature task's page alone
/// (whose policy lets the portal's own scripts run).
pub(super) fn signature_script() -> Response {
    script(include_bytes!("signature.js"))
}

/// `/assets/credential.js`: the show and hide buttons of a credential task's masked
/// fields, loaded by that page alone (whose policy lets the portal's own scripts run).
pub(super) fn credential_script() -> Response {
    script(include_bytes!("credential.js"))
}

fn script(source: &[u8]) -> Response {
    Response::new(200)
        .with_header("content-type", "text/javascript; charset=utf-8")
        .with_header("cache-control", "public, max-age=3600")
        .with_body(source.to_vec())
}

/// `/assets/icon.svg`, in the firm's accent colour.
pub(super) fn icon(ctx: &Ctx<'_>) -> Response {
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
pub(super) fn theme(ctx: &Ctx<'_>) -> Response {
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
