//! Counters the server keeps for operators and benchmarks. Exposed in
//! Prometheus format by a later change; kept as cheap atomics meanwhile.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Shared, lock-free counters.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions_open: AtomicI64,
    sessions_total: AtomicU64,
    messages_in: AtomicU64,
    commands: AtomicU64,
    command_micros: AtomicU64,
}

impl Metrics {
    pub fn sessions_opened(&self) {
        self.inner.sessions_open.fetch_add(1, Ordering::Relaxed);
        self.inner.sessions_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sessions_closed(&self) {
        self.inner.sessions_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn message_in(&self) {
        self.inner.messages_in.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket command finished (acked or rejected) after `took`.
    pub fn command_done(&self, took: Duration) {
        self.inner.commands.fetch_add(1, Ordering::Relaxed);
        self.inner
            .command_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Sessions currently open.
    pub fn sessions_open(&self) -> i64 {
        self.inner.sessions_open.load(Ordering::Relaxed)
    }
}
