//! Writing one batch: a single transaction for all requests, boards' and
//! organizations' alike. When the database rejects a statement, the batch
//! is written once more in one transaction with a SAVEPOINT per request: a
//! failing request is rolled back to its savepoint and answered with its
//! own error, the others commit together. A batch costs at most two
//! transactions, however many of its requests fail.

use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Transaction};
use protocol::{BoardId, Recorded, StoreError};
use tracing::{Instrument, Span};

use super::{Append, AppendRequest, Counters};
use crate::db::{describe, is_seq_conflict, is_transient, Db};
use crate::{event_log, org_log, outcomes};

/// Why a batch transaction failed.
enum BatchError {
    /// The database rejected a statement (a reused command id, a taken
    /// seq, or a permanent fault); writing request by request finds which.
    Statement(tokio_postgres::Error),
    /// The connection or pool failed, or the database asks to try again
    /// (serialization failure, deadlock); nothing can be written now.
    Unavailable(String),
    /// The transaction did not finish in time; its outcome is unknown.
    Timeout,
}

/// How long a write waits for a lock another transaction holds — in
/// practice another node inserting the same board's next seq — before it
/// gives up: that request then counts as a seq conflict (its board catches
/// up and decides again), instead of holding up the whole batch until the
/// other transaction ends.
const CONTESTED_WAIT: &str = "SET LOCAL lock_timeout = '200ms'";

/// Whether `e` is a lock wait that ran out (see [`CONTESTED_WAIT`]).
fn is_contested(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| *db.code() == tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}

/// Writes `batch` in one transaction and answers every request. When the
/// database rejects a statement, the batch is written again in one
/// transaction with a savepoint per request, so only the requests that
/// caused it (a reused command id, a taken seq, a permanent fault) fail.
pub(super) async fn write_batch(
    db: &Db,
    mut batch: Vec<AppendRequest>,
    counters: &Counters,
    timeout: Duration,
) {
    // One order for every writer: organizations, then boards, each by id.
    // Two nodes whose batches both touch boards X and Y then take their
    // locks (a row, a unique key another transaction is inserting) in the
    // same order, and the second waits instead of deadlocking. Requests of
    // one board keep their order (the sort is stable).
    batch.sort_by_key(|request| request.append.lock_order());
    let span = batch_span(&batch);
    write_batch_in_span(db, batch, counters, timeout)
        .instrument(span)
        .await;
}

/// The span a batch is written in: its only request's (so the lines carry
/// that request's `request_id`), or for several requests a `storage_batch`
/// span that follows from each of theirs (the lines are about all of them;
/// each request's own lines come from its board actor, which is answered
/// in the request's span).
pub(super) fn batch_span(batch: &[AppendRequest]) -> Span {
    match batch {
        [one] => one.span.clone(),
        many => {
            let span = tracing::info_span!("storage_batch", requests = many.len());
            for request in many {
                span.follows_from(&request.span);
            }
            span
        }
    }
}

async fn write_batch_in_span(
    db: &Db,
    batch: Vec<AppendRequest>,
    counters: &Counters,
    timeout: Duration,
) {
    let started = Instant::now();
    let Some(failed) = write_together(db, batch, counters, timeout).await else {
        return;
    };
    // Both transactions together within the commit timeout, which is all
    // the callers wait anyway.
    let left = timeout.saturating_sub(started.elapsed());
    write_each(db, failed, counters, left).await;
}

/// Writes `batch` in one transaction and answers every request, except
/// when a statement failed in a batch of several requests: then none is
/// answered and the batch is returned, to be written request by request
/// in one transaction.
async fn write_together(
    db: &Db,
    batch: Vec<AppendRequest>,
    counters: &Counters,
    timeout: Duration,
) -> Option<Vec<AppendRequest>> {
    if batch.is_empty() {
        return None;
    }
    let started = Instant::now();
    let error = match commit(db, &batch, timeout).await {
        Ok(()) => {
            let events = batch.iter().map(|r| r.append.events()).sum();
            counters.committed(batch.len(), events, started.elapsed());
            for request in batch {
                request.answer(Ok(()));
            }
            return None;
        }
        Err(BatchError::Statement(e)) => match batch.as_slice() {
            [one] => match db.client().await {
                Ok(client) => refusal(&client, &one.append, e).await,
                Err(_) => refusal_unqueried(&one.append, &e),
            },
            _ => {
                tracing::debug!(error = %describe(&e), requests = batch.len(), "batch failed; writing it with a savepoint per request");
                return Some(batch);
            }
        },
        Err(e) => shared_failure(e),
    };
    counters.failed(batch.len(), &error);
    for request in batch {
        request.answer(Err(clone_error(&error)));
    }
    None
}

/// Writes `batch` in one transaction, each request inside its own
/// SAVEPOINT: a request whose statements fail is rolled back to its
/// savepoint and answered with its error; the others are answered once
/// the transaction has committed. An outage or timeout fails every request
/// not yet refused.
async fn write_each(db: &Db, batch: Vec<AppendRequest>, counters: &Counters, timeout: Duration) {
    let started = Instant::now();
    let mut refused: Vec<Option<StoreError>> = batch.iter().map(|_| None).collect();
    let work = async {
        let mut client = db
            .client()
            .await
            .map_err(|e| BatchError::Unavailable(e.to_string()))?;
        let tx = client.transaction().await.map_err(classify)?;
        // One savepoint name, set again after each request: `ROLLBACK TO`
        // keeps it, `RELEASE` drops it. Releasing keeps the subtransactions
        // from piling up in a large batch.
        tx.batch_execute(&format!("{CONTESTED_WAIT}; SAVEPOINT request"))
            .await
            .map_err(classify)?;
        let last = batch.len().saturating_sub(1);
        for (i, request) in batch.iter().enumerate() {
            match write(&tx, &request.append).await.map_err(classify) {
                Ok(()) if i < last => tx
                    .batch_execute("RELEASE SAVEPOINT request; SAVEPOINT request")
                    .await
                    .map_err(classify)?,
                Ok(()) => {}
                Err(BatchError::Statement(e)) => {
                    tx.batch_execute("ROLLBACK TO SAVEPOINT request")
                        .await
                        .map_err(classify)?;
                    let error = refusal(&tx, &request.append, e)
                        .instrument(request.span.clone())
                        .await;
                    refused[i] = Some(error);
                }
                Err(other) => return Err(other),
            }
        }
        tx.commit().await.map_err(|e| {
            tracing::warn!(error = %describe(&e), "COMMIT failed; outcome unknown");
            BatchError::Timeout
        })
    };
    let result = tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(BatchError::Timeout));
    let written: Vec<usize> = (0..batch.len()).filter(|&i| refused[i].is_none()).collect();
    let events: usize = written.iter().map(|&i| batch[i].append.events()).sum();
    let failure = match result {
        Ok(()) => {
            if !written.is_empty() {
                counters.committed(written.len(), events, started.elapsed());
            }
            None
        }
        Err(e) => Some(shared_failure(e)),
    };
    for (request, refusal) in batch.into_iter().zip(refused) {
        let answer = match (refusal, &failure) {
            (Some(error), _) => Err(error),
            (None, Some(error)) => Err(clone_error(error)),
            (None, None) => Ok(()),
        };
        if let Err(error) = &answer {
            counters.failed(1, error);
        }
        request.answer(answer);
    }
}

/// One transaction: write every request of `batch`, COMMIT.
async fn commit(db: &Db, batch: &[AppendRequest], timeout: Duration) -> Result<(), BatchError> {
    let work = async {
        let mut client = db
            .client()
            .await
            .map_err(|e| BatchError::Unavailable(e.to_string()))?;
        let tx = client.transaction().await.map_err(classify)?;
        tx.batch_execute(CONTESTED_WAIT).await.map_err(classify)?;
        // The boards' events in one pipelined write, however many boards;
        // then each organization's.
        let events: Vec<Recorded> = batch
            .iter()
            .filter_map(|r| match &r.append {
                Append::Board(events) => Some(events.iter().cloned()),
                Append::Org { .. } => None,
            })
            .flatten()
            .collect();
        if !events.is_empty() {
            event_log::write(&tx, &events).await.map_err(classify)?;
        }
        for request in batch {
            if let Append::Org { .. } = &request.append {
                write(&tx, &request.append).await.map_err(classify)?;
            }
        }
        // A failure during COMMIT leaves the outcome unknown (the server
        // may have committed before the connection broke): say so, so the
        // caller neither assumes nothing happened nor that it did.
        tx.commit().await.map_err(|e| {
            tracing::warn!(error = %describe(&e), "COMMIT failed; outcome unknown");
            BatchError::Timeout
        })
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(BatchError::Timeout))
}

/// Writes one request's events, projections and outcome inside `tx`.
async fn write(tx: &Transaction<'_>, append: &Append) -> Result<(), tokio_postgres::Error> {
    match append {
        Append::Board(events) => event_log::write(tx, events).await,
        Append::Org {
            org,
            records,
            command,
            origin,
        } => org_log::write(tx, *org, records, command.as_ref(), origin.as_ref()).await,
    }
}

fn classify(e: tokio_postgres::Error) -> BatchError {
    if is_transient(&e) {
        BatchError::Unavailable(describe(&e))
    } else {
        BatchError::Statement(e)
    }
}

/// What to tell the caller of `append` whose statements the database
/// refused with `e`. For a taken board seq, `client` is asked which one
/// (inside the transaction that failed, after rolling back to a savepoint,
/// it also sees that transaction's earlier writes).
async fn refusal(
    client: &impl GenericClient,
    append: &Append,
    e: tokio_postgres::Error,
) -> StoreError {
    match append {
        Append::Board(events) if is_seq_conflict(&e) => {
            let board = board_of(events);
            let seqs: Vec<u64> = events.iter().map(|r| r.seq).collect();
            let taken = event_log::first_taken_seq(client, board, &seqs)
                .await
                .ok()
                .flatten();
            let seq = taken.or_else(|| seqs.first().copied()).unwrap_or(0);
            StoreError::Conflict { board, seq }
        }
        _ => refusal_unqueried(append, &e),
    }
}

/// [`refusal`] without asking the database: a taken seq is reported as
/// the first of the request's. (For an organization that is exact: its
/// log has no gaps, and its actor appends right after the last seq it
/// knows, so if any of its seqs is taken the first one is.)
fn refusal_unqueried(append: &Append, e: &tokio_postgres::Error) -> StoreError {
    match append {
        Append::Board(events) if outcomes::is_duplicate(e) => StoreError::Duplicate {
            board: board_of(events),
            command_id: events
                .iter()
                .find_map(|r| r.command_id.clone())
                .unwrap_or_default(),
        },
        Append::Board(events) if is_seq_conflict(e) || is_contested(e) => StoreError::Conflict {
            board: board_of(events),
            seq: events.first().map_or(0, |r| r.seq),
        },
        Append::Org {
            org,
            command: Some(key),
            ..
        } if org_log::is_duplicate(e) => StoreError::OrgDuplicate {
            org: *org,
            command_id: key.command_id.clone(),
        },
        Append::Org { org, records, .. } if org_log::is_seq_conflict(e) || is_contested(e) => {
            StoreError::OrgConflict {
                org: *org,
                seq: records.first().map_or(0, |r| r.seq),
            }
        }
        Append::Org { records, .. } => match org_log::refused_by_rule(e, records) {
            Some(rejection) => StoreError::OrgRefused(rejection),
            None => internal_refusal(append, e),
        },
        _ => internal_refusal(append, e),
    }
}

/// A refusal no rule explains. Deterministic: the same events would be
/// refused again.
fn internal_refusal(append: &Append, e: &tokio_postgres::Error) -> StoreError {
    let cause = describe(e);
    tracing::error!(error = %cause, events = append.events(), "append refused");
    StoreError::Internal(format!("append refused: {cause}"))
}

/// What every request still unanswered is told when the batch as a whole
/// failed: the database went away, time ran out, or a statement that is
/// no one request's own (BEGIN, a savepoint) was refused.
fn shared_failure(error: BatchError) -> StoreError {
    match error {
        BatchError::Statement(e) => {
            let cause = describe(&e);
            tracing::error!(error = %cause, "batch refused");
            StoreError::Internal(format!("append refused: {cause}"))
        }
        BatchError::Unavailable(msg) => {
            tracing::warn!(error = %msg, "append failed: database unavailable");
            StoreError::Unavailable(msg)
        }
        BatchError::Timeout => StoreError::Timeout,
    }
}

fn board_of(events: &[Recorded]) -> BoardId {
    events
        .first()
        .map_or(BoardId(uuid::Uuid::nil()), |r| r.board)
}

fn clone_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(msg) => StoreError::Unavailable(msg.clone()),
        StoreError::Internal(msg) => StoreError::Internal(msg.clone()),
        StoreError::Overloaded => StoreError::Overloaded,
        StoreError::Conflict { board, seq } => StoreError::Conflict {
            board: *board,
            seq: *seq,
        },
        StoreError::OrgConflict { org, seq } => StoreError::OrgConflict {
            org: *org,
            seq: *seq,
        },
        StoreError::Timeout => StoreError::Timeout,
        StoreError::OrgRefused(rejection) => StoreError::OrgRefused(rejection.clone()),
        StoreError::Duplicate { board, command_id } => StoreError::Duplicate {
            board: *board,
            command_id: command_id.clone(),
        },
        StoreError::OrgDuplicate { org, command_id } => StoreError::OrgDuplicate {
            org: *org,
            command_id: command_id.clone(),
        },
    }
}
