//! The `events` and `snapshots` tables: writing a batch of events with its
//! projections, and reading a board's log back.

use std::collections::HashMap;

use deadpool_postgres::{GenericClient, Transaction};
use protocol::codec::{decode_board, decode_event, encode_event};
use protocol::{Board, BoardId, CommentId, ItemId, Millis, Recorded, UserId};
use tokio_postgres::Row;

use crate::db::{from_sql_i64, to_sql_i64, DbError};
use crate::outcomes;
use crate::projection::{self, Params};

/// One statement for the whole batch: parallel arrays, unnested into rows.
/// `$7` is each event's item when the event names it; `$8` the comment of
/// a `comment_edited`/`comment_deleted` whose item must be looked up in the
/// `comments` read model. This statement runs before the batch's
/// projections, so a comment deleted in this batch still has its row; one
/// added in this batch has no row yet and comes with its item in `$7`.
const INSERT_EVENTS: &str =
    "INSERT INTO events (board_id, seq, at, actor, command_id, payload, item_id) \
     SELECT u.board_id, u.seq, u.at, u.actor, u.command_id, u.payload, \
            COALESCE(u.item_id, c.item_id) \
     FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::bytea[], \
                 $7::uuid[], $8::uuid[]) \
          AS u(board_id, seq, at, actor, command_id, payload, item_id, comment_id) \
     LEFT JOIN comments c ON c.id = u.comment_id AND c.board_id = u.board_id";

const SELECT_EVENTS: &str = "SELECT seq, at, actor, command_id, payload FROM events \
     WHERE board_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

/// One item's events (on `events_item_seq_idx`), left-joined from the item
/// so "no such item on this board" (no row) and "no more events" (one row
/// of NULLs) are told apart in one statement.
const SELECT_ITEM_EVENTS: &str = "SELECT e.seq, e.at, e.actor, e.command_id, e.payload \
     FROM items i LEFT JOIN LATERAL ( \
         SELECT seq, at, actor, command_id, payload FROM events \
         WHERE board_id = $2 AND item_id = $1 AND seq > $3 ORDER BY seq LIMIT $4 \
     ) e ON true \
     WHERE i.id = $1 AND i.board_id = $2";

/// Inserts `events` (any boards, each board's events in seq order),
/// projects them into the read models and queues the notification jobs
/// they cause (`notify`), inside `tx`. All statements are
/// pipelined: the whole batch costs about one round trip plus COMMIT.
///
/// # Errors
/// The first failing statement's error (a seq conflict surfaces as a unique
/// violation of `events_pkey`); `tx` must then be rolled back.
pub(crate) async fn write(
    tx: &Transaction<'_>,
    events: &[Recorded],
) -> Result<(), tokio_postgres::Error> {
    let mut boards = Vec::with_capacity(events.len());
    let mut seqs = Vec::with_capacity(events.len());
    let mut ats = Vec::with_capacity(events.len());
    let mut actors = Vec::with_capacity(events.len());
    let mut command_ids = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    let mut items = Vec::with_capacity(events.len());
    let mut comments = Vec::with_capacity(events.len());
    // Comments added in this batch: their rows are not projected yet when
    // the insert looks up the item of a later edit or deletion.
    let mut added: HashMap<CommentId, ItemId> = HashMap::new();
    for rec in events {
        boards.push(rec.board.0);
        seqs.push(to_sql_i64(rec.seq));
        ats.push(rec.at.0);
        actors.push(rec.by.0);
        command_ids.push(rec.command_id.as_deref());
        payloads.push(encode_event(&rec.event));
        let comment = rec.event.comment();
        let item = match (rec.event.item(), comment) {
            (Some(item), Some(comment)) => {
                added.insert(comment, item);
                Some(item)
            }
            (Some(item), None) => Some(item),
            (None, Some(comment)) => added.get(&comment).copied(),
            (None, None) => None,
        };
        items.push(item.map(|item| item.0));
        comments.push(comment.filter(|_| item.is_none()).map(|c| c.0));
    }
    let insert = tx.prepare_cached(INSERT_EVENTS).await?;
    let params: Params<'_> = vec![
        Box::new(boards),
        Box::new(seqs),
        Box::new(ats),
        Box::new(actors),
        Box::new(command_ids),
        Box::new(payloads),
        Box::new(items),
        Box::new(comments),
    ];
    let mut pending = vec![projection::execute(tx, insert, params)];
    if let Some((sql, params)) = outcomes::accepted(events) {
        let stmt = tx.prepare_cached(sql).await?;
        pending.push(projection::execute(tx, stmt, params));
    }
    pending.extend(projection::plan(tx, events).await?);
    // Webhook deliveries for the organizations with endpoints.
    if let Some((sql, params)) = crate::webhooks::board_statement(events) {
        let stmt = tx.prepare_cached(sql).await?;
        pending.push(projection::execute(tx, stmt, params));
    }
    projection::run_in_order(pending).await?;
    // Assignments and mentions notify, in this transaction (a round trip
    // only when the batch has one).
    crate::notify::enqueue_notices(tx, events).await
}

/// The lowest seq among `seqs` already taken on `board`: which seq a
/// conflicting append collided with.
pub(crate) async fn first_taken_seq(
    client: &impl GenericClient,
    board: BoardId,
    seqs: &[u64],
) -> Result<Option<u64>, DbError> {
    let seqs: Vec<i64> = seqs.iter().map(|&s| to_sql_i64(s)).collect();
    let stmt = client
        .prepare_cached("SELECT min(seq) FROM events WHERE board_id = $1 AND seq = ANY($2)")
        .await?;
    let row = client.query_one(&stmt, &[&board.0, &seqs]).await?;
    Ok(row.get::<_, Option<i64>>(0).map(from_sql_i64))
}

/// Events of `board` with `seq > after`, at most `limit`, in seq order.
pub(crate) async fn events_after(
    client: &impl GenericClient,
    board: BoardId,
    after: u64,
    limit: i64,
) -> Result<Vec<Recorded>, DbError> {
    let stmt = client.prepare_cached(SELECT_EVENTS).await?;
    client
        .query(&stmt, &[&board.0, &to_sql_i64(after), &limit])
        .await?
        .iter()
        .map(|row| recorded(board, row))
        .collect()
}

/// Decodes one `events` row.
fn recorded(board: BoardId, row: &Row) -> Result<Recorded, DbError> {
    let seq = from_sql_i64(row.get("seq"));
    let event = decode_event(row.get("payload"))
        .map_err(|e| DbError::Other(format!("undecodable event {board}/{seq}: {e}")))?;
    Ok(Recorded {
        board,
        seq,
        at: Millis(row.get("at")),
        by: UserId(row.get("actor")),
        command_id: row.get("command_id"),
        event,
    })
}

/// Snapshots at least this big are encoded and decoded on tokio's blocking
/// pool, not on the calling (actor) thread: a 10,000-item board takes
/// milliseconds either way, which other boards on that thread would wait.
pub(crate) const OFF_THREAD_SNAPSHOT_BYTES: usize = 64 * 1024;

/// Runs `work` on the blocking pool when `big`, inline otherwise.
async fn off_thread_if<T: Send + 'static>(
    big: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, DbError> {
    if !big {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DbError::Other(format!("snapshot codec task failed: {e}")))
}

/// The latest snapshot of `board`, if any.
pub(crate) async fn snapshot(
    client: &impl GenericClient,
    board: BoardId,
) -> Result<Option<Board>, DbError> {
    let stmt = client
        .prepare_cached("SELECT seq, state FROM snapshots WHERE board_id = $1")
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&board.0]).await? else {
        return Ok(None);
    };
    let seq = from_sql_i64(row.get("seq"));
    let bytes: Vec<u8> = row.get("state");
    let big = bytes.len() >= OFF_THREAD_SNAPSHOT_BYTES;
    let decoded = off_thread_if(big, move || decode_board(&bytes)).await?;
    let board =
        decoded.map_err(|e| DbError::Other(format!("undecodable snapshot {board}@{seq}: {e}")))?;
    Ok(Some(board))
}

/// A board's snapshot, encoded and ready to store ([`save_snapshot`]).
pub(crate) struct EncodedSnapshot {
    board: BoardId,
    seq: u64,
    bytes: Vec<u8>,
}

/// Encodes `state` for [`save_snapshot`], off the calling thread for a
/// board with many items. Done before a connection is taken, so the
/// connection is held for the statement only.
pub(crate) async fn encode_snapshot(state: Board) -> Result<EncodedSnapshot, DbError> {
    let (board, seq) = (state.id, state.seq);
    let big = state.items.len() >= SNAPSHOT_ITEMS_OFF_THREAD;
    let bytes = off_thread_if(big, move || protocol::codec::encode_board(&state)).await?;
    Ok(EncodedSnapshot { board, seq, bytes })
}

/// Stores `snapshot` as the snapshot of its board unless a newer one exists.
pub(crate) async fn save_snapshot(
    client: &impl GenericClient,
    snapshot: &EncodedSnapshot,
) -> Result<(), DbError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO snapshots (board_id, seq, state) VALUES ($1, $2, $3) \
             ON CONFLICT (board_id) DO UPDATE \
             SET seq = excluded.seq, state = excluded.state, taken_at = now() \
             WHERE snapshots.seq < excluded.seq",
        )
        .await?;
    client
        .execute(
            &stmt,
            &[
                &snapshot.board.0,
                &to_sql_i64(snapshot.seq),
                &snapshot.bytes,
            ],
        )
        .await?;
    Ok(())
}

/// Boards with at least this many items are encoded off the calling thread
/// (about [`OFF_THREAD_SNAPSHOT_BYTES`] of snapshot).
const SNAPSHOT_ITEMS_OFF_THREAD: usize = 200;

impl crate::Db {
    /// A page of `board`'s log for the audit history: the events with
    /// `seq > after`, at most `limit`, in seq order (one statement, on the
    /// primary key).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached;
    /// [`DbError::Other`] for an event that no longer decodes.
    pub async fn board_events(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Recorded>, DbError> {
        let client = self.client().await?;
        events_after(&client, board, after, i64::from(limit)).await
    }

    /// A page of the events of `board` that concern `item`: the item
    /// events and the comment events on it (see [`protocol::Event::item`];
    /// `comment_edited` and `comment_deleted` are mapped to their item when
    /// appended), with `seq > after`, at most `limit`, in seq order. One
    /// statement, on `events_item_seq_idx`: the page costs its own rows,
    /// not the board's other events. `None` when `board` has no such item.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached;
    /// [`DbError::Other`] for an event that no longer decodes.
    pub async fn item_events(
        &self,
        board: BoardId,
        item: ItemId,
        after: u64,
        limit: u32,
    ) -> Result<Option<Vec<Recorded>>, DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(SELECT_ITEM_EVENTS).await?;
        let rows = client
            .query(
                &stmt,
                &[&item.0, &board.0, &to_sql_i64(after), &i64::from(limit)],
            )
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.iter()
            // The one row of NULLs of an item without (more) events.
            .filter(|row| row.get::<_, Option<i64>>("seq").is_some())
            .map(|row| recorded(board, row))
            .collect::<Result<_, _>>()
            .map(Some)
    }
}
