-- Organizations as aggregates (version 12).
--
-- `org_events` is an organization's log, as `events` is a board's: the
-- primary key (org_id, seq) keeps one writer per organization honest. The
-- organization read models (`orgs`, `memberships`, `invites`) are written
-- in the same transaction as the events they derive from (see
-- src/org_log.rs). Organizations created before this version get their
-- log seeded from the read models on first load.

CREATE TABLE org_events (
    org_id     uuid   NOT NULL,
    seq        bigint NOT NULL,
    at         bigint NOT NULL, -- unix ms
    actor      uuid   NOT NULL,
    command_id text   NULL,
    payload    bytea  NOT NULL, -- protocol::codec::encode_org_event
    CONSTRAINT org_events_pkey PRIMARY KEY (org_id, seq)
);

-- Idempotency of organization commands, as `command_outcomes` for boards.
CREATE TABLE org_command_outcomes (
    org_id      uuid   NOT NULL,
    actor       uuid   NOT NULL,
    command_id  text   NOT NULL,
    first_seq   bigint NULL,
    last_seq    bigint NULL,
    rejection   jsonb  NULL,
    at          bigint NOT NULL,
    PRIMARY KEY (org_id, actor, command_id),
    CHECK ((first_seq IS NOT NULL AND last_seq IS NOT NULL) <> (rejection IS NOT NULL))
);
CREATE INDEX org_command_outcomes_at ON org_command_outcomes (at);

-- A deleted organization is unreachable at once; a retention step removes
-- its data after the grace period.
ALTER TABLE orgs ADD COLUMN deleted_at timestamptz NULL;
