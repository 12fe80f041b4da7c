-- Portal's schema on PostgreSQL. Timestamps are Unix milliseconds (BIGINT), ids are
-- UUIDs, secrets are stored only as 32-byte SHA-256 digests (token_hash). See SCHEMA.md.

CREATE TABLE portal_firms (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    public_url      TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    logo_url        TEXT,
    accent_colour   TEXT NOT NULL,
    welcome_message TEXT NOT NULL,
    mail_from       TEXT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE portal_clients (
    id         UUID PRIMARY KEY,
    firm_id    UUID NOT NULL REFERENCES portal_firms (id),
    -- Byte order, as the other stores sort.
    name       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_clients_by_firm ON portal_clients (firm_id, name);

CREATE TABLE portal_contacts (
    id              UUID PRIMARY KEY,
    firm_id         UUID NOT NULL REFERENCES portal_firms (id),
    email           TEXT NOT NULL,
    email_canonical TEXT COLLATE "C" NOT NULL,
    first_name      TEXT NOT NULL,
    phone           TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    created_at      BIGINT NOT NULL,
    invited_at      BIGINT,
    joined_at       BIGINT,
    last_seen_at    BIGINT,
    password_hash   TEXT,
    failures        BIGINT NOT NULL DEFAULT 0,
    last_failure_at BIGINT,
    UNIQUE (firm_id, email_canonical)
);

CREATE TABLE portal_grants (
    contact_id  UUID NOT NULL REFERENCES portal_contacts (id),
    client_id   UUID NOT NULL REFERENCES portal_clients (id),
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    permissions BIGINT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (contact_id, client_id)
);
CREATE INDEX portal_grants_oldest_first ON portal_grants (contact_id, seq);

CREATE TABLE portal_magic_links (
    token_hash     BYTEA PRIMARY KEY,
    contact_id     UUID NOT NULL REFERENCES portal_contacts (id),
    firm_id        UUID NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    next_path      TEXT,
    binding_hash   BYTEA,
    consumed_at    BIGINT,
    invalidated_at BIGINT
);
CREATE UNIQUE INDEX portal_magic_links_one_live ON portal_magic_links (contact_id)
    WHERE consumed_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_magic_links_expiry ON portal_magic_links (expires_at);

CREATE TABLE portal_challenges (
    token_hash     BYTEA PRIMARY KEY,
    contact_id     UUID NOT NULL REFERENCES portal_contacts (id),
    firm_id        UUID NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    code_hash      TEXT NOT NULL,
    next_path      TEXT,
    codes_sent     BIGINT NOT NULL,
    guesses        BIGINT NOT NULL,
    generation     BIGINT NOT NULL,
    consumed_at    BIGINT,
    invalidated_at BIGINT
);
CREATE UNIQUE INDEX portal_challenges_one_live ON portal_challenges (contact_id)
    WHERE consumed_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_challenges_expiry ON portal_challenges (expires_at);

CREATE TABLE portal_password_links (
    token_hash     BYTEA PRIMARY KEY,
    contact_id     UUID NOT NULL REFERENCES portal_contacts (id),
    firm_id        UUID NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    invalidated_at BIGINT
);
CREATE UNIQUE INDEX portal_password_links_one_live ON portal_password_links (contact_id)
    WHERE used_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_password_links_expiry ON portal_password_links (expires_at);

CREATE TABLE portal_personal_links (
    token_hash BYTEA PRIMARY KEY,
    contact_id UUID NOT NULL REFERENCES portal_contacts (id),
    firm_id    UUID NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_personal_links_by_contact ON portal_personal_links (contact_id);
CREATE INDEX portal_personal_links_expiry ON portal_personal_links (expires_at);

CREATE TABLE portal_sessions (
    token_hash          BYTEA PRIMARY KEY,
    id                  UUID NOT NULL UNIQUE,
    contact_id          UUID NOT NULL REFERENCES portal_contacts (id),
    firm_id             UUID NOT NULL,
    active_client       UUID NOT NULL REFERENCES portal_clients (id),
    created_at          BIGINT NOT NULL,
    renewed_at          BIGINT NOT NULL,
    idle_expires_at     BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    ip                  TEXT,
    user_agent          TEXT
);
CREATE INDEX portal_sessions_by_contact ON portal_sessions (contact_id);
CREATE INDEX portal_sessions_idle_expiry ON portal_sessions (idle_expires_at);
CREATE INDEX portal_sessions_absolute_expiry ON portal_sessions (absolute_expires_at);

CREATE TABLE portal_throttle_hits (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    throttle_key BYTEA NOT NULL,
    at           BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX portal_throttle_hits_by_key ON portal_throttle_hits (throttle_key, at);
CREATE INDEX portal_throttle_hits_expiry ON portal_throttle_hits (expires_at);

CREATE TABLE portal_audit_heads (
    firm_id UUID PRIMARY KEY,
    seq     BIGINT NOT NULL,
    hash    BYTEA NOT NULL
);

CREATE TABLE portal_audit_events (
    firm_id    UUID NOT NULL,
    seq        BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    contact_id UUID,
    ip         TEXT,
    user_agent TEXT,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    PRIMARY KEY (firm_id, seq)
);
CREATE INDEX portal_audit_events_by_contact ON portal_audit_events (firm_id, contact_id, seq);
