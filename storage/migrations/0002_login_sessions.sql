-- Corkboard schema, version 2: login sessions, refresh tokens, login lockout.
--
-- A login session is one sign-in on one device: the family of refresh
-- tokens that descend from it. Revoking it (logout, "sign out that
-- device", refresh-token reuse) sets `revoked_at`; rows are kept so a
-- restarted server can reload recent revocations (see server startup).

CREATE TABLE login_sessions (
    id            uuid        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Last refresh; access tokens are stateless and do not touch this.
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    -- Sliding: every refresh moves it to now() + the refresh lifetime.
    expires_at    timestamptz NOT NULL,
    user_agent    text        NULL,
    ip            text        NULL,
    revoked_at    timestamptz NULL,
    -- 'logout', 'revoked_by_user', 'refresh_token_reused', ...
    revoke_reason text        NULL,
    CONSTRAINT login_sessions_revoked_with_reason
        CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX login_sessions_user_idx ON login_sessions (user_id);
CREATE INDEX login_sessions_revoked_idx ON login_sessions (revoked_at)
    WHERE revoked_at IS NOT NULL;

-- Opaque refresh tokens, stored only as SHA-256 hashes. A token is used
-- once: rotation sets `used_at` and inserts its successor in the same
-- transaction.
CREATE TABLE refresh_tokens (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id uuid        NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz NULL
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Failed logins per scope ('email:<lowercased address>' or 'ip:<address>')
-- in a fixed window; `locked_until` is set when a scope reaches its limit.
CREATE TABLE login_failures (
    scope             text        PRIMARY KEY,
    failures          int         NOT NULL CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    locked_until      timestamptz NULL
);
