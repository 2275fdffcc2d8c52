//! The job queue's table (`jobs`, migration 0015): enqueueing inside a
//! caller's transaction, claiming with `FOR UPDATE SKIP LOCKED` (safe with
//! any number of workers on any number of nodes), completing, failing into
//! a retry or the dead state, releasing the jobs of a node that is gone,
//! scheduled jobs, and what the admin API reads and changes.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use protocol::jobs::JobKind;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{Db, DbError};

/// A job to queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: Value,
    /// While a job holds this key (queued, running or dead), enqueueing
    /// another with it does nothing.
    pub unique_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    /// A job of `kind` with the kind's attempts.
    pub fn new(kind: JobKind, payload: Value) -> NewJob {
        NewJob {
            kind,
            payload,
            unique_key: None,
            max_attempts: kind.max_attempts(),
        }
    }

    /// The same job, queued at most once per `key`.
    #[must_use]
    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }
}

/// Queue `job` through `client` — a transaction's, so the job commits
/// with the change that causes it, or not at all. Returns its id, or
/// `None` when a job with its unique key is already queued.
///
/// # Errors
/// Any database error, as [`DbError`].
pub async fn enqueue(client: &impl GenericClient, job: &NewJob) -> Result<Option<i64>, DbError> {
    Ok(insert(client, job).await?)
}

/// [`enqueue`], with the driver's error (for the append transaction).
pub(crate) async fn insert(
    client: &impl GenericClient,
    job: &NewJob,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO jobs (kind, payload, unique_key, max_attempts) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (unique_key) DO NOTHING RETURNING id",
        )
        .await?;
    let row = client
        .query_opt(
            &stmt,
            &[
                &job.kind.name(),
                &job.payload,
                &job.unique_key,
                &job.max_attempts,
            ],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// How recording a success went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completed {
    /// The job is done and gone.
    Deleted,
    /// It was enqueued again while it ran: queued again, due now.
    Again,
    /// This node no longer held it.
    NotHeld,
}

/// A job a worker claimed.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub payload: Value,
    /// This run's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    /// How long it waited between becoming due and being claimed.
    pub waited: Duration,
}

/// A job as the admin API lists it.
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    /// `queued`, `running` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Unix ms: when it is (or was) due.
    pub run_at: i64,
    pub unique_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub payload: Value,
}

impl JobRow {
    fn from_row(row: &Row) -> JobRow {
        JobRow {
            id: row.get("id"),
            kind: row.get("kind"),
            state: row.get("state"),
            attempts: row.get("attempts"),
            max_attempts: row.get("max_attempts"),
            run_at: row.get("run_ms"),
            unique_key: row.get("unique_key"),
            last_error: row.get("last_error"),
            created_at: row.get("created_ms"),
            updated_at: row.get("updated_ms"),
            payload: row.get("payload"),
        }
    }
}

const JOB_COLUMNS: &str =
    "id, kind, state, attempts, max_attempts, unique_key, last_error, payload, \
     (extract(epoch FROM run_at) * 1000)::bigint AS run_ms, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
     (extract(epoch FROM updated_at) * 1000)::bigint AS updated_ms";

/// Which jobs an admin action applies to.
#[derive(Clone, Copy, Debug)]
pub enum JobSelector<'a> {
    One(i64),
    AllDead { kind: Option<&'a str> },
}

/// What happened to a failed job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedJob {
    /// Queued again for after the delay.
    Retrying,
    /// Out of attempts: dead.
    Dead,
    /// This node no longer held it (released as a gone node's, or
    /// discarded): nothing changed.
    NotHeld,
}

impl Db {
    /// Queue `job` on its own (no other change commits with it).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Option<i64>, DbError> {
        let client = self.client().await?;
        enqueue(&client, job).await
    }

    /// Queue `jobs` together: all or none.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn enqueue_all(&self, jobs: &[NewJob]) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        for job in jobs {
            insert(&tx, job).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claim up to `limit` due jobs of `kind` for `node`, oldest first;
    /// each claim counts an attempt.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn claim_jobs(
        &self,
        node: Uuid,
        kind: JobKind,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
                   locked_at = now(), updated_at = now(), again = false \
                 WHERE id IN (SELECT id FROM jobs \
                   WHERE state = 'queued' AND kind = $2 AND run_at <= now() \
                   ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, payload, attempts, max_attempts, \
                   extract(epoch FROM (now() - run_at))::float8 AS waited",
            )
            .await?;
        let rows = client.query(&stmt, &[&node, &kind.name(), &limit]).await?;
        Ok(rows
            .iter()
            .map(|row| ClaimedJob {
                id: row.get("id"),
                kind,
                payload: row.get("payload"),
                attempt: row.get("attempts"),
                max_attempts: row.get("max_attempts"),
                waited: Duration::from_secs_f64(row.get::<_, f64>("waited").max(0.0)),
            })
            .collect())
    }

    /// A job `node` ran succeeded: it is deleted — or, when it was
    /// enqueued again while it ran (`again`, see
    /// [`crate::webhooks`]), queued again at once with its attempts reset.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn complete_job(&self, id: i64, node: Uuid) -> Result<Completed, DbError> {
        let client = self.client().await?;
        // Deleting first: an enqueue that sets `again` locks the row, so
        // this waits for it and sees the flag; one that comes after the
        // delete inserts a new job.
        let delete = client
            .prepare_cached("DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND NOT again")
            .await?;
        if client.execute(&delete, &[&id, &node]).await? == 1 {
            return Ok(Completed::Deleted);
        }
        let requeue = client
            .prepare_cached(
                "UPDATE jobs SET state = 'queued', again = false, attempts = 0, run_at = now(), \
                   locked_by = NULL, locked_at = NULL, updated_at = now() \
                 WHERE id = $1 AND locked_by = $2 AND again",
            )
            .await?;
        Ok(if client.execute(&requeue, &[&id, &node]).await? == 1 {
            Completed::Again
        } else {
            Completed::NotHeld
        })
    }

    /// A job `node` ran failed with `error`: queued again after
    /// `retry_in`, or dead once it was tried `max_attempts` times (the
    /// kind's policy now, which is stored with it).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn fail_job(
        &self,
        id: i64,
        node: Uuid,
        error: &str,
        retry_in: Duration,
        max_attempts: i32,
    ) -> Result<FailedJob, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE jobs SET max_attempts = $5, again = false, \
                   state = CASE WHEN attempts >= $5 THEN 'dead' ELSE 'queued' END, \
                   run_at = CASE WHEN attempts >= $5 THEN run_at \
                     ELSE now() + make_interval(secs => $4::float8) END, \
                   locked_by = NULL, locked_at = NULL, last_error = $3, updated_at = now() \
                 WHERE id = $1 AND locked_by = $2 RETURNING state",
            )
            .await?;
        let row = client
            .query_opt(
                &stmt,
                &[
                    &id,
                    &node,
                    &error,
                    &retry_in.as_secs_f64(),
                    &max_attempts.max(1),
                ],
            )
            .await?;
        Ok(match row.map(|r| r.get::<_, String>(0)) {
            None => FailedJob::NotHeld,
            Some(state) if state == "dead" => FailedJob::Dead,
            Some(_) => FailedJob::Retrying,
        })
    }

    /// Give back jobs `node` claimed but will not run (it is stopping):
    /// queued again, due now, the attempt not counted.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn release_jobs(&self, node: Uuid, ids: &[i64]) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), \
                   locked_by = NULL, locked_at = NULL, run_at = now(), updated_at = now() \
                 WHERE locked_by = $1 AND id = ANY($2)",
            )
            .await?;
        Ok(client.execute(&stmt, &[&node, &ids]).await?)
    }

    /// Queue again the running jobs of nodes whose heartbeat is older than
    /// `timeout` (killed, or cut off): they may have run partly, so the
    /// attempt counts, and the job runs again at once. Never the jobs of
    /// `me`, the node asking: it knows it is alive, even while its
    /// heartbeat has stopped because it is shutting down.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn release_gone_nodes_jobs(
        &self,
        me: Uuid,
        timeout: Duration,
    ) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE jobs SET \
                   state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                   last_error = 'its node stopped while running it', \
                   locked_by = NULL, locked_at = NULL, run_at = now(), updated_at = now() \
                 WHERE state = 'running' AND locked_by IS DISTINCT FROM $2 \
                   AND NOT EXISTS (SELECT 1 FROM nodes n \
                   WHERE n.id = jobs.locked_by \
                     AND n.heartbeat_at >= now() - make_interval(secs => $1::float8))",
            )
            .await?;
        Ok(client
            .execute(&stmt, &[&timeout.as_secs_f64(), &me])
            .await?)
    }

    /// Queue again the jobs `me` holds as running but runs no more (`running`
    /// are those its workers run): recording their outcome failed. They
    /// may have run, so the attempt counts. Only those claimed more than
    /// `after` ago, so a claim not yet handed to its worker is left alone.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn release_own_orphans(
        &self,
        me: Uuid,
        running: &[i64],
        after: Duration,
    ) -> Result<u64, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE jobs SET \
                   state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                   last_error = 'its outcome could not be recorded', \
                   locked_by = NULL, locked_at = NULL, run_at = now(), updated_at = now() \
                 WHERE state = 'running' AND locked_by = $1 AND NOT (id = ANY($2)) \
                   AND locked_at < now() - make_interval(secs => $3::float8)",
            )
            .await?;
        Ok(client
            .execute(&stmt, &[&me, &running, &after.as_secs_f64()])
            .await?)
    }

    /// Queue `kind` when its schedule is due, and move the schedule on by
    /// `every`, in one transaction: with several nodes, one of them queues
    /// each run. True when this call queued it.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn enqueue_if_due(&self, kind: JobKind, every: Duration) -> Result<bool, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO job_schedule (kind, next_at) VALUES ($1, now()) ON CONFLICT DO NOTHING",
            &[&kind.name()],
        )
        .await?;
        let moved = tx
            .execute(
                "UPDATE job_schedule SET next_at = now() + make_interval(secs => $2::float8) \
                 WHERE kind = $1 AND next_at <= now()",
                &[&kind.name(), &every.as_secs_f64()],
            )
            .await?;
        if moved == 0 {
            return Ok(false);
        }
        let queued = enqueue(&tx, &NewJob::new(kind, Value::Null).unique(kind.name())).await?;
        tx.commit().await?;
        Ok(queued.is_some())
    }

    /// Jobs in `state` (any when `None`), of `kind` (any when `None`),
    /// with ids above `after`, oldest first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn list_jobs(
        &self,
        state: Option<&str>,
        kind: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<JobRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs \
                 WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2) \
                   AND id > $3 ORDER BY id LIMIT $4"
            ))
            .await?;
        let rows = client
            .query(&stmt, &[&state, &kind, &after, &limit])
            .await?;
        Ok(rows.iter().map(JobRow::from_row).collect())
    }

    /// One job, by id.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn job(&self, id: i64) -> Result<Option<JobRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .await?;
        let row = client.query_opt(&stmt, &[&id]).await?;
        Ok(row.as_ref().map(JobRow::from_row))
    }

    /// Queue dead jobs again, with their attempts reset; how many. `audit`
    /// (with the count in its details) is written in the same transaction
    /// when any job changed.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn retry_dead_jobs(
        &self,
        which: JobSelector<'_>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, DbError> {
        let set = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), \
                   updated_at = now() WHERE state = 'dead'";
        self.change_dead(set, which, audit).await
    }

    /// Delete dead jobs; how many. `audit` as in [`Db::retry_dead_jobs`].
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn discard_dead_jobs(
        &self,
        which: JobSelector<'_>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, DbError> {
        self.change_dead("DELETE FROM jobs WHERE state = 'dead'", which, audit)
            .await
    }

    async fn change_dead(
        &self,
        statement: &str,
        which: JobSelector<'_>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, DbError> {
        let mut client = self.client().await?;
        let client = client.transaction().await?;
        let changed = match which {
            JobSelector::One(id) => {
                client
                    .execute(&format!("{statement} AND id = $1"), &[&id])
                    .await?
            }
            JobSelector::AllDead { kind } => {
                client
                    .execute(
                        &format!("{statement} AND ($1::text IS NULL OR kind = $1)"),
                        &[&kind],
                    )
                    .await?
            }
        };
        if let (true, Some(entry)) = (changed > 0, audit) {
            let mut entry = entry.clone();
            if let Some(details) = entry.details.as_object_mut() {
                details.insert("count".into(), serde_json::json!(changed));
            }
            record(&client, &entry).await?;
        }
        client.commit().await?;
        Ok(changed)
    }

    /// Jobs by kind and state, for `/metrics` and readiness.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT kind, state, count(*) FROM jobs GROUP BY kind, state")
            .await?;
        let rows = client.query(&stmt, &[]).await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}
