-- The conversation: comments on tasks, questions to the firm, and each client's
-- activity as a view of the audit log. Audit entries gain the client and the task they
-- concern, `NULL` for every entry already there (their hashes were sealed without
-- them, and an entry's hash covers them only when one is present, so old entries still
-- verify). Added columns are nullable without a default and the tables are new: no
-- existing row is rewritten. See SCHEMA.md.

ALTER TABLE portal_audit_events ADD COLUMN client_id UUID;
ALTER TABLE portal_audit_events ADD COLUMN task_id UUID;
-- A client's activity: its entries newest first, `seq < before`, a page at a time.
-- Partial: most entries (logins, links, codes) concern no client.
CREATE INDEX portal_audit_events_by_client ON portal_audit_events (firm_id, client_id, seq)
    WHERE client_id IS NOT NULL;

CREATE TABLE portal_comments (
    id        UUID PRIMARY KEY,
    task_id   UUID NOT NULL REFERENCES portal_tasks (id),
    firm_id   UUID NOT NULL,
    client_id UUID NOT NULL,
    author    TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        BIGINT NOT NULL
);
-- A task's comments, oldest first.
CREATE INDEX portal_comments_by_task ON portal_comments (task_id, at, id);

-- No foreign keys: a question is kept as asked, as the audit entry that records it is.
CREATE TABLE portal_questions (
    id         UUID PRIMARY KEY,
    firm_id    UUID NOT NULL,
    client_id  UUID NOT NULL,
    contact_id UUID NOT NULL,
    task_id    UUID,
    body       TEXT NOT NULL,
    at         BIGINT NOT NULL
);
-- A firm's questions and one client's, newest first, paged by (at, id).
CREATE INDEX portal_questions_by_firm ON portal_questions (firm_id, at, id);
CREATE INDEX portal_questions_by_client ON portal_questions (firm_id, client_id, at, id);
