-- Corkboard schema, version 1.
--
-- `events` is the source of truth. `boards`, `board_columns` and `items` are
-- read models written in the same transaction as the events they derive
-- from (see src/projection.rs); they can always be rebuilt from `events`.
-- Event timestamps are unix milliseconds (bigint) exactly as recorded by the
-- board actor; account tables use timestamptz.

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    -- Stored lowercased by the application; lookups lowercase the input.
    email         text        NOT NULL CONSTRAINT users_email_key UNIQUE,
    name          text        NOT NULL,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orgs (
    id               uuid        PRIMARY KEY,
    name             text        NOT NULL,
    -- Prefix of item numbers, e.g. DS in DS-123.
    key              text        NOT NULL CONSTRAINT orgs_key_key UNIQUE
                                 CONSTRAINT orgs_key_format CHECK (key ~ '^[A-Z][A-Z0-9]{1,9}$'),
    -- The next item number not yet handed out (reserved in blocks).
    next_item_number bigint      NOT NULL DEFAULT 1 CHECK (next_item_number >= 1),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    org_id     uuid        NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- The event log. The primary key is what keeps one writer per board honest:
-- a second writer appending the same seq gets a unique violation.
CREATE TABLE events (
    board_id   uuid   NOT NULL,
    seq        bigint NOT NULL,
    at         bigint NOT NULL, -- unix ms
    actor      uuid   NOT NULL,
    command_id text   NULL,
    payload    bytea  NOT NULL, -- protocol::codec::encode_event
    CONSTRAINT events_pkey PRIMARY KEY (board_id, seq)
);
-- Not unique yet: idempotent commands will look up earlier outcomes here.
CREATE INDEX events_command_idx ON events (board_id, command_id);

-- Only the newest snapshot of each board is kept.
CREATE TABLE snapshots (
    board_id uuid        PRIMARY KEY,
    seq      bigint      NOT NULL,
    state    bytea       NOT NULL, -- protocol::codec::encode_board
    taken_at timestamptz NOT NULL DEFAULT now()
);

-- Read models.

CREATE TABLE boards (
    id         uuid   PRIMARY KEY,
    org_id     uuid   NOT NULL REFERENCES orgs (id),
    name       text   NOT NULL,
    seq        bigint NOT NULL, -- last projected event
    created_at bigint NOT NULL, -- unix ms
    updated_at bigint NOT NULL  -- unix ms
);
CREATE INDEX boards_org_idx ON boards (org_id);

CREATE TABLE board_columns (
    board_id  uuid NOT NULL,
    id        uuid NOT NULL,
    name      text NOT NULL,
    position  text NOT NULL,
    wip_limit int  NULL,
    PRIMARY KEY (board_id, id)
);

CREATE TABLE items (
    id          uuid    PRIMARY KEY,
    board_id    uuid    NOT NULL,
    org_id      uuid    NOT NULL,
    number      bigint  NOT NULL,
    title       text    NOT NULL,
    description text    NOT NULL,
    column_id   uuid    NOT NULL,
    position    text    NOT NULL,
    assignees   uuid[]  NOT NULL DEFAULT '{}',
    labels      text[]  NOT NULL DEFAULT '{}',
    archived    boolean NOT NULL DEFAULT false,
    created_by  uuid    NOT NULL,
    created_at  bigint  NOT NULL, -- unix ms
    updated_at  bigint  NOT NULL, -- unix ms
    CONSTRAINT items_org_number_key UNIQUE (org_id, number)
);
CREATE INDEX items_board_column_idx ON items (board_id, column_id, position);
