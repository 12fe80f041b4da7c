-- A firm may have a key that the host chooses, to find it again at every start
-- without storing its id (Portal::ensure_firm). Firms made before have none, and
-- firms made by id keep having none: keys are unique where set, and NULLs never
-- collide. The index is whole rather than partial, so that an insert can name it as
-- its conflict target without repeating a predicate.

ALTER TABLE portal_firms ADD COLUMN firm_key TEXT;
CREATE UNIQUE INDEX portal_firms_key ON portal_firms (firm_key);
