use async_trait::async_trait;

use super::MemoryStore;
use crate::audit::AuditDraft;
use crate::clock::Timestamp;
use crate::id::{ClientId, ContactId, TaskId};
use crate::notice::{Recipient, TaskNotices, is_open_for_client};
use crate::outbox::QueuedMessage;
use crate::store::{NoticeStore, StoreError};
use crate::task::Task;

#[async_trait]
impl NoticeStore for MemoryStore {
    async fn tasks_to_announce(
        &self,
        created_before: Timestamp,
        batch: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let state = self.read()?;
        let mut due: Vec<Task> = state
            .tasks
            .values()
            .filter(|t| {
                is_open_for_client(t)
                    && t.created_at <= created_before
                    && !state.notices.contains_key(&t.id)
            })
            .cloned()
            .collect();
        due.sort_by_key(|t| (t.created_at, t.id));
        due.truncate(batch as usize);
        Ok(due)
    }

    async fn announce_tasks(
        &self,
        tasks: &[(TaskId, Option<Timestamp>)],
        at: Timestamp,
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        let announceable = tasks.iter().all(|(id, _)| {
            state.tasks.get(id).is_some_and(is_open_for_client) && !state.notices.contains_key(id)
        });
        if !announceable {
            return Ok(false);
        }
        for (id, first_reminder) in tasks {
            state.notices.insert(
                *id,
                TaskNotices {
                    task_id: *id,
                    announced_at: at,
                    reminders_sent: 0,
                    next_reminder_at: *first_reminder,
                },
            );
        }
        state.queue(messages);
        Ok(true)
    }

    async fn tasks_to_remind(
        &self,
        now: Timestamp,
        batch: u32,
    ) -> Result<Vec<(Task, TaskNotices)>, StoreError> {
        let state = self.read()?;
        let mut due: Vec<(Task, TaskNotices)> = state
            .notices
            .values()
            .filter(|n| n.next_reminder_at.is_some_and(|at| at <= now))
            .filter_map(|n| {
                let task = state.tasks.get(&n.task_id)?;
                is_open_for_client(task).then(|| (task.clone(), *n))
            })
            .collect();
        due.sort_by_key(|(t, n)| (n.next_reminder_at, t.id));
        due.truncate(batch as usize);
        Ok(due)
    }

    async fn record_reminders(
        &self,
        reminded: &[(TaskId, Timestamp, Option<Timestamp>)],
        messages: &[QueuedMessage],
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        state.check_queue(messages)?;
        let still_due = reminded.iter().all(|(id, due, _)| {
            state.tasks.get(id).is_some_and(is_open_for_client)
                && state
                    .notices
                    .get(id)
                    .is_some_and(|n| n.next_reminder_at == Some(*due))
        });
        if !still_due {
            return Ok(false);
        }
        for (id, _, next) in reminded {
            if let Some(n) = state.notices.get_mut(id) {
                n.reminders_sent += 1;
                n.next_reminder_at = *next;
            }
        }
        state.queue(messages);
        Ok(true)
    }

    async fn client_recipients(&self, client: ClientId) -> Result<Vec<Recipient>, StoreError> {
        let state = self.read()?;
        let mut found: Vec<(Timestamp, Recipient)> = state
            .grants
            .values()
            .flatten()
            .filter(|g| g.client_id == client)
            .filter_map(|g| {
                let row = state.contacts.get(&g.contact_id)?;
                Some((
                    g.granted_at,
                    Recipient {
                        contact: row.contact.clone(),
                        permissions: g.permissions,
                        reminders_paused_until: state.reminder_pauses.get(&g.contact_id).copied(),
                    },
                ))
            })
            .collect();
        found.sort_by_key(|(at, r)| (*at, r.contact.id));
        Ok(found.into_iter().map(|(_, r)| r).collect())
    }

    async fn pause_reminders(
        &self,
        contact: ContactId,
        until: Option<Timestamp>,
        audit: AuditDraft,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        if !state.contacts.contains_key(&contact) {
            return Ok(false);
        }
        match until {
            Some(until) => state.reminder_pauses.insert(contact, until),
            None => state.reminder_pauses.remove(&contact),
        };
        state.append(audit);
        Ok(true)
    }
}
