//! What a credential task's page shows: the form that hands the credential over, with
//! one input per field the task asks for, while the contact may still hand it over or
//! replace it; and which fields were filled and when, and whether the firm has received
//! it or it was deleted. Never a value: the inputs are never filled in, and the page
//! receives nothing that could fill them.

use minijinja::{Value, context};

use super::templates::text;
use crate::evidence::{CredentialFieldKind, CredentialRequest};
use crate::portal::credential::CredentialStatus;

/// The `evidence` of a credential task's page. `status` is what was handed over, when
/// the contact may act on the task (else none: someone else hands it over); `act`
/// whether the contact may.
pub(crate) fn credential_evidence(
    request: &CredentialRequest,
    status: Option<&CredentialStatus>,
    act: bool,
) -> Value {
    let filled =
        |name: &str| status.is_some_and(|s| s.fields.iter().any(|f| f.name == name && f.filled));
    let fields: Vec<Value> = request
        .fields
        .iter()
        .map(|f| {
            context! {
                name => text(&f.name),
                id => text(&format!("c-{}", f.name)),
                label => text(&f.label),
                required => f.required,
                masked => f.kind.masked(),
                multiline => f.kind.multiline(),
                max_chars => f.kind.max_chars(),
                autocomplete => text(f.kind.autocomplete()),
                inputmode => text(inputmode(f.kind)),
                filled => filled(&f.name),
            }
        })
        .collect();
    let handed_over = status.and_then(|s| s.handed_over.as_ref()).map(|h| {
        context! {
            version => h.version,
            at => text(&h.submitted_at.date_string()),
            revealed => h.revealed_at.map(|at| text(&at.date_string())),
            purged => h.purged_at.map(|at| text(&at.date_string())),
        }
    });
    context! {
        type => "credential",
        can_act => act && status.is_some_and(CredentialStatus::replaceable),
        fields,
        handed_over,
    }
}

/// The keyboard a phone offers for a field's one-line input.
fn inputmode(kind: CredentialFieldKind) -> &'static str {
    match kind {
        CredentialFieldKind::Url => "url",
        _ => "text",
    }
}
