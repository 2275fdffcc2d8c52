-- Indexes behind the organization-wide item list (`Db::list_items`).
--
-- The list is ordered by `number` (unique per organization, never changes),
-- so every filter combination walks one of these in number order and stops
-- after a page; a keyset cursor continues with `number > last`.
--   - org only:                 items_org_number_key (org_id, number), from 0001
--   - board (and column):       items_board_number_idx
--   - column without a board:   items_column_number_idx
--   - assignee / label:         GIN, combined with the above in a bitmap scan
--   - updated_since:            items_org_updated_idx (a range, then sorted)
CREATE INDEX items_board_number_idx ON items (board_id, number);
CREATE INDEX items_column_number_idx ON items (column_id, number);
CREATE INDEX items_assignees_idx ON items USING gin (assignees);
CREATE INDEX items_labels_idx ON items USING gin (labels);
CREATE INDEX items_org_updated_idx ON items (org_id, updated_at);

-- Full-text search (`Db::search_items`): title weighs A, description B, so
-- a title match ranks above a description match. Generated, so every
-- projection that changes a title or description keeps it current.
ALTER TABLE items ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, description), 'B')
) STORED;
CREATE INDEX items_search_idx ON items USING gin (search);
