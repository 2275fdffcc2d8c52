//! The StorageActor: group commit of event appends.
//!
//! Board actors and organization actors send `append` requests (one
//! board's or one organization's new events each) into ONE bounded queue.
//! A single intake task takes the first waiting request, drains whatever
//! else is queued (up to `max_batch_events`), and hands the batch to a
//! writer task that inserts all events, their projections and the command
//! outcomes in ONE transaction. Only after COMMIT does each caller get
//! `Ok`, so an ack always means durable, while a thousand appends share
//! one fsync.
//!
//! Concurrency: at most `max_in_flight` batches are written at once, each on
//! its own pool connection. While all writers are busy the intake task does
//! not take requests, so they pile up in the queue and the next batch gets
//! bigger; when the queue is full, `append` fails fast with
//! [`StoreError::Overloaded`] instead of waiting. Batches in flight may
//! commit in any order; per-board (and per-organization) order still holds
//! because an actor sends its next append only after the previous one was
//! answered.

use std::sync::Arc;
use std::time::Duration;

use protocol::{OrgId, OrgRecorded, Recorded, StoreError};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinSet;

use crate::db::Db;
use crate::org_log::OrgCommandKey;

mod counters;
mod writer;
use counters::Counters;
pub use counters::{StorageStats, BATCH_EVENTS_BUCKETS, COMMIT_MICROS_BUCKETS};
use writer::write_batch;

/// Tuning of the StorageActor.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Append requests that may wait in the queue; beyond that `append`
    /// returns [`StoreError::Overloaded`].
    pub queue_capacity: usize,
    /// Events per transaction (a single larger request still goes alone).
    pub max_batch_events: usize,
    /// Batches written concurrently, each on its own pool connection.
    pub max_in_flight: usize,
    /// How long `append` waits for its commit before [`StoreError::Timeout`].
    /// Also bounds how long one batch transaction may take.
    pub commit_timeout: Duration,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            queue_capacity: 4096,
            max_batch_events: 1000,
            max_in_flight: 3,
            commit_timeout: Duration::from_secs(5),
        }
    }
}

/// What one append request writes: the events of ONE log, continuing it.
pub(crate) enum Append {
    /// A board's events, consecutive seqs; their command outcomes are
    /// derived from the events' command ids.
    Board(Vec<Recorded>),
    /// An organization's events, consecutive seqs, with the command's
    /// author and id when it had one (its outcome is recorded with them).
    Org {
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<OrgCommandKey>,
        /// The request that sent the command: its audit entries, derived
        /// from `records` in the same transaction, name it.
        origin: Option<protocol::Origin>,
    },
}

impl Append {
    /// Where the request stands in the order every batch is written in
    /// (see `writer::write_batch`).
    pub(crate) fn lock_order(&self) -> (u8, uuid::Uuid) {
        match self {
            Append::Org { org, .. } => (0, org.0),
            Append::Board(events) => (1, events.first().map_or(uuid::Uuid::nil(), |r| r.board.0)),
        }
    }
}

impl Append {
    /// How many events it adds to a batch.
    fn events(&self) -> usize {
        match self {
            Append::Board(events) => events.len(),
            Append::Org { records, .. } => records.len(),
        }
    }
}

/// One caller's append, where to answer, and the caller's span: what the
/// writer logs about these events is logged in it, so it carries the
/// request's `request_id` (see `writer::batch_span`).
pub(crate) struct AppendRequest {
    append: Append,
    reply: oneshot::Sender<Result<(), StoreError>>,
    span: tracing::Span,
}

impl AppendRequest {
    fn answer(self, result: Result<(), StoreError>) {
        // The caller may have timed out and gone; nothing to do then.
        let _ = self.reply.send(result);
    }
}

/// The sending side of the StorageActor. Cheap to clone.
#[derive(Clone)]
pub struct StorageHandle {
    queue: mpsc::Sender<AppendRequest>,
    counters: Arc<Counters>,
    commit_timeout: Duration,
}

impl StorageHandle {
    /// Appends one board's events (consecutive seqs continuing its log) and
    /// resolves after they and their projections are committed.
    ///
    /// # Errors
    /// - [`StoreError::Overloaded`] at once when the queue is full;
    /// - [`StoreError::Timeout`] when no answer came within the commit
    ///   timeout (the events may or may not have been committed);
    /// - [`StoreError::Conflict`] when one of the seqs is already taken;
    /// - [`StoreError::Duplicate`] when the command id was already used;
    /// - [`StoreError::Unavailable`] when the database failed or the actor
    ///   is shutting down (nothing was written);
    /// - [`StoreError::Internal`] when the database refused the events for
    ///   good (nothing was written; sending them again cannot help).
    pub async fn append(&self, events: Vec<Recorded>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        self.send(Append::Board(events)).await
    }

    /// Appends one organization's events (consecutive seqs continuing its
    /// log), in the same queue and batches as the boards' events, and
    /// resolves after they, their projections (`orgs`, `memberships`,
    /// `invites`) and the outcome of `command` (when it had an id) are
    /// committed.
    ///
    /// # Errors
    /// As [`Self::append`], with [`StoreError::OrgConflict`] for a taken
    /// seq and [`StoreError::OrgDuplicate`] when `command` already has an
    /// outcome (accepted or refused). A creation naming a taken org key is
    /// [`StoreError::Internal`] (the route checks the key first).
    pub async fn append_org(
        &self,
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<OrgCommandKey>,
    ) -> Result<(), StoreError> {
        self.append_org_from(org, records, command, None).await
    }

    /// [`Self::append_org`], with the audit entries the records call for
    /// (membership, invite and organization changes, see
    /// [`crate::audit::org_entries`]) written in the same transaction and
    /// naming `origin`'s IP, user agent and request id.
    ///
    /// # Errors
    /// As [`Self::append_org`].
    pub async fn append_org_from(
        &self,
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<OrgCommandKey>,
        origin: Option<protocol::Origin>,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        self.send(Append::Org {
            org,
            records,
            command,
            origin,
        })
        .await
    }

    /// Queues `append` and waits for its answer.
    async fn send(&self, append: Append) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(AppendRequest {
                append,
                reply,
                span: tracing::Span::current(),
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => StoreError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => {
                    StoreError::Unavailable("storage is shutting down".into())
                }
            })?;
        match tokio::time::timeout(self.commit_timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(StoreError::Unavailable(
                "storage actor stopped before answering".into(),
            )),
            Err(_) => Err(StoreError::Timeout),
        }
    }

    /// Append requests waiting in the queue (not yet taken into a batch).
    pub fn queue_depth(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// The queue's capacity, for readiness checks ("not saturated").
    pub fn queue_capacity(&self) -> usize {
        self.queue.max_capacity()
    }

    /// Counters since start.
    pub fn stats(&self) -> StorageStats {
        self.counters.snapshot()
    }
}

/// The running StorageActor; keep it to shut it down gracefully.
pub struct StorageTask {
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl StorageTask {
    /// Closes intake (further appends fail with `Unavailable`), commits
    /// everything already queued, waits for batches in flight, and returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "storage actor task failed");
        }
    }
}

/// Starts the StorageActor on the current tokio runtime (also inside an
/// actix system, whose arbiters are tokio current-thread runtimes).
pub fn spawn_storage_actor(db: Db, config: StorageConfig) -> (StorageHandle, StorageTask) {
    let (handle, queue) = handle(&config);
    let (shutdown, shutdown_rx) = oneshot::channel();
    let counters = Arc::clone(&handle.counters);
    let task = tokio::spawn(run(db, config, queue, shutdown_rx, counters));
    let task = StorageTask {
        shutdown: Some(shutdown),
        task,
    };
    (handle, task)
}

fn handle(config: &StorageConfig) -> (StorageHandle, mpsc::Receiver<AppendRequest>) {
    let (queue, rx) = mpsc::channel(config.queue_capacity.max(1));
    let handle = StorageHandle {
        queue,
        counters: Arc::default(),
        commit_timeout: config.commit_timeout,
    };
    (handle, rx)
}

/// The intake loop: forms batches and starts writers.
async fn run(
    db: Db,
    config: StorageConfig,
    mut queue: mpsc::Receiver<AppendRequest>,
    mut shutdown: oneshot::Receiver<()>,
    counters: Arc<Counters>,
) {
    let writers = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let max_events = config.max_batch_events.max(1);
    let mut in_flight = JoinSet::new();
    let mut carried: Option<AppendRequest> = None;
    let mut closing = false;
    loop {
        // Wait for a free writer first, so requests stay in the bounded
        // queue (where overflow is visible) while all writers are busy.
        let Ok(permit) = Arc::clone(&writers).acquire_owned().await else {
            break;
        };
        let first = match carried.take() {
            Some(request) => request,
            None => tokio::select! {
                _ = &mut shutdown, if !closing => {
                    // No new requests; everything already queued is still
                    // received (and committed) below.
                    queue.close();
                    closing = true;
                    continue;
                }
                request = queue.recv() => match request {
                    Some(request) => request,
                    None => break,
                },
            },
        };
        let mut events = first.append.events();
        let mut batch = vec![first];
        while events < max_events {
            let Ok(next) = queue.try_recv() else { break };
            if events + next.append.events() > max_events {
                carried = Some(next);
                break;
            }
            events += next.append.events();
            batch.push(next);
        }
        let db = db.clone();
        let counters = Arc::clone(&counters);
        let timeout = config.commit_timeout;
        in_flight.spawn(async move {
            write_batch(&db, batch, &counters, timeout).await;
            drop(permit);
        });
        // Reap finished writers so the set does not grow.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!("storage actor stopped");
}

#[cfg(test)]
mod tests;
