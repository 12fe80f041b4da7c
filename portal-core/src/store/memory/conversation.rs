use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::conversation::{Comment, Question};
use crate::id::{ClientId, FirmId, QuestionId, TaskId};
use crate::store::{ConversationStore, StoreError};

#[async_trait]
impl ConversationStore for MemoryStore {
    async fn add_comment(&self, comment: &Comment, audit: AuditDraft) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        let open = state
            .tasks
            .get(&comment.task_id)
            .is_some_and(|t| t.withdrawn_at.is_none());
        if !open {
            return Ok(false);
        }
        let comments = state.comments.entry(comment.task_id).or_default();
        comments.push(comment.clone());
        comments.sort_by_key(|c| (c.at, c.id));
        state.append(audit);
        Ok(true)
    }

    async fn comments(&self, task: TaskId) -> Result<Vec<Comment>, StoreError> {
        Ok(self
            .read()?
            .comments
            .get(&task)
            .cloned()
            .unwrap_or_default())
    }

    async fn ask_question(&self, question: &Question, audit: AuditDraft) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        state.questions.push(question.clone());
        state.append(audit);
        Ok(())
    }

    async fn questions(
        &self,
        firm: FirmId,
        client: Option<ClientId>,
        before: Option<(Timestamp, QuestionId)>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<Question> = state
            .questions
            .iter()
            .filter(|q| q.firm_id == firm && client.is_none_or(|c| q.client_id == c))
            .filter(|q| before.is_none_or(|b| (q.at, q.id) < b))
            .cloned()
            .collect();
        found.sort_by_key(|q| std::cmp::Reverse((q.at, q.id)));
        found.truncate(limit as usize);
        Ok(found)
    }
}
