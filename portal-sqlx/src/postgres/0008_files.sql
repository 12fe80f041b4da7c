-- Document requests: the uploads that answer them and the rows of stored files (the
-- bytes live in the blob store, named by `blob`). An upload's review and withdrawal
-- are NULL until given. A file keeps its row when removed: `removed_at` is set and
-- `blob` cleared in the same step, so a row names its blob only while it may be read.
-- A dropped file also has `expires_at` (unreadable from then on; the sweep removes
-- it as of that time) and `staff_downloaded_at` (its contact may no longer delete it).
-- New tables only: no existing row changes. See SCHEMA.md.

CREATE TABLE portal_uploads (
    id           UUID PRIMARY KEY,
    firm_id      UUID NOT NULL,
    client_id    UUID NOT NULL,
    task_id      UUID NOT NULL REFERENCES portal_tasks (id),
    contact_id   UUID NOT NULL,
    created_at   BIGINT NOT NULL,
    decision     TEXT CHECK (decision IN ('approved', 'rejected')),
    review_notes TEXT,
    reviewed_by  TEXT,
    reviewed_at  BIGINT,
    withdrawn_at BIGINT
);
CREATE INDEX portal_uploads_by_task ON portal_uploads (task_id, created_at, id);
CREATE INDEX portal_uploads_by_client ON portal_uploads (client_id, created_at, id);

CREATE TABLE portal_files (
    id           UUID PRIMARY KEY,
    firm_id      UUID NOT NULL,
    client_id    UUID NOT NULL REFERENCES portal_clients (id),
    task_id      UUID REFERENCES portal_tasks (id),
    upload_id    UUID REFERENCES portal_uploads (id),
    purpose      TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0),
    sha256       BYTEA NOT NULL CHECK (octet_length(sha256) = 32),
    blob         TEXT,
    added_by     TEXT NOT NULL,
    added_at     BIGINT NOT NULL,
    removed_at   BIGINT,
    expires_at   BIGINT,
    staff_downloaded_at BIGINT
);
CREATE INDEX portal_files_by_client ON portal_files (client_id, added_at, id);
CREATE INDEX portal_files_by_upload ON portal_files (upload_id, added_at, id);
CREATE INDEX portal_files_by_blob ON portal_files (blob);
CREATE INDEX portal_files_by_task ON portal_files (task_id);
-- The sweep of expired files reads only the files still to remove.
CREATE INDEX portal_files_expiry ON portal_files (expires_at)
    WHERE removed_at IS NULL AND expires_at IS NOT NULL;
