-- The nodes sharing this database. Each running `corkboard` writes its
-- heartbeat here every second; a node whose heartbeat is older than the
-- timeout is gone, and the others drop the presence of its sessions.
-- Nothing else depends on this table: a node's row is advisory.
CREATE TABLE nodes (
    id           uuid        NOT NULL CONSTRAINT nodes_pkey PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
