-- The audit log (issue 18): an append-only record of security-relevant
-- actions (logins, lockouts, password and session changes, API keys,
-- memberships, invites, organization changes, operator actions). See
-- docs/audit.md.
--
-- Append-only in the database, not only in the code: a trigger refuses
-- every UPDATE and DELETE, and another every TRUNCATE, whoever sends them
-- (the application's role included). There is no retention prune; an
-- operator who must remove entries (a legal erasure request, an archive
-- moved elsewhere) disables the triggers explicitly as the table's owner,
-- which leaves its own trace in the PostgreSQL logs (docs/audit.md).
CREATE TABLE audit_log (
    -- The order entries were inserted in; pages continue after an id.
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction's time: the change and its entry agree.
    at          timestamptz NOT NULL DEFAULT now(),
    -- `login.succeeded`, `member.role_changed`, ... (storage::audit::AuditAction).
    action      text        NOT NULL,
    -- The organization it concerns, when one; org admins read these.
    -- No foreign key: entries outlive what they name.
    org_id      uuid,
    -- Who acted: a user, an API key, the system, or nobody known (a
    -- failed login).
    actor_kind  text        NOT NULL
        CONSTRAINT audit_log_actor_kind CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id    uuid,
    -- What it was done to: `user`, `session`, `api_key`, `invite`, `org`, `job`, ...
    target_kind text,
    target_id   text,
    -- The request: client IP (as `client_addr` decides it), user agent
    -- (first 256 characters) and request id (`X-Request-Id`).
    ip          text,
    user_agent  text,
    request_id  text,
    -- Action-specific facts (a role, a reason, an email typed at login).
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_org_idx ON audit_log (org_id, id) WHERE org_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The operator tier: a disabled account cannot log in or refresh; its
-- sessions are revoked when it is disabled.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
