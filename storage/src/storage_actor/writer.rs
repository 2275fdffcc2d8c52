//! Writing one batch: a single transaction for all requests. When the
//! database rejects it, the requests that caused it fail alone and the
//! others are written together again (each on its own only as a last
//! resort), so one retried command id does not cost a transaction per
//! request.

use std::time::{Duration, Instant};

use protocol::{BoardId, Recorded, StoreError};
use tracing::{Instrument, Span};

use super::{culprits, AppendRequest, Counters};
use crate::db::{describe, is_seq_conflict, is_unavailable, Db};
use crate::{event_log, outcomes};

/// Why a batch transaction failed.
enum BatchError {
    /// The database rejected a statement; retrying requests one by one
    /// finds the culprit.
    Statement(tokio_postgres::Error),
    /// The connection or pool failed; nothing can be written now.
    Unavailable(String),
    /// The transaction did not finish in time; its outcome is unknown.
    Timeout,
}

/// Writes `batch` in one transaction and answers every request. When the
/// database rejects it, the requests that caused it (a reused command id, a
/// taken seq) are answered and the rest is written together once more; only
/// if that fails too, or the cause is something else, is each request
/// written on its own.
pub(super) async fn write_batch(
    db: &Db,
    batch: Vec<AppendRequest>,
    counters: &Counters,
    timeout: Duration,
) {
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
    let Some(failed) = write_together(db, batch, counters, timeout).await else {
        return;
    };
    let rest = match culprits::find(db, &failed).await {
        Ok(found) if !found.is_empty() => answer_culprits(failed, found, counters),
        Ok(_) => failed,
        Err(e) => {
            tracing::debug!(error = %e, "finding the failing requests failed");
            failed
        }
    };
    let Some(failed) = write_together(db, rest, counters, timeout).await else {
        return;
    };
    for request in failed {
        let span = request.span.clone();
        write_alone(db, request, counters, timeout)
            .instrument(span)
            .await;
    }
}

/// Writes `batch` in one transaction and answers every request, except
/// when a statement failed in a batch of several requests: then none is
/// answered and the batch is returned for a closer look.
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
    let events: Vec<Recorded> = batch
        .iter()
        .flat_map(|r| r.events.iter().cloned())
        .collect();
    match commit(db, &events, timeout).await {
        Ok(()) => {
            counters.committed(batch.len(), events.len(), started.elapsed());
            for request in batch {
                request.answer(Ok(()));
            }
        }
        Err(BatchError::Statement(e)) if batch.len() > 1 => {
            tracing::debug!(error = %describe(&e), requests = batch.len(), "batch failed; looking for the culprits");
            return Some(batch);
        }
        Err(e) => {
            let error = store_error(db, &events, e).await;
            counters.failed(batch.len(), &error);
            for request in batch {
                request.answer(Err(clone_error(&error)));
            }
        }
    }
    None
}

/// Answers the `culprits` (sorted by index) with their errors; returns the
/// other requests of `batch`, in order.
fn answer_culprits(
    batch: Vec<AppendRequest>,
    culprits: Vec<(usize, StoreError)>,
    counters: &Counters,
) -> Vec<AppendRequest> {
    let mut culprits = culprits.into_iter().peekable();
    let mut rest = Vec::with_capacity(batch.len());
    for (i, request) in batch.into_iter().enumerate() {
        match culprits.next_if(|(c, _)| *c == i) {
            Some((_, error)) => {
                counters.failed(1, &error);
                request.answer(Err(error));
            }
            None => rest.push(request),
        }
    }
    rest
}

/// Writes one request in its own transaction and answers it.
async fn write_alone(db: &Db, request: AppendRequest, counters: &Counters, timeout: Duration) {
    let started = Instant::now();
    match commit(db, &request.events, timeout).await {
        Ok(()) => {
            counters.committed(1, request.events.len(), started.elapsed());
            request.answer(Ok(()));
        }
        Err(e) => {
            let error = store_error(db, &request.events, e).await;
            counters.failed(1, &error);
            request.answer(Err(error));
        }
    }
}

/// One transaction: insert `events`, project them, COMMIT.
async fn commit(db: &Db, events: &[Recorded], timeout: Duration) -> Result<(), BatchError> {
    let work = async {
        let mut client = db
            .client()
            .await
            .map_err(|e| BatchError::Unavailable(e.to_string()))?;
        let tx = client.transaction().await.map_err(classify)?;
        event_log::write(&tx, events).await.map_err(classify)?;
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

fn classify(e: tokio_postgres::Error) -> BatchError {
    if is_unavailable(&e) {
        BatchError::Unavailable(describe(&e))
    } else {
        BatchError::Statement(e)
    }
}

/// What to tell the callers of a failed transaction over `events`.
async fn store_error(db: &Db, events: &[Recorded], error: BatchError) -> StoreError {
    match error {
        BatchError::Statement(e) if outcomes::is_duplicate(&e) => StoreError::Duplicate {
            board: events
                .first()
                .map_or(BoardId(uuid::Uuid::nil()), |r| r.board),
            command_id: events
                .iter()
                .find_map(|r| r.command_id.clone())
                .unwrap_or_default(),
        },
        BatchError::Statement(e) if is_seq_conflict(&e) => {
            let board = events
                .first()
                .map_or(BoardId(uuid::Uuid::nil()), |r| r.board);
            let seqs: Vec<u64> = events.iter().map(|r| r.seq).collect();
            let taken = match db.client().await {
                Ok(client) => event_log::first_taken_seq(&client, board, &seqs)
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            };
            let seq = taken.or_else(|| seqs.first().copied()).unwrap_or(0);
            StoreError::Conflict { board, seq }
        }
        BatchError::Statement(e) => {
            let cause = describe(&e);
            tracing::error!(error = %cause, events = events.len(), "append failed");
            StoreError::Unavailable(format!("append failed: {cause}"))
        }
        BatchError::Unavailable(msg) => {
            tracing::warn!(error = %msg, "append failed: database unavailable");
            StoreError::Unavailable(msg)
        }
        BatchError::Timeout => StoreError::Timeout,
    }
}

fn clone_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(msg) => StoreError::Unavailable(msg.clone()),
        StoreError::Overloaded => StoreError::Overloaded,
        StoreError::Conflict { board, seq } => StoreError::Conflict {
            board: *board,
            seq: *seq,
        },
        StoreError::Timeout => StoreError::Timeout,
        StoreError::Duplicate { board, command_id } => StoreError::Duplicate {
            board: *board,
            command_id: command_id.clone(),
        },
    }
}
