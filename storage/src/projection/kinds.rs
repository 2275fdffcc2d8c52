//! The read-model statements, one per kind of event. Each takes parallel
//! arrays (`UNNEST`), one row per event, so the events of one kind in a
//! round cost one statement.

/// The read-model statement an event needs. The declaration order is the
/// order in which the statements of one round are sent (see `plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Kind {
    BoardCreated,
    BoardRenamed,
    BoardArchived,
    ColumnAdded,
    ColumnRenamed,
    ColumnMoved,
    ColumnRemoved,
    WipLimitSet,
    ItemCreated,
    ItemEdited,
    ItemMoved,
    ItemAssigned,
    ItemUnassigned,
    LabelAdded,
    LabelRemoved,
    ItemArchived,
    CommentAdded,
    CommentEdited,
    CommentDeleted,
}

/// How a later event of a kind folds into an earlier row of the same kind
/// on the same target, within one round (see `group`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Merge {
    /// The later row's values replace the earlier's: the statement sets
    /// every field from the row.
    Replace,
    /// As `Replace`, but an unset optional text keeps the earlier value
    /// (the statement's `COALESCE`).
    KeepUnset,
}

impl Kind {
    /// Whether two events of this kind on one target, with nothing else
    /// written to it between them, can be one row: the second's statement
    /// would leave the row as if only the merged one ran. Sets (labels,
    /// assignees), creations and deletions cannot.
    pub(super) fn merges(self) -> Option<Merge> {
        match self {
            Kind::ItemEdited => Some(Merge::KeepUnset),
            Kind::BoardRenamed
            | Kind::BoardArchived
            | Kind::ColumnRenamed
            | Kind::ColumnMoved
            | Kind::WipLimitSet
            | Kind::ItemMoved
            | Kind::ItemArchived
            | Kind::CommentEdited => Some(Merge::Replace),
            _ => None,
        }
    }

    /// The statement; `$n` is the n-th column of the rows, as an array.
    pub(super) fn sql(self) -> &'static str {
        match self {
            Kind::BoardCreated => {
                "INSERT INTO boards (id, org_id, name, seq, created_at, updated_at) \
                 SELECT u.id, u.org, u.name, u.seq, u.at, u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[]) \
                 AS u(id, org, name, seq, at)"
            }
            Kind::BoardRenamed => {
                "UPDATE boards b SET name = u.name \
                 FROM UNNEST($1::uuid[], $2::text[]) AS u(id, name) WHERE b.id = u.id"
            }
            Kind::BoardArchived => {
                "UPDATE boards b SET archived = u.archived \
                 FROM UNNEST($1::uuid[], $2::bool[]) AS u(id, archived) WHERE b.id = u.id"
            }
            Kind::ColumnAdded => {
                "INSERT INTO board_columns (board_id, id, name, position, wip_limit) \
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[])"
            }
            Kind::ColumnRenamed => {
                "UPDATE board_columns c SET name = u.name \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS u(board, id, name) \
                 WHERE c.board_id = u.board AND c.id = u.id"
            }
            Kind::ColumnMoved => {
                "UPDATE board_columns c SET position = u.position \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS u(board, id, position) \
                 WHERE c.board_id = u.board AND c.id = u.id"
            }
            Kind::ColumnRemoved => {
                "DELETE FROM board_columns c USING UNNEST($1::uuid[], $2::uuid[]) AS u(board, id) \
                 WHERE c.board_id = u.board AND c.id = u.id"
            }
            Kind::WipLimitSet => {
                "UPDATE board_columns c SET wip_limit = u.wip_limit \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::int[]) AS u(board, id, wip_limit) \
                 WHERE c.board_id = u.board AND c.id = u.id"
            }
            // The org comes from the board row (projected by BoardCreated).
            Kind::ItemCreated => {
                "INSERT INTO items (id, board_id, org_id, number, title, description, \
                     column_id, position, created_by, created_at, updated_at) \
                 SELECT u.id, b.id, b.org_id, u.number, u.title, u.description, u.column_id, \
                     u.position, u.created_by, u.at, u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], \
                     $6::uuid[], $7::text[], $8::uuid[], $9::bigint[]) \
                     AS u(id, board, number, title, description, column_id, position, created_by, at) \
                 JOIN boards b ON b.id = u.board"
            }
            Kind::ItemEdited => {
                "UPDATE items i SET title = COALESCE(u.title, i.title), \
                     description = COALESCE(u.description, i.description), updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[]) \
                     AS u(id, title, description, at) \
                 WHERE i.id = u.id"
            }
            Kind::ItemMoved => {
                "UPDATE items i SET column_id = u.column_id, position = u.position, updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[]) \
                     AS u(id, column_id, position, at) \
                 WHERE i.id = u.id"
            }
            // Assignees and labels are sets in the domain: adding twice is a no-op.
            Kind::ItemAssigned => {
                "UPDATE items i SET assignees = CASE WHEN u.member = ANY(i.assignees) \
                     THEN i.assignees ELSE array_append(i.assignees, u.member) END, updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[]) AS u(id, member, at) \
                 WHERE i.id = u.id"
            }
            Kind::ItemUnassigned => {
                "UPDATE items i SET assignees = array_remove(i.assignees, u.member), updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[]) AS u(id, member, at) \
                 WHERE i.id = u.id"
            }
            Kind::LabelAdded => {
                "UPDATE items i SET labels = CASE WHEN u.label = ANY(i.labels) \
                     THEN i.labels ELSE array_append(i.labels, u.label) END, updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::text[], $3::bigint[]) AS u(id, label, at) \
                 WHERE i.id = u.id"
            }
            Kind::LabelRemoved => {
                "UPDATE items i SET labels = array_remove(i.labels, u.label), updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::text[], $3::bigint[]) AS u(id, label, at) \
                 WHERE i.id = u.id"
            }
            Kind::ItemArchived => {
                "UPDATE items i SET archived = u.archived, updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::bool[], $3::bigint[]) AS u(id, archived, at) \
                 WHERE i.id = u.id"
            }
            Kind::CommentAdded => {
                "INSERT INTO comments (id, board_id, item_id, author, body, seq, created_at, updated_at) \
                 SELECT u.id, u.board, u.item, u.author, u.body, u.seq, u.at, u.at \
                 FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], \
                     $6::bigint[], $7::bigint[]) AS u(id, board, item, author, body, seq, at)"
            }
            Kind::CommentEdited => {
                "UPDATE comments c SET body = u.body, updated_at = u.at \
                 FROM UNNEST($1::uuid[], $2::text[], $3::bigint[]) AS u(id, body, at) \
                 WHERE c.id = u.id"
            }
            Kind::CommentDeleted => {
                "DELETE FROM comments c USING UNNEST($1::uuid[]) AS u(id) WHERE c.id = u.id"
            }
        }
    }
}
