//! Credential handoff: a contact hands over the passwords and keys a credential task
//! asks for; they are sealed with the host's [`Vault`] before the store sees them, and
//! only staff read them back, one audited reveal at a time. See [`crate::credential`]
//! for the rules a stored credential follows and [`crate::vault`] for the sealing.
//!
//! No route a contact can reach returns a value: a contact sees which fields were
//! filled and when ([`CredentialStatus`]); staff see the values only through
//! [`Portal::reveal_credential`], which needs a reason, counts against the staff
//! member's hourly limit and leaves an audit entry naming the fields.

use std::time::Duration;

use crate::audit::{Actor, AuditAction, RequestInfo};
use crate::clock::Timestamp;
use crate::credential::{Credential, CredentialRefusal, CredentialValues, SealedField, closed_at};
use crate::evidence::{CredentialFieldKind, CredentialRequest, Evidence, EvidenceError};
use crate::grant::Permissions;
use crate::id::{ContactId, FirmId, TaskId};
use crate::policy::RateLimit;
use crate::portal::session::{Authenticated, ReadOnlyPreview};
use crate::portal::staff::StaffError;
use crate::portal::task::TaskError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::task::{Completion, Task};
use crate::text::{self, CheckedText, TextError};
use crate::throttle::ThrottleDecision;
use crate::token::TokenDigest;
use crate::vault::{KeyId, SealContext, SecretText, Vault, VaultError};

/// The window of [`crate::policy::CredentialPolicy::reveals_per_staff_hour`].
const REVEAL_WINDOW: Duration = Duration::from_secs(3600);

/// Credentials per page of automatic purging and of [`Portal::rotate_vault`]'s count
/// of what is left.
const PAGE: u32 = 500;

/// A credential operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No such task for this contact or staff member, or (for a reveal or a purge)
    /// nothing was handed over for it.
    #[error("not found")]
    NotFound,
    /// The contact's grant lacks the `tasks` permission, or the task is the firm's.
    #[error("not allowed")]
    Forbidden,
    /// The task asks for something else than a credential.
    #[error("this task asks for no credential")]
    NotACredentialTask,
    /// The portal has no vault key: credentials are refused rather than kept in clear.
    #[error("this portal has no vault key configured: it cannot accept credentials")]
    NoVault,
    /// The values do not meet the task's fields; names the field, never quotes a value.
    #[error(transparent)]
    Invalid(#[from] EvidenceError),
    /// The reason for a reveal is missing, too long or holds control characters.
    #[error(transparent)]
    Reason(#[from] TextError),
    /// The credential cannot be stored as asked.
    #[error(transparent)]
    Refused(#[from] CredentialRefusal),
    /// The staff member reached the policy's reveals per hour.
    #[error("too many credentials revealed in the last hour")]
    TooManyReveals,
    /// A value would not open: its key is not in the vault, or it was altered (moved to
    /// another task, client or field, or a bit flipped). Recorded in the audit log.
    #[error("the credential cannot be opened: {0}")]
    Unreadable(VaultError),
    /// The session is a staff preview, which changes nothing.
    #[error(transparent)]
    ReadOnlyPreview(#[from] ReadOnlyPreview),
    /// Something failed on the server.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<crate::store::StoreError> for CredentialError {
    fn from(e: crate::store::StoreError) -> Self {
        CredentialError::Internal(e.into())
    }
}

impl From<crate::random::RandomnessUnavailable> for CredentialError {
    fn from(e: crate::random::RandomnessUnavailable) -> Self {
        CredentialError::Internal(e.into())
    }
}

impl From<TaskError> for CredentialError {
    fn from(e: TaskError) -> Self {
        match e {
            // Only the conversation's operations produce TooManyMessages.
            TaskError::Forbidden | TaskError::TooManyMessages => CredentialError::Forbidden,
            TaskError::ReadOnlyPreview(p) => CredentialError::ReadOnlyPreview(p),
            TaskError::Internal(i) => CredentialError::Internal(i),
            TaskError::Invalid(e) => CredentialError::Invalid(e),
            TaskError::WrongType { .. } => CredentialError::NotACredentialTask,
            TaskError::Text(e) => CredentialError::Reason(e),
            TaskError::NotFound | TaskError::Conflict | TaskError::DocumentChanged => {
                CredentialError::NotFound
            }
        }
    }
}

/// One field of a credential task, and whether the credential fills it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldStatus {
    /// The field's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its kind.
    pub kind: CredentialFieldKind,
    /// Whether it must be filled.
    pub required: bool,
    /// Whether the credential handed over fills it.
    pub filled: bool,
}

/// What was handed over for a credential task, without any value: what a contact and
/// staff see before a reveal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialStatus {
    /// The task.
    pub task_id: TaskId,
    /// The task's fields, in its order.
    pub fields: Vec<FieldStatus>,
    /// The credential handed over, if any.
    pub handed_over: Option<HandedOver>,
}

/// When and by whom a credential was handed over, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandedOver {
    /// 1 for the first submission, one more for each replacement.
    pub version: u32,
    /// The contact who submitted this version.
    pub submitted_by: ContactId,
    /// When.
    pub submitted_at: Timestamp,
    /// When staff first revealed it: from then on the contact cannot replace it.
    pub revealed_at: Option<Timestamp>,
    /// When its values were deleted.
    pub purged_at: Option<Timestamp>,
}

impl CredentialStatus {
    fn new(task_id: TaskId, request: &CredentialRequest, credential: Option<&Credential>) -> Self {
        let filled = |name: &str| credential.is_some_and(|c| c.filled().any(|f| f == name));
        CredentialStatus {
            task_id,
            fields: request
                .fields
                .iter()
                .map(|f| FieldStatus {
                    name: f.name.clone(),
                    label: f.label.clone(),
                    kind: f.kind,
                    required: f.required,
                    filled: filled(&f.name),
                })
                .collect(),
            handed_over: credential.map(|c| HandedOver {
                version: c.version,
                submitted_by: c.submitted_by,
                submitted_at: c.submitted_at,
                revealed_at: c.revealed_at,
                purged_at: c.purged_at,
            }),
        }
    }

    /// Whether the contact may still hand over (or replace) the credential.
    #[must_use]
    pub fn replaceable(&self) -> bool {
        self.handed_over
            .as_ref()
            .is_none_or(|h| h.revealed_at.is_none() && h.purged_at.is_none())
    }
}

/// One value of a revealed credential.
#[derive(Debug)]
pub struct RevealedValue {
    /// The field's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its kind.
    pub kind: CredentialFieldKind,
    /// The value, zeroised when dropped.
    pub value: SecretText,
}

/// A credential opened for one staff member.
#[derive(Debug)]
pub struct RevealedCredential {
    /// What was handed over, as before the reveal (now revealed).
    pub status: CredentialStatus,
    /// The values of the fields filled, in the task's order.
    pub values: Vec<RevealedValue>,
}

/// Why a rotation could not re-seal a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Its key is not in the vault (removed before the rotation finished).
    MissingKey(KeyId),
    /// A value was altered or moved: it opens under no context.
    Tampered,
}

/// What [`Portal::rotate_vault`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Credentials re-sealed under the active key.
    pub rotated: u64,
    /// Credentials replaced or purged while the rotation read them: what replaced them
    /// was sealed under the active key, so nothing is lost.
    pub superseded: u64,
    /// Credentials that could not be opened, left as they are: never dropped.
    pub unreadable: Vec<(TaskId, Unreadable)>,
    /// Credentials still sealed under another key once the rotation ended (the
    /// unreadable ones, and any sealed meanwhile by an instance whose vault still has
    /// the old key active). Zero means the old keys can be removed.
    pub left: u64,
}

/// The credential request of a task, or why there is none.
fn request_of(task: &Task) -> Result<&CredentialRequest, CredentialError> {
    match &task.evidence {
        Evidence::Credential(r) => Ok(r),
        _ => Err(CredentialError::NotACredentialTask),
    }
}

/// Where the value of `field` of `credential` belongs.
fn context<'a>(credential: &Credential, field: &'a str) -> SealContext<'a> {
    SealContext {
        firm: credential.firm_id,
        client: credential.client_id,
        task: credential.task_id,
        field,
    }
}

/// Text from a person as one value of an audit entry's detail: `=` and `%`, control
/// and format characters (bidirectional overrides among them) percent-encoded, so that
/// a reason can neither read as further `key=value` pairs nor reorder itself on screen.
fn audit_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let plain = !matches!(c, '=' | '%')
            && !c.is_control()
            && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{061C}');
        if plain {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The names of the fields a credential fills, for audit entries.
fn field_names(credential: &Credential) -> String {
    credential.filled().collect::<Vec<_>>().join(",")
}

impl Portal {
    /// The host's vault, or [`CredentialError::NoVault`].
    fn vault(&self) -> Result<&Vault, CredentialError> {
        self.inner.vault.as_deref().ok_or(CredentialError::NoVault)
    }

    /// Whether the portal can accept credentials (a vault is configured).
    #[must_use]
    pub fn has_vault(&self) -> bool {
        self.inner.vault.is_some()
    }

    /// What was handed over for a credential task of a client the contact holds a
    /// grant with `tasks` to: which fields are filled and when, never a value.
    pub async fn credential_status(
        &self,
        auth: &Authenticated,
        id: TaskId,
    ) -> Result<CredentialStatus, CredentialError> {
        let task = self.actionable_task(auth, id, Permissions::TASKS).await?;
        let request = request_of(&task)?;
        let stored = self.store().credential(id).await?;
        Ok(CredentialStatus::new(id, request, stored.as_ref()))
    }

    /// Hands over the credential a task asks for, or replaces the one handed over
    /// until staff have revealed it. The values are checked against the task's fields
    /// and sealed under the vault's active key, each bound to its firm, client, task
    /// and field; the task is completed. Needs the `tasks` permission.
    pub async fn submit_credential(
        &self,
        auth: &Authenticated,
        id: TaskId,
        values: CredentialValues,
        request: &RequestInfo,
    ) -> Result<CredentialStatus, CredentialError> {
        let task = self.actionable_task(auth, id, Permissions::TASKS).await?;
        let definition = request_of(&task)?;
        let vault = self.vault()?;
        let checked = values.check(definition)?;
        let contact = auth.author()?;
        let now = self.now();
        let mut credential = Credential {
            task_id: id,
            firm_id: task.firm_id,
            client_id: task.client_id,
            key_id: vault.active().clone(),
            fields: Vec::with_capacity(checked.len()),
            version: 1,
            submitted_by: contact,
            submitted_at: now,
            revealed_at: None,
            purged_at: None,
        };
        for (name, value) in &checked {
            let sealed = vault
                .seal(
                    value.expose().as_bytes(),
                    &context(&credential, name),
                    self.secrets(),
                )
                .map_err(|e| match e {
                    VaultError::Randomness(r) => CredentialError::from(r),
                    other => CredentialError::Unreadable(other),
                })?;
            credential.fields.push(SealedField {
                name: name.clone(),
                value: Some(sealed),
            });
        }
        drop(checked);
        let detail = format!("task={id} fields={}", field_names(&credential));
        let audit = self.task_audit(
            auth,
            &task,
            AuditAction::CredentialSubmitted,
            request,
            detail,
        )?;
        let completion = Completion {
            by: audit.actor.clone(),
            at: now,
            note: None,
            ip: request.ip,
        };
        let stored = self
            .store()
            .submit_credential(&credential, &task.evidence, &completion, audit)
            .await?
            .ok_or(CredentialError::NotFound)??;
        Ok(CredentialStatus::new(id, definition, Some(&stored)))
    }

    /// What was handed over for a credential task of the staff member's firm, without
    /// any value.
    pub async fn staff_credential_status(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<CredentialStatus, CredentialError> {
        let task = self.credential_task(ctx, id).await?;
        let stored = self.store().credential(id).await?;
        Ok(CredentialStatus::new(
            id,
            request_of(&task)?,
            stored.as_ref(),
        ))
    }

    /// Opens a credential for one staff member, who states why (1 to 500 characters,
    /// kept in the audit log with the fields revealed). Each call is an audit entry;
    /// the first makes the credential final (the contact can no longer replace it).
    /// Refused over the firm's [`reveals_per_staff_hour`], for a purged credential,
    /// and, with an audit entry, for a value that will not open.
    ///
    /// [`reveals_per_staff_hour`]: crate::policy::CredentialPolicy::reveals_per_staff_hour
    pub async fn reveal_credential(
        &self,
        ctx: &StaffContext,
        id: TaskId,
        reason: &str,
    ) -> Result<RevealedCredential, CredentialError> {
        let task = self.credential_task(ctx, id).await?;
        let definition = request_of(&task)?;
        let reason = CheckedText::new(reason, text::REVEAL_REASON)?.into_string();
        let vault = self.vault()?;
        let entry = |action, detail: String| {
            self.task_staff_audit(ctx, action, detail)
                .about_task(task.client_id, task.id)
        };
        if let Some(limit) = self.policy(ctx.firm).credentials.reveals_per_staff_hour {
            let key = TokenDigest::of(
                format!("credential-reveal\0{}\0{}", ctx.firm, ctx.staff).as_bytes(),
            );
            let limit = RateLimit::new(limit, REVEAL_WINDOW);
            if self.store().throttle_hit(&key, limit, self.now()).await?
                == ThrottleDecision::Throttled
            {
                let detail = format!("task={id} refused=limit");
                let refused = entry(AuditAction::CredentialRevealRefused, detail).refused();
                self.store().append_audit(refused).await?;
                return Err(CredentialError::TooManyReveals);
            }
        }
        // A credential whose key this vault lacks is refused before the reveal is
        // recorded: recording it would make the credential final, and the contact could
        // no longer replace what nobody can read.
        if let Some(stored) = self.store().credential(id).await?
            && !stored.purged()
            && !vault.has_key(&stored.key_id)
        {
            let e = VaultError::UnknownKey(stored.key_id.clone());
            let detail = format!("task={id} refused={e}");
            let refused = entry(AuditAction::CredentialRevealRefused, detail).refused();
            self.store().append_audit(refused).await?;
            return Err(CredentialError::Unreadable(e));
        }
        // The reveal is recorded before anything is opened, so that what is opened is
        // the version the record names: once revealed, it can no longer be replaced.
        let reason = audit_text(&reason);
        let audit = |c: &Credential| {
            Some(entry(
                AuditAction::CredentialRevealed,
                format!("task={id} fields={} reason={reason}", field_names(c)),
            ))
        };
        let Some(revealed) = self
            .store()
            .reveal_credential(id, self.now(), &audit)
            .await?
        else {
            return match self.store().credential(id).await? {
                Some(_) => Err(CredentialError::Refused(CredentialRefusal::Purged)),
                None => Err(CredentialError::NotFound),
            };
        };
        let mut values = Vec::with_capacity(revealed.fields.len());
        for field in &revealed.fields {
            let opened = field
                .value
                .as_ref()
                .ok_or(VaultError::Tampered)
                .and_then(|v| {
                    vault.open_text(&revealed.key_id, v, &context(&revealed, &field.name))
                });
            let value = match opened {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(task = %id, key = %revealed.key_id, error = %e, "a credential would not open");
                    let detail = format!("task={id} field={} refused={e}", field.name);
                    let refused = entry(AuditAction::CredentialRevealRefused, detail).refused();
                    self.store().append_audit(refused).await?;
                    return Err(CredentialError::Unreadable(e));
                }
            };
            let (label, kind) = definition
                .field(&field.name)
                .map_or((field.name.clone(), CredentialFieldKind::Text), |f| {
                    (f.label.clone(), f.kind)
                });
            values.push(RevealedValue {
                name: field.name.clone(),
                label,
                kind,
                value,
            });
        }
        Ok(RevealedCredential {
            status: CredentialStatus::new(id, definition, Some(&revealed)),
            values,
        })
    }

    /// Deletes the values of a credential handed over for a task of the staff member's
    /// firm; the record of which fields were filled, when and by whom stays, and so does
    /// the audit log. Idempotent.
    pub async fn purge_credential(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<CredentialStatus, CredentialError> {
        let task = self.credential_task(ctx, id).await?;
        let stored = self
            .store()
            .credential(id)
            .await?
            .ok_or(CredentialError::NotFound)?;
        let audit = self
            .task_staff_audit(
                ctx,
                AuditAction::CredentialPurged,
                format!("task={id} fields={}", field_names(&stored)),
            )
            .about_task(task.client_id, task.id);
        let (purged, _) = self
            .store()
            .purge_credential(id, self.now(), audit)
            .await?
            .ok_or(CredentialError::NotFound)?;
        Ok(CredentialStatus::new(id, request_of(&task)?, Some(&purged)))
    }

    /// Re-seals every credential sealed under an older key under the vault's active
    /// key, `batch` at a time (each credential in one step of the store), while the
    /// portal serves: a credential replaced or purged meanwhile is left to what came
    /// first. Resumable: a rotation cut short is finished by running it again. One that
    /// cannot be opened is reported, never dropped. Roll the new active key out to
    /// every instance first; remove an old key once a run reports nothing
    /// [`left`](RotationReport::left). `firm` confines it to one firm's credentials
    /// (what that firm's staff may ask for); `None` is every firm's, for the host.
    pub async fn rotate_vault(
        &self,
        firm: Option<FirmId>,
        batch: u32,
    ) -> Result<RotationReport, CredentialError> {
        let vault = self.vault()?;
        let active = vault.active().clone();
        let batch = batch.max(1);
        let mut report = RotationReport::default();
        let mut after = None;
        loop {
            let page = self
                .store()
                .credentials_to_rotate(&active, after, batch)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.task_id);
            let ours = page.iter().filter(|c| firm.is_none_or(|f| c.firm_id == f));
            for credential in ours {
                match self.resealed(vault, credential) {
                    Ok(next) => {
                        if self.store().rewrap_credential(&next).await? {
                            report.rotated += 1;
                        } else {
                            report.superseded += 1;
                        }
                    }
                    Err(VaultError::Randomness(r)) => return Err(r.into()),
                    Err(e) => {
                        tracing::warn!(task = %credential.task_id, key = %credential.key_id, error = %e, "a credential could not be re-sealed");
                        let why = match e {
                            VaultError::UnknownKey(k) => Unreadable::MissingKey(k),
                            _ => Unreadable::Tampered,
                        };
                        report.unreadable.push((credential.task_id, why));
                    }
                }
            }
        }
        let mut after = None;
        loop {
            let page = self
                .store()
                .credentials_to_rotate(&active, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.task_id);
            report.left += page
                .iter()
                .filter(|c| firm.is_none_or(|f| c.firm_id == f))
                .count() as u64;
        }
        Ok(report)
    }

    /// [`Portal::rotate_vault`] of the staff member's own firm, recorded in its audit
    /// log with what it did: one firm's staff never touch another's credentials.
    pub async fn staff_rotate_vault(
        &self,
        ctx: &StaffContext,
        batch: u32,
    ) -> Result<RotationReport, CredentialError> {
        let report = self.rotate_vault(Some(ctx.firm), batch).await?;
        let entry = self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            AuditAction::VaultRotated,
            None,
            &ctx.request,
            format!(
                "rotated={} superseded={} unreadable={} left={}",
                report.rotated,
                report.superseded,
                report.unreadable.len(),
                report.left
            ),
        );
        self.store().append_audit(entry).await?;
        Ok(report)
    }

    /// `credential` with every value opened and sealed again under the active key.
    fn resealed(&self, vault: &Vault, credential: &Credential) -> Result<Credential, VaultError> {
        let mut fields = Vec::with_capacity(credential.fields.len());
        for field in &credential.fields {
            let value = match &field.value {
                Some(v) => {
                    let ctx = context(credential, &field.name);
                    let plain = vault.open(&credential.key_id, v, &ctx)?;
                    Some(vault.seal(&plain, &ctx, self.secrets())?)
                }
                None => None,
            };
            fields.push(SealedField {
                name: field.name.clone(),
                value,
            });
        }
        Ok(Credential {
            key_id: vault.active().clone(),
            fields,
            ..credential.clone()
        })
    }

    /// Purges, as maintenance does, the credentials whose task was closed longer ago
    /// than their firm's [`purge_after_closed`]; how many. At most `rounds` pages.
    ///
    /// [`purge_after_closed`]: crate::policy::CredentialPolicy::purge_after_closed
    pub(crate) async fn purge_closed_credentials(
        &self,
        rounds: usize,
    ) -> Result<u64, InternalError> {
        let shortest = std::iter::once(&self.inner.default_policy)
            .chain(self.inner.firm_policies.values())
            .filter_map(|p| p.credentials.purge_after_closed)
            .min();
        let Some(shortest) = shortest else {
            return Ok(0);
        };
        let now = self.now();
        let mut purged = 0;
        // A run goes on from where the last one stopped, so that credentials kept
        // longer by their firms' policies, listed first, cannot hold back those due
        // after them however many there are.
        let mut after = self.inner.purge_cursor.lock().map_or(None, |c| *c);
        let mut wrapped = false;
        for _ in 0..rounds {
            let page = self
                .store()
                .closed_credentials(now - shortest, after, PAGE)
                .await?;
            let Some(last) = page.last() else {
                // At the end: once round to the start, then the run is done.
                if after.is_none() || wrapped {
                    break;
                }
                (after, wrapped) = (None, true);
                continue;
            };
            after = Some(last.task_id);
            if let Ok(mut cursor) = self.inner.purge_cursor.lock() {
                *cursor = after;
            }
            for credential in &page {
                let Some(keep) = self
                    .policy(credential.firm_id)
                    .credentials
                    .purge_after_closed
                else {
                    continue;
                };
                // Read again, not taken from the listing: a task reopened since is
                // not closed any more.
                let closed = self
                    .store()
                    .task(credential.task_id)
                    .await?
                    .as_ref()
                    .and_then(closed_at);
                if closed.is_none_or(|at| at > now - keep) {
                    continue;
                }
                let audit = self
                    .audit(
                        credential.firm_id,
                        Actor::System,
                        AuditAction::CredentialPurged,
                        None,
                        &RequestInfo::default(),
                        format!(
                            "task={} fields={} after_closed_secs={}",
                            credential.task_id,
                            field_names(credential),
                            keep.as_secs()
                        ),
                    )
                    .about_task(credential.client_id, credential.task_id);
                let done = self
                    .store()
                    .purge_credential(credential.task_id, now, audit)
                    .await?;
                if done.is_some_and(|(_, by_this_call)| by_this_call) {
                    purged += 1;
                }
            }
        }
        Ok(purged)
    }

    /// A credential task of the staff member's firm, withdrawn or not.
    async fn credential_task(
        &self,
        ctx: &StaffContext,
        id: TaskId,
    ) -> Result<Task, CredentialError> {
        // Which tasks staff reach is `staff_task`'s rule, kept there.
        let task = self.staff_task(ctx, id).await.map_err(|e| match e {
            StaffError::Internal(i) => CredentialError::Internal(i),
            _ => CredentialError::NotFound,
        })?;
        request_of(&task)?;
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::audit_text;

    #[test]
    fn a_reason_cannot_add_pairs_to_an_audit_detail_or_reorder_it() {
        assert_eq!(audit_text("Set up payroll"), "Set up payroll");
        assert_eq!(
            audit_text("x fields=username task=1"),
            "x fields%3Dusername task%3D1"
        );
        assert_eq!(audit_text("100%"), "100%25");
        assert_eq!(audit_text("a\u{202E}b"), "a%E2%80%AEb");
        assert_eq!(audit_text("é ü"), "é ü");
    }
}
