-- Cheaper creates (issue 19): a GIN index holds an entry even for an
-- empty array, so every created item (no assignees, no labels yet) paid
-- two GIN insertions that no query can use: the item list filters by one
-- assignee or one label (`@>`), which an empty array never matches.
-- Partial now, over the items that have some; the list's filters add the
-- matching predicate (`assignees <> '{}'`) so the planner takes them
-- (`Db::list_items`).
--
-- Upgrading: item reads and writes wait while both indexes are rebuilt
-- (one transaction, like every migration): seconds per million items.
DROP INDEX IF EXISTS items_assignees_idx;
CREATE INDEX items_assignees_idx ON items USING gin (assignees) WHERE assignees <> '{}';
DROP INDEX IF EXISTS items_labels_idx;
CREATE INDEX items_labels_idx ON items USING gin (labels) WHERE labels <> '{}';
