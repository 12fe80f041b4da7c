-- Portal's schema on SQLite. Timestamps are Unix milliseconds (INTEGER), ids are
-- 16-byte UUIDs (BLOB), secrets are stored only as 32-byte SHA-256 digests (token_hash). See SCHEMA.md.

CREATE TABLE portal_firms (
    id              BLOB PRIMARY KEY,
    name            TEXT NOT NULL,
    public_url      TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    logo_url        TEXT,
    accent_colour   TEXT NOT NULL,
    welcome_message TEXT NOT NULL,
    mail_from       TEXT,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE portal_clients (
    id         BLOB PRIMARY KEY,
    firm_id    BLOB NOT NULL REFERENCES portal_firms (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX portal_clients_by_firm ON portal_clients (firm_id, name);

CREATE TABLE portal_contacts (
    id              BLOB PRIMARY KEY,
    firm_id         BLOB NOT NULL REFERENCES portal_firms (id),
    email           TEXT NOT NULL,
    email_canonical TEXT NOT NULL,
    first_name      TEXT NOT NULL,
    phone           TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    created_at      INTEGER NOT NULL,
    invited_at      INTEGER,
    joined_at       INTEGER,
    last_seen_at    INTEGER,
    password_hash   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_failure_at INTEGER,
    UNIQUE (firm_id, email_canonical)
) STRICT;

CREATE TABLE portal_grants (
    contact_id  BLOB NOT NULL REFERENCES portal_contacts (id),
    client_id   BLOB NOT NULL REFERENCES portal_clients (id),
    -- The rowid: numbers grants in the order they are made.
    seq         INTEGER PRIMARY KEY,
    permissions INTEGER NOT NULL,
    granted_at  INTEGER NOT NULL,
    UNIQUE (contact_id, client_id)
) STRICT;
CREATE INDEX portal_grants_oldest_first ON portal_grants (contact_id, seq);

CREATE TABLE portal_magic_links (
    token_hash     BLOB PRIMARY KEY,
    contact_id     BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id        BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    next_path      TEXT,
    binding_hash   BLOB,
    consumed_at    INTEGER,
    invalidated_at INTEGER
) STRICT;
CREATE UNIQUE INDEX portal_magic_links_one_live ON portal_magic_links (contact_id)
    WHERE consumed_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_magic_links_expiry ON portal_magic_links (expires_at);

CREATE TABLE portal_challenges (
    token_hash     BLOB PRIMARY KEY,
    contact_id     BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id        BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    code_hash      TEXT NOT NULL,
    next_path      TEXT,
    codes_sent     INTEGER NOT NULL,
    guesses        INTEGER NOT NULL,
    generation     INTEGER NOT NULL,
    consumed_at    INTEGER,
    invalidated_at INTEGER
) STRICT;
CREATE UNIQUE INDEX portal_challenges_one_live ON portal_challenges (contact_id)
    WHERE consumed_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_challenges_expiry ON portal_challenges (expires_at);

CREATE TABLE portal_password_links (
    token_hash     BLOB PRIMARY KEY,
    contact_id     BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id        BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    invalidated_at INTEGER
) STRICT;
CREATE UNIQUE INDEX portal_password_links_one_live ON portal_password_links (contact_id)
    WHERE used_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_password_links_expiry ON portal_password_links (expires_at);

CREATE TABLE portal_personal_links (
    token_hash BLOB PRIMARY KEY,
    contact_id BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id    BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX portal_personal_links_by_contact ON portal_personal_links (contact_id);
CREATE INDEX portal_personal_links_expiry ON portal_personal_links (expires_at);

CREATE TABLE portal_sessions (
    token_hash          BLOB PRIMARY KEY,
    id                  BLOB NOT NULL UNIQUE,
    contact_id          BLOB NOT NULL REFERENCES portal_contacts (id),
    firm_id             BLOB NOT NULL,
    active_client       BLOB NOT NULL REFERENCES portal_clients (id),
    created_at          INTEGER NOT NULL,
    renewed_at          INTEGER NOT NULL,
    idle_expires_at     INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    ip                  TEXT,
    user_agent          TEXT
) STRICT;
CREATE INDEX portal_sessions_by_contact ON portal_sessions (contact_id);
CREATE INDEX portal_sessions_idle_expiry ON portal_sessions (idle_expires_at);
CREATE INDEX portal_sessions_absolute_expiry ON portal_sessions (absolute_expires_at);

CREATE TABLE portal_throttle_hits (
    id           INTEGER PRIMARY KEY,
    throttle_key BLOB NOT NULL,
    at           INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX portal_throttle_hits_by_key ON portal_throttle_hits (throttle_key, at);
CREATE INDEX portal_throttle_hits_expiry ON portal_throttle_hits (expires_at);

CREATE TABLE portal_audit_heads (
    firm_id BLOB PRIMARY KEY,
    seq     INTEGER NOT NULL,
    hash    BLOB NOT NULL
) STRICT;

CREATE TABLE portal_audit_events (
    firm_id    BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    contact_id BLOB,
    ip         TEXT,
    user_agent TEXT,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL,
    PRIMARY KEY (firm_id, seq)
) STRICT;
CREATE INDEX portal_audit_events_by_contact ON portal_audit_events (firm_id, contact_id, seq);
