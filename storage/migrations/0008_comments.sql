-- Comments on items: a read model of the comment_added / comment_edited /
-- comment_deleted events (see src/projection.rs). A deleted comment's row
-- is removed; the log keeps its history.
CREATE TABLE comments (
    id         uuid   PRIMARY KEY,
    board_id   uuid   NOT NULL,
    item_id    uuid   NOT NULL,
    author     uuid   NOT NULL,
    body       text   NOT NULL,
    -- seq of the comment_added event: comments of an item sort by it.
    seq        bigint NOT NULL,
    created_at bigint NOT NULL, -- unix ms
    updated_at bigint NOT NULL  -- unix ms
);
CREATE INDEX comments_item_seq_idx ON comments (item_id, seq);
