//! Signature: the firm attaches a PDF, the client reads it, agrees to sign
//! electronically and draws or types a signature.
//!
//! The document is part of the task's definition ([`SignatureRequest::document`]: its
//! file and the SHA-256 of its bytes), so that replacing it is an edit of the
//! definition, and a signature is a submission checked against the definition it was
//! given for: the store's one conditional step that records the first submission also
//! refuses one made against a document replaced meanwhile. The client names the hash
//! it was shown; a different one is refused before anything is stored.

use super::problem::{EvidenceError, Problem};
use crate::clock::Timestamp;
use crate::id::FileId;
use crate::text::{CheckedText, Lines, TextRule};

/// What the client agrees to when none is given.
pub const DEFAULT_CONSENT: &str = "I agree to sign this document electronically. My electronic \
     signature is as binding as my handwritten one.";

/// The most bytes a drawn signature's PNG may have. A canvas of strokes is a few
/// kilobytes; this bound keeps one, base64 in a form field, within a form post's 64 KiB.
pub const MAX_SIGNATURE_PNG: usize = 40 * 1024;

const CONSENT: TextRule = TextRule {
    field: "consent_text",
    lines: Lines::Many,
    required: true,
    max_chars: 2_000,
};

const TYPED: TextRule = TextRule {
    field: "typed_name",
    lines: Lines::One,
    required: true,
    max_chars: 100,
};

/// What the firm asks the client to sign.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignatureRequest {
    /// The consent the client agrees to, shown beside the signature and recorded.
    pub consent_text: String,
    /// The document, once attached.
    pub document: Option<SigningDocument>,
}

/// The document a signature is for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SigningDocument {
    /// Its stored file.
    pub file: FileId,
    /// Its name, as shown.
    pub name: String,
    /// The SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

impl SignatureRequest {
    /// A request with `consent_text` ([`DEFAULT_CONSENT`] when none), no document yet.
    pub fn new(consent_text: Option<&str>) -> Result<SignatureRequest, EvidenceError> {
        let consent = consent_text
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(DEFAULT_CONSENT);
        Ok(SignatureRequest {
            consent_text: CheckedText::new(consent, CONSENT)?.into_string(),
            document: None,
        })
    }
}

/// How the client signed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignatureMark {
    /// Drawn on the page: the PNG, base64 (checked to be a PNG, at most
    /// [`MAX_SIGNATURE_PNG`] bytes).
    Drawn {
        /// The image, standard base64.
        png_base64: String,
    },
    /// Typed: the name, as the signature.
    Typed {
        /// The name typed.
        name: String,
    },
}

impl SignatureMark {
    /// A drawn signature, if `png` is a PNG within the size limit.
    pub fn drawn(png: &[u8]) -> Result<SignatureMark, EvidenceError> {
        const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if png.len() > MAX_SIGNATURE_PNG {
            return Err(EvidenceError::new(
                "signature",
                Problem::TooLong {
                    max_chars: MAX_SIGNATURE_PNG,
                },
            ));
        }
        // The signature, then an IHDR chunk: anything else is not an image we keep.
        if !png.starts_with(SIGNATURE) || png.get(12..16) != Some(b"IHDR") {
            return Err(EvidenceError::new("signature", Problem::Malformed));
        }
        use base64::Engine as _;
        Ok(SignatureMark::Drawn {
            png_base64: base64::engine::general_purpose::STANDARD.encode(png),
        })
    }

    /// A typed signature, checked as one line of at most 100 characters.
    pub fn typed(name: &str) -> Result<SignatureMark, EvidenceError> {
        Ok(SignatureMark::Typed {
            name: CheckedText::new(name, TYPED)?.into_string(),
        })
    }
}

/// A signature, as recorded: who, from where, when, what they agreed to, and the hash
/// of exactly the bytes they signed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The signer's name (the contact's first name, or the typed name).
    pub signer_name: String,
    /// The signer's email address.
    pub signer_email: String,
    /// The IP address the signature came from, as the web layer determined it.
    pub ip: Option<String>,
    /// The browser's user agent.
    pub user_agent: Option<String>,
    /// When.
    pub at: Timestamp,
    /// The document signed.
    pub document: SigningDocument,
    /// The consent text agreed to, as shown.
    pub consent_text: String,
    /// The signature itself.
    pub mark: SignatureMark,
}
