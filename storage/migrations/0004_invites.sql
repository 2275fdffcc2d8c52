-- Invitations into an organization (version 4).
--
-- The token itself is shown once, to the inviter; only its SHA-256 is kept,
-- so a database leak does not hand out memberships. An invite is used at
-- most once: redeeming sets accepted_by/accepted_at in the same transaction
-- that inserts the membership.

CREATE TABLE invites (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash  bytea       NOT NULL CONSTRAINT invites_token_hash_key UNIQUE
                            CHECK (length(token_hash) = 32),
    -- Who created it: a user id, or an API key id (like events.actor).
    created_by  uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_by uuid        NULL REFERENCES users (id) ON DELETE SET NULL,
    accepted_at timestamptz NULL,
    revoked_at  timestamptz NULL,
    CONSTRAINT invites_not_both_accepted_and_revoked
        CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX invites_org_idx ON invites (org_id, created_at DESC);
