//! How far each endpoint is in each stream, and the delivery log.

use std::time::Duration;

use protocol::webhooks::Stream;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{to_sql_i64, Db, DbError};

/// An endpoint's place in a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamCursor {
    /// Every event up to here is done with.
    pub delivered_seq: u64,
    /// Failed attempts of the next event.
    pub head_attempts: u32,
}

/// An attempt to record.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub endpoint: Uuid,
    pub msg_id: String,
    pub stream: Stream,
    pub stream_id: Uuid,
    pub seq: u64,
    pub event_type: String,
    pub attempt: u32,
    /// `scheduled` or `redeliver`.
    pub trigger: &'static str,
    pub status: Option<u16>,
    pub ok: bool,
    pub latency: Duration,
    pub response: Option<String>,
    pub error: Option<String>,
}

/// An attempt as the delivery log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub msg_id: String,
    pub stream: String,
    pub stream_id: Uuid,
    pub seq: i64,
    pub event_type: String,
    pub attempt: i32,
    pub trigger: String,
    pub status: Option<i32>,
    pub ok: bool,
    pub latency_ms: i32,
    pub response: Option<String>,
    pub error: Option<String>,
    /// Unix ms.
    pub at: i64,
}

impl Delivery {
    fn from_row(row: &Row) -> Delivery {
        Delivery {
            id: row.get("id"),
            msg_id: row.get("msg_id"),
            stream: row.get("stream"),
            stream_id: row.get("stream_id"),
            seq: row.get("seq"),
            event_type: row.get("event_type"),
            attempt: row.get("attempt"),
            trigger: row.get("trigger"),
            status: row.get("status"),
            ok: row.get("ok"),
            latency_ms: row.get("latency_ms"),
            response: row.get("response"),
            error: row.get("error"),
            at: row.get("at_ms"),
        }
    }
}

/// Logs one attempt: `$1`–`$13` as [`DeliveryRow::params`].
const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (endpoint_id, msg_id, stream, \
     stream_id, seq, event_type, attempt, trigger, status, ok, latency_ms, response, error) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// A [`NewDelivery`] in the database's types.
struct DeliveryRow<'a> {
    d: &'a NewDelivery,
    stream: &'static str,
    seq: i64,
    attempt: i32,
    status: Option<i32>,
    latency: i32,
}

impl<'a> DeliveryRow<'a> {
    fn of(d: &'a NewDelivery) -> DeliveryRow<'a> {
        DeliveryRow {
            d,
            stream: d.stream.name(),
            seq: to_sql_i64(d.seq),
            attempt: i32::try_from(d.attempt).unwrap_or(i32::MAX),
            status: d.status.map(i32::from),
            latency: i32::try_from(d.latency.as_millis()).unwrap_or(i32::MAX),
        }
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 13] {
        [
            &self.d.endpoint,
            &self.d.msg_id,
            &self.stream,
            &self.d.stream_id,
            &self.seq,
            &self.d.event_type,
            &self.attempt,
            &self.d.trigger,
            &self.status,
            &self.d.ok,
            &self.latency,
            &self.d.response,
            &self.d.error,
        ]
    }
}

const DELIVERY_COLUMNS: &str = "id, msg_id, stream, stream_id, seq, event_type, attempt, trigger, \
     status, ok, latency_ms, response, error, (extract(epoch FROM at) * 1000)::bigint AS at_ms";

impl Db {
    /// `endpoint` skips the stream's events up to `seq` (types it did not
    /// ask for).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn skip_webhook_events(
        &self,
        endpoint: Uuid,
        stream: Stream,
        id: Uuid,
        seq: u64,
    ) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE webhook_cursors SET delivered_seq = GREATEST(delivered_seq, $4), \
                   head_attempts = 0 WHERE endpoint_id = $1 AND stream = $2 AND stream_id = $3",
            )
            .await?;
        client
            .execute(&stmt, &[&endpoint, &stream.name(), &id, &to_sql_i64(seq)])
            .await?;
        Ok(())
    }

    /// One statement for a scheduled attempt that succeeded, or was the
    /// last of its schedule (`given_up`): it is logged and the stream moves
    /// past it; a success also ends the endpoint's failure record.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_done(&self, d: &NewDelivery) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "WITH log AS ({INSERT_DELIVERY}), \
                 c AS (UPDATE webhook_cursors SET delivered_seq = GREATEST(delivered_seq, $5), \
                   head_attempts = 0 WHERE endpoint_id = $1 AND stream = $3 AND stream_id = $4) \
                 UPDATE webhook_endpoints SET failing_since = NULL \
                 WHERE id = $1 AND $10 AND failing_since IS NOT NULL"
            ))
            .await?;
        let row = DeliveryRow::of(d);
        client.execute(&stmt, &row.params()).await?;
        Ok(())
    }

    /// One statement for a scheduled attempt that failed: it is logged,
    /// and the answer is the event's failed attempts now and how long the
    /// endpoint has been failing.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_failed(&self, d: &NewDelivery) -> Result<(u32, Duration), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "WITH log AS ({INSERT_DELIVERY}), \
                 c AS (UPDATE webhook_cursors SET head_attempts = head_attempts + 1 \
                   WHERE endpoint_id = $1 AND stream = $3 AND stream_id = $4 \
                   RETURNING head_attempts), \
                 e AS (UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) \
                   WHERE id = $1 RETURNING extract(epoch FROM now() - failing_since)::float8 AS failing) \
                 SELECT (SELECT head_attempts FROM c), (SELECT failing FROM e)"
            ))
            .await?;
        let row = DeliveryRow::of(d);
        let row = client.query_one(&stmt, &row.params()).await?;
        let attempts = row.get::<_, Option<i32>>(0).unwrap_or(1);
        let failing = row.get::<_, Option<f64>>(1).unwrap_or(0.0);
        Ok((
            u32::try_from(attempts).unwrap_or(1),
            Duration::from_secs_f64(failing.max(0.0)),
        ))
    }

    /// Records one attempt in the delivery log (a redelivery: the stream
    /// does not move).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn record_webhook_delivery(&self, d: &NewDelivery) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(INSERT_DELIVERY).await?;
        let row = DeliveryRow::of(d);
        client.execute(&stmt, &row.params()).await?;
        Ok(())
    }

    /// `endpoint`'s delivery log, newest first: attempts with an id below
    /// `before` (all when `None`), at most `limit`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_deliveries(
        &self,
        endpoint: Uuid,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Delivery>, DbError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                     WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2) \
                     ORDER BY id DESC LIMIT $3"
                ),
                &[&endpoint, &before, &limit],
            )
            .await?;
        Ok(rows.iter().map(Delivery::from_row).collect())
    }

    /// One attempt of `endpoint`'s log.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_delivery(
        &self,
        endpoint: Uuid,
        id: i64,
    ) -> Result<Option<Delivery>, DbError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                     WHERE endpoint_id = $1 AND id = $2"
                ),
                &[&endpoint, &id],
            )
            .await?;
        Ok(row.as_ref().map(Delivery::from_row))
    }

    /// Job `id`, still running, runs once more when it finishes (it
    /// stopped with work left).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn run_job_again(&self, id: i64) -> Result<(), DbError> {
        let client = self.client().await?;
        client
            .execute("UPDATE jobs SET again = true WHERE id = $1", &[&id])
            .await?;
        Ok(())
    }

    /// Deletes delivery log entries older than `keep`; how many.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn prune_webhook_deliveries(&self, keep: Duration) -> Result<u64, DbError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "DELETE FROM webhook_deliveries \
                 WHERE at < now() - make_interval(secs => $1::float8)",
                &[&keep.as_secs_f64()],
            )
            .await?)
    }
}
