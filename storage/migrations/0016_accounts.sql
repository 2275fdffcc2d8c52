-- Account recovery and mail preferences (version 16).
--
-- `email_verified_at`: set when the owner of the address follows the
-- verification link (or resets the password through it). Accounts made
-- before this version start unverified.
-- `notify_assigned` / `notify_mentioned`: whether the user is mailed when
-- someone assigns them a card or mentions them in a comment.
-- `deleted_at`: the account was deleted; its personal data is replaced by
-- placeholders, its id stays (the event log names it as an actor).
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz NULL,
    ADD COLUMN notify_assigned   boolean     NOT NULL DEFAULT true,
    ADD COLUMN notify_mentioned  boolean     NOT NULL DEFAULT true,
    ADD COLUMN deleted_at        timestamptz NULL;

-- Single-use tokens mailed to a user: email verification and password
-- reset. Only the SHA-256 of a token is kept; using one sets `used_at`.
CREATE TABLE account_tokens (
    token_hash bytea       NOT NULL CONSTRAINT account_tokens_pkey PRIMARY KEY
                           CHECK (length(token_hash) = 32),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at);
