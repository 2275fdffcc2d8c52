//! The nodes sharing the database (`nodes`, migration 0013): heartbeats,
//! and the heads of logs a node checks its live actors against.

use std::time::Duration;

use protocol::{BoardId, OrgId};
use uuid::Uuid;

use crate::{Db, DbError};

impl Db {
    /// Record `node`'s heartbeat and return the other nodes whose last
    /// heartbeat is within `timeout`; rows older than ten timeouts are
    /// removed (a node gone for good).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn node_heartbeat(
        &self,
        node: Uuid,
        timeout: Duration,
    ) -> Result<Vec<Uuid>, DbError> {
        let client = self.client().await?;
        let beat = client
            .prepare_cached(
                "INSERT INTO nodes (id) VALUES ($1) \
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()",
            )
            .await?;
        client.execute(&beat, &[&node]).await?;
        let alive = client
            .prepare_cached(
                "WITH reaped AS (DELETE FROM nodes \
                   WHERE heartbeat_at < now() - make_interval(secs => $2::float8 * 10)) \
                 SELECT id FROM nodes \
                 WHERE id <> $1 AND heartbeat_at >= now() - make_interval(secs => $2::float8)",
            )
            .await?;
        let rows = client
            .query(&alive, &[&node, &timeout.as_secs_f64()])
            .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// `node` stops: its row goes, so the others drop its sessions at once.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn node_left(&self, node: Uuid) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM nodes WHERE id = $1")
            .await?;
        client.execute(&stmt, &[&node]).await?;
        Ok(())
    }

    /// The last seq of each board's log (boards with no events left out).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn board_heads(&self, boards: &[BoardId]) -> Result<Vec<(BoardId, u64)>, DbError> {
        let ids: Vec<Uuid> = boards.iter().map(|b| b.0).collect();
        self.heads(
            "SELECT b, (SELECT max(seq) FROM events WHERE board_id = b) \
             FROM unnest($1::uuid[]) AS b",
            &ids,
        )
        .await
        .map(|heads| {
            heads
                .into_iter()
                .map(|(id, seq)| (BoardId(id), seq))
                .collect()
        })
    }

    /// The last seq of each organization's log.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn org_heads(&self, orgs: &[OrgId]) -> Result<Vec<(OrgId, u64)>, DbError> {
        let ids: Vec<Uuid> = orgs.iter().map(|o| o.0).collect();
        self.heads(
            "SELECT o, (SELECT max(seq) FROM org_events WHERE org_id = o) \
             FROM unnest($1::uuid[]) AS o",
            &ids,
        )
        .await
        .map(|heads| {
            heads
                .into_iter()
                .map(|(id, seq)| (OrgId(id), seq))
                .collect()
        })
    }

    async fn heads(&self, sql: &str, ids: &[Uuid]) -> Result<Vec<(Uuid, u64)>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        let rows = client.query(&stmt, &[&ids]).await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let seq: Option<i64> = row.get(1);
                Some((row.get(0), u64::try_from(seq?).ok()?))
            })
            .collect())
    }
}
