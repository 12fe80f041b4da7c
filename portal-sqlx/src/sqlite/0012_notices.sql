-- Notices: what clients heard of their tasks (announcements, reminders) and what
-- staff hear of client activity (their choices, how far each firm's audit log was
-- read, the digest lines waiting). Every task existing at this migration counts as
-- announced when it was created, with no reminder due: an upgrade announces nothing
-- old. See SCHEMA.md.

CREATE TABLE portal_task_notices (
    task_id          BLOB PRIMARY KEY REFERENCES portal_tasks (id) ON DELETE CASCADE,
    announced_at     INTEGER NOT NULL,
    reminders_sent   INTEGER NOT NULL CHECK (reminders_sent >= 0),
    next_reminder_at INTEGER
) STRICT;
-- The reminder scan: the reminders due first, in (next_reminder_at, task_id) order.
CREATE INDEX portal_task_notices_due ON portal_task_notices (next_reminder_at, task_id)
    WHERE next_reminder_at IS NOT NULL;
INSERT INTO portal_task_notices (task_id, announced_at, reminders_sent, next_reminder_at)
SELECT id, created_at, 0, NULL FROM portal_tasks;

-- The announce scan: the tasks open for the client, earliest created first. The
-- predicate is the engine's `open_for_client!` word for word.
CREATE INDEX portal_tasks_open_for_client ON portal_tasks (created_at, id)
    WHERE assignee = 'client' AND withdrawn_at IS NULL AND status <> 'completed';

-- A client's recipients: the grants to the client.
CREATE INDEX portal_grants_by_client ON portal_grants (client_id);

-- Until when a contact's reminders are paused; NULL when they are not.
ALTER TABLE portal_contacts ADD COLUMN reminders_paused_until INTEGER;

CREATE TABLE portal_staff_recipients (
    firm_id        BLOB NOT NULL REFERENCES portal_firms (id),
    staff_id       TEXT NOT NULL,
    email          TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('instant', 'daily', 'off')),
    last_digest_at INTEGER,
    PRIMARY KEY (firm_id, staff_id)
) STRICT;

CREATE TABLE portal_staff_cursors (
    firm_id   BLOB PRIMARY KEY REFERENCES portal_firms (id),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 0),
    -- The cancelled sequence numbers in decimal, comma-separated ("12,15"; "" for none).
    cancelled TEXT NOT NULL
) STRICT;

CREATE TABLE portal_digest_items (
    firm_id  BLOB NOT NULL REFERENCES portal_firms (id),
    staff_id TEXT NOT NULL,
    seq      INTEGER NOT NULL CHECK (seq >= 0),
    at       INTEGER NOT NULL,
    line     TEXT NOT NULL,
    PRIMARY KEY (firm_id, staff_id, seq)
) STRICT;
