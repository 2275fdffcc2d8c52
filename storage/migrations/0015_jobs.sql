-- The job queue (version 15): work that leaves the request, run by every
-- node's workers. A job is inserted in the same transaction as the change
-- that causes it, so a committed change never loses its job and a rolled
-- back one never runs it.
--
-- States: 'queued' (waiting for `run_at`; a retry is a queued job with
-- attempts > 0), 'running' (claimed by `locked_by`, a node id from
-- `nodes`), 'dead' (attempts exhausted: the dead-letter queue, kept until
-- an operator retries or discards it). A job that succeeds is deleted.
CREATE TABLE jobs (
    id           bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT jobs_pkey PRIMARY KEY,
    kind         text        NOT NULL,
    payload      jsonb       NOT NULL,
    state        text        NOT NULL DEFAULT 'queued'
                             CONSTRAINT jobs_state CHECK (state IN ('queued', 'running', 'dead')),
    attempts     int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts int         NOT NULL CHECK (max_attempts >= 1),
    run_at       timestamptz NOT NULL DEFAULT now(),
    -- The same work is not queued twice while a job holds its key (queued,
    -- running or dead); the key is free again once that job succeeded or
    -- was discarded.
    unique_key   text        NULL CONSTRAINT jobs_unique_key UNIQUE,
    locked_by    uuid        NULL,
    locked_at    timestamptz NULL,
    last_error   text        NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_running_locked CHECK ((state = 'running') = (locked_by IS NOT NULL))
);
-- What workers claim: the due queued jobs of a kind, oldest first.
CREATE INDEX jobs_due_idx ON jobs (kind, run_at, id) WHERE state = 'queued';
-- Running jobs by node (releasing a gone node's jobs), and dead jobs.
CREATE INDEX jobs_running_idx ON jobs (locked_by) WHERE state = 'running';
CREATE INDEX jobs_state_idx ON jobs (state, kind, id);

-- Wake the workers: one notification per inserting statement, delivered
-- at commit (and not at all on rollback), naming the kinds inserted
-- (comma-separated), so workers look only for those.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('corkboard_jobs', (SELECT string_agg(DISTINCT kind, ',') FROM inserted));
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();

-- Scheduled jobs: the next time each is due. A node enqueues a due job
-- and moves `next_at` in one transaction, so with several nodes each
-- slot is enqueued once.
CREATE TABLE job_schedule (
    kind    text        NOT NULL CONSTRAINT job_schedule_pkey PRIMARY KEY,
    next_at timestamptz NOT NULL
);
