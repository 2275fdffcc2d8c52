//! The StorageActor's counters: what group commit does and costs, for
//! `/metrics` and tests. Lock-free atomics, shared by the intake task, the
//! writers and every handle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use protocol::StoreError;

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

pub(crate) struct Counters {
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
    pub(super) fn committed(&self, requests: usize, events: usize, took: Duration) {
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

    pub(super) fn failed(&self, requests: usize, error: &StoreError) {
        let counter = match error {
            StoreError::Duplicate { .. } | StoreError::OrgDuplicate { .. } => &self.duplicates,
            _ => &self.failures,
        };
        counter.fetch_add(
            u64::try_from(requests).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(super) fn snapshot(&self) -> StorageStats {
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
