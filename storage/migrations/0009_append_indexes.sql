-- Cheaper appends: every command writes an `events` row and a
-- `command_outcomes` row, so each index on them is paid per command.
--
-- Nothing looks events up by command id (idempotency lives in
-- command_outcomes since 0006), so that index only cost writes.
DROP INDEX IF EXISTS events_command_idx;

-- `at` only serves the retention prune (`DELETE ... WHERE at < cutoff`).
-- Rows arrive roughly in `at` order, which is what a BRIN index summarizes:
-- a few pages instead of a B-tree entry per command.
DROP INDEX IF EXISTS command_outcomes_at;
CREATE INDEX command_outcomes_at_brin ON command_outcomes USING brin (at);
