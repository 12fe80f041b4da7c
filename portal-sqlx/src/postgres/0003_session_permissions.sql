-- Sessions carry the permissions of their active client's grant, so that verification
-- reads one row by its primary key (the session invariant, see SCHEMA.md).
--
-- Grants and statuses stay put while the sessions are rewritten, so that the copies
-- match what was committed when this migration commits. Instances of an older version
-- cannot keep the copies current (nor insert sessions, the column having no default):
-- stop them before this migration runs.
LOCK TABLE portal_contacts, portal_grants IN SHARE MODE;

ALTER TABLE portal_sessions ADD COLUMN permissions BIGINT;

-- Sessions that verification already refused (contact no longer active, no grant to
-- the active client) would count again without its joins: they end here.
DELETE FROM portal_sessions s
WHERE NOT EXISTS (SELECT 1 FROM portal_contacts c
                  WHERE c.id = s.contact_id AND c.status = 'active')
   OR NOT EXISTS (SELECT 1 FROM portal_grants g
                  WHERE g.contact_id = s.contact_id AND g.client_id = s.active_client);

UPDATE portal_sessions s SET permissions = g.permissions
FROM portal_grants g
WHERE g.contact_id = s.contact_id AND g.client_id = s.active_client;

ALTER TABLE portal_sessions ALTER COLUMN permissions SET NOT NULL;
