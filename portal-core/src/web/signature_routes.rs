//! Signatures through the client API and the staff API: signing (JSON, or the
//! signature page's form) and the verification that recomputes the signed document's
//! hash. Listed in [`routes::PORTAL`](super::routes::PORTAL) and
//! [`routes::STAFF`](super::routes::STAFF); the rules are the core's (see
//! [`crate::portal::signature`]).

use base64::Engine as _;

use super::api_body::{ApiBody, JsonOrForm};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::response::Response;
use super::responses::SignatureView;
use super::routing::{Answer, parse_id};
use super::staff_routes::Staff;
use super::strict;
use super::task_routes::task_answer;
use crate::evidence::{EvidenceError, MAX_SIGNATURE_PNG, Problem, SignatureMark};
use crate::id::TaskId;
use crate::portal::signature::SignatureInput;

/// `POST {p}/api/tasks/{task}/sign`: `document_sha256` (the hash the page showed),
/// `consent` (`true`, or `yes` from a checkbox), and either `drawn_png` (the PNG,
/// base64, or a `data:image/png;base64,` address as a canvas gives it) or
/// `typed_name`. A drawn signature wins when both come. A document replaced since the
/// page showed it: 409.
pub(super) async fn sign(ctx: &mut Ctx<'_>, task: &str, body: JsonOrForm<SignBody>) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let fields = body.fields;
    let mark = match (
        fields.drawn_png.as_deref().map(str::trim),
        fields.typed_name.as_deref(),
    ) {
        (Some(drawn), _) if !drawn.is_empty() => SignatureMark::drawn(&png_of(drawn)?),
        (_, Some(typed)) => SignatureMark::typed(typed),
        _ => Err(EvidenceError::new("typed_name", Problem::Required)),
    }
    .map_err(|e| WebError::Unprocessable(e.to_string()))?;
    let input = SignatureInput {
        shown_sha256: fields.document_sha256.unwrap_or_default(),
        consent: fields.consent.unwrap_or(false),
        mark,
    };
    let task = ctx.web.portal().sign(auth, id, input, ctx.info()).await?;
    task_answer(ctx, &task, body.json).await
}

/// The bytes of a drawn signature sent as base64, with or without its `data:` prefix;
/// what does not decode, or could not fit the limit, is refused before decoding.
fn png_of(sent: &str) -> Result<Vec<u8>, WebError> {
    let b64 = sent.strip_prefix("data:image/png;base64,").unwrap_or(sent);
    if b64.len() > MAX_SIGNATURE_PNG.div_ceil(3) * 4 {
        return Err(WebError::Unprocessable(format!(
            "signature: at most {MAX_SIGNATURE_PNG} bytes"
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| WebError::Unprocessable("signature: not base64".into()))
}

/// `GET {p}/api/tasks/{task}/signature`: the signature as recorded, and whether the
/// stored document still has the bytes that were signed (their hash recomputed now).
pub(super) async fn verify(ctx: &mut Ctx<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let auth = ctx.require_auth()?;
    let v = ctx.web.portal().verify_signature(auth, id).await?;
    Ok(Response::json(200, &SignatureView::new(id, &v)))
}

/// `GET {staff}/tasks/{task}/signature`: as the client API's.
pub(super) async fn staff_verify(s: &Staff<'_>, task: &str) -> Answer {
    let id: TaskId = parse_id(task)?;
    let v = s.portal.staff_verify_signature(&s.ctx, id).await?;
    Ok(Response::json(200, &SignatureView::new(id, &v)))
}

/// What signing sends.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignBody {
    #[serde(default, deserialize_with = "strict::present")]
    csrf_token: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    document_sha256: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    consent: Option<bool>,
    #[serde(default, deserialize_with = "strict::present")]
    drawn_png: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    typed_name: Option<String>,
}

impl ApiBody for SignBody {
    fn from_form(form: &Form) -> Self {
        let text = |name: &str| form.get(name).map(str::to_owned);
        SignBody {
            csrf_token: text("csrf_token"),
            document_sha256: text("document_sha256"),
            consent: form
                .get("consent")
                .map(|v| matches!(v, "yes" | "true" | "on")),
            drawn_png: text("drawn_png"),
            typed_name: text("typed_name").filter(|t| !t.trim().is_empty()),
        }
    }
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}
