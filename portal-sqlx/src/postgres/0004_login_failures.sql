-- Failure counters move to a table of their own, for contacts and for the stand-ins of
-- addresses no contact has alike, so that an attempt naming an unknown address is
-- counted, backed off and forgotten exactly as a contact's is (see SCHEMA.md). Email
-- code challenges may belong to a stand-in too, which has no contact row to refer to.
-- Requests refused by the per-IP limit are counted per block and window, for one
-- audit entry each. Instances of an older version write the dropped columns: stop
-- them before this migration runs.

CREATE TABLE portal_login_failures (
    subject         UUID PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX portal_login_failures_age ON portal_login_failures (last_failure_at);

INSERT INTO portal_login_failures (subject, failures, last_failure_at)
SELECT id, failures, last_failure_at FROM portal_contacts
WHERE failures > 0 AND last_failure_at IS NOT NULL;

ALTER TABLE portal_contacts DROP COLUMN failures, DROP COLUMN last_failure_at;

ALTER TABLE portal_challenges DROP CONSTRAINT portal_challenges_contact_id_fkey;

CREATE TABLE portal_throttle_refusals (
    firm_id      UUID NOT NULL,
    throttle_key BYTEA NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    block        TEXT NOT NULL,
    refused      BIGINT NOT NULL,
    PRIMARY KEY (firm_id, throttle_key, window_start)
);
CREATE INDEX portal_throttle_refusals_end ON portal_throttle_refusals (window_end);
