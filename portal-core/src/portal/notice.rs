//! Announcements of new tasks and reminders of open ones (the rules are in
//! [`crate::notice`]): found in the store, written to the outbox in the same step as
//! the record that they went out, so that no instance sends them twice.

use crate::audit::AuditAction;
use crate::clock::Timestamp;
use crate::id::{ClientId, ContactId, FirmId, TaskId};
use crate::notice::{Recipient, TaskNotices, announcement_due, next_reminder};
use crate::notify::{EmailTemplate, MessageKind};
use crate::outbox::QueuedMessage;
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::task::Task;
use std::collections::BTreeMap;

/// Tasks looked at per kind and call.
const BATCH: u32 = 500;

/// What one [`Portal::send_notices`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoticeReport {
    /// Tasks announced.
    pub announced: u64,
    /// Tasks reminded of.
    pub reminded: u64,
    /// Emails to staff queued (of `emails`): activity, and daily digests.
    pub staff_emails: u64,
    /// Emails queued.
    pub emails: u64,
}

impl Portal {
    /// Announces the tasks whose grace period is over, sends the reminders that are
    /// due (each client's tasks in one email per contact), and tells staff of client
    /// activity (at once, or in the daily digest), queued in the outbox in the
    /// same step as the record that they went out. Bounded per call; safe from any
    /// number of instances at once (a task is announced, and each reminder sent, once).
    /// The portal runs it at every round of its outbox worker
    /// ([`PortalBuilder::outbox_every`](crate::PortalBuilder::outbox_every)); a host may
    /// call it too.
    pub async fn send_notices(&self) -> Result<NoticeReport, InternalError> {
        let mut report = NoticeReport::default();
        self.announce_due(&mut report).await?;
        self.remind_due(&mut report).await?;
        self.notify_staff(&mut report).await?;
        if report.emails > 0 {
            self.deliver_soon();
        }
        Ok(report)
    }

    async fn announce_due(&self, report: &mut NoticeReport) -> Result<(), InternalError> {
        let now = self.now();
        let shortest = std::iter::once(&self.inner.default_policy)
            .chain(self.inner.firm_policies.values())
            .map(|p| p.notifications.announce_after)
            .min()
            .unwrap_or_default();
        let found = self
            .inner
            .store
            .tasks_to_announce(now - shortest, BATCH)
            .await?;
        let due = found
            .into_iter()
            .filter(|t| announcement_due(t, now, &self.policy(t.firm_id).notifications));
        for ((firm, client), tasks) in by_client(due) {
            let policy = &self.policy(firm).notifications;
            let messages = self
                .task_emails(firm, client, &tasks, MessageKind::Announcement, |r| {
                    r.sees_tasks()
                })
                .await?;
            let marks: Vec<(TaskId, Option<Timestamp>)> = tasks
                .iter()
                .map(|t| (t.id, next_reminder(now, 0, policy)))
                .collect();
            if self
                .inner
                .store
                .announce_tasks(&marks, now, &messages)
                .await?
            {
                report.announced += marks.len() as u64;
                report.emails += messages.len() as u64;
            }
        }
        Ok(())
    }

    async fn remind_due(&self, report: &mut NoticeReport) -> Result<(), InternalError> {
        let now = self.now();
        let found = self.inner.store.tasks_to_remind(now, BATCH).await?;
        let mut notices: BTreeMap<TaskId, TaskNotices> = BTreeMap::new();
        let due = found.into_iter().filter_map(|(task, n)| {
            let policy = &self.policy(task.firm_id).notifications;
            // Due times are placed in sending hours; one that is not (the process was
            // down, the policy changed) waits for the next one.
            let sendable = policy
                .time_zone
                .within(now, &policy.sending_hours, policy.weekends);
            sendable.then(|| {
                notices.insert(task.id, n);
                task
            })
        });
        for ((firm, client), tasks) in by_client(due.collect::<Vec<_>>()) {
            let policy = &self.policy(firm).notifications;
            let messages = self
                .task_emails(firm, client, &tasks, MessageKind::Reminder, |r| {
                    r.takes_reminders(now)
                })
                .await?;
            let reminded: Vec<_> = tasks
                .iter()
                .filter_map(|t| {
                    let n = notices.get(&t.id)?;
                    Some((
                        t.id,
                        n.next_reminder_at?,
                        next_reminder(now, n.reminders_sent + 1, policy),
                    ))
                })
                .collect();
            if self
                .inner
                .store
                .record_reminders(&reminded, &messages)
                .await?
            {
                report.reminded += reminded.len() as u64;
                report.emails += messages.len() as u64;
            }
        }
        Ok(())
    }

    /// One email of `kind` per recipient of `client` that `hears` lets through,
    /// listing `tasks`.
    async fn task_emails(
        &self,
        firm: FirmId,
        client: ClientId,
        tasks: &[Task],
        kind: MessageKind,
        hears: impl Fn(&Recipient) -> bool,
    ) -> Result<Vec<QueuedMessage>, InternalError> {
        let firm = self.firm(firm).await?;
        let Some(client) = self.inner.store.client(client).await? else {
            return Ok(Vec::new());
        };
        let list = tasks
            .iter()
            .map(|t| match t.due_on {
                Some(due) => format!("- {} (due {})", t.title, due.date_string()),
                None => format!("- {}", t.title),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let link = self.url(&firm, "/");
        let templates = self.templates(firm.id);
        let template: &EmailTemplate = match kind {
            MessageKind::Reminder => &templates.reminder,
            _ => &templates.announcement,
        };
        let texts = self.policy(firm.id).notifications.texts;
        let mut messages = Vec::new();
        for recipient in self.inner.store.client_recipients(client.id).await? {
            if !hears(&recipient) {
                continue;
            }
            if let Some(phone) = recipient.contact.phone.as_ref().filter(|_| texts) {
                let body = match kind {
                    MessageKind::Reminder => format!(
                        "{}: {} task(s) for {} are waiting for you: {link}",
                        firm.name,
                        tasks.len(),
                        client.name
                    ),
                    _ => format!(
                        "{}: {} new task(s) for {}: {link}",
                        firm.name,
                        tasks.len(),
                        client.name
                    ),
                };
                messages.push(self.queued_text(&firm, &recipient.contact, phone, kind, body)?);
            }
            let values = self
                .merge_values(&firm, &recipient.contact)
                .with("client.name", client.name.clone())
                .with("tasks", list.clone())
                .with("link", link.clone());
            messages.push(self.queued_email(
                &firm,
                &recipient.contact,
                kind,
                template,
                &values,
                vec![link.clone()],
            )?);
        }
        Ok(messages)
    }

    /// Pauses the contact's reminders until the start of `until` (a date, in the
    /// firm's time zone), or lifts the pause (`None`). Announcements of new tasks still
    /// reach it: a pause is for reminders only.
    pub async fn pause_reminders(
        &self,
        ctx: &StaffContext,
        contact: ContactId,
        until: Option<(i16, i8, i8)>,
    ) -> Result<Option<Timestamp>, StaffError> {
        self.staff_contact(ctx, contact).await?;
        let zone = &self.policy(ctx.firm).notifications.time_zone;
        let until = match until {
            Some(date) => Some(
                zone.start_of_day(date)
                    .ok_or(StaffError::Invalid("no such date"))?,
            ),
            None => None,
        };
        let detail = match until {
            Some(at) => format!("until={}", at.date_string()),
            None => "lifted".to_owned(),
        };
        let audit = self.staff_audit(ctx, AuditAction::RemindersPaused, contact, detail);
        self.inner
            .store
            .pause_reminders(contact, until, audit)
            .await
            .map_err(InternalError::from)?;
        Ok(until)
    }
}

/// Tasks grouped by firm and client, each group in the order given.
fn by_client(tasks: impl IntoIterator<Item = Task>) -> BTreeMap<(FirmId, ClientId), Vec<Task>> {
    let mut groups: BTreeMap<(FirmId, ClientId), Vec<Task>> = BTreeMap::new();
    for task in tasks {
        groups
            .entry((task.firm_id, task.client_id))
            .or_default()
            .push(task);
    }
    groups
}
