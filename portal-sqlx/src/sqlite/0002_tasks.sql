-- Tasks of clients, with their completion (SPEC 4.2). See SCHEMA.md.

CREATE TABLE portal_tasks (
    id              BLOB PRIMARY KEY,
    firm_id         BLOB NOT NULL REFERENCES portal_firms (id),
    client_id       BLOB NOT NULL REFERENCES portal_clients (id),
    phase           TEXT,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    due_on          INTEGER,
    assignee        TEXT NOT NULL CHECK (assignee IN ('client', 'firm')),
    status          TEXT NOT NULL
                    CHECK (status IN ('pending', 'in_progress', 'completed', 'blocked')),
    evidence        TEXT NOT NULL,
    position        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    completed_by    TEXT,
    completed_at    INTEGER,
    completion_note TEXT
) STRICT;
CREATE INDEX portal_tasks_by_client ON portal_tasks (client_id, position, id);
