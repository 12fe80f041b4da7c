//! The conversation: comments on tasks, questions to the firm, and each client's
//! activity, which is a view of the audit log (the entries whose `client_id` is the
//! client's) rather than a table of its own.
//!
//! A comment is stored only on a task that exists and is not withdrawn, decided on the
//! task's row as it is under its lock ([`Dialect::LOCK_TASK`], the lock every write that
//! decides on a task takes, a withdrawal included): a comment racing a withdrawal is
//! either committed before it or finds the task withdrawn and writes nothing. The lock
//! order is the tasks': the task, then the audit head.
//!
//! The lists are pages read newest first along an index (`portal_questions_by_firm`,
//! `portal_questions_by_client`, `portal_audit_events_by_client`), so that a page costs
//! its own size however long the history is.

use portal_core::StoreError;
use portal_core::audit::{AuditDraft, AuditEvent};
use portal_core::clock::Timestamp;
use portal_core::conversation::{Comment, Question};
use portal_core::id::{ClientId, FirmId, QuestionId, TaskId};

use super::{Engine, append_audit, commit};
use crate::columns::{audit_columns, comment_columns, question_columns};
use crate::dialect::Dialect;
use crate::error::Violation;
use crate::rows;
use crate::stmt::sql;

const INSERT_COMMENT: &str = concat!(
    "INSERT INTO portal_comments (",
    comment_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
);

const COMMENTS: &str = concat!(
    "SELECT ",
    comment_columns!(),
    " FROM portal_comments WHERE task_id = $1 ORDER BY at, id"
);

const INSERT_QUESTION: &str = concat!(
    "INSERT INTO portal_questions (",
    question_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
);

/// A page of questions of firm `$1`, newest first, at most `$2`; `$client` and
/// `$before` add the conditions on the client and on the `(at, id)` of the last
/// question of the previous page, numbered from `$3` in that order. Four statements rather than
/// `($3 IS NULL OR ...)`, so that a cached generic plan still walks the index each one
/// is written for. Both dialects compare row values in order and ids as bytes (the
/// order of [`QuestionId`]).
macro_rules! questions_sql {
    ($client:literal, $before:literal) => {
        concat!(
            "SELECT ",
            question_columns!(),
            " FROM portal_questions WHERE firm_id = $1",
            $client,
            $before,
            " ORDER BY at DESC, id DESC LIMIT $2"
        )
    };
}

const QUESTIONS: &str = questions_sql!("", "");
const QUESTIONS_BEFORE: &str = questions_sql!("", " AND (at, id) < ($3, $4)");
const CLIENT_QUESTIONS: &str = questions_sql!(" AND client_id = $3", "");
const CLIENT_QUESTIONS_BEFORE: &str =
    questions_sql!(" AND client_id = $3", " AND (at, id) < ($4, $5)");

// `seq < $3` always: without `before` it is bound to the largest sequence number, which
// keeps one statement whose plan is the same range walk down the index.
const CLIENT_AUDIT: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM portal_audit_events WHERE firm_id = $1 AND client_id = $2 AND seq < $3 \
     ORDER BY seq DESC LIMIT $4"
);

/// An insert's unique-key violation as the conflict it is (a reused id); a foreign key
/// cannot fail where the row it names was read in the same transaction.
fn inserted(result: Result<u64, Violation>, what: &'static str) -> Result<(), StoreError> {
    result.map(drop).map_err(|_| StoreError::Conflict(what))
}

impl<DB: Dialect> Engine<DB> {
    pub(crate) async fn add_comment(
        &self,
        comment: &Comment,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        // A refusal returns with the transaction unfinished: dropped, it rolls back,
        // having written nothing.
        let mut tx = self.write().await?;
        // The task's row under its lock, as every write deciding on a task takes it;
        // only its withdrawal matters here, so its checked items are not read.
        let open = match sql::<DB>(DB::LOCK_TASK)
            .id(comment.task_id.as_uuid())
            .optional(&mut tx)
            .await?
        {
            Some(task) => task.opt_ts("withdrawn_at")?.is_none(),
            None => false,
        };
        if !open {
            return Ok(false);
        }
        let author = comment.author.to_stored();
        let result = sql::<DB>(INSERT_COMMENT)
            .id(comment.id.as_uuid())
            .id(comment.task_id.as_uuid())
            .id(comment.firm_id.as_uuid())
            .id(comment.client_id.as_uuid())
            .text(&author)
            .text(&comment.body)
            .ts(comment.at)
            .insert(&mut tx)
            .await?;
        inserted(result, "comment id")?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await?;
        Ok(true)
    }

    pub(crate) async fn comments(&self, task: TaskId) -> Result<Vec<Comment>, StoreError> {
        let mut c = self.conn().await?;
        sql::<DB>(COMMENTS)
            .id(task.as_uuid())
            .all(&mut c)
            .await?
            .iter()
            .map(rows::comment)
            .collect()
    }

    pub(crate) async fn ask_question(
        &self,
        question: &Question,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let result = sql::<DB>(INSERT_QUESTION)
            .id(question.id.as_uuid())
            .id(question.firm_id.as_uuid())
            .id(question.client_id.as_uuid())
            .id(question.contact_id.as_uuid())
            .opt_id(question.task_id.map(|t| t.as_uuid()))
            .text(&question.body)
            .ts(question.at)
            .insert(&mut tx)
            .await?;
        inserted(result, "question id")?;
        append_audit::<DB>(&mut tx, audit).await?;
        commit::<DB>(tx).await
    }

    pub(crate) async fn questions(
        &self,
        firm: FirmId,
        client: Option<ClientId>,
        before: Option<(Timestamp, QuestionId)>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError> {
        let text = match (client, before) {
            (None, None) => QUESTIONS,
            (None, Some(_)) => QUESTIONS_BEFORE,
            (Some(_), None) => CLIENT_QUESTIONS,
            (Some(_), Some(_)) => CLIENT_QUESTIONS_BEFORE,
        };
        let mut q = sql::<DB>(text).id(firm.as_uuid()).int(i64::from(limit));
        if let Some(client) = client {
            q = q.id(client.as_uuid());
        }
        if let Some((at, id)) = before {
            q = q.ts(at).id(id.as_uuid());
        }
        let mut c = self.conn().await?;
        q.all(&mut c).await?.iter().map(rows::question).collect()
    }

    pub(crate) async fn client_audit(
        &self,
        firm: FirmId,
        client: ClientId,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        // Sequence numbers past `i64::MAX` cannot be stored: every entry is before them.
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut c = self.conn().await?;
        sql::<DB>(CLIENT_AUDIT)
            .id(firm.as_uuid())
            .id(client.as_uuid())
            .int(before)
            .int(i64::from(limit))
            .all(&mut c)
            .await?
            .iter()
            .map(rows::audit_event)
            .collect()
    }
}
