//! Rows to domain records, shared by both dialects. Every text column that holds an
//! enum, a URL, an address or an IP is parsed back through the domain's own parser,
//! so a row that would not have been accepted on the way in is reported as corrupt
//! instead of being passed on.

use std::net::IpAddr;
use std::str::FromStr;

use portal_core::StoreError;
use portal_core::audit::{
    Actor, AuditAction, AuditDraft, AuditEvent, AuditOutcome, ChainHash, ChainHead, RequestInfo,
};
use portal_core::blob::BlobName;
use portal_core::client::Client;
use portal_core::contact::{Contact, ContactStatus};
use portal_core::conversation::{Comment, Question};
use portal_core::credential::{Credential, SealedField};
use portal_core::document::{Review, Upload};
use portal_core::email::EmailAddress;
use portal_core::evidence::{Decision, EvidenceKind, Submission};
use portal_core::failure::FailureState;
use portal_core::file::{FilePurpose, StoredFile};
use portal_core::file_name::DisplayName;
use portal_core::file_type::FileType;
use portal_core::firm::{AccentColour, Branding, Firm, FirmKey, PublicUrl};
use portal_core::grant::{Grant, Permissions};
use portal_core::id::{
    ClientId, CommentId, ContactId, FileId, FirmId, MessageId, PhaseId, QuestionId, SessionId,
    StaffId, TaskId, UploadId,
};
use portal_core::notice::{Recipient, TaskNotices};
use portal_core::notify::MessageKind;
use portal_core::outbox::{AttemptOutcome, DeliveryAttempt, MessageState, QueuedMessage};
use portal_core::phase::Phase;
use portal_core::phone::PhoneNumber;
use portal_core::session::{SessionRecord, SessionSummary};
use portal_core::staff_notice::{DigestItem, StaffCursor, StaffNotifyMode, StaffRecipient};
use portal_core::task::{Completion, Evidence, ItemCheck, Side, Task, TaskStatus, empty_checklist};
use portal_core::vault::KeyId;

use crate::dialect::Dialect;
use crate::stmt::SqlRow;

fn email(text: &str) -> Option<EmailAddress> {
    EmailAddress::parse(text).ok()
}

pub(crate) fn permissions<DB: Dialect>(
    r: &SqlRow<DB>,
    col: &str,
) -> Result<Permissions, StoreError> {
    u8::try_from(r.int(col)?)
        .map(Permissions::from_bits)
        .map_err(|_| StoreError::Corrupt(format!("column {col}: permissions out of range")))
}

pub(crate) fn firm<DB: Dialect>(r: &SqlRow<DB>) -> Result<Firm, StoreError> {
    Ok(Firm {
        id: FirmId::from_uuid(r.id("id")?),
        key: r.opt_parsed("firm_key", |k| FirmKey::new(k).ok())?,
        name: r.text("name")?,
        public_url: r.parsed("public_url", |t| PublicUrl::parse(t).ok())?,
        branding: Branding {
            display_name: r.text("display_name")?,
            logo_url: r.opt_text("logo_url")?,
            accent_colour: r.parsed("accent_colour", |t| AccentColour::parse(t).ok())?,
            welcome_message: r.text("welcome_message")?,
        },
        mail_from: r.opt_parsed("mail_from", email)?,
        created_at: r.ts("created_at")?,
    })
}

pub(crate) fn client<DB: Dialect>(r: &SqlRow<DB>) -> Result<Client, StoreError> {
    Ok(Client {
        id: ClientId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        name: r.text("name")?,
        created_at: r.ts("created_at")?,
    })
}

pub(crate) fn contact_status<DB: Dialect>(
    r: &SqlRow<DB>,
    col: &str,
) -> Result<ContactStatus, StoreError> {
    r.parsed(col, ContactStatus::from_name)
}

pub(crate) fn contact<DB: Dialect>(r: &SqlRow<DB>) -> Result<Contact, StoreError> {
    Ok(Contact {
        id: ContactId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        email: r.parsed("email", email)?,
        first_name: r.text("first_name")?,
        phone: r.opt_parsed("phone", |t| PhoneNumber::parse(t).ok())?,
        status: contact_status(r, "status")?,
        created_at: r.ts("created_at")?,
        invited_at: r.opt_ts("invited_at")?,
        joined_at: r.opt_ts("joined_at")?,
        last_seen_at: r.opt_ts("last_seen_at")?,
    })
}

pub(crate) fn grant<DB: Dialect>(r: &SqlRow<DB>) -> Result<Grant, StoreError> {
    Ok(Grant {
        contact_id: ContactId::from_uuid(r.id("contact_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        permissions: permissions(r, "permissions")?,
        granted_at: r.ts("granted_at")?,
    })
}

pub(crate) fn failures<DB: Dialect>(r: &SqlRow<DB>) -> Result<FailureState, StoreError> {
    Ok(FailureState {
        consecutive: u32::try_from(r.int("failures")?.max(0)).unwrap_or(u32::MAX),
        last_failure_at: r.opt_ts("last_failure_at")?,
    })
}

fn ip<DB: Dialect>(r: &SqlRow<DB>, col: &str) -> Result<Option<IpAddr>, StoreError> {
    r.opt_parsed(col, |t| t.parse().ok())
}

pub(crate) fn session<DB: Dialect>(r: &SqlRow<DB>) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: SessionId::from_uuid(r.id("id")?),
        digest: r.digest("token_hash")?,
        contact_id: ContactId::from_uuid(r.id("contact_id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        active_client: ClientId::from_uuid(r.id("active_client")?),
        permissions: permissions(r, "permissions")?,
        created_at: r.ts("created_at")?,
        renewed_at: r.ts("renewed_at")?,
        idle_expires_at: r.ts("idle_expires_at")?,
        absolute_expires_at: r.ts("absolute_expires_at")?,
        preview_by: staff(r, "preview_by")?,
    })
}

/// A session with where its login came from (the session columns plus `s.ip` and
/// `s.user_agent`).
pub(crate) fn session_summary<DB: Dialect>(r: &SqlRow<DB>) -> Result<SessionSummary, StoreError> {
    Ok(SessionSummary {
        session: session(r)?,
        ip: ip(r, "ip")?,
        user_agent: r.opt_text("user_agent")?,
    })
}

fn chain_hash<DB: Dialect>(r: &SqlRow<DB>, col: &str) -> Result<ChainHash, StoreError> {
    let bytes = r.opt_bytes(col)?.unwrap_or_default();
    <[u8; 32]>::try_from(bytes.as_slice())
        .map(ChainHash::from_bytes)
        .map_err(|_| StoreError::Corrupt(format!("column {col}: not a 32-byte hash")))
}

/// A firm's chain head as stored (`seq` 0 means no entry yet).
pub(crate) fn audit_head<DB: Dialect>(r: &SqlRow<DB>) -> Result<Option<ChainHead>, StoreError> {
    let seq = r.int("seq")?;
    if seq == 0 {
        return Ok(None);
    }
    Ok(Some(ChainHead {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("column seq: negative".into()))?,
        hash: chain_hash(r, "hash")?,
    }))
}

pub(crate) fn audit_event<DB: Dialect>(r: &SqlRow<DB>) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        seq: u64::try_from(r.int("seq")?)
            .map_err(|_| StoreError::Corrupt("column seq: negative".into()))?,
        entry: AuditDraft {
            firm_id: FirmId::from_uuid(r.id("firm_id")?),
            at: r.ts("at")?,
            actor: r.parsed("actor", Actor::from_stored)?,
            action: r.parsed("action", AuditAction::from_name)?,
            contact_id: r.opt_id("contact_id")?.map(ContactId::from_uuid),
            client_id: r.opt_id("client_id")?.map(ClientId::from_uuid),
            task_id: r.opt_id("task_id")?.map(TaskId::from_uuid),
            // Stored as sanitised on the way in; rebuilt as is, so the hash still holds.
            request: RequestInfo {
                ip: ip(r, "ip")?,
                user_agent: r.opt_text("user_agent")?,
            },
            outcome: r.parsed("outcome", AuditOutcome::from_name)?,
            detail: r.text("detail")?,
        },
        prev_hash: chain_hash(r, "prev_hash")?,
        hash: chain_hash(r, "hash")?,
    })
}

pub(crate) fn phase<DB: Dialect>(r: &SqlRow<DB>) -> Result<Phase, StoreError> {
    Ok(Phase {
        id: PhaseId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        name: r.text("name")?,
        position: r.int("position")?,
        created_at: r.ts("created_at")?,
    })
}

/// A checked item: its task, its index and who checked it.
pub(crate) fn item_check<DB: Dialect>(
    r: &SqlRow<DB>,
) -> Result<(TaskId, usize, ItemCheck), StoreError> {
    let item = usize::try_from(r.int("item")?)
        .map_err(|_| StoreError::Corrupt("column item: negative".into()))?;
    Ok((
        TaskId::from_uuid(r.id("task_id")?),
        item,
        ItemCheck {
            by: r.parsed("checked_by", Actor::from_stored)?,
            at: r.ts("checked_at")?,
        },
    ))
}

fn unwritable(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("not writable as JSON: {e}"))
}

/// A submission's JSON, for the `submission` column.
pub(crate) fn submission_json(submission: &Submission) -> Result<String, StoreError> {
    serde_json::to_string(submission).map_err(unwritable)
}

/// The task's definition: `NULL` for a standard task, else the JSON of a definition of
/// the type the `evidence` column names.
fn evidence<DB: Dialect>(r: &SqlRow<DB>) -> Result<Evidence, StoreError> {
    let kind = r.parsed("evidence", EvidenceKind::from_name)?;
    let evidence = match r.opt_str("definition")? {
        None => Evidence::Standard,
        Some(text) => stored_definition(kind, text)
            .map_err(|e| StoreError::Corrupt(format!("column definition: {e}")))?,
    };
    if evidence.kind() != kind {
        return Err(StoreError::Corrupt(
            "column definition: not of the task's type".into(),
        ));
    }
    Ok(evidence)
}

/// A definition of type `kind` from its stored JSON.
///
/// An internally tagged enum finds its tag by first buffering the whole value, which
/// costs more than the parse itself. The JSON this crate writes leads with the tag
/// (`{"type":"form",...`), and the `evidence` column already names the type: the rest
/// of the object is parsed straight into the type's own struct. Any other layout (a
/// row written by hand, a later order of keys) takes the tagged path.
fn stored_definition(kind: EvidenceKind, text: &str) -> Result<Evidence, serde_json::Error> {
    let fields = text
        .strip_prefix("{\"type\":\"")
        .and_then(|t| t.strip_prefix(kind.as_str()))
        .and_then(|t| t.strip_prefix("\","));
    if let Some(fields) = fields {
        let object = format!("{{{fields}");
        let direct = match kind {
            EvidenceKind::Question => Some(serde_json::from_str(&object).map(Evidence::Question)),
            EvidenceKind::Form => Some(serde_json::from_str(&object).map(Evidence::Form)),
            EvidenceKind::Checklist => Some(serde_json::from_str(&object).map(Evidence::Checklist)),
            EvidenceKind::Approval => Some(serde_json::from_str(&object).map(Evidence::Approval)),
            EvidenceKind::Meeting => Some(serde_json::from_str(&object).map(Evidence::Meeting)),
            EvidenceKind::Training => Some(serde_json::from_str(&object).map(Evidence::Training)),
            _ => None,
        };
        if let Some(direct) = direct {
            return direct;
        }
    }
    serde_json::from_str(text)
}

/// The definition's JSON for the `definition` column: none for a standard task.
pub(crate) fn definition(evidence: &Evidence) -> Result<Option<String>, StoreError> {
    match evidence {
        Evidence::Standard => Ok(None),
        other => serde_json::to_string(other).map(Some).map_err(unwritable),
    }
}

/// A task from its row and the checks of its items: `checks` sorted by task, other
/// tasks' left out.
pub(crate) fn task<DB: Dialect>(
    r: &SqlRow<DB>,
    checks: &[(TaskId, usize, ItemCheck)],
) -> Result<Task, StoreError> {
    let id = TaskId::from_uuid(r.id("id")?);
    let completion = match r.opt_ts("completed_at")? {
        Some(at) => Some(Completion {
            by: r.parsed("completed_by", Actor::from_stored)?,
            at,
            note: r.opt_text("completion_note")?,
            ip: ip(r, "completed_ip")?,
        }),
        None => None,
    };
    let evidence = evidence(r)?;
    let mut checklist = empty_checklist(&evidence);
    let first = checks.partition_point(|(task, ..)| *task < id);
    for (_, item, check) in checks[first..].iter().take_while(|(task, ..)| *task == id) {
        let slot = checklist
            .get_mut(*item)
            .ok_or_else(|| StoreError::Corrupt("a checked item the checklist lacks".into()))?;
        *slot = Some(check.clone());
    }
    Ok(Task {
        id,
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        phase_id: r.opt_id("phase_id")?.map(PhaseId::from_uuid),
        title: r.text("title")?,
        description: r.text("description")?,
        due_on: r.opt_ts("due_on")?,
        assignee: r.parsed("assignee", Side::from_name)?,
        status: r.parsed("status", TaskStatus::from_name)?,
        evidence,
        position: r.int("position")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
        completion,
        submission: r
            .opt_str("submission")?
            .map(|text| {
                serde_json::from_str::<Submission>(text)
                    .map_err(|e| StoreError::Corrupt(format!("column submission: {e}")))
            })
            .transpose()?,
        checklist,
        withdrawn_at: r.opt_ts("withdrawn_at")?,
    })
}

fn staff<DB: Dialect>(r: &SqlRow<DB>, col: &str) -> Result<Option<StaffId>, StoreError> {
    r.opt_str(col)?
        .map(|staff| {
            StaffId::new(staff)
                .map_err(|_| StoreError::Corrupt(format!("column {col}: not a staff id")))
        })
        .transpose()
}

/// A blob name read back, parsed again: a row that names anything else is corrupt.
pub(crate) fn blob<DB: Dialect>(r: &SqlRow<DB>, col: &str) -> Result<Option<BlobName>, StoreError> {
    r.opt_parsed(col, |name| BlobName::from_str(name).ok())
}

pub(crate) fn upload<DB: Dialect>(r: &SqlRow<DB>) -> Result<Upload, StoreError> {
    // A review is its decision with the columns that come with it.
    let review = match r.opt_parsed("decision", Decision::from_name)? {
        Some(decision) => Some(Review {
            decision,
            notes: r.opt_text("review_notes")?,
            by: staff(r, "reviewed_by")?
                .ok_or_else(|| StoreError::Corrupt("column reviewed_by: unexpected NULL".into()))?,
            at: r.ts("reviewed_at")?,
        }),
        None => None,
    };
    Ok(Upload {
        id: UploadId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        task_id: TaskId::from_uuid(r.id("task_id")?),
        by: ContactId::from_uuid(r.id("contact_id")?),
        at: r.ts("created_at")?,
        review,
        withdrawn_at: r.opt_ts("withdrawn_at")?,
    })
}

pub(crate) fn stored_file<DB: Dialect>(r: &SqlRow<DB>) -> Result<StoredFile, StoreError> {
    let size = u64::try_from(r.int("size")?)
        .map_err(|_| StoreError::Corrupt("column size: negative".into()))?;
    let sha256 = r.opt_bytes("sha256")?.unwrap_or_default();
    Ok(StoredFile {
        id: FileId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        task_id: r.opt_id("task_id")?.map(TaskId::from_uuid),
        upload_id: r.opt_id("upload_id")?.map(UploadId::from_uuid),
        purpose: r.parsed("purpose", FilePurpose::from_name)?,
        // Normalising is idempotent: a name written by Portal reads back unchanged, and
        // one written by hand is made safe to show.
        name: r.parsed("name", |n| Some(DisplayName::from_client(n)))?,
        file_type: r.parsed("content_type", FileType::from_content_type)?,
        size,
        sha256: <[u8; 32]>::try_from(sha256.as_slice())
            .map_err(|_| StoreError::Corrupt("column sha256: not a 32-byte hash".into()))?,
        blob: blob(r, "blob")?,
        added_by: r.parsed("added_by", Actor::from_stored)?,
        added_at: r.ts("added_at")?,
        removed_at: r.opt_ts("removed_at")?,
        expires_at: r.opt_ts("expires_at")?,
        staff_downloaded_at: r.opt_ts("staff_downloaded_at")?,
    })
}

/// A credential's sealed fields as JSON, for the `fields` column: names, and values as
/// nonce and ciphertext in base64 (`null` once purged).
pub(crate) fn credential_fields_json(fields: &[SealedField]) -> Result<String, StoreError> {
    serde_json::to_string(fields).map_err(unwritable)
}

/// A credential's sealed fields from their stored JSON. The error gives where the text
/// stops parsing, never the text: it holds ciphertexts.
fn credential_fields(text: &str) -> Result<Vec<SealedField>, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "column fields: not sealed fields ({:?} at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

pub(crate) fn credential<DB: Dialect>(r: &SqlRow<DB>) -> Result<Credential, StoreError> {
    let fields = match r.opt_str("fields")? {
        Some(text) => credential_fields(text)?,
        None => return Err(StoreError::Corrupt("column fields: unexpected NULL".into())),
    };
    Ok(Credential {
        task_id: TaskId::from_uuid(r.id("task_id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        key_id: r.parsed("key_id", |k| KeyId::new(k).ok())?,
        fields,
        version: r.count("version")?,
        submitted_by: ContactId::from_uuid(r.id("submitted_by")?),
        submitted_at: r.ts("submitted_at")?,
        revealed_at: r.opt_ts("revealed_at")?,
        purged_at: r.opt_ts("purged_at")?,
    })
}

pub(crate) fn comment<DB: Dialect>(r: &SqlRow<DB>) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: CommentId::from_uuid(r.id("id")?),
        task_id: TaskId::from_uuid(r.id("task_id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        author: r.parsed("author", Actor::from_stored)?,
        body: r.text("body")?,
        at: r.ts("at")?,
    })
}

pub(crate) fn question<DB: Dialect>(r: &SqlRow<DB>) -> Result<Question, StoreError> {
    Ok(Question {
        id: QuestionId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        client_id: ClientId::from_uuid(r.id("client_id")?),
        contact_id: ContactId::from_uuid(r.id("contact_id")?),
        task_id: r.opt_id("task_id")?.map(TaskId::from_uuid),
        body: r.text("body")?,
        at: r.ts("at")?,
    })
}

/// A message as queued, from the columns of `outbox_message_columns!`.
pub(crate) fn queued_message<DB: Dialect>(r: &SqlRow<DB>) -> Result<QueuedMessage, StoreError> {
    Ok(QueuedMessage {
        id: MessageId::from_uuid(r.id("id")?),
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        contact_id: r.opt_id("contact_id")?.map(ContactId::from_uuid),
        kind: r.parsed("kind", MessageKind::from_name)?,
        recipient: r.text("recipient")?,
        payload: r
            .opt_bytes("payload")?
            .ok_or_else(|| StoreError::Corrupt("column payload: unexpected NULL".into()))?,
        key: r.opt_parsed("key_id", |k| KeyId::new(k).ok())?,
        queued_at: r.ts("queued_at")?,
        due_at: r.ts("due_at")?,
        attempts: r.count("attempts")?,
    })
}

/// A message's state, from its column `state`.
pub(crate) fn message_state<DB: Dialect>(r: &SqlRow<DB>) -> Result<MessageState, StoreError> {
    r.parsed("state", MessageState::from_name)
}

/// An attempt, from the columns `at`, `outcome` and `reply`.
pub(crate) fn delivery_attempt<DB: Dialect>(r: &SqlRow<DB>) -> Result<DeliveryAttempt, StoreError> {
    Ok(DeliveryAttempt {
        at: r.ts("at")?,
        outcome: r.parsed("outcome", AttemptOutcome::from_name)?,
        reply: r.text("reply")?,
    })
}

/// A task's notices, from the columns `notice_columns!` names.
pub(crate) fn task_notices<DB: Dialect>(r: &SqlRow<DB>) -> Result<TaskNotices, StoreError> {
    Ok(TaskNotices {
        task_id: TaskId::from_uuid(r.id("task_id")?),
        announced_at: r.ts("announced_at")?,
        reminders_sent: r.count("reminders_sent")?,
        next_reminder_at: r.opt_ts("next_reminder_at")?,
    })
}

/// A contact with its grant's `permissions` and its `reminders_paused_until`.
pub(crate) fn recipient<DB: Dialect>(r: &SqlRow<DB>) -> Result<Recipient, StoreError> {
    Ok(Recipient {
        contact: contact(r)?,
        permissions: permissions(r, "permissions")?,
        reminders_paused_until: r.opt_ts("reminders_paused_until")?,
    })
}

pub(crate) fn staff_recipient<DB: Dialect>(r: &SqlRow<DB>) -> Result<StaffRecipient, StoreError> {
    Ok(StaffRecipient {
        email: r.parsed("email", email)?,
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        last_digest_at: r.opt_ts("last_digest_at")?,
        mode: r.parsed("mode", StaffNotifyMode::from_name)?,
        staff_id: r.parsed("staff_id", |s| StaffId::new(s).ok())?,
    })
}

/// A sequence number of a firm's audit log as stored (`BIGINT`): the ones past
/// `i64::MAX` cannot be, as the audit log's own cannot.
pub(crate) fn stored_seq(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt("sequence number out of range".into()))
}

fn seq<DB: Dialect>(r: &SqlRow<DB>, col: &str) -> Result<u64, StoreError> {
    u64::try_from(r.int(col)?)
        .map_err(|_| StoreError::Corrupt(format!("column {col}: negative sequence number")))
}

/// A cursor's cancelled sequence numbers as stored: decimal, comma-separated, in the
/// cursor's order ("12,15"; "" for none).
pub(crate) fn cancelled_text(cancelled: &[u64]) -> String {
    cancelled
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The cancelled sequence numbers from their stored text, strictly: only the text
/// [`cancelled_text`] writes is read (no sign, space, leading zero or empty item).
fn cancelled(text: &str) -> Option<Vec<u64>> {
    let list = if text.is_empty() {
        Vec::new()
    } else {
        text.split(',')
            .map(|n| n.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()?
    };
    (cancelled_text(&list) == text).then_some(list)
}

/// A firm's activity cursor, from the columns `firm_id`, `last_seq` and `cancelled`.
pub(crate) fn staff_cursor<DB: Dialect>(
    r: &SqlRow<DB>,
) -> Result<(FirmId, StaffCursor), StoreError> {
    Ok((
        FirmId::from_uuid(r.id("firm_id")?),
        StaffCursor {
            last_seq: seq(r, "last_seq")?,
            cancelled: r.parsed("cancelled", cancelled)?,
        },
    ))
}

pub(crate) fn digest_item<DB: Dialect>(r: &SqlRow<DB>) -> Result<DigestItem, StoreError> {
    Ok(DigestItem {
        firm_id: FirmId::from_uuid(r.id("firm_id")?),
        staff_id: r.parsed("staff_id", |s| StaffId::new(s).ok())?,
        seq: seq(r, "seq")?,
        at: r.ts("at")?,
        line: r.text("line")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_the_same_whether_its_tag_leads_or_not() {
        let definitions = [
            r#"{"type":"checklist","items":["Bank statements","Payroll"]}"#,
            r#"{"type":"approval","text":"Accounts for 2025","link":null}"#,
            r#"{"type":"question","question":"What was this?","transaction":null}"#,
        ];
        for text in definitions {
            let tagged: Evidence = serde_json::from_str(text).unwrap();
            let kind = tagged.kind();
            assert_eq!(stored_definition(kind, text).unwrap(), tagged, "{text}");
            // The same object with its tag last, as a hand-written row may hold it.
            let (tag, fields) = text[1..].split_once(',').unwrap();
            let reordered = format!("{{{}{tag}}}", fields.replacen('}', ",", 1));
            assert_eq!(
                stored_definition(kind, &reordered).unwrap(),
                tagged,
                "{reordered}"
            );
            assert_eq!(definition(&tagged).unwrap().as_deref(), Some(text));
        }
    }

    #[test]
    fn cancelled_sequence_numbers_read_back_only_as_written() {
        for list in [vec![], vec![12], vec![12, 15, 3]] {
            assert_eq!(cancelled(&cancelled_text(&list)), Some(list));
        }
        for bad in [
            ",",
            "1,",
            ",1",
            "1,,2",
            " 1",
            "+1",
            "01",
            "1;2",
            "x",
            "-1",
            "18446744073709551616",
        ] {
            assert_eq!(cancelled(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_definition_of_another_type_than_its_column_names_is_not_taken_for_it() {
        let text = r#"{"type":"checklist","items":["a"]}"#;
        let read = stored_definition(EvidenceKind::Approval, text).unwrap();
        assert_eq!(read.kind(), EvidenceKind::Checklist);
        assert!(stored_definition(EvidenceKind::Form, r#"{"type":"form","fields":7}"#).is_err());
    }
}
