//! The columns each kind of row is read with, in one place for the statements that
//! select them (`engine`, `dialect`) and the functions that read them (`rows`).

/// Columns of `portal_firms` that [`firm`](crate::rows::firm) reads.
macro_rules! firm_columns {
    () => {
        "id, name, public_url, display_name, logo_url, \
     accent_colour, welcome_message, mail_from, created_at, firm_key"
    };
}
pub(crate) use firm_columns;

/// Columns of `portal_contacts` that [`contact`](crate::rows::contact) reads.
macro_rules! contact_columns {
    () => {
        "id, firm_id, email, first_name, phone, status, \
     created_at, invited_at, joined_at, last_seen_at"
    };
}
pub(crate) use contact_columns;

/// Columns of `portal_audit_events` that [`audit_event`](crate::rows::audit_event) reads.
macro_rules! audit_columns {
    () => {
        "seq, firm_id, at, actor, action, contact_id, client_id, task_id, ip, \
     user_agent, outcome, detail, prev_hash, hash"
    };
}
pub(crate) use audit_columns;

/// Columns of a session row (as `s`) that [`session`](crate::rows::session) reads.
macro_rules! session_columns {
    () => {
        "s.token_hash, s.id, s.contact_id, s.firm_id, \
     s.active_client, s.permissions, s.created_at, s.renewed_at, s.idle_expires_at, \
     s.absolute_expires_at, s.preview_by"
    };
}
pub(crate) use session_columns;

macro_rules! task_columns {
    () => {
        "id, firm_id, client_id, phase_id, title, description, due_on, assignee, status, \
         evidence, definition, position, created_at, updated_at, completed_by, completed_at, \
         completion_note, completed_ip, submission, withdrawn_at"
    };
}
pub(crate) use task_columns;

/// Columns of `portal_phases` that [`phase`](crate::rows::phase) reads.
macro_rules! phase_columns {
    () => {
        "id, firm_id, client_id, name, position, created_at"
    };
}
pub(crate) use phase_columns;

/// Columns of `portal_checklist_items` that [`item_check`](crate::rows::item_check) reads.
macro_rules! item_columns {
    () => {
        "task_id, item, checked_by, checked_at"
    };
}
pub(crate) use item_columns;

/// Columns of `portal_uploads` that [`upload`](crate::rows::upload) reads.
macro_rules! upload_columns {
    () => {
        "id, firm_id, client_id, task_id, contact_id, created_at, decision, review_notes, \
         reviewed_by, reviewed_at, withdrawn_at"
    };
}
pub(crate) use upload_columns;

/// Columns of `portal_files` that [`stored_file`](crate::rows::stored_file) reads.
macro_rules! file_columns {
    () => {
        "id, firm_id, client_id, task_id, upload_id, purpose, name, content_type, size, \
         sha256, blob, added_by, added_at, removed_at, expires_at, staff_downloaded_at"
    };
}
pub(crate) use file_columns;

/// Columns of `portal_credentials` that [`credential`](crate::rows::credential) reads;
/// `credential_columns!("c.")` names them on the table's alias `c`, for a join.
#[rustfmt::skip]
macro_rules! credential_columns {
    () => {
        crate::columns::credential_columns!("")
    };
    ($p:literal) => {
        concat!(
            $p, "task_id, ", $p, "firm_id, ", $p, "client_id, ", $p, "key_id, ",
            $p, "fields, ", $p, "version, ", $p, "submitted_by, ", $p, "submitted_at, ",
            $p, "revealed_at, ", $p, "purged_at"
        )
    };
}
pub(crate) use credential_columns;

/// Columns of `portal_comments` that [`comment`](crate::rows::comment) reads.
macro_rules! comment_columns {
    () => {
        "id, task_id, firm_id, client_id, author, body, at"
    };
}
pub(crate) use comment_columns;

/// Columns of `portal_questions` that [`question`](crate::rows::question) reads.
macro_rules! question_columns {
    () => {
        "id, firm_id, client_id, contact_id, task_id, body, at"
    };
}
pub(crate) use question_columns;

/// Columns of `portal_outbox_messages` that [`queued_message`](crate::rows::queued_message)
/// reads, in the order they are inserted.
macro_rules! outbox_message_columns {
    () => {
        "id, firm_id, contact_id, kind, recipient, payload, key_id, queued_at, due_at, attempts"
    };
}
pub(crate) use outbox_message_columns;

/// Columns of `portal_task_notices` that [`task_notices`](crate::rows::task_notices)
/// reads, on the table's alias `n` (they are read beside a task's).
macro_rules! notice_columns {
    () => {
        "n.task_id, n.announced_at, n.reminders_sent, n.next_reminder_at"
    };
}
pub(crate) use notice_columns;

/// Columns of `portal_staff_recipients` that
/// [`staff_recipient`](crate::rows::staff_recipient) reads.
macro_rules! staff_recipient_columns {
    () => {
        "firm_id, staff_id, email, mode, last_digest_at"
    };
}
pub(crate) use staff_recipient_columns;

/// Columns of `portal_digest_items` that [`digest_item`](crate::rows::digest_item) reads,
/// in the order they are inserted.
macro_rules! digest_item_columns {
    () => {
        "firm_id, staff_id, seq, at, line"
    };
}
pub(crate) use digest_item_columns;
