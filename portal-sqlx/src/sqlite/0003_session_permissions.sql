-- Sessions carry the permissions of their active client's grant, so that verification
-- reads one row by its primary key (the session invariant, see SCHEMA.md).
--
-- SQLite adds a NOT NULL column only with a default, and a default would let an insert
-- that forgot the permissions pass; so the table is rebuilt with the column, then takes
-- the old one's name. No other table refers to portal_sessions.

CREATE TABLE portal_sessions_new (
    token_hash          BLOB PRIMARY KEY,
    id                  BLOB NOT NULL UNIQUE,
    contact_id          BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id             BLOB NOT NULL,
    active_client       BLOB NOT NULL REFERENCES portal_clients (id),
    permissions         INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    renewed_at          INTEGER NOT NULL,
    idle_expires_at     INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    ip                  TEXT,
    user_agent          TEXT
) STRICT;

-- Only the sessions that verification still accepted (contact active, a grant to the
-- active client) are copied: the others would count again without its joins.
INSERT INTO portal_sessions_new (token_hash, id, contact_id, firm_id, active_client,
    permissions, created_at, renewed_at, idle_expires_at, absolute_expires_at, ip,
    user_agent)
SELECT s.token_hash, s.id, s.contact_id, s.firm_id, s.active_client, g.permissions,
    s.created_at, s.renewed_at, s.idle_expires_at, s.absolute_expires_at, s.ip,
    s.user_agent
FROM portal_sessions s
JOIN portal_contacts c ON c.id = s.contact_id AND c.status = 'active'
JOIN portal_grants g ON g.contact_id = s.contact_id AND g.client_id = s.active_client;

DROP TABLE portal_sessions;
ALTER TABLE portal_sessions_new RENAME TO portal_sessions;

CREATE INDEX portal_sessions_by_contact ON portal_sessions (contact_id);
CREATE INDEX portal_sessions_idle_expiry ON portal_sessions (idle_expires_at);
CREATE INDEX portal_sessions_absolute_expiry ON portal_sessions (absolute_expires_at);
