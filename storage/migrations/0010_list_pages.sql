-- Keyset pagination of the account lists (src/keyset.rs): each page reads
-- `WHERE scope AND (key, id) > (last key, last id) ORDER BY key, id LIMIT n`,
-- so each list gets an index on exactly (scope, key, id) and a page costs
-- its own rows, not the whole list.

CREATE INDEX memberships_org_page_idx ON memberships (org_id, created_at, user_id);
CREATE INDEX memberships_user_page_idx ON memberships (user_id, created_at, org_id);
DROP INDEX IF EXISTS memberships_user_idx;

CREATE INDEX boards_org_page_idx ON boards (org_id, created_at, id);
DROP INDEX IF EXISTS boards_org_idx;

CREATE INDEX invites_org_page_idx ON invites (org_id, created_at DESC, id DESC);
DROP INDEX IF EXISTS invites_org_idx;

CREATE INDEX api_keys_org_page_idx ON api_keys (org_id, created_at, id);
DROP INDEX IF EXISTS api_keys_org_idx;

CREATE INDEX login_sessions_user_page_idx ON login_sessions (user_id, created_at DESC, id DESC);
DROP INDEX IF EXISTS login_sessions_user_idx;
