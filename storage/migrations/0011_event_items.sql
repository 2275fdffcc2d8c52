-- The item each event concerns, for the history of one item
-- (`Db::item_events`, `GET /boards/{board}/events?item=`). NULL for board
-- and column events. Written with the event (src/event_log.rs): the item of
-- the item events and of `comment_added` is in the event itself; a
-- `comment_edited` / `comment_deleted` names only its comment, whose item
-- the append looks up (the `comments` row, or a `comment_added` of the same
-- batch).
--
-- Re-runnable (IF NOT EXISTS, only NULLs are filled), so a test can check
-- the backfill against what the append writes.
ALTER TABLE events ADD COLUMN IF NOT EXISTS item_id uuid NULL;

-- Backfill of existing logs. Payloads are MessagePack with named fields
-- and UUIDs as 36-character strings (protocol::codec::encode_event, pinned
-- by golden bytes), so the key `item` is followed by its value as
--   a4 'item' d9 24 <36 ASCII bytes>
-- That byte run cannot occur inside a string value (d9 24 is not valid UTF-8)
-- nor inside a UUID string (ASCII), so its first occurrence is the field.
UPDATE events
SET item_id = convert_from(
        substring(payload FROM position('\xa46974656dd924'::bytea IN payload) + 7 FOR 36),
        'UTF8')::uuid
WHERE item_id IS NULL
  AND position('\xa46974656dd924'::bytea IN payload) > 0;

-- Comment edits and deletions: the item of the `comment_added` event of
-- the same comment on the same board (the `comments` row of a deleted
-- comment is gone). The key `comment` is a7 'comment' d9 24.
WITH added AS (
    SELECT board_id,
           substring(payload FROM position('\xa7636f6d6d656e74d924'::bytea IN payload) + 10 FOR 36)
               AS comment,
           item_id
    FROM events
    WHERE item_id IS NOT NULL
      AND position('\xa7636f6d6d656e74d924'::bytea IN payload) > 0
)
UPDATE events e
SET item_id = a.item_id
FROM added a
WHERE e.item_id IS NULL
  AND position('\xa7636f6d6d656e74d924'::bytea IN e.payload) > 0
  AND a.board_id = e.board_id
  AND a.comment = substring(e.payload
                            FROM position('\xa7636f6d6d656e74d924'::bytea IN e.payload) + 10 FOR 36);

-- One item's events in seq order: an index range scan that stops after a
-- page. Partial, so board and column events add no index entry to their
-- append (see 0009 on what each index costs per command).
CREATE INDEX IF NOT EXISTS events_item_seq_idx ON events (board_id, item_id, seq)
    WHERE item_id IS NOT NULL;
