//! The `command_outcomes` table: what became of each command sent with a
//! client command id, so a retry (after a timeout, a reconnect or a
//! restart) gets the original answer and never applies twice.

use std::collections::BTreeMap;
use std::time::Duration;

use protocol::{BoardId, Outcome, Recorded, Rejection, UserId};

use crate::db::{from_sql_i64, to_sql_i64, Db, DbError};
use crate::projection::Params;

/// How long outcomes are kept: at least the promised 24 hours.
pub const COMMAND_OUTCOME_RETENTION: Duration = Duration::from_secs(48 * 3600);

const INSERT_ACCEPTED: &str = "INSERT INTO command_outcomes (board_id, actor, command_id, first_seq, last_seq, at) \
     SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])";
const INSERT_REJECTED: &str =
    "INSERT INTO command_outcomes (board_id, actor, command_id, rejection, at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const SELECT_OUTCOME: &str = "SELECT first_seq, last_seq, rejection FROM command_outcomes \
     WHERE board_id = $1 AND actor = $2 AND command_id = $3";
const PRUNE: &str = "DELETE FROM command_outcomes WHERE at < $1";
const PRUNE_ORG: &str = "DELETE FROM org_command_outcomes WHERE at < $1";

/// The accepted-outcome insert for the commands among `events`, or `None`
/// when no event carries a command id. Runs in the append's transaction:
/// a reused command id violates the primary key and fails the append.
pub(crate) fn accepted(events: &[Recorded]) -> Option<(&'static str, Params<'static>)> {
    let mut commands: BTreeMap<(BoardId, UserId, &str), (u64, u64, i64)> = BTreeMap::new();
    for rec in events {
        let Some(id) = rec.command_id.as_deref() else {
            continue;
        };
        commands
            .entry((rec.board, rec.by, id))
            .and_modify(|(_, last, _)| *last = rec.seq)
            .or_insert((rec.seq, rec.seq, rec.at.0));
    }
    if commands.is_empty() {
        return None;
    }
    let mut boards = Vec::with_capacity(commands.len());
    let mut actors = Vec::with_capacity(commands.len());
    let mut ids = Vec::with_capacity(commands.len());
    let mut firsts = Vec::with_capacity(commands.len());
    let mut lasts = Vec::with_capacity(commands.len());
    let mut ats = Vec::with_capacity(commands.len());
    for ((board, actor, id), (first, last, at)) in commands {
        boards.push(board.0);
        actors.push(actor.0);
        ids.push(id.to_owned());
        firsts.push(to_sql_i64(first));
        lasts.push(to_sql_i64(last));
        ats.push(at);
    }
    let params: Params<'static> = vec![
        Box::new(boards),
        Box::new(actors),
        Box::new(ids),
        Box::new(firsts),
        Box::new(lasts),
        Box::new(ats),
    ];
    Some((INSERT_ACCEPTED, params))
}

/// Whether `e` says a command id was reused.
pub(crate) fn is_duplicate(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some("command_outcomes_pkey")
    })
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Db {
    /// The recorded outcome of a command, if any.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be asked.
    pub async fn find_outcome(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: &str,
    ) -> Result<Option<Outcome>, DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(SELECT_OUTCOME).await?;
        let Some(row) = client
            .query_opt(&stmt, &[&board.0, &actor.0, &command_id])
            .await?
        else {
            return Ok(None);
        };
        let first: Option<i64> = row.get(0);
        let last: Option<i64> = row.get(1);
        let rejection: Option<serde_json::Value> = row.get(2);
        let outcome = match (first, last, rejection) {
            (Some(first), Some(last), _) => Outcome::Accepted {
                first_seq: from_sql_i64(first),
                last_seq: from_sql_i64(last),
            },
            (_, _, Some(json)) => Outcome::Rejected(
                serde_json::from_value(json)
                    .map_err(|e| DbError::Other(format!("stored rejection: {e}")))?,
            ),
            _ => return Err(DbError::Other("command outcome row is empty".into())),
        };
        Ok(Some(outcome))
    }

    /// Record a refusal (keeps an existing outcome).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn record_rejection(
        &self,
        board: BoardId,
        actor: UserId,
        command_id: &str,
        rejection: &Rejection,
    ) -> Result<(), DbError> {
        let json = serde_json::to_value(rejection).map_err(|e| DbError::Other(e.to_string()))?;
        let client = self.client().await?;
        let stmt = client.prepare_cached(INSERT_REJECTED).await?;
        client
            .execute(
                &stmt,
                &[&board.0, &actor.0, &command_id, &json, &now_millis()],
            )
            .await?;
        Ok(())
    }

    /// Forget board and organization command outcomes older than
    /// [`COMMAND_OUTCOME_RETENTION`]; returns how many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_command_outcomes(&self) -> Result<u64, DbError> {
        let cutoff = now_millis() - COMMAND_OUTCOME_RETENTION.as_millis() as i64;
        let client = self.client().await?;
        let mut pruned = 0;
        for prune in [PRUNE, PRUNE_ORG] {
            let stmt = client.prepare_cached(prune).await?;
            pruned += client.execute(&stmt, &[&cutoff]).await?;
        }
        Ok(pruned)
    }
}
