//! Projections: how each event changes the read models (`boards`,
//! `board_columns`, `items`, `comments`).
//!
//! Every event is self-contained (positions are fractional keys, ids are in
//! the event), so one statement per event updates the read model without
//! knowing the rest of the board. The statements run inside the caller's
//! transaction — the one that inserts the events — so read models and the
//! log never disagree. They are pipelined (see `run_in_order`): all
//! requests go out before the first answer is awaited, and PostgreSQL runs
//! them in the order they were sent.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use deadpool_postgres::Transaction;
use protocol::{Event, Recorded};
use tokio_postgres::types::ToSql;

use crate::db::to_sql_i64;

/// A statement in flight.
pub(crate) type Pending<'a> =
    Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>>;

/// Parameters of one statement.
pub(crate) type Params<'a> = Vec<Box<dyn ToSql + Sync + Send + 'a>>;

const BOARD_CREATED: &str = "INSERT INTO boards (id, org_id, name, seq, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $5)";
const BOARD_RENAMED: &str = "UPDATE boards SET name = $2 WHERE id = $1";
const BOARD_ARCHIVED: &str = "UPDATE boards SET archived = $2 WHERE id = $1";
const COLUMN_ADDED: &str =
    "INSERT INTO board_columns (board_id, id, name, position, wip_limit) VALUES ($1, $2, $3, $4, $5)";
const COLUMN_RENAMED: &str = "UPDATE board_columns SET name = $3 WHERE board_id = $1 AND id = $2";
const COLUMN_MOVED: &str = "UPDATE board_columns SET position = $3 WHERE board_id = $1 AND id = $2";
const COLUMN_REMOVED: &str = "DELETE FROM board_columns WHERE board_id = $1 AND id = $2";
const WIP_LIMIT_SET: &str =
    "UPDATE board_columns SET wip_limit = $3 WHERE board_id = $1 AND id = $2";
// The org comes from the board row (projected by BoardCreated, seq 1).
// (Casts: parameters in a SELECT list would otherwise be typed as text.)
const ITEM_CREATED: &str = "INSERT INTO items (id, board_id, org_id, number, title, description, \
         column_id, position, created_by, created_at, updated_at) \
     SELECT $1::uuid, b.id, b.org_id, $3::bigint, $4::text, $5::text, $6::uuid, $7::text, \
         $8::uuid, $9::bigint, $9::bigint \
     FROM boards b WHERE b.id = $2";
const ITEM_EDITED: &str = "UPDATE items SET title = COALESCE($2, title), \
     description = COALESCE($3, description), updated_at = $4 WHERE id = $1";
const ITEM_MOVED: &str =
    "UPDATE items SET column_id = $2, position = $3, updated_at = $4 WHERE id = $1";
// Assignees and labels are sets in the domain: adding twice is a no-op.
const ITEM_ASSIGNED: &str = "UPDATE items SET assignees = CASE WHEN $2 = ANY(assignees) \
     THEN assignees ELSE array_append(assignees, $2) END, updated_at = $3 WHERE id = $1";
const ITEM_UNASSIGNED: &str =
    "UPDATE items SET assignees = array_remove(assignees, $2), updated_at = $3 WHERE id = $1";
const LABEL_ADDED: &str = "UPDATE items SET labels = CASE WHEN $2 = ANY(labels) \
     THEN labels ELSE array_append(labels, $2) END, updated_at = $3 WHERE id = $1";
const LABEL_REMOVED: &str =
    "UPDATE items SET labels = array_remove(labels, $2), updated_at = $3 WHERE id = $1";
const ITEM_ARCHIVED: &str = "UPDATE items SET archived = $2, updated_at = $3 WHERE id = $1";
const COMMENT_ADDED: &str = "INSERT INTO comments \
     (id, board_id, item_id, author, body, seq, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
const COMMENT_EDITED: &str = "UPDATE comments SET body = $2, updated_at = $3 WHERE id = $1";
const COMMENT_DELETED: &str = "DELETE FROM comments WHERE id = $1";
// Every append ends with this, once per board.
const BOARD_TOUCHED: &str = "UPDATE boards SET seq = GREATEST(seq, $2), \
     updated_at = GREATEST(updated_at, $3) WHERE id = $1";

/// The statement and parameters projecting one event.
fn statement(rec: &Recorded) -> (&'static str, Params<'_>) {
    let board = rec.board.0;
    let at = rec.at.0;
    match &rec.event {
        Event::BoardCreated { org, name } => (
            BOARD_CREATED,
            vec![
                Box::new(board),
                Box::new(org.0),
                Box::new(name),
                Box::new(to_sql_i64(rec.seq)),
                Box::new(at),
            ],
        ),
        Event::BoardRenamed { name } => (BOARD_RENAMED, vec![Box::new(board), Box::new(name)]),
        Event::BoardArchived => (BOARD_ARCHIVED, vec![Box::new(board), Box::new(true)]),
        Event::BoardRestored => (BOARD_ARCHIVED, vec![Box::new(board), Box::new(false)]),
        Event::ColumnAdded {
            column,
            name,
            position,
            wip_limit,
        } => (
            COLUMN_ADDED,
            vec![
                Box::new(board),
                Box::new(column.0),
                Box::new(name),
                Box::new(position),
                Box::new(wip_limit.map(sql_wip_limit)),
            ],
        ),
        Event::ColumnRenamed { column, name } => (
            COLUMN_RENAMED,
            vec![Box::new(board), Box::new(column.0), Box::new(name)],
        ),
        Event::ColumnMoved { column, position } => (
            COLUMN_MOVED,
            vec![Box::new(board), Box::new(column.0), Box::new(position)],
        ),
        Event::ColumnRemoved { column } => {
            (COLUMN_REMOVED, vec![Box::new(board), Box::new(column.0)])
        }
        Event::WipLimitSet { column, limit } => (
            WIP_LIMIT_SET,
            vec![
                Box::new(board),
                Box::new(column.0),
                Box::new(limit.map(sql_wip_limit)),
            ],
        ),
        Event::ItemCreated {
            item,
            number,
            title,
            description,
            column,
            position,
        } => (
            ITEM_CREATED,
            vec![
                Box::new(item.0),
                Box::new(board),
                Box::new(to_sql_i64(*number)),
                Box::new(title),
                Box::new(description),
                Box::new(column.0),
                Box::new(position),
                Box::new(rec.by.0),
                Box::new(at),
            ],
        ),
        Event::ItemEdited {
            item,
            title,
            description,
        } => (
            ITEM_EDITED,
            vec![
                Box::new(item.0),
                Box::new(title.as_deref()),
                Box::new(description.as_deref()),
                Box::new(at),
            ],
        ),
        Event::ItemMoved {
            item,
            column,
            position,
        } => (
            ITEM_MOVED,
            vec![
                Box::new(item.0),
                Box::new(column.0),
                Box::new(position),
                Box::new(at),
            ],
        ),
        Event::ItemAssigned { item, user } => (
            ITEM_ASSIGNED,
            vec![Box::new(item.0), Box::new(user.0), Box::new(at)],
        ),
        Event::ItemUnassigned { item, user } => (
            ITEM_UNASSIGNED,
            vec![Box::new(item.0), Box::new(user.0), Box::new(at)],
        ),
        Event::LabelAdded { item, label } => (
            LABEL_ADDED,
            vec![Box::new(item.0), Box::new(label), Box::new(at)],
        ),
        Event::LabelRemoved { item, label } => (
            LABEL_REMOVED,
            vec![Box::new(item.0), Box::new(label), Box::new(at)],
        ),
        Event::ItemArchived { item } => (
            ITEM_ARCHIVED,
            vec![Box::new(item.0), Box::new(true), Box::new(at)],
        ),
        Event::ItemRestored { item } => (
            ITEM_ARCHIVED,
            vec![Box::new(item.0), Box::new(false), Box::new(at)],
        ),
        Event::CommentAdded {
            comment,
            item,
            body,
        } => (
            COMMENT_ADDED,
            vec![
                Box::new(comment.0),
                Box::new(board),
                Box::new(item.0),
                Box::new(rec.by.0),
                Box::new(body),
                Box::new(to_sql_i64(rec.seq)),
                Box::new(at),
            ],
        ),
        Event::CommentEdited { comment, body } => (
            COMMENT_EDITED,
            vec![Box::new(comment.0), Box::new(body), Box::new(at)],
        ),
        Event::CommentDeleted { comment } => (COMMENT_DELETED, vec![Box::new(comment.0)]),
    }
}

/// WIP limits are small; anything beyond `int` saturates.
fn sql_wip_limit(limit: u32) -> i32 {
    i32::try_from(limit).unwrap_or(i32::MAX)
}

/// Applies `events` to the read models inside `tx`, in order, then bumps
/// `boards.seq`/`updated_at` once per board to its last event.
///
/// # Errors
/// The first failing statement's error; the transaction is then aborted
/// and must be rolled back.
pub async fn project(
    tx: &Transaction<'_>,
    events: &[Recorded],
) -> Result<(), tokio_postgres::Error> {
    run_in_order(plan(tx, events).await?).await
}

/// The statements of [`project`], not yet sent. Statements are prepared
/// (cached per connection) here, before any is sent, so that the executes
/// can be pipelined in order.
pub(crate) async fn plan<'a>(
    tx: &'a Transaction<'_>,
    events: &'a [Recorded],
) -> Result<Vec<Pending<'a>>, tokio_postgres::Error> {
    let mut planned = Vec::with_capacity(events.len() + 1);
    for rec in events {
        let (sql, params) = statement(rec);
        planned.push((tx.prepare_cached(sql).await?, params));
    }
    let touch = tx.prepare_cached(BOARD_TOUCHED).await?;
    for (i, rec) in events.iter().enumerate() {
        // The last event of each run of one board's events.
        if events.get(i + 1).is_none_or(|next| next.board != rec.board) {
            let params: Params<'_> = vec![
                Box::new(rec.board.0),
                Box::new(to_sql_i64(rec.seq)),
                Box::new(rec.at.0),
            ];
            planned.push((touch.clone(), params));
        }
    }
    Ok(planned
        .into_iter()
        .map(|(stmt, params)| execute(tx, stmt, params))
        .collect())
}

/// A statement execution, sent when first polled.
pub(crate) fn execute<'a>(
    tx: &'a Transaction<'_>,
    stmt: tokio_postgres::Statement,
    params: Params<'a>,
) -> Pending<'a> {
    Box::pin(async move {
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
        tx.execute(&stmt, &refs).await
    })
}

/// Drives `pending` statements to completion, pipelined.
///
/// tokio-postgres sends a statement when its future is first polled, and
/// PostgreSQL executes statements of one connection in the order received.
/// So the first pass polls every future once, strictly in vector order,
/// which sends — and therefore runs — them in that order. That matters: an
/// item must be created before it is moved. (A general-purpose join
/// combinator would not promise this order.) Answers also arrive in that
/// order, so afterwards only the oldest unfinished statement needs polling.
pub(crate) async fn run_in_order(
    mut pending: Vec<Pending<'_>>,
) -> Result<(), tokio_postgres::Error> {
    let mut done = vec![false; pending.len()];
    let mut sent = false;
    let mut oldest = 0;
    std::future::poll_fn(|cx| {
        if !sent {
            sent = true;
            for (fut, done) in pending.iter_mut().zip(done.iter_mut()) {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(Ok(_)) => *done = true,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
        }
        while let (Some(fut), Some(finished)) = (pending.get_mut(oldest), done.get(oldest)) {
            if !finished {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            oldest += 1;
        }
        Poll::Ready(Ok(()))
    })
    .await
}
