//! What each event does to the read models, as one row of a multi-row
//! statement: every statement takes parallel arrays (`UNNEST`), so a batch
//! of events of one kind costs one statement however many events it holds.

use protocol::{Event, Recorded};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::kinds::Kind;

use crate::db::to_sql_i64;

/// One value of a row.
#[derive(Clone, Copy)]
pub(super) enum Value<'a> {
    Uuid(Uuid),
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    OptSmall(Option<i32>),
    Bool(bool),
}

/// One column of a statement's rows, sent as one array parameter.
pub(super) enum Column<'a> {
    Uuid(Vec<Uuid>),
    Text(Vec<&'a str>),
    OptText(Vec<Option<&'a str>>),
    Int(Vec<i64>),
    OptSmall(Vec<Option<i32>>),
    Bool(Vec<bool>),
}

impl<'a> Column<'a> {
    /// An empty column holding values like `first`.
    pub(super) fn like(first: Value<'a>) -> Self {
        match first {
            Value::Uuid(_) => Column::Uuid(Vec::new()),
            Value::Text(_) => Column::Text(Vec::new()),
            Value::OptText(_) => Column::OptText(Vec::new()),
            Value::Int(_) => Column::Int(Vec::new()),
            Value::OptSmall(_) => Column::OptSmall(Vec::new()),
            Value::Bool(_) => Column::Bool(Vec::new()),
        }
    }

    /// Appends `value`. A statement's rows always have the same value types
    /// per column (`row` builds them), so a mismatch is a bug in `row`.
    pub(super) fn push(&mut self, value: Value<'a>) {
        match (self, value) {
            (Column::Uuid(v), Value::Uuid(x)) => v.push(x),
            (Column::Text(v), Value::Text(x)) => v.push(x),
            (Column::OptText(v), Value::OptText(x)) => v.push(x),
            (Column::Int(v), Value::Int(x)) => v.push(x),
            (Column::OptSmall(v), Value::OptSmall(x)) => v.push(x),
            (Column::Bool(v), Value::Bool(x)) => v.push(x),
            _ => unreachable!("a projection row changed its column types"),
        }
    }

    /// Rows so far.
    pub(super) fn len(&self) -> usize {
        match self {
            Column::Uuid(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::OptText(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::OptSmall(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    /// Writes `value` over row `index` (a later event of the same kind on
    /// the same target, see `Kind::merges`). With `keep_unset`, an unset
    /// optional text keeps the earlier value, as `COALESCE` would have.
    pub(super) fn merge(&mut self, index: usize, value: Value<'a>, keep_unset: bool) {
        match (self, value) {
            (Column::Uuid(v), Value::Uuid(x)) => v[index] = x,
            (Column::Text(v), Value::Text(x)) => v[index] = x,
            (Column::OptText(_), Value::OptText(None)) if keep_unset => {}
            (Column::OptText(v), Value::OptText(x)) => v[index] = x,
            (Column::Int(v), Value::Int(x)) => v[index] = x,
            (Column::OptSmall(v), Value::OptSmall(x)) => v[index] = x,
            (Column::Bool(v), Value::Bool(x)) => v[index] = x,
            _ => unreachable!("a projection row changed its column types"),
        }
    }

    /// The column as a statement parameter.
    pub(super) fn into_param(self) -> Box<dyn ToSql + Sync + Send + 'a> {
        match self {
            Column::Uuid(v) => Box::new(v),
            Column::Text(v) => Box::new(v),
            Column::OptText(v) => Box::new(v),
            Column::Int(v) => Box::new(v),
            Column::OptSmall(v) => Box::new(v),
            Column::Bool(v) => Box::new(v),
        }
    }
}

/// What an event writes, for ordering: two events writing the same target
/// go into different rounds, so each statement touches a row at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Target {
    Board(Uuid),
    Column(Uuid, Uuid),
    Item(Uuid),
    Comment(Uuid),
}

/// A projected event: its statement, its row, what it writes, and what it
/// reads that an earlier event of the batch may have written.
pub(super) struct Row<'a> {
    pub kind: Kind,
    pub values: Vec<Value<'a>>,
    pub writes: Target,
    pub reads: Option<Target>,
}

/// WIP limits are small; anything beyond `int` saturates.
fn sql_wip_limit(limit: u32) -> i32 {
    i32::try_from(limit).unwrap_or(i32::MAX)
}

/// The read-model row of one event.
pub(super) fn row(rec: &Recorded) -> Row<'_> {
    use Value::{Bool, Int, OptSmall, OptText, Text, Uuid as Id};
    let board = rec.board.0;
    let at = Int(rec.at.0);
    let on_board = |kind, values| Row {
        kind,
        values,
        writes: Target::Board(board),
        reads: None,
    };
    let on_column = |kind, column: Uuid, values| Row {
        kind,
        values,
        writes: Target::Column(board, column),
        reads: None,
    };
    let on_item = |kind, item: Uuid, values| Row {
        kind,
        values,
        writes: Target::Item(item),
        reads: None,
    };
    let on_comment = |kind, comment: Uuid, values| Row {
        kind,
        values,
        writes: Target::Comment(comment),
        reads: None,
    };
    match &rec.event {
        Event::BoardCreated { org, name } => on_board(
            Kind::BoardCreated,
            vec![
                Id(board),
                Id(org.0),
                Text(name),
                Int(to_sql_i64(rec.seq)),
                at,
            ],
        ),
        Event::BoardRenamed { name } => on_board(Kind::BoardRenamed, vec![Id(board), Text(name)]),
        Event::BoardArchived => on_board(Kind::BoardArchived, vec![Id(board), Bool(true)]),
        Event::BoardRestored => on_board(Kind::BoardArchived, vec![Id(board), Bool(false)]),
        Event::ColumnAdded {
            column,
            name,
            position,
            wip_limit,
        } => on_column(
            Kind::ColumnAdded,
            column.0,
            vec![
                Id(board),
                Id(column.0),
                Text(name),
                Text(position),
                OptSmall(wip_limit.map(sql_wip_limit)),
            ],
        ),
        Event::ColumnRenamed { column, name } => on_column(
            Kind::ColumnRenamed,
            column.0,
            vec![Id(board), Id(column.0), Text(name)],
        ),
        Event::ColumnMoved { column, position } => on_column(
            Kind::ColumnMoved,
            column.0,
            vec![Id(board), Id(column.0), Text(position)],
        ),
        Event::ColumnRemoved { column } => {
            on_column(Kind::ColumnRemoved, column.0, vec![Id(board), Id(column.0)])
        }
        Event::WipLimitSet { column, limit } => on_column(
            Kind::WipLimitSet,
            column.0,
            vec![Id(board), Id(column.0), OptSmall(limit.map(sql_wip_limit))],
        ),
        Event::ItemCreated {
            item,
            number,
            title,
            description,
            column,
            position,
        } => Row {
            reads: Some(Target::Board(board)),
            ..on_item(
                Kind::ItemCreated,
                item.0,
                vec![
                    Id(item.0),
                    Id(board),
                    Int(to_sql_i64(*number)),
                    Text(title),
                    Text(description),
                    Id(column.0),
                    Text(position),
                    Id(rec.by.0),
                    at,
                ],
            )
        },
        Event::ItemEdited {
            item,
            title,
            description,
        } => on_item(
            Kind::ItemEdited,
            item.0,
            vec![
                Id(item.0),
                OptText(title.as_deref()),
                OptText(description.as_deref()),
                at,
            ],
        ),
        Event::ItemMoved {
            item,
            column,
            position,
        } => on_item(
            Kind::ItemMoved,
            item.0,
            vec![Id(item.0), Id(column.0), Text(position), at],
        ),
        Event::ItemAssigned { item, user } => {
            on_item(Kind::ItemAssigned, item.0, vec![Id(item.0), Id(user.0), at])
        }
        Event::ItemUnassigned { item, user } => on_item(
            Kind::ItemUnassigned,
            item.0,
            vec![Id(item.0), Id(user.0), at],
        ),
        Event::LabelAdded { item, label } => {
            on_item(Kind::LabelAdded, item.0, vec![Id(item.0), Text(label), at])
        }
        Event::LabelRemoved { item, label } => on_item(
            Kind::LabelRemoved,
            item.0,
            vec![Id(item.0), Text(label), at],
        ),
        Event::ItemArchived { item } => {
            on_item(Kind::ItemArchived, item.0, vec![Id(item.0), Bool(true), at])
        }
        Event::ItemRestored { item } => on_item(
            Kind::ItemArchived,
            item.0,
            vec![Id(item.0), Bool(false), at],
        ),
        Event::CommentAdded {
            comment,
            item,
            body,
        } => on_comment(
            Kind::CommentAdded,
            comment.0,
            vec![
                Id(comment.0),
                Id(board),
                Id(item.0),
                Id(rec.by.0),
                Text(body),
                Int(to_sql_i64(rec.seq)),
                at,
            ],
        ),
        Event::CommentEdited { comment, body } => on_comment(
            Kind::CommentEdited,
            comment.0,
            vec![Id(comment.0), Text(body), at],
        ),
        Event::CommentDeleted { comment } => {
            on_comment(Kind::CommentDeleted, comment.0, vec![Id(comment.0)])
        }
    }
}
