-- Staff previews of a contact's portal. A preview session is a session row like any
-- other, marked with the staff member who opened it; the contact's own sessions and
-- every row kept so far have none (NULL), so they stay what they were.

ALTER TABLE portal_sessions ADD COLUMN preview_by TEXT;

-- Single-use links that start a preview session: only the token's digest is kept.
-- Unlike magic links, a new one invalidates nothing (several staff members may
-- preview one contact at once), so there is no index over live links.
CREATE TABLE portal_preview_links (
    token_hash  BLOB PRIMARY KEY,
    contact_id  BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id     BLOB NOT NULL,
    staff_id    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;
CREATE INDEX portal_preview_links_expiry ON portal_preview_links (expires_at);
