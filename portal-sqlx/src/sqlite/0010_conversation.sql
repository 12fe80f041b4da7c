-- The conversation: comments on tasks, questions to the firm, and each client's
-- activity as a view of the audit log. Audit entries gain the client and the task they
-- concern, `NULL` for every entry already there (their hashes were sealed without
-- them, and an entry's hash covers them only when one is present, so old entries still
-- verify). Added columns are nullable without a default and the tables are new: no
-- existing row is rewritten. See SCHEMA.md.

ALTER TABLE portal_audit_events ADD COLUMN client_id BLOB;
ALTER TABLE portal_audit_events ADD COLUMN task_id BLOB;
-- A client's activity: its entries newest first, `seq < before`, a page at a time.
-- Partial: most entries (logins, links, codes) concern no client.
CREATE INDEX portal_audit_events_by_client ON portal_audit_events (firm_id, client_id, seq)
    WHERE client_id IS NOT NULL;

CREATE TABLE portal_comments (
    id        BLOB PRIMARY KEY,
    task_id   BLOB NOT NULL REFERENCES portal_tasks (id),
    firm_id   BLOB NOT NULL,
    client_id BLOB NOT NULL,
    author    TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
-- A task's comments, oldest first.
CREATE INDEX portal_comments_by_task ON portal_comments (task_id, at, id);

-- No foreign keys: a question is kept as asked, as the audit entry that records it is.
CREATE TABLE portal_questions (
    id         BLOB PRIMARY KEY,
    firm_id    BLOB NOT NULL,
    client_id  BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    task_id    BLOB,
    body       TEXT NOT NULL,
    at         INTEGER NOT NULL
) STRICT;
-- A firm's questions and one client's, newest first, paged by (at, id).
CREATE INDEX portal_questions_by_firm ON portal_questions (firm_id, at, id);
CREATE INDEX portal_questions_by_client ON portal_questions (firm_id, client_id, at, id);
