-- Webhooks (Standard Webhooks): an organization's endpoints, where each
-- endpoint stands in each stream (a board's or the organization's log),
-- and the log of delivery attempts. The event log is the outbox: the
-- append transaction only makes sure a `webhook` job exists for each
-- (endpoint, stream) it touched, and the job reads the events from the log.

CREATE TABLE webhook_endpoints (
    id               uuid        PRIMARY KEY,
    org_id           uuid        NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url              text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    -- Event types delivered; empty: every type.
    event_types      text[]      NOT NULL DEFAULT '{}',
    -- `whsec_…`: kept as is, since signing needs it (see docs/webhooks.md).
    secret           text        NOT NULL,
    -- After a rotation, the old secret also signs until `previous_until`.
    previous_secret  text        NULL,
    previous_until   timestamptz NULL,
    enabled          boolean     NOT NULL DEFAULT true,
    disabled_reason  text        NULL,
    -- The first failed attempt since the last success.
    failing_since    timestamptz NULL,
    created_by       uuid        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- What the append transaction looks up for every batch: only organizations
-- with enabled endpoints find anything.
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id) WHERE enabled;

-- How far an endpoint has got in a stream: every event up to
-- `delivered_seq` was delivered, filtered out, or given up on.
CREATE TABLE webhook_cursors (
    endpoint_id    uuid    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    stream         text    NOT NULL CHECK (stream IN ('board', 'org')),
    stream_id      uuid    NOT NULL,
    delivered_seq  bigint  NOT NULL,
    -- Failed attempts of the event after `delivered_seq`.
    head_attempts  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (endpoint_id, stream, stream_id)
);

-- Every attempt, scheduled or asked for again.
CREATE TABLE webhook_deliveries (
    id           bigserial   PRIMARY KEY,
    endpoint_id  uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    msg_id       text        NOT NULL,
    stream       text        NOT NULL,
    stream_id    uuid        NOT NULL,
    seq          bigint      NOT NULL,
    event_type   text        NOT NULL,
    attempt      integer     NOT NULL,
    -- `scheduled` or `redeliver`.
    trigger      text        NOT NULL,
    status       integer     NULL,      -- the HTTP status; NULL when none came
    ok           boolean     NOT NULL,
    latency_ms   integer     NOT NULL,
    response     text        NULL,      -- the first 1 KiB of the body
    error        text        NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_at_idx ON webhook_deliveries (at);

-- A job enqueued again while it runs (its unique key taken) runs once more
-- when it finishes, instead of the new work waiting for the next enqueue.
ALTER TABLE jobs ADD COLUMN again boolean NOT NULL DEFAULT false;
