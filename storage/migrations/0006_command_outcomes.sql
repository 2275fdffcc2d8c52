-- Idempotency: the outcome of every command sent with a client command id,
-- per board and author. Accepted commands are recorded in the same
-- transaction as their events; rejections right after the decision.
-- Kept for at least 24 hours (pruned after COMMAND_OUTCOME_RETENTION).
CREATE TABLE command_outcomes (
    board_id    uuid   NOT NULL,
    actor       uuid   NOT NULL,
    command_id  text   NOT NULL,
    first_seq   bigint NULL,
    last_seq    bigint NULL,
    rejection   jsonb  NULL,
    at          bigint NOT NULL,
    PRIMARY KEY (board_id, actor, command_id),
    CHECK ((first_seq IS NOT NULL AND last_seq IS NOT NULL) <> (rejection IS NOT NULL))
);
CREATE INDEX command_outcomes_at ON command_outcomes (at);
