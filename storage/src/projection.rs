//! Projections: how events change the read models (`boards`,
//! `board_columns`, `items`, `comments`).
//!
//! Every event is self-contained (positions are fractional keys, ids are in
//! the event), so a row per event updates the read model without knowing
//! the rest of the board. The statements run inside the caller's
//! transaction — the one that inserts the events — so read models and the
//! log never disagree.
//!
//! A batch costs a handful of statements, not one per event: the events are
//! split into rounds in which no row is written twice (an item created and
//! then moved in one batch lands in two rounds), and each round sends one
//! multi-row statement (`UNNEST` of parallel arrays, see `rows`) per kind of
//! event. Rounds run in order, and the kinds of a round in a fixed order.
//! Repeated changes of one kind to one row (an item edited again and
//! again) are folded into one row of the statement.
//! Statements are pipelined (see `run_in_order`): all requests go out
//! before the first answer is awaited, and PostgreSQL runs them in the
//! order they were sent.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use deadpool_postgres::Transaction;
use protocol::{BoardId, Recorded};
use tokio_postgres::types::ToSql;

use crate::db::to_sql_i64;

mod kinds;
mod rows;
#[cfg(test)]
mod tests;
use kinds::Kind;
use rows::{Column, Target};

/// A statement in flight.
pub(crate) type Pending<'a> =
    Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>>;

/// Parameters of one statement.
pub(crate) type Params<'a> = Vec<Box<dyn ToSql + Sync + Send + 'a>>;

/// Every append ends with this, one row per board: the board's last seq
/// and latest change.
const BOARDS_TOUCHED: &str = "UPDATE boards b SET seq = GREATEST(b.seq, u.seq), \
     updated_at = GREATEST(b.updated_at, u.at) \
     FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[]) AS u(id, seq, at) WHERE b.id = u.id";

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
    let mut planned = Vec::new();
    for ((_, kind), columns) in group(events) {
        let params: Params<'a> = columns.into_iter().map(Column::into_param).collect();
        planned.push((tx.prepare_cached(kind.sql()).await?, params));
    }
    if let Some(params) = touched(events) {
        planned.push((tx.prepare_cached(BOARDS_TOUCHED).await?, params));
    }
    Ok(planned
        .into_iter()
        .map(|(stmt, params)| execute(tx, stmt, params))
        .collect())
}

/// The rows of `events` by round and kind, in the order to send them. An
/// event's round is one after the last round that wrote what it writes or
/// reads, so no statement writes a row twice and every event sees the
/// effects of the earlier events it depends on. An event of a kind that
/// merges (`Kind::merges`), whose target was last written by an event of
/// the same kind, is folded into that event's row instead: a batch that
/// edits one item a hundred times sends one row for it, not a hundred
/// rounds.
fn group(events: &[Recorded]) -> BTreeMap<(u32, Kind), Vec<Column<'_>>> {
    // Per target: the round, kind and row index that last wrote it.
    let mut last_write: HashMap<Target, (u32, Kind, usize)> = HashMap::new();
    let mut groups: BTreeMap<(u32, Kind), Vec<Column<'_>>> = BTreeMap::new();
    for rec in events {
        let row = rows::row(rec);
        if let (Some(merge), Some(&(round, kind, index))) =
            (row.kind.merges(), last_write.get(&row.writes))
        {
            if kind == row.kind && row.reads.is_none() {
                if let Some(columns) = groups.get_mut(&(round, kind)) {
                    let keep_unset = merge == kinds::Merge::KeepUnset;
                    for (column, value) in columns.iter_mut().zip(row.values) {
                        column.merge(index, value, keep_unset);
                    }
                    continue;
                }
            }
        }
        let after = |target: &Target| last_write.get(target).map_or(0, |w| w.0);
        let round = 1 + after(&row.writes).max(row.reads.as_ref().map_or(0, after));
        let columns = groups
            .entry((round, row.kind))
            .or_insert_with(|| row.values.iter().map(|v| Column::like(*v)).collect());
        let index = columns.first().map_or(0, Column::len);
        for (column, value) in columns.iter_mut().zip(row.values) {
            column.push(value);
        }
        last_write.insert(row.writes, (round, row.kind, index));
    }
    groups
}

/// The `BOARDS_TOUCHED` parameters: each board of `events` with its last
/// seq and latest time, or `None` for no events. Boards go in id order, so
/// concurrent transactions lock board rows in one order whatever the plan.
fn touched(events: &[Recorded]) -> Option<Params<'static>> {
    let mut boards: BTreeMap<BoardId, (i64, i64)> = BTreeMap::new();
    for rec in events {
        let (seq, at) = boards.entry(rec.board).or_insert((i64::MIN, i64::MIN));
        *seq = (*seq).max(to_sql_i64(rec.seq));
        *at = (*at).max(rec.at.0);
    }
    if boards.is_empty() {
        return None;
    }
    let mut ids = Vec::with_capacity(boards.len());
    let mut seqs = Vec::with_capacity(boards.len());
    let mut ats = Vec::with_capacity(boards.len());
    for (board, (seq, at)) in boards {
        ids.push(board.0);
        seqs.push(seq);
        ats.push(at);
    }
    Some(vec![Box::new(ids), Box::new(seqs), Box::new(ats)])
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

/// Drives `pending` statements to completion, pipelined, and returns the
/// error of the first failing statement in vector order.
///
/// tokio-postgres sends a statement when its future is first polled, and
/// PostgreSQL executes statements of one connection in the order received.
/// So the first pass polls every future once, strictly in vector order,
/// which sends — and therefore runs — them in that order. That matters: an
/// item must be created before it is moved. (A general-purpose join
/// combinator would not promise this order.)
///
/// An answer can already be there when a future is first polled (the
/// thread may be preempted between sending and looking), so the first pass
/// may see a later statement finish before an earlier one. Its answers are
/// kept, never acted on: once a statement fails, every later one fails
/// with "current transaction is aborted" (25P02), and reporting that would
/// hide the real cause — a reused command id would be answered as a
/// storage failure instead of a duplicate. Only the oldest unfinished
/// statement decides, in order.
pub(crate) async fn run_in_order(
    mut pending: Vec<Pending<'_>>,
) -> Result<(), tokio_postgres::Error> {
    let mut answers: Vec<Option<Result<u64, tokio_postgres::Error>>> =
        std::iter::repeat_with(|| None)
            .take(pending.len())
            .collect();
    let mut sent = false;
    let mut oldest = 0;
    std::future::poll_fn(|cx| {
        if !sent {
            sent = true;
            for (fut, answer) in pending.iter_mut().zip(answers.iter_mut()) {
                if let Poll::Ready(result) = fut.as_mut().poll(cx) {
                    *answer = Some(result);
                }
            }
        }
        while let (Some(fut), Some(answer)) = (pending.get_mut(oldest), answers.get_mut(oldest)) {
            // A finished future must not be polled again: use its answer.
            let result = match answer.take() {
                Some(result) => result,
                None => match fut.as_mut().poll(cx) {
                    Poll::Ready(result) => result,
                    Poll::Pending => return Poll::Pending,
                },
            };
            if let Err(e) = result {
                return Poll::Ready(Err(e));
            }
            oldest += 1;
        }
        Poll::Ready(Ok(()))
    })
    .await
}
