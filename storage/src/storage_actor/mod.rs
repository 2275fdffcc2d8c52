//! The StorageActor: group commit of event appends.
//!
//! Board actors send `append` requests (one board's new events each) into
//! ONE bounded queue. A single intake task takes the first waiting request,
//! drains whatever else is queued (up to `max_batch_events`), and hands the
//! batch to a writer task that inserts all events and their projections in
//! ONE transaction. Only after COMMIT does each caller get `Ok`, so an ack
//! always means durable, while a thousand appends share one fsync.
//!
//! Concurrency: at most `max_in_flight` batches are written at once, each on
//! its own pool connection. While all writers are busy the intake task does
//! not take requests, so they pile up in the queue and the next batch gets
//! bigger; when the queue is full, `append` fails fast with
//! [`StoreError::Overloaded`] instead of waiting. Batches in flight may
//! commit in any order; per-board order still holds because a board actor
//! sends its next append only after the previous one was answered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use protocol::{Recorded, StoreError};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinSet;

use crate::db::Db;

mod writer;
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

/// Upper bounds of the batch-size histogram, in events per transaction.
pub const BATCH_EVENTS_BUCKETS: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/// Upper bounds of the commit-latency histogram, in µs.
pub const COMMIT_MICROS_BUCKETS: [u64; 12] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    5_000_000,
];

/// Counters since start, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageStats {
    /// Transactions committed.
    pub batches_committed: u64,
    /// Append requests committed.
    pub requests_committed: u64,
    /// Events committed.
    pub events_committed: u64,
    /// Events in the largest committed transaction.
    pub largest_batch: u64,
    /// Duration of the last committed transaction (write + COMMIT), in µs.
    pub last_commit_micros: u64,
    /// Append requests answered with an error, other than a duplicate
    /// command id.
    pub failures: u64,
    /// Append requests refused because their command id was already used:
    /// idempotent retries, answered with the original outcome. Expected,
    /// so not counted as failures.
    pub duplicates: u64,
    /// Committed transactions by size: `batch_events[i]` counts those of
    /// at most `BATCH_EVENTS_BUCKETS[i]` events and more than the previous
    /// bound (not cumulative; larger ones only count in
    /// `batches_committed`). Their sum is `events_committed`.
    pub batch_events: [u64; BATCH_EVENTS_BUCKETS.len()],
    /// Committed transactions by duration, bucketed like `batch_events`
    /// with [`COMMIT_MICROS_BUCKETS`].
    pub commit_micros: [u64; COMMIT_MICROS_BUCKETS.len()],
    /// Total duration of the committed transactions, in µs.
    pub commit_micros_sum: u64,
}

/// A histogram of atomics: one counter per upper bound; values above the
/// last bound are counted by the caller's total only.
struct Buckets<const N: usize> {
    bounds: &'static [u64; N],
    counts: [AtomicU64; N],
}

impl<const N: usize> Buckets<N> {
    fn new(bounds: &'static [u64; N]) -> Self {
        Buckets {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn record(&self, value: u64) {
        if let Some(i) = self.bounds.iter().position(|bound| value <= *bound) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn snapshot(&self) -> [u64; N] {
        std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed))
    }
}

struct Counters {
    batches_committed: AtomicU64,
    requests_committed: AtomicU64,
    events_committed: AtomicU64,
    largest_batch: AtomicU64,
    last_commit_micros: AtomicU64,
    failures: AtomicU64,
    duplicates: AtomicU64,
    batch_events: Buckets<{ BATCH_EVENTS_BUCKETS.len() }>,
    commit_micros: Buckets<{ COMMIT_MICROS_BUCKETS.len() }>,
    commit_micros_sum: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            batches_committed: AtomicU64::new(0),
            requests_committed: AtomicU64::new(0),
            events_committed: AtomicU64::new(0),
            largest_batch: AtomicU64::new(0),
            last_commit_micros: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            batch_events: Buckets::new(&BATCH_EVENTS_BUCKETS),
            commit_micros: Buckets::new(&COMMIT_MICROS_BUCKETS),
            commit_micros_sum: AtomicU64::new(0),
        }
    }
}

impl Counters {
    fn committed(&self, requests: usize, events: usize, took: Duration) {
        let events = u64::try_from(events).unwrap_or(u64::MAX);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.batches_committed.fetch_add(1, Ordering::Relaxed);
        self.requests_committed.fetch_add(
            u64::try_from(requests).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.events_committed.fetch_add(events, Ordering::Relaxed);
        self.largest_batch.fetch_max(events, Ordering::Relaxed);
        self.last_commit_micros.store(micros, Ordering::Relaxed);
        self.batch_events.record(events);
        self.commit_micros.record(micros);
        self.commit_micros_sum.fetch_add(micros, Ordering::Relaxed);
    }

    fn failed(&self, requests: usize, error: &StoreError) {
        let counter = match error {
            StoreError::Duplicate { .. } => &self.duplicates,
            _ => &self.failures,
        };
        counter.fetch_add(
            u64::try_from(requests).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn snapshot(&self) -> StorageStats {
        StorageStats {
            batches_committed: self.batches_committed.load(Ordering::Relaxed),
            requests_committed: self.requests_committed.load(Ordering::Relaxed),
            events_committed: self.events_committed.load(Ordering::Relaxed),
            largest_batch: self.largest_batch.load(Ordering::Relaxed),
            last_commit_micros: self.last_commit_micros.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            batch_events: self.batch_events.snapshot(),
            commit_micros: self.commit_micros.snapshot(),
            commit_micros_sum: self.commit_micros_sum.load(Ordering::Relaxed),
        }
    }
}

/// One caller's events (one board, consecutive seqs), where to answer, and
/// the caller's span: what the writer logs about these events is logged in
/// it, so it carries the request's `request_id` (see `writer::batch_span`).
pub(crate) struct AppendRequest {
    events: Vec<Recorded>,
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
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(AppendRequest {
                events,
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
        let mut events = first.events.len();
        let mut batch = vec![first];
        while events < max_events {
            let Ok(next) = queue.try_recv() else { break };
            if events + next.events.len() > max_events {
                carried = Some(next);
                break;
            }
            events += next.events.len();
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
