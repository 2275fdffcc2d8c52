//! What a bus engine counts, for `/metrics` and `/health/ready`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters shared by the engine and the node.
#[derive(Debug, Default)]
pub struct BusStats {
    /// Notices handed to the broker.
    pub published: AtomicU64,
    /// Notices dropped: the publish queue was full or the bus was down.
    pub dropped: AtomicU64,
    /// Notices heard from other nodes.
    pub received: AtomicU64,
    /// Times the connection was (re)established.
    pub connects: AtomicU64,
    /// Whether the engine is connected now.
    up: AtomicBool,
}

impl BusStats {
    /// Add `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Read `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Whether the engine is connected.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Record the connection's state.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Relaxed);
    }
}
