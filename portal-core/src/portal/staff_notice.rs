//! Staff hearing of client activity (the rules are in [`crate::staff_notice`]): each
//! round reads every firm's new audit entries past the coalescing window, emails the
//! staff who chose to hear at once and files digest lines for those who chose a daily
//! digest, all in the step that moves the firm's cursor; once a day, from the firm's
//! digest hour on, each digest goes out as soon as it has something in it.

use std::collections::HashMap;

use crate::audit::{AuditAction, AuditEvent};
use crate::email::EmailAddress;
use crate::id::{ClientId, ContactId, FirmId, TaskId};
use crate::notify::MessageKind;
use crate::portal::notice::NoticeReport;
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};
use crate::staff::StaffContext;
use crate::staff_notice::{
    DigestItem, StaffCursor, StaffNotifyMode, StaffRecipient, read_activity,
};
use crate::store::StoreError;

/// Audit entries read per firm and round.
const ENTRIES: usize = 1000;

impl Portal {
    /// How the staff member of `ctx` hears of client activity, if it chose.
    pub async fn staff_notifications(
        &self,
        ctx: &StaffContext,
    ) -> Result<Option<StaffRecipient>, StaffError> {
        let all = self
            .inner
            .store
            .staff_recipients(ctx.firm)
            .await
            .map_err(InternalError::from)?;
        Ok(all.into_iter().find(|r| r.staff_id == ctx.staff))
    }

    /// Sets how the staff member of `ctx` hears of client activity, and at which
    /// address: at once, in a daily digest at the firm's digest hour, or not at all.
    /// Audited; activity from before the firm's first choice is not reported.
    pub async fn set_staff_notifications(
        &self,
        ctx: &StaffContext,
        email: &str,
        mode: StaffNotifyMode,
    ) -> Result<StaffRecipient, StaffError> {
        let email =
            EmailAddress::parse(email).map_err(|_| StaffError::Invalid("invalid email address"))?;
        let recipient = StaffRecipient {
            firm_id: ctx.firm,
            staff_id: ctx.staff.clone(),
            email,
            mode,
            last_digest_at: None,
        };
        let audit = self.audit(
            ctx.firm,
            crate::audit::Actor::Staff(ctx.staff.clone()),
            AuditAction::StaffNotificationsSet,
            None,
            &ctx.request,
            format!("mode={}", mode.as_str()),
        );
        self.inner
            .store
            .put_staff_recipient(&recipient, audit)
            .await
            .map_err(InternalError::from)?;
        Ok(self.staff_notifications(ctx).await?.unwrap_or(recipient))
    }

    /// Reads each firm's new activity and notifies its staff: part of
    /// [`Portal::send_notices`].
    pub(super) async fn notify_staff(
        &self,
        report: &mut NoticeReport,
    ) -> Result<(), InternalError> {
        for (firm, cursor) in self.inner.store.staff_cursors().await? {
            self.notify_firm_staff(firm, &cursor, report).await?;
            self.send_digests(firm, report).await?;
        }
        Ok(())
    }

    async fn notify_firm_staff(
        &self,
        firm: FirmId,
        cursor: &StaffCursor,
        report: &mut NoticeReport,
    ) -> Result<(), InternalError> {
        let now = self.now();
        let window = self.policy(firm).notifications.staff_window;
        let events = self
            .inner
            .store
            .audit_events(firm, None, cursor.last_seq, ENTRIES)
            .await?;
        let round = read_activity(cursor, &events, now, window);
        if round.cursor == *cursor {
            return Ok(());
        }
        let recipients = self.inner.store.staff_recipients(firm).await?;
        let mut lines = Vec::with_capacity(round.report.len());
        let mut names = Names::default();
        for event in &round.report {
            lines.push((event, self.describe(event, &mut names).await?));
        }
        let firm_record = self.firm(firm).await?;
        let mut messages = Vec::new();
        let mut digest = Vec::new();
        for r in &recipients {
            match r.mode {
                StaffNotifyMode::Instant if !lines.is_empty() => {
                    let activity: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
                    messages.push(self.staff_email(
                        &firm_record,
                        r,
                        MessageKind::StaffActivity,
                        &activity.join("\n"),
                    )?);
                }
                StaffNotifyMode::Daily => digest.extend(lines.iter().map(|(e, line)| DigestItem {
                    firm_id: firm,
                    staff_id: r.staff_id.clone(),
                    seq: e.seq,
                    at: e.entry.at,
                    line: line.clone(),
                })),
                StaffNotifyMode::Instant | StaffNotifyMode::Off => {}
            }
        }
        if self
            .inner
            .store
            .advance_staff_cursor(firm, cursor, &round.cursor, &digest, &messages)
            .await?
        {
            report.staff_emails += messages.len() as u64;
            report.emails += messages.len() as u64;
        }
        Ok(())
    }

    /// Sends the digest of each staff member of `firm` who chose one and has not had
    /// today's, from the firm's digest hour on, as soon as it has something in it.
    async fn send_digests(
        &self,
        firm: FirmId,
        report: &mut NoticeReport,
    ) -> Result<(), InternalError> {
        let now = self.now();
        let policy = &self.policy(firm).notifications;
        let due_at = policy.time_zone.at_hour_of_day(now, policy.digest_hour);
        if now < due_at {
            return Ok(());
        }
        let recipients = self.inner.store.staff_recipients(firm).await?;
        let waiting = recipients.iter().filter(|r| {
            r.mode == StaffNotifyMode::Daily && r.last_digest_at.is_none_or(|last| last < due_at)
        });
        let mut firm_record = None;
        for r in waiting {
            let items = self.inner.store.digest_items(firm, &r.staff_id).await?;
            // Nothing to report yet: today's digest waits for the first thing to say,
            // rather than being spent empty.
            let Some(up_to) = items.iter().map(|i| i.seq).max() else {
                continue;
            };
            let f = match &firm_record {
                Some(f) => f,
                None => firm_record.insert(self.firm(firm).await?),
            };
            let lines: Vec<&str> = items.iter().map(|i| i.line.as_str()).collect();
            let messages = [self.staff_email(f, r, MessageKind::StaffDigest, &lines.join("\n"))?];
            if self
                .inner
                .store
                .send_digest(firm, &r.staff_id, r.last_digest_at, up_to, now, &messages)
                .await?
            {
                report.staff_emails += 1;
                report.emails += 1;
            }
        }
        Ok(())
    }

    fn staff_email(
        &self,
        firm: &crate::firm::Firm,
        recipient: &StaffRecipient,
        kind: MessageKind,
        activity: &str,
    ) -> Result<crate::outbox::QueuedMessage, InternalError> {
        let templates = self.templates(firm.id);
        let template = match kind {
            MessageKind::StaffDigest => &templates.staff_digest,
            _ => &templates.staff_activity,
        };
        let values = crate::notify::MergeValues::new()
            .with("firm.name", firm.name.clone())
            .with("activity", activity);
        self.queued_email_to(
            firm,
            (recipient.email.as_str(), None),
            kind,
            template,
            &values,
            Vec::new(),
        )
    }

    /// One line saying what an entry records: the client, who, what, which task.
    async fn describe(&self, event: &AuditEvent, names: &mut Names) -> Result<String, StoreError> {
        let e = &event.entry;
        let client = match e.client_id {
            Some(id) => names.client(self, id).await?,
            None => String::new(),
        };
        let who = match e.actor {
            crate::audit::Actor::Contact(id) => names.contact(self, id).await?,
            _ => "The firm".to_owned(),
        };
        let task = match e.task_id {
            Some(id) => format!(" \u{201c}{}\u{201d}", names.task(self, id).await?),
            None => String::new(),
        };
        let what = match e.action {
            AuditAction::TaskCompleted => format!("completed{task}"),
            AuditAction::TaskReopened => format!("reopened{task}"),
            AuditAction::TaskSubmitted | AuditAction::CredentialSubmitted => {
                format!("handed over what{task} asks for")
            }
            AuditAction::ItemChecked => format!("checked an item of{task}"),
            AuditAction::ItemUnchecked => format!("unchecked an item of{task}"),
            AuditAction::FilesUploaded => format!("uploaded files for{task}"),
            AuditAction::CommentAdded => format!("commented on{task}"),
            AuditAction::QuestionAsked => "asked a question".to_owned(),
            other => other.as_str().to_owned(),
        };
        Ok(format!("- {client}: {who} {what}"))
    }
}

/// Names looked up once per round.
#[derive(Default)]
struct Names {
    clients: HashMap<ClientId, String>,
    contacts: HashMap<ContactId, String>,
    tasks: HashMap<TaskId, String>,
}

impl Names {
    async fn client(&mut self, portal: &Portal, id: ClientId) -> Result<String, StoreError> {
        if let Some(name) = self.clients.get(&id) {
            return Ok(name.clone());
        }
        let name = portal
            .inner
            .store
            .client(id)
            .await?
            .map_or_else(|| "A client".to_owned(), |c| c.name);
        self.clients.insert(id, name.clone());
        Ok(name)
    }

    async fn contact(&mut self, portal: &Portal, id: ContactId) -> Result<String, StoreError> {
        if let Some(name) = self.contacts.get(&id) {
            return Ok(name.clone());
        }
        let name = portal.inner.store.contact(id).await?.map_or_else(
            || "A contact".to_owned(),
            |c| format!("{} <{}>", c.first_name, c.email.as_str()),
        );
        self.contacts.insert(id, name.clone());
        Ok(name)
    }

    async fn task(&mut self, portal: &Portal, id: TaskId) -> Result<String, StoreError> {
        if let Some(title) = self.tasks.get(&id) {
            return Ok(title.clone());
        }
        let title = portal
            .inner
            .store
            .task(id)
            .await?
            .map_or_else(|| "a task".to_owned(), |t| t.title);
        self.tasks.insert(id, title.clone());
        Ok(title)
    }
}
