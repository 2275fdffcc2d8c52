-- Cheaper appends (issue 19): every index on `items` is paid by each
-- created item, and by each move that changes an indexed column.
--
-- `items_board_column_idx (board_id, column_id, position)` serves no query
-- the server makes: boards are read from their event log and snapshots,
-- and the REST item list walks `number` order (0007). The only reader of
-- items by board and position is a storage test's helper
-- (`Db::items_of_board`), which a bitmap scan of `items_board_number_idx`
-- serves as well.
DROP INDEX IF EXISTS items_board_column_idx;
