-- Credentials handed over in credential tasks: one row per task, apart from the task's
-- row, so that reading a task never reads a sealed value. `fields` is the JSON of the
-- fields filled, in the task's order, each with its value sealed by the vault key
-- `key_id` (nonce and ciphertext in base64; never a plaintext). A purge sets
-- `purged_at` and drops the values from `fields` in the same step, keeping the names
-- and the rest of the row as the record. New table only: no existing row changes.
-- See SCHEMA.md.

CREATE TABLE portal_credentials (
    task_id      UUID PRIMARY KEY REFERENCES portal_tasks (id),
    firm_id      UUID NOT NULL,
    client_id    UUID NOT NULL,
    key_id       TEXT NOT NULL,
    fields       TEXT NOT NULL,
    version      BIGINT NOT NULL CHECK (version >= 1),
    submitted_by UUID NOT NULL,
    submitted_at BIGINT NOT NULL,
    revealed_at  BIGINT,
    purged_at    BIGINT
);
-- A rotation looks for the values still sealed under a retired key; purged rows have
-- none left.
CREATE INDEX portal_credentials_by_key ON portal_credentials (key_id)
    WHERE purged_at IS NULL;
