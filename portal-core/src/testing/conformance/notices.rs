//! What clients hear of their tasks, on the manual clock: new tasks announced once
//! after their grace period, several in one email, none for a task closed or handed to
//! the firm inside it; reminders by the firm's count and interval, at its working hours
//! in its time zone, stopped by completion, withdrawal or a contact's suspension, and
//! skipped for a contact whose reminders are paused; and the store's steps that record
//! them all or nothing, once across instances.

use super::*;
use crate::clock::Timestamp;
use crate::id::TaskId;
use crate::local_time::TimeZone;
use crate::notice::TaskNotices;
use crate::notify::OutboxEntry;
use crate::policy::NotificationPolicy;
use crate::task::{NewTask, Side, Task, TaskEdit, TaskStatus};

async fn task(w: &World, client: crate::id::ClientId, title: &str, assignee: Side) -> Task {
    w.a.create_task(
        &w.staff,
        client,
        NewTask {
            phase: None,
            title: title.into(),
            description: String::new(),
            due_on: None,
            assignee,
            evidence: crate::task::Evidence::Standard,
        },
    )
    .await
    .unwrap()
}

/// The messages of `kind` (by subject) to `to` received so far.
fn mail(w: &World, to: &str, subject: &str) -> Vec<OutboxEntry> {
    w.outbox
        .to(to)
        .into_iter()
        .filter(|e| e.subject().starts_with(subject))
        .collect()
}

const NEW: &str = "New tasks from";
const REMINDER: &str = "Reminder:";

async fn notices(w: &World) -> crate::portal::notice::NoticeReport {
    let report = w.a.send_notices().await.unwrap();
    w.a.settle().await;
    report
}

/// Reminders every day, at any hour, on any day: the cases that are not about hours.
fn daily(reminders: u32) -> Policy {
    let mut policy = Policy::default();
    policy.notifications = NotificationPolicy {
        reminders,
        remind_every: Duration::from_secs(24 * 3600),
        sending_hours: 0..24,
        weekends: true,
        ..NotificationPolicy::default()
    };
    policy
}

pub async fn new_tasks_are_announced_once_together_after_their_grace_period(f: Fixture) {
    let w = World::new(f).await;
    let payroll = task(&w, w.client1.id, "Send the payroll", Side::Client).await;
    let bank = task(&w, w.client1.id, "Upload <bank> statements", Side::Client).await;
    task(&w, w.client1.id, "Firm's own work", Side::Firm).await;
    let withdrawn = task(&w, w.client1.id, "Withdrawn", Side::Client).await;
    w.a.withdraw_task(&w.staff, withdrawn.id).await.unwrap();
    let handed = task(&w, w.client1.id, "Handed to the firm", Side::Client).await;
    w.a.edit_task(
        &w.staff,
        handed.id,
        TaskEdit {
            assignee: Side::Firm,
            ..TaskEdit::from(&handed)
        },
    )
    .await
    .unwrap();
    let done = task(&w, w.client1.id, "Done at once", Side::Client).await;
    w.a.set_task_status(&w.staff, done.id, TaskStatus::Completed)
        .await
        .unwrap();
    let cafe = task(&w, w.client2.id, "Cafe's task", Side::Client).await;

    // Inside the grace period: nothing.
    w.advance(4 * MINUTE);
    assert_eq!(notices(&w).await.announced, 0);
    assert!(mail(&w, "jane@example.com", NEW).is_empty());

    w.advance(MINUTE);
    let report = notices(&w).await;
    assert_eq!(report.announced, 3, "two of client 1, one of client 2");
    // Each contact of client 1 gets one email with both tasks; jane, who also holds
    // client 2, gets that client's in an email of its own.
    for who in ["jane@example.com", "bob@example.com"] {
        let client1: Vec<_> = mail(&w, who, NEW)
            .into_iter()
            .filter(|e| e.subject().ends_with("Bakery Ltd"))
            .collect();
        assert_eq!(client1.len(), 1, "{who}");
        let text = client1[0].text();
        assert!(
            text.contains(&payroll.title) && text.contains(&bank.title),
            "{text}"
        );
        for absent in [
            "Firm's own work",
            "Withdrawn",
            "Handed to the firm",
            "Done at once",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert_eq!(
            client1[0].message.kind,
            crate::notify::MessageKind::Announcement
        );
    }
    let html = match &mail(&w, "bob@example.com", NEW)[0].message.channel {
        crate::notify::Channel::Email(e) => e.html.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        html.contains("Upload &lt;bank&gt; statements"),
        "escaped: {html}"
    );
    let jane_cafe: Vec<_> = mail(&w, "jane@example.com", NEW)
        .into_iter()
        .filter(|e| e.subject().ends_with("Cafe Ltd"))
        .collect();
    assert_eq!(jane_cafe.len(), 1);
    assert!(jane_cafe[0].text().contains(&cafe.title));
    assert!(
        mail(&w, "olga@example.com", NEW).is_empty(),
        "another firm's contact"
    );

    // Once only, from either instance.
    w.advance(MINUTE);
    assert_eq!(notices(&w).await.announced, 0);
    assert_eq!(w.b.send_notices().await.unwrap().announced, 0);
    assert_eq!(mail(&w, "bob@example.com", NEW).len(), 1);
}

pub async fn instances_announcing_at_once_announce_each_task_once(f: Fixture) {
    let w = World::new(f).await;
    for n in 0..20 {
        task(&w, w.client1.id, &format!("Task {n}"), Side::Client).await;
    }
    w.advance(5 * MINUTE);
    let runs: Vec<_> = (0..6)
        .map(|i| {
            let p = if i % 2 == 0 { w.a.clone() } else { w.b.clone() };
            tokio::spawn(async move { p.send_notices().await.unwrap() })
        })
        .collect();
    let mut announced = 0;
    for run in runs {
        announced += run.await.unwrap().announced;
    }
    w.a.settle().await;
    w.b.settle().await;
    assert_eq!(announced, 20);
    let bob: usize = mail(&w, "bob@example.com", NEW)
        .iter()
        .map(|e| e.text().matches("- Task ").count())
        .sum();
    assert_eq!(bob, 20, "every task in exactly one email to bob");
}

pub async fn reminders_follow_the_count_and_interval_and_stop_when_the_task_closes(f: Fixture) {
    let w = World::with_policy(f, daily(2)).await;
    let open = task(&w, w.client1.id, "Still open", Side::Client).await;
    let completed = task(&w, w.client1.id, "Completed later", Side::Client).await;
    let withdrawn = task(&w, w.client1.id, "Withdrawn later", Side::Client).await;
    w.advance(5 * MINUTE);
    assert_eq!(notices(&w).await.announced, 3);
    w.a.set_task_status(&w.staff, completed.id, TaskStatus::Completed)
        .await
        .unwrap();
    w.a.withdraw_task(&w.staff, withdrawn.id).await.unwrap();

    // Not before a day has passed.
    w.advance(23 * 60 * MINUTE);
    assert_eq!(notices(&w).await.reminded, 0);
    w.advance(60 * MINUTE);
    assert_eq!(notices(&w).await.reminded, 1, "only the open task");
    let first = mail(&w, "bob@example.com", REMINDER);
    assert_eq!(first.len(), 1);
    assert!(first[0].text().contains(&open.title), "{}", first[0].text());
    assert!(!first[0].text().contains("later"), "{}", first[0].text());
    assert_eq!(first[0].message.kind, crate::notify::MessageKind::Reminder);

    w.advance(24 * 60 * MINUTE);
    assert_eq!(notices(&w).await.reminded, 1, "the second reminder");
    w.advance(10 * 24 * 60 * MINUTE);
    assert_eq!(notices(&w).await.reminded, 0, "two reminders, no more");
    assert_eq!(mail(&w, "bob@example.com", REMINDER).len(), 2);
    assert_eq!(mail(&w, "jane@example.com", REMINDER).len(), 2);
}

pub async fn reminders_skip_paused_and_suspended_contacts(f: Fixture) {
    let w = World::with_policy(f, daily(3)).await;
    task(&w, w.client1.id, "Payroll", Side::Client).await;
    w.advance(5 * MINUTE);
    notices(&w).await;
    // Bob's reminders pause until the day after tomorrow; jane is suspended.
    let until = w.a.now() + 2 * 24 * 60 * MINUTE;
    let (y, m, d) = until.date();
    let paused =
        w.a.pause_reminders(&w.staff, w.bob.id, Some((y as i16, m as i8, d as i8)))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(paused.date(), (y, m, d));
    assert_eq!(
        w.audit(AuditAction::RemindersPaused)
            .await
            .last()
            .unwrap()
            .entry
            .detail,
        format!("until={}", paused.date_string())
    );
    w.a.suspend_contact(&w.staff, w.jane.id).await.unwrap();

    w.advance(24 * 60 * MINUTE);
    assert_eq!(
        notices(&w).await.reminded,
        1,
        "counted though nobody got it"
    );
    assert!(mail(&w, "bob@example.com", REMINDER).is_empty(), "paused");
    assert!(
        mail(&w, "jane@example.com", REMINDER).is_empty(),
        "suspended"
    );

    // Past the pause, bob gets the next one; lifting jane's suspension brings hers back.
    w.advance(24 * 60 * MINUTE);
    w.a.lift_suspension(&w.staff, w.jane.id).await.unwrap();
    assert_eq!(notices(&w).await.reminded, 1);
    assert_eq!(mail(&w, "bob@example.com", REMINDER).len(), 1);
    assert_eq!(mail(&w, "jane@example.com", REMINDER).len(), 1);

    // A pause lifted at once lets the next one through; another firm's staff cannot
    // pause this firm's contact.
    assert!(
        w.a.pause_reminders(&w.other_staff, w.bob.id, None)
            .await
            .is_err()
    );
    w.a.pause_reminders(&w.staff, w.bob.id, None).await.unwrap();
    assert_eq!(
        w.audit(AuditAction::RemindersPaused)
            .await
            .last()
            .unwrap()
            .entry
            .detail,
        "lifted"
    );
}

pub async fn reminders_wait_for_the_firm_s_working_hours_in_its_time_zone(f: Fixture) {
    let mut policy = Policy::default();
    policy.notifications = NotificationPolicy {
        time_zone: TimeZone::named("America/New_York").unwrap(),
        ..NotificationPolicy::default()
    };
    let w = World::with_policy(f, policy).await;
    // START is Thursday 1 January 2026, 00:00 UTC: Wednesday 19:00 in New York.
    task(&w, w.client1.id, "Payroll", Side::Client).await;
    w.advance(5 * MINUTE);
    assert_eq!(
        notices(&w).await.announced,
        1,
        "announcements wait for no hour"
    );
    // Three days on is Saturday evening in New York: the reminder waits for Monday
    // 09:00 there, 14:00 UTC.
    let monday_nine = Timestamp::parse_written("2026-01-05T14:00:00.000Z").unwrap();
    w.clock.set(monday_nine - Duration::from_secs(1));
    assert_eq!(notices(&w).await.reminded, 0);
    w.clock.set(monday_nine);
    assert_eq!(notices(&w).await.reminded, 1);
}

pub async fn notices_are_recorded_all_or_nothing_and_once(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let one = task(&w, w.client1.id, "One", Side::Client).await;
    w.advance(Duration::from_millis(1));
    let two = task(&w, w.client1.id, "Two", Side::Client).await;
    let closed = task(&w, w.client1.id, "Closed", Side::Client).await;
    w.a.withdraw_task(&w.staff, closed.id).await.unwrap();
    let now = START + 10 * MINUTE;
    let due = now + MINUTE;
    let ids = |tasks: Vec<Task>| tasks.into_iter().map(|t| t.id).collect::<Vec<TaskId>>();

    assert_eq!(
        ids(s.tasks_to_announce(now, 10).await.unwrap()),
        [one.id, two.id],
        "open for the client, earliest created first"
    );
    assert!(
        s.tasks_to_announce(START - MINUTE, 10)
            .await
            .unwrap()
            .is_empty(),
        "none created that early"
    );
    // A batch with a withdrawn task announces nothing of it.
    assert!(
        !s.announce_tasks(&[(one.id, Some(due)), (closed.id, Some(due))], now, &[])
            .await
            .unwrap()
    );
    assert!(
        s.announce_tasks(&[(one.id, Some(due))], now, &[])
            .await
            .unwrap()
    );
    assert!(
        !s.announce_tasks(&[(one.id, Some(due)), (two.id, None)], now, &[])
            .await
            .unwrap(),
        "announced already"
    );
    assert_eq!(ids(s.tasks_to_announce(now, 10).await.unwrap()), [two.id]);

    assert!(
        s.tasks_to_remind(due - MINUTE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let notices = |t: &Task, sent, next| TaskNotices {
        task_id: t.id,
        announced_at: now,
        reminders_sent: sent,
        next_reminder_at: next,
    };
    assert_eq!(
        s.tasks_to_remind(due, 10).await.unwrap(),
        [(one.clone(), notices(&one, 0, Some(due)))]
    );
    let later = due + 60 * MINUTE;
    assert!(
        !s.record_reminders(&[(one.id, due + MINUTE, Some(later))], &[])
            .await
            .unwrap(),
        "not due at that time: another instance sent it"
    );
    assert!(
        s.record_reminders(&[(one.id, due, Some(later))], &[])
            .await
            .unwrap()
    );
    assert!(
        !s.record_reminders(&[(one.id, due, Some(later))], &[])
            .await
            .unwrap(),
        "once"
    );
    assert!(
        s.tasks_to_remind(later - MINUTE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.tasks_to_remind(later, 10).await.unwrap(),
        [(one.clone(), notices(&one, 1, Some(later)))]
    );
    // A task closed after its announcement is no longer reminded of.
    w.a.set_task_status(&w.staff, one.id, TaskStatus::Completed)
        .await
        .unwrap();
    assert!(s.tasks_to_remind(later, 10).await.unwrap().is_empty());
    assert!(
        !s.record_reminders(&[(one.id, later, None)], &[])
            .await
            .unwrap()
    );
}

pub async fn a_client_s_recipients_are_its_grant_holders_with_their_pauses(f: Fixture) {
    let w = World::new(f).await;
    let s = w.a.store();
    let until = START + 24 * 60 * MINUTE;
    assert!(
        s.pause_reminders(
            w.bob.id,
            Some(until),
            system_entry(&w, AuditAction::RemindersPaused)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.pause_reminders(
            crate::id::ContactId::from_bytes([9; 16]),
            None,
            system_entry(&w, AuditAction::RemindersPaused)
        )
        .await
        .unwrap(),
        "no such contact"
    );
    let recipients = s.client_recipients(w.client1.id).await.unwrap();
    let mut seen: Vec<_> = recipients
        .iter()
        .map(|r| (r.contact.id, r.permissions, r.reminders_paused_until))
        .collect();
    let mut expected = vec![
        (w.jane.id, Permissions::ALL, None),
        (w.bob.id, Permissions::ALL, Some(until)),
    ];
    // Both were granted at the same instant: their order is the store's.
    seen.sort_by_key(|(id, _, _)| *id);
    expected.sort_by_key(|(id, _, _)| *id);
    assert_eq!(seen, expected);
    assert_eq!(
        s.client_recipients(w.client2.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.contact.id)
            .collect::<Vec<_>>(),
        [w.jane.id]
    );
    s.pause_reminders(
        w.bob.id,
        None,
        system_entry(&w, AuditAction::RemindersPaused),
    )
    .await
    .unwrap();
    assert!(
        s.client_recipients(w.client1.id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.reminders_paused_until.is_none())
    );
}

/// A second staff member of the world's firm.
fn bea(w: &World) -> crate::staff::StaffContext {
    crate::staff::StaffContext {
        staff: crate::id::StaffId::new("bea").unwrap(),
        ..w.staff.clone()
    }
}

const ACTIVITY: &str = "Client activity at";
const DIGEST: &str = "Today's client activity at";

pub async fn staff_hear_of_activity_at_once_or_daily_without_what_was_undone(f: Fixture) {
    use crate::staff_notice::StaffNotifyMode;
    let w = World::new(f).await;
    let payroll = task(&w, w.client1.id, "Payroll", Side::Client).await;
    let bank = task(&w, w.client1.id, "Bank statements", Side::Client).await;
    // Activity before anyone asked to hear of it is never reported.
    let cookie = w.login(w.bob.id).await.token.expose_secret();
    let bob = w.a.authenticate(w.firm.id, &cookie, &req()).await.unwrap();
    w.a.complete_task(&bob, bank.id, None, &req())
        .await
        .unwrap();
    w.a.uncomplete_task(&bob, bank.id, &req()).await.unwrap();

    let alice =
        w.a.set_staff_notifications(&w.staff, "alice@acme.example", StaffNotifyMode::Instant)
            .await
            .unwrap();
    assert_eq!(alice.mode, StaffNotifyMode::Instant);
    w.a.set_staff_notifications(&bea(&w), "bea@acme.example", StaffNotifyMode::Daily)
        .await
        .unwrap();
    assert!(
        w.a.set_staff_notifications(&bea(&w), "not an address", StaffNotifyMode::Daily)
            .await
            .is_err()
    );
    assert_eq!(
        w.a.staff_notifications(&bea(&w))
            .await
            .unwrap()
            .unwrap()
            .mode,
        StaffNotifyMode::Daily
    );

    // Bob completes one task and reopens it five minutes later; completes another and
    // asks a question.
    w.a.complete_task(&bob, payroll.id, None, &req())
        .await
        .unwrap();
    w.advance(5 * MINUTE);
    w.a.uncomplete_task(&bob, payroll.id, &req()).await.unwrap();
    w.a.complete_task(&bob, bank.id, None, &req())
        .await
        .unwrap();
    w.a.ask_question(&bob, "Is the VAT return due?", None, &req())
        .await
        .unwrap();

    // Inside the window nothing is said.
    w.advance(9 * MINUTE);
    notices(&w).await;
    assert!(mail(&w, "alice@acme.example", ACTIVITY).is_empty());
    w.advance(MINUTE);
    let report = notices(&w).await;
    assert_eq!(report.staff_emails, 1);
    let sent = mail(&w, "alice@acme.example", ACTIVITY);
    assert_eq!(sent.len(), 1);
    let text = sent[0].text();
    assert!(
        text.contains("Bob") && text.contains("completed \u{201c}Bank statements\u{201d}"),
        "{text}"
    );
    assert!(text.contains("asked a question"), "{text}");
    assert!(
        !text.contains("Payroll"),
        "completed and reopened within the window: {text}"
    );
    assert_eq!(sent[0].message.contact_id, None);
    assert!(
        mail(&w, "bea@acme.example", ACTIVITY).is_empty(),
        "bea chose a digest"
    );
    // Read once, whichever instance reads next.
    w.advance(MINUTE);
    assert_eq!(w.b.send_notices().await.unwrap().staff_emails, 0);
    assert_eq!(notices(&w).await.staff_emails, 0);

    // Bea's digest comes at 08:00 (UTC, the default zone), once.
    w.clock.set(START + 7 * 60 * MINUTE + 59 * MINUTE);
    notices(&w).await;
    assert!(mail(&w, "bea@acme.example", DIGEST).is_empty());
    w.clock.set(START + 8 * 60 * MINUTE);
    assert_eq!(notices(&w).await.staff_emails, 1);
    let digest = mail(&w, "bea@acme.example", DIGEST);
    assert_eq!(digest.len(), 1);
    assert!(
        digest[0].text().contains("Bank statements"),
        "{}",
        digest[0].text()
    );
    assert!(!digest[0].text().contains("Payroll"));
    w.advance(60 * MINUTE);
    assert_eq!(notices(&w).await.staff_emails, 0, "once a day");
    assert_eq!(w.b.send_notices().await.unwrap().staff_emails, 0);
    // The next day's digest has only what came since; a day with nothing sends none.
    w.a.complete_task(&bob, payroll.id, None, &req())
        .await
        .unwrap();
    w.clock.set(START + 32 * 60 * MINUTE);
    notices(&w).await;
    let digest = mail(&w, "bea@acme.example", DIGEST);
    assert_eq!(digest.len(), 2);
    assert!(digest[1].text().contains("Payroll") && !digest[1].text().contains("Bank"));
    w.clock.set(START + 56 * 60 * MINUTE);
    notices(&w).await;
    assert_eq!(mail(&w, "bea@acme.example", DIGEST).len(), 2);
    // Another firm's staff hear nothing of this one.
    assert!(
        w.a.staff_notifications(&w.other_staff)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn staff_cursors_and_digests_move_once(f: Fixture) {
    use crate::staff_notice::{DigestItem, StaffCursor, StaffNotifyMode, StaffRecipient};
    let w = World::new(f).await;
    let s = w.a.store();
    let alice = crate::id::StaffId::new("alice").unwrap();
    let recipient = StaffRecipient {
        firm_id: w.firm.id,
        staff_id: alice.clone(),
        email: crate::email::EmailAddress::parse("alice@acme.example").unwrap(),
        mode: StaffNotifyMode::Daily,
        last_digest_at: None,
    };
    s.put_staff_recipient(
        &recipient,
        system_entry(&w, AuditAction::StaffNotificationsSet),
    )
    .await
    .unwrap();
    let head = s.audit_head(w.firm.id).await.unwrap().unwrap().seq;
    let start = StaffCursor {
        last_seq: head,
        cancelled: vec![],
    };
    assert_eq!(
        s.staff_cursors().await.unwrap(),
        [(w.firm.id, start.clone())]
    );
    assert_eq!(
        s.staff_recipients(w.firm.id).await.unwrap(),
        std::slice::from_ref(&recipient)
    );
    assert!(
        s.staff_recipients(w.other_firm.id)
            .await
            .unwrap()
            .is_empty()
    );

    let item = |seq: u64| DigestItem {
        firm_id: w.firm.id,
        staff_id: alice.clone(),
        seq,
        at: START,
        line: format!("line {seq}"),
    };
    let next = StaffCursor {
        last_seq: head + 2,
        cancelled: vec![head + 4],
    };
    assert!(
        s.advance_staff_cursor(
            w.firm.id,
            &start,
            &next,
            &[item(head + 2), item(head + 1)],
            &[]
        )
        .await
        .unwrap()
    );
    assert!(
        !s.advance_staff_cursor(w.firm.id, &start, &next, &[item(head + 9)], &[])
            .await
            .unwrap(),
        "moved already: nothing stored"
    );
    assert_eq!(
        s.staff_cursors().await.unwrap(),
        [(w.firm.id, next.clone())]
    );
    assert_eq!(
        s.digest_items(w.firm.id, &alice).await.unwrap(),
        [item(head + 1), item(head + 2)]
    );
    // A second choice keeps the cursor and the last digest time.
    let at = START + 60 * MINUTE;
    assert!(
        s.send_digest(w.firm.id, &alice, None, head + 1, at, &[])
            .await
            .unwrap()
    );
    assert!(
        !s.send_digest(w.firm.id, &alice, None, head + 2, at, &[])
            .await
            .unwrap(),
        "sent already"
    );
    assert_eq!(
        s.digest_items(w.firm.id, &alice).await.unwrap(),
        [item(head + 2)]
    );
    s.put_staff_recipient(
        &StaffRecipient {
            mode: StaffNotifyMode::Instant,
            ..recipient.clone()
        },
        system_entry(&w, AuditAction::StaffNotificationsSet),
    )
    .await
    .unwrap();
    let now = s.staff_recipients(w.firm.id).await.unwrap();
    assert_eq!(
        (now[0].mode, now[0].last_digest_at),
        (StaffNotifyMode::Instant, Some(at))
    );
    assert_eq!(s.staff_cursors().await.unwrap(), [(w.firm.id, next)]);
}

pub async fn a_contact_with_a_phone_also_gets_texts_when_the_firm_sends_them(f: Fixture) {
    let mut policy = daily(1);
    policy.notifications.texts = true;
    let w = World::with_policy(f, policy).await;
    w.a.set_contact_phone(&w.staff, w.bob.id, Some("+44 7700 900123"))
        .await
        .unwrap();
    task(&w, w.client1.id, "Payroll", Side::Client).await;
    w.advance(5 * MINUTE);
    notices(&w).await;
    w.advance(24 * 60 * MINUTE);
    assert_eq!(notices(&w).await.reminded, 1);
    let texts = w.outbox.to("+447700900123");
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(matches!(
        texts[0].message.channel,
        crate::notify::Channel::Text(_)
    ));
    assert!(
        texts[0].text().contains("1 new task(s) for Bakery Ltd"),
        "{}",
        texts[0].text()
    );
    assert!(
        texts[1].text().contains("waiting for you"),
        "{}",
        texts[1].text()
    );
    assert!(
        texts[1]
            .text()
            .contains("https://portal.acme.example/portal/")
    );
    // Jane has no phone: email only.
    assert!(
        w.outbox
            .entries()
            .iter()
            .filter(|e| matches!(e.message.channel, crate::notify::Channel::Text(_)))
            .all(|e| e.to() == "+447700900123")
    );
    // Staff see the text beside the emails, delivered.
    let messages = w.a.contact_messages(&w.staff, w.bob.id, 20).await.unwrap();
    let text = messages
        .iter()
        .find(|m| m.recipient == "+447700900123")
        .expect("the text, listed");
    assert_eq!(text.state, crate::outbox::MessageState::Sent);
    // Another firm's staff read none of this contact's messages.
    assert!(matches!(
        w.a.contact_messages(&w.other_staff, w.bob.id, 20).await,
        Err(crate::portal::staff::StaffError::NotFound)
    ));
}
