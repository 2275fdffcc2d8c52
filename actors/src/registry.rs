//! The directory of live actors. One board never gets two actors: lookups go
//! through DashMap's entry API (never check-then-insert), and an actor that
//! passivates removes only its own entry.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Arbiter, ArbiterHandle};
use dashmap::DashMap;
use protocol::{BoardId, BoardStore, OrgId};

use crate::board::BoardActor;
use crate::handles::{BoardHandle, OrgHandle};
use crate::org::OrgActor;
use crate::stats::ActorStats;

/// How long a board with no subscribers and no traffic stays in memory.
pub const IDLE_PASSIVATE_AFTER: Duration = Duration::from_secs(300);
/// Longest wait for one store call before the command fails as retryable.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages a board actor queues before callers get `overloaded`.
pub const BOARD_MAILBOX: usize = 1024;
/// A snapshot is written after this many events since the last one.
pub const SNAPSHOT_EVERY: u64 = 500;
/// Item numbers an organization reserves per database round trip.
pub const NUMBER_BLOCK: u32 = 50;
/// Recent events a board keeps in memory for `subscribe{since}`.
pub const RECENT_EVENTS: usize = 1000;

/// Tunables of the actor layer; see the constants for the defaults.
#[derive(Clone, Debug)]
pub struct ActorConfig {
    pub idle_passivate_after: Duration,
    pub store_timeout: Duration,
    pub board_mailbox: usize,
    pub snapshot_every: u64,
    pub number_block: u32,
    pub recent_events: usize,
    /// Arbiters (threads) that host board and org actors.
    pub arbiters: usize,
}

impl Default for ActorConfig {
    fn default() -> Self {
        ActorConfig {
            idle_passivate_after: IDLE_PASSIVATE_AFTER,
            store_timeout: STORE_TIMEOUT,
            board_mailbox: BOARD_MAILBOX,
            snapshot_every: SNAPSHOT_EVERY,
            number_block: NUMBER_BLOCK,
            recent_events: RECENT_EVENTS,
            arbiters: 1,
        }
    }
}

/// Live board and organization actors, and what they need to start.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn BoardStore>,
    config: ActorConfig,
    boards: DashMap<BoardId, Addr<BoardActor>>,
    orgs: DashMap<OrgId, Addr<OrgActor>>,
    arbiters: Vec<ArbiterHandle>,
    next_arbiter: AtomicUsize,
    stats: ActorStats,
}

impl Registry {
    /// A registry whose actors run on `config.arbiters` dedicated threads.
    /// Must be called inside a running actix `System`.
    pub fn new(store: Arc<dyn BoardStore>, config: ActorConfig) -> Registry {
        let arbiters = (0..config.arbiters.max(1))
            .map(|_| Arbiter::new().handle())
            .collect();
        Registry {
            inner: Arc::new(Inner {
                store,
                config,
                boards: DashMap::new(),
                orgs: DashMap::new(),
                arbiters,
                next_arbiter: AtomicUsize::new(0),
                stats: ActorStats::default(),
            }),
        }
    }

    /// A handle to the board's actor (started on demand).
    pub fn board(&self, id: BoardId) -> BoardHandle {
        BoardHandle::new(id, self.clone())
    }

    /// A handle to the organization's actor (started on demand).
    pub fn org(&self, id: OrgId) -> OrgHandle {
        OrgHandle::new(id, self.clone())
    }

    /// Number of boards held in memory.
    pub fn active_boards(&self) -> usize {
        self.inner.boards.len()
    }

    /// Number of organizations held in memory.
    pub fn active_orgs(&self) -> usize {
        self.inner.orgs.len()
    }

    /// The actor layer's counters.
    pub fn stats(&self) -> &ActorStats {
        &self.inner.stats
    }

    pub(crate) fn config(&self) -> &ActorConfig {
        &self.inner.config
    }

    pub(crate) fn store(&self) -> Arc<dyn BoardStore> {
        self.inner.store.clone()
    }

    fn arbiter(&self) -> &ArbiterHandle {
        let n = self.inner.next_arbiter.fetch_add(1, Ordering::Relaxed);
        &self.inner.arbiters[n % self.inner.arbiters.len()]
    }

    /// The live actor of `id`, starting one if there is none (or the one
    /// registered has stopped).
    pub(crate) fn board_addr(&self, id: BoardId) -> Addr<BoardActor> {
        use dashmap::mapref::entry::Entry;
        match self.inner.boards.entry(id) {
            Entry::Occupied(mut e) => {
                if !e.get().connected() {
                    let addr = self.start_board(id);
                    e.insert(addr);
                }
                e.get().clone()
            }
            Entry::Vacant(e) => e.insert(self.start_board(id)).clone(),
        }
    }

    fn start_board(&self, id: BoardId) -> Addr<BoardActor> {
        let registry = self.clone();
        BoardActor::start_in_arbiter(self.arbiter(), move |_| BoardActor::new(id, registry))
    }

    /// Remove `id` only if it still maps to `addr` (a newer actor may have
    /// taken its place).
    pub(crate) fn board_stopped(&self, id: BoardId, addr: &Addr<BoardActor>) {
        self.inner.boards.remove_if(&id, |_, a| a == addr);
    }

    /// The live actor of `id`, without starting one.
    pub(crate) fn live_board(&self, id: BoardId) -> Option<Addr<BoardActor>> {
        self.inner.boards.get(&id).map(|a| a.clone())
    }

    /// The live actor of `id`, without starting one.
    pub(crate) fn live_org(&self, id: OrgId) -> Option<Addr<OrgActor>> {
        self.inner.orgs.get(&id).map(|a| a.clone())
    }

    pub(crate) fn org_addr(&self, id: OrgId) -> Addr<OrgActor> {
        use dashmap::mapref::entry::Entry;
        match self.inner.orgs.entry(id) {
            Entry::Occupied(mut e) => {
                if !e.get().connected() {
                    let addr = self.start_org(id);
                    e.insert(addr);
                }
                e.get().clone()
            }
            Entry::Vacant(e) => e.insert(self.start_org(id)).clone(),
        }
    }

    fn start_org(&self, id: OrgId) -> Addr<OrgActor> {
        let registry = self.clone();
        OrgActor::start_in_arbiter(self.arbiter(), move |_| OrgActor::new(id, registry))
    }

    pub(crate) fn org_stopped(&self, id: OrgId, addr: &Addr<OrgActor>) {
        self.inner.orgs.remove_if(&id, |_, a| a == addr);
    }

    /// Stop every live actor and the arbiters hosting them. Board state is
    /// already durable (acked ⇒ committed), so nothing is lost.
    pub fn shutdown(&self) {
        self.inner.boards.clear();
        self.inner.orgs.clear();
        for arbiter in &self.inner.arbiters {
            arbiter.stop();
        }
    }
}
