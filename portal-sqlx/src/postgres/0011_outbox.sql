-- The outbox: every message queued in the transaction of the operation that causes
-- it, claimed by workers under a lease, and every attempt at delivering it kept
-- beside it. `payload` is opaque here: the JSON of the body, or, when `key_id` is set,
-- the body sealed under that vault key (nonce then ciphertext); a sealed body is
-- emptied once the message is final. New tables only: no existing row changes.
-- See SCHEMA.md.

CREATE TABLE portal_outbox_messages (
    id          UUID PRIMARY KEY,
    firm_id     UUID NOT NULL REFERENCES portal_firms (id),
    contact_id  UUID REFERENCES portal_contacts (id),
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    payload     BYTEA NOT NULL,
    key_id      TEXT,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts    BIGINT NOT NULL CHECK (attempts >= 0),
    queued_at   BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    claim_id    UUID,
    claim_until BIGINT
);
-- A claim: the queued messages due first, in (due_at, id) order.
CREATE INDEX portal_outbox_messages_due ON portal_outbox_messages (state, due_at, id);
-- A contact's messages, newest first.
CREATE INDEX portal_outbox_messages_by_contact
    ON portal_outbox_messages (contact_id, queued_at DESC, id DESC);

CREATE TABLE portal_outbox_attempts (
    message_id UUID NOT NULL REFERENCES portal_outbox_messages (id),
    n          BIGINT NOT NULL CHECK (n >= 1),
    at         BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    reply      TEXT NOT NULL,
    PRIMARY KEY (message_id, n)
);
