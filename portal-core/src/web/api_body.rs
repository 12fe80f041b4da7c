//! The body of a client API call: a JSON object or an HTML form, read into the same
//! fields, so that each route is written once for scripts and for pages.

use super::errors::WebError;
use super::form::Form;
use super::request::Request;
use super::routing::Body;
use super::strict;

/// The fields of a client API call, from a JSON object (parsed strictly: see
/// [`strict`](super::strict)) or from a form, whose other fields are ignored (a browser
/// sends its buttons' names too). A JSON call may carry its CSRF token in the body, as
/// a form does, instead of the `X-CSRF-Token` header.
pub(super) trait ApiBody: serde::de::DeserializeOwned {
    /// The fields from a form.
    fn from_form(form: &Form) -> Self;
    /// The CSRF token the body carries.
    fn csrf_token(&self) -> Option<&str>;
}

/// The fields of a client API call, and whether they came as JSON (then the call is
/// answered in JSON).
pub(super) struct JsonOrForm<T> {
    pub(super) fields: T,
    pub(super) json: bool,
}

impl<T: ApiBody + Send> Body for JsonOrForm<T> {
    fn read(req: &Request) -> Result<Self, WebError> {
        if req.content_type().as_deref() == Some("application/json") {
            let fields = strict::json(&req.body)?;
            return Ok(JsonOrForm { fields, json: true });
        }
        let fields = T::from_form(&Form::read(req)?);
        Ok(JsonOrForm {
            fields,
            json: false,
        })
    }

    fn csrf_token(&self) -> Option<&str> {
        self.fields.csrf_token()
    }
}
