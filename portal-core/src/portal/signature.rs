//! Signatures: staff attach the document to a signature task, the contact signs it, and
//! anyone who may read the task checks that the stored document still has the bytes
//! that were signed. See [`crate::evidence::SignatureRequest`] for why the document is
//! part of the task's definition.

use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::evidence::{
    Evidence, EvidenceError, Problem, Signature, SignatureMark, SigningDocument, Submission,
};
use crate::file::{FilePlace, FilePurpose, ReceivedFile, StoredFile};
use crate::file_type::FileType;
use crate::grant::Permissions;
use crate::id::{FileId, TaskId};
use crate::portal::Portal;
use crate::portal::documents::FileError;
use crate::portal::session::Authenticated;
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::staff::StaffContext;
use crate::task::{Completion, Task, TaskEdit, TaskOutcome};

/// What a contact gives to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureInput {
    /// The SHA-256 (hex) of the document as the page showed it.
    pub shown_sha256: String,
    /// Whether the contact agreed to the consent text.
    pub consent: bool,
    /// The signature, drawn or typed.
    pub mark: SignatureMark,
}

/// Whether a signed document's stored bytes still have the hash that was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The signature, as recorded.
    pub signature: Signature,
    /// The SHA-256 (hex) of the document's bytes now, if they can still be read.
    pub computed: Option<String>,
    /// Whether it is the one that was signed.
    pub matches: bool,
}

/// The signature task's request, and its document if one is attached.
fn request_of(task: &Task) -> Option<&crate::evidence::SignatureRequest> {
    match &task.evidence {
        Evidence::Signature(r) => Some(r),
        _ => None,
    }
}

impl Portal {
    /// Attaches a PDF already in the blob store as the document of a signature task of
    /// the staff member's firm, replacing any before it. Refused once the task is
    /// signed (the signed document stays), or for a file that is not a PDF.
    pub async fn attach_signing_document(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        file: ReceivedFile,
    ) -> Result<Task, StaffError> {
        let blobs = vec![file.blob.clone()];
        self.or_discard(blobs, self.record_signing_document(ctx, id, file))
            .await
    }

    async fn record_signing_document(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        file: ReceivedFile,
    ) -> Result<Task, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        let Some(request) = request_of(&task) else {
            return Err(StaffError::Invalid("the task asks for no signature"));
        };
        if task.submission.is_some() {
            return Err(StaffError::Conflict("the document was signed: it stays"));
        }
        if file.file_type != FileType::Pdf {
            return Err(StaffError::Invalid("a document to sign is a PDF"));
        }
        let place = FilePlace {
            firm_id: ctx.firm,
            client_id: task.client_id,
            task_id: Some(id),
            upload_id: None,
        };
        let by = Actor::Staff(ctx.staff.clone());
        let row = file.into_stored(
            FileId::generate(self.secrets())?,
            place,
            FilePurpose::Signing,
            by,
            self.now(),
        );
        let document = SigningDocument {
            file: row.id,
            name: row.name.as_str().to_owned(),
            sha256: row.sha256_hex(),
        };
        let detail = format!(
            "file={} client={} task={id} as=signing",
            row.id, task.client_id
        );
        let audit = self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::FilePublished,
            None,
            &ctx.request,
            detail,
        );
        self.store().publish_file(&row, audit).await?;
        let edit = TaskEdit {
            evidence: Evidence::Signature(crate::evidence::SignatureRequest {
                document: Some(document),
                ..request.clone()
            }),
            ..TaskEdit::from(&task)
        };
        let audit = self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::TaskEdited,
            None,
            &ctx.request,
            format!("task={id} document={}", row.id),
        );
        // Conditional on nothing given for the task: a signature that won the race
        // keeps its document.
        match self.store().edit_task(id, &edit, self.now(), audit).await? {
            Some(TaskOutcome::Conflict(_)) => {
                Err(StaffError::Conflict("the document was signed: it stays"))
            }
            Some(outcome) => Ok(outcome.into_task()),
            None => Err(StaffError::NotFound),
        }
    }

    /// Signs a signature task of the client's side that the contact's grant allows
    /// with `tasks`: recorded with the contact's name and address, where it came from,
    /// when, the consent text and the hash of the document. The hash the contact was
    /// shown must be the document's ([`TaskError::DocumentChanged`] otherwise, also
    /// when the document is replaced while this signature is recorded); the first
    /// signature stands.
    pub async fn sign(
        &self,
        auth: &Authenticated,
        id: TaskId,
        input: SignatureInput,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let task = self.actionable_task(auth, id, Permissions::TASKS).await?;
        let Some(signature_request) = request_of(&task) else {
            return Err(TaskError::wrong_type(
                task.evidence.kind(),
                crate::evidence::EvidenceKind::Signature,
            ));
        };
        let Some(document) = signature_request.document.clone() else {
            return Err(TaskError::DocumentChanged);
        };
        if !input.shown_sha256.eq_ignore_ascii_case(&document.sha256) {
            return Err(TaskError::DocumentChanged);
        }
        if !input.consent {
            return Err(EvidenceError::new("consent", Problem::Required).into());
        }
        let detail = format!("task={id} type=signature sha256={}", document.sha256);
        let audit = self.task_audit(auth, &task, AuditAction::TaskSubmitted, request, detail)?;
        let contact = self
            .store()
            .contact(auth.session.contact_id)
            .await?
            .ok_or(TaskError::NotFound)?;
        let signer_name = match &input.mark {
            SignatureMark::Typed { name } => name.clone(),
            SignatureMark::Drawn { .. } => contact.first_name.clone(),
        };
        let signature = Signature {
            signer_name,
            signer_email: contact.email.as_str().to_owned(),
            ip: request.ip.map(|ip| ip.to_string()),
            user_agent: request.user_agent.clone(),
            at: audit.at,
            document,
            consent_text: signature_request.consent_text.clone(),
            mark: input.mark,
        };
        let completion = Completion {
            by: audit.actor.clone(),
            at: audit.at,
            note: None,
            ip: request.ip,
        };
        let submission = Submission::Signature(Box::new(signature));
        match self
            .store()
            .submit_task(id, &task.evidence, &submission, &completion, audit)
            .await?
        {
            Some(TaskOutcome::Conflict(now)) if now.submission.is_none() => {
                // Nothing was signed: the definition changed, the document with it.
                Err(TaskError::DocumentChanged)
            }
            Some(TaskOutcome::Conflict(_)) => Err(TaskError::Conflict),
            Some(outcome) => Ok(outcome.into_task()),
            None => Err(TaskError::NotFound),
        }
    }

    /// Recomputes the hash of a signed task's document from its stored bytes.
    async fn verification(&self, task: &Task) -> Result<Verification, FileError> {
        let Some(Submission::Signature(signature)) = &task.submission else {
            return Err(FileError::NotARequest);
        };
        let signature = (**signature).clone();
        let file = self
            .store()
            .file(signature.document.file)
            .await?
            .filter(|f| f.readable())
            .ok_or(FileError::NotFound)?;
        let computed = match self.bytes_sha256(&file).await {
            Ok(hash) => Some(hash),
            Err(FileError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let matches = computed.as_deref() == Some(signature.document.sha256.as_str());
        Ok(Verification {
            signature,
            computed,
            matches,
        })
    }

    /// The SHA-256 (hex) of a stored file's bytes, read from the blob store now.
    async fn bytes_sha256(&self, file: &StoredFile) -> Result<String, FileError> {
        let blob = file.blob.as_ref().ok_or(FileError::NotFound)?;
        let mut bytes = match self.files().get(blob).await {
            Ok(b) => b,
            Err(crate::blob::BlobError::NotFound) => return Err(FileError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let mut hasher = Sha256::new();
        while let Some(chunk) = bytes.next().await {
            hasher.update(&chunk?);
        }
        Ok(hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Whether the signed document of a task the contact may read still has the bytes
    /// that were signed.
    pub async fn verify_signature(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<Verification, FileError> {
        let task = self.client_task(auth, id).await?;
        self.verification(&task).await
    }

    /// As [`Portal::verify_signature`], for staff of the task's firm.
    pub async fn staff_verify_signature(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<Verification, StaffError> {
        let task = self.staff_task(ctx, id).await?;
        Ok(self.verification(&task).await?)
    }
}
