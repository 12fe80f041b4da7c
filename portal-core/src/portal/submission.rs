//! Submissions: what a contact gives for a task that asks for something (an answer, a
//! form, a decision, a video watched), checked against the task's definition before
//! the store sees it. The first submission stands and completes the task; the same
//! again answers the task as it is; another is a conflict.

use crate::audit::{AuditAction, RequestInfo};
use crate::evidence::{Answer, Evidence, Submission};
use crate::grant::Permissions;
use crate::id::TaskId;
use crate::portal::Portal;
use crate::portal::session::Authenticated;
use crate::portal::task::TaskError;
use crate::task::{Completion, Task, TaskOutcome};

/// `submission` checked against `evidence`: of its type, and within its definition
/// (a form's answers against its fields, texts against their limits).
fn checked(evidence: &Evidence, submission: Submission) -> Result<Submission, TaskError> {
    if evidence.kind() != submission.kind() {
        return Err(TaskError::wrong_type(evidence.kind(), submission.kind()));
    }
    Ok(match (evidence, submission) {
        (_, Submission::Answer { text, attachments }) => {
            Submission::answer_with(&text, attachments)?
        }
        (_, Submission::Decision { decision, comment }) => {
            Submission::decision(decision, comment.as_deref())?
        }
        (Evidence::Form(form), Submission::Form { answers }) => {
            // Checked as the name and value pairs an entry would have given.
            let pairs: Vec<(&str, String)> = answers
                .iter()
                .flat_map(|(name, a)| {
                    let values = match a {
                        Answer::Text(t) => vec![t.clone()],
                        Answer::Choices(c) => c.clone(),
                        Answer::Rating(r) => vec![r.to_string()],
                    };
                    values.into_iter().map(move |v| (name.as_str(), v))
                })
                .collect();
            Submission::Form {
                answers: form.check(pairs.iter().map(|(n, v)| (*n, v.as_str())))?,
            }
        }
        (_, other) => other,
    })
}

impl Portal {
    /// Submits what a client task asks for. A decision on an approval needs the
    /// `approvals` permission on the task's client, every other submission `tasks`. A
    /// submission of another type than the task's is [`TaskError::WrongType`], one that
    /// does not meet the definition [`TaskError::Invalid`] (naming the field). The first
    /// submission stands and completes the task; the same again returns the task as it
    /// is; a different one is [`TaskError::Conflict`].
    pub async fn submit_task(
        &self,
        auth: &Authenticated,
        id: TaskId,
        submission: Submission,
        request: &RequestInfo,
    ) -> Result<Task, TaskError> {
        let permission = match submission {
            Submission::Decision { .. } => Permissions::APPROVALS,
            _ => Permissions::TASKS,
        };
        let task = self.actionable_task(auth, id, permission).await?;
        let submission = checked(&task.evidence, submission)?;
        let detail = format!("task={id} type={}", submission.kind().as_str());
        let audit = self.task_audit(auth, &task, AuditAction::TaskSubmitted, request, detail)?;
        let completion = Completion {
            by: audit.actor.clone(),
            at: self.now(),
            note: None,
            ip: request.ip,
        };
        match self
            .store()
            .submit_task(id, &task.evidence, &submission, &completion, audit)
            .await?
        {
            Some(TaskOutcome::Conflict(_)) => Err(TaskError::Conflict),
            Some(outcome) => Ok(outcome.into_task()),
            None => Err(TaskError::NotFound),
        }
    }
}
