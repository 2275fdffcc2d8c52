//! Counters of the actor layer, for `/metrics` and benchmarks: what the
//! guarantees cost and how often their limits are hit. Lock-free atomics,
//! shared by every actor of a registry.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::mailbox::Depth;

/// Counters; read a consistent-enough copy with [`ActorStats::snapshot`].
#[derive(Debug, Default)]
pub struct ActorStats {
    pub(crate) commands_committed: AtomicU64,
    pub(crate) commands_rejected: AtomicU64,
    pub(crate) commands_replayed: AtomicU64,
    pub(crate) events_broadcast: AtomicU64,
    pub(crate) deliveries: AtomicU64,
    pub(crate) slow_consumers_cut: AtomicU64,
    pub(crate) resumes_from_memory: AtomicU64,
    pub(crate) resumes_from_store: AtomicU64,
    pub(crate) resets: AtomicU64,
    pub(crate) boards_activated: AtomicU64,
    pub(crate) boards_passivated: AtomicU64,
    pub(crate) boards_crashed: AtomicU64,
    pub(crate) catch_ups: AtomicU64,
    pub(crate) events_caught_up: AtomicU64,
    pub(crate) seq_conflicts: AtomicU64,
    pub(crate) board_batches: AtomicU64,
    /// Messages waiting in board actors' mailboxes.
    pub(crate) board_mailbox: Depth,
    /// Messages waiting in organization actors' mailboxes.
    pub(crate) org_mailbox: Depth,
}

/// A copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Commands whose events were committed.
    pub commands_committed: u64,
    /// Commands refused by a rule.
    pub commands_rejected: u64,
    /// Retries answered with a recorded outcome (idempotency).
    pub commands_replayed: u64,
    /// Events broadcast (each encoded at most once per wire format).
    pub events_broadcast: u64,
    /// Board event frames queued to subscribers (events times
    /// subscribers); presence notices and org events are not counted here
    /// (see `fanout.rs`).
    pub deliveries: u64,
    /// Sessions cut off because their outbound queue overflowed, once per
    /// session (counted by an outbox built with `Outbox::counting_cuts_in`).
    pub slow_consumers_cut: u64,
    /// `subscribe{since}` served from memory.
    pub resumes_from_memory: u64,
    /// `subscribe{since}` served from the store.
    pub resumes_from_store: u64,
    /// Snapshots marked `reset`.
    pub resets: u64,
    /// Board actors activated (loaded).
    pub boards_activated: u64,
    /// Board actors passivated after being idle.
    pub boards_passivated: u64,
    /// Board actors that panicked.
    pub boards_crashed: u64,
    /// Board and organization catch-ups from the log after another node
    /// committed (a notice, a sweep, the bus coming back).
    pub catch_ups: u64,
    /// Events applied by those catch-ups (read from the log or carried by
    /// the notice).
    pub events_caught_up: u64,
    /// Appends that lost the race for a seq to another node and were
    /// decided again after catching up.
    pub seq_conflicts: u64,
    /// Batches of board commands appended in one store call each
    /// (`commands_committed` / `board_batches` is the mean batch; see
    /// `board/pipeline.rs`).
    pub board_batches: u64,
    /// Messages waiting in board actors' mailboxes (a gauge).
    pub board_mailbox_depth: u64,
    /// Messages waiting in organization actors' mailboxes (a gauge).
    pub org_mailbox_depth: u64,
}

impl ActorStats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            commands_committed: get(&self.commands_committed),
            commands_rejected: get(&self.commands_rejected),
            commands_replayed: get(&self.commands_replayed),
            events_broadcast: get(&self.events_broadcast),
            deliveries: get(&self.deliveries),
            slow_consumers_cut: get(&self.slow_consumers_cut),
            resumes_from_memory: get(&self.resumes_from_memory),
            resumes_from_store: get(&self.resumes_from_store),
            resets: get(&self.resets),
            boards_activated: get(&self.boards_activated),
            boards_passivated: get(&self.boards_passivated),
            boards_crashed: get(&self.boards_crashed),
            catch_ups: get(&self.catch_ups),
            events_caught_up: get(&self.events_caught_up),
            seq_conflicts: get(&self.seq_conflicts),
            board_batches: get(&self.board_batches),
            board_mailbox_depth: self.board_mailbox.get(),
            org_mailbox_depth: self.org_mailbox.get(),
        }
    }
}
