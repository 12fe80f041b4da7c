-- Phases become rows of their own, ordered per client, their names unique per client;
-- a task refers to its phase. The tasks' phase names move into them: one phase per
-- client and name, placed by its first task. Tasks keep their evidence's definition
-- and what was submitted for it as JSON tagged by the type's name (NULL for a
-- standard task, and until something is submitted), the IP a completion came from,
-- when they were withdrawn and last written. Checked checklist items are rows, one per
-- item, so that either side checks or unchecks one without rewriting the others. See
-- SCHEMA.md.

CREATE TABLE portal_phases (
    id          BLOB PRIMARY KEY,
    firm_id     BLOB NOT NULL REFERENCES portal_firms (id),
    client_id   BLOB NOT NULL REFERENCES portal_clients (id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (client_id, name)
) STRICT;

INSERT INTO portal_phases (id, firm_id, client_id, name, position, created_at)
SELECT randomblob(16), firm_id, client_id, phase, MIN(position), MIN(created_at)
FROM portal_tasks WHERE phase IS NOT NULL
GROUP BY firm_id, client_id, phase;

ALTER TABLE portal_tasks ADD COLUMN phase_id BLOB REFERENCES portal_phases (id);
UPDATE portal_tasks SET phase_id = (
    SELECT p.id FROM portal_phases p
    WHERE p.client_id = portal_tasks.client_id AND p.name = portal_tasks.phase
);
ALTER TABLE portal_tasks DROP COLUMN phase;

ALTER TABLE portal_tasks ADD COLUMN definition TEXT;
ALTER TABLE portal_tasks ADD COLUMN submission TEXT;
ALTER TABLE portal_tasks ADD COLUMN completed_ip TEXT;
ALTER TABLE portal_tasks ADD COLUMN withdrawn_at INTEGER;
-- SQLite adds a NOT NULL column only with a default; every write gives it.
ALTER TABLE portal_tasks ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE portal_tasks SET updated_at = created_at;

CREATE TABLE portal_checklist_items (
    task_id     BLOB NOT NULL REFERENCES portal_tasks (id),
    item        INTEGER NOT NULL,
    checked_by  TEXT NOT NULL,
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (task_id, item)
) STRICT;
