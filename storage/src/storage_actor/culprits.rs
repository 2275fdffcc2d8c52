//! After a batch transaction failed: which requests made it fail. The two
//! expected causes are a reused command id (an idempotent retry) and a seq
//! already taken (a stale board); two statements find every such request,
//! so the rest of the batch can be written together again instead of one
//! request at a time.

use protocol::{BoardId, StoreError};

use super::AppendRequest;
use crate::db::{to_sql_i64, Db, DbError};

/// The requests (indices into the batch) whose command id already has an
/// outcome.
const USED_COMMAND_IDS: &str = "SELECT DISTINCT u.i FROM UNNEST($1::uuid[], $2::uuid[], \
     $3::text[], $4::int[]) AS u(board, actor, command_id, i) \
     JOIN command_outcomes o ON o.board_id = u.board AND o.actor = u.actor \
         AND o.command_id = u.command_id";

/// The requests (indices into the batch) with their lowest seq already in
/// the log.
const TAKEN_SEQS: &str = "SELECT u.i, min(u.seq) FROM UNNEST($1::uuid[], $2::bigint[], \
     $3::int[]) AS u(board, seq, i) \
     JOIN events e ON e.board_id = u.board AND e.seq = u.seq GROUP BY u.i";

/// Each culprit's index in `batch` and the error to answer it with. Empty
/// when neither cause applies (the failure was something else).
///
/// # Errors
/// The database could not be asked.
pub(super) async fn find(
    db: &Db,
    batch: &[AppendRequest],
) -> Result<Vec<(usize, StoreError)>, DbError> {
    let (mut boards, mut actors, mut ids, mut owners) = (vec![], vec![], vec![], vec![]);
    let (mut seq_boards, mut seqs, mut seq_owners) = (vec![], vec![], vec![]);
    for (i, request) in batch.iter().enumerate() {
        let owner = i32::try_from(i).unwrap_or(i32::MAX);
        for rec in &request.events {
            if let Some(id) = rec.command_id.as_deref() {
                boards.push(rec.board.0);
                actors.push(rec.by.0);
                ids.push(id);
                owners.push(owner);
            }
            seq_boards.push(rec.board.0);
            seqs.push(to_sql_i64(rec.seq));
            seq_owners.push(owner);
        }
    }
    let client = db.client().await?;
    let used = client.prepare_cached(USED_COMMAND_IDS).await?;
    let taken = client.prepare_cached(TAKEN_SEQS).await?;
    // A taken seq wins over a used command id, as when the request is
    // written alone: the events are inserted before the outcomes.
    let mut culprits: Vec<(usize, StoreError)> = Vec::new();
    let mut found = vec![false; batch.len()];
    for row in client
        .query(&taken, &[&seq_boards, &seqs, &seq_owners])
        .await?
    {
        let i = index(row.get(0));
        let seq: i64 = row.get(1);
        if let (Some(request), Some(seen)) = (batch.get(i), found.get_mut(i)) {
            *seen = true;
            culprits.push((
                i,
                StoreError::Conflict {
                    board: board_of(request),
                    seq: u64::try_from(seq).unwrap_or(0),
                },
            ));
        }
    }
    for row in client
        .query(&used, &[&boards, &actors, &ids, &owners])
        .await?
    {
        let i = index(row.get(0));
        if let (Some(request), Some(false)) = (batch.get(i), found.get(i)) {
            culprits.push((i, duplicate(request)));
        }
    }
    culprits.sort_by_key(|(i, _)| *i);
    Ok(culprits)
}

fn index(i: i32) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

fn board_of(request: &AppendRequest) -> BoardId {
    request
        .events
        .first()
        .map_or(BoardId(uuid::Uuid::nil()), |r| r.board)
}

/// The answer to a request whose command id was used before.
fn duplicate(request: &AppendRequest) -> StoreError {
    StoreError::Duplicate {
        board: board_of(request),
        command_id: request
            .events
            .iter()
            .find_map(|r| r.command_id.clone())
            .unwrap_or_default(),
    }
}
