-- API keys for programmatic clients (version 3).
--
-- A key reads `cbk_<prefix>_<secret>`. The prefix is public: it is stored
-- as is, for lookup and display. Only HMAC-SHA256(pepper, secret) is kept,
-- with the pepper a server secret, so neither a database leak nor a log of
-- prefixes hands out access. A key belongs to one organization and carries
-- its own role; it is never deleted, only revoked (revoked_at), so events
-- authored by it keep a name.

CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    org_id       uuid        NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    prefix       text        NOT NULL CONSTRAINT api_keys_prefix_key UNIQUE
                             CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^[a-z0-9]{12}$'),
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    created_by   uuid        NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NULL,
    revoked_at   timestamptz NULL,
    last_used_at timestamptz NULL
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id);
