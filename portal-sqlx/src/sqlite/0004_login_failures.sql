-- Failure counters move to a table of their own, for contacts and for the stand-ins of
-- addresses no contact has alike, so that an attempt naming an unknown address is
-- counted, backed off and forgotten exactly as a contact's is (see SCHEMA.md). Email
-- code challenges may belong to a stand-in too, which has no contact row to refer to:
-- SQLite drops a foreign key only by rebuilding the table, which nothing refers to.
-- Requests refused by the per-IP limit are counted per block and window, for one
-- audit entry each.

CREATE TABLE portal_login_failures (
    subject         BLOB PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
) STRICT;
CREATE INDEX portal_login_failures_age ON portal_login_failures (last_failure_at);

INSERT INTO portal_login_failures (subject, failures, last_failure_at)
SELECT id, failures, last_failure_at FROM portal_contacts
WHERE failures > 0 AND last_failure_at IS NOT NULL;

ALTER TABLE portal_contacts DROP COLUMN failures;
ALTER TABLE portal_contacts DROP COLUMN last_failure_at;

CREATE TABLE portal_challenges_new (
    token_hash     BLOB PRIMARY KEY,
    contact_id     BLOB NOT NULL,
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
INSERT INTO portal_challenges_new SELECT token_hash, contact_id, firm_id, created_at,
    expires_at, code_hash, next_path, codes_sent, guesses, generation, consumed_at,
    invalidated_at FROM portal_challenges;
DROP TABLE portal_challenges;
ALTER TABLE portal_challenges_new RENAME TO portal_challenges;
CREATE UNIQUE INDEX portal_challenges_one_live ON portal_challenges (contact_id)
    WHERE consumed_at IS NULL AND invalidated_at IS NULL;
CREATE INDEX portal_challenges_expiry ON portal_challenges (expires_at);

CREATE TABLE portal_throttle_refusals (
    firm_id      BLOB NOT NULL,
    throttle_key BLOB NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    block        TEXT NOT NULL,
    refused      INTEGER NOT NULL,
    PRIMARY KEY (firm_id, throttle_key, window_start)
) STRICT;
CREATE INDEX portal_throttle_refusals_end ON portal_throttle_refusals (window_end);
