//! The directory of live actors. One board never gets two actors: lookups go
//! through DashMap's entry API (never check-then-insert), and an actor that
//! passivates removes only its own entry.

use std::sync::Arc;
use std::time::Duration;

use actix::dev::SendError;
use actix::{Actor, Addr, Arbiter, ArbiterHandle, Handler, Message};
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use protocol::bus::{Bus, NodeId, SoloBus};
use protocol::{BoardId, BoardStore, OrgId};

use crate::board::BoardActor;
use crate::handles::{BoardHandle, OrgHandle};
use crate::mailbox::Queued;
use crate::org::{LiveOrg, OrgActor, Stock, StockChanged};
use crate::stats::ActorStats;

/// How long a board with no subscribers and no traffic stays in memory.
pub const IDLE_PASSIVATE_AFTER: Duration = Duration::from_secs(300);
/// Longest wait for one store call before the command fails as retryable.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages a board actor queues before callers get `overloaded`.
pub const BOARD_MAILBOX: usize = 1024;
/// A snapshot is written after this many events since the last one, or
/// after half as many events as the board has items and comments when
/// that is more (`board/snapshots.rs`).
pub const SNAPSHOT_EVERY: u64 = 500;
/// Snapshots written at once, process-wide, at most: each holds a pooled
/// database connection the commits also need (the server also keeps it
/// to a quarter of its pool, at least one).
pub const SNAPSHOT_WRITERS: usize = 2;
/// Item numbers an organization reserves at once at least; the block grows
/// under load up to `org::MAX_NUMBER_BLOCK` (see `org/numbers.rs`).
pub const NUMBER_BLOCK: u32 = 50;
/// Recent events a board keeps in memory for `subscribe{since}`.
pub const RECENT_EVENTS: usize = 1000;
/// How long after a board's hello on the bus its commits are published
/// whether or not another node has answered that it follows the board:
/// answers take one trip over the bus, far less than this.
pub const FOLLOW_SETTLE: Duration = Duration::from_secs(5);

/// Tunables of the actor layer; see the constants for the defaults.
#[derive(Clone, Debug)]
pub struct ActorConfig {
    pub idle_passivate_after: Duration,
    pub store_timeout: Duration,
    pub board_mailbox: usize,
    pub snapshot_every: u64,
    /// See [`SNAPSHOT_WRITERS`].
    pub snapshot_writers: usize,
    pub number_block: u32,
    pub recent_events: usize,
    /// See [`FOLLOW_SETTLE`].
    pub follow_settle: Duration,
    /// Arbiters (threads) that host board and org actors. Each aggregate
    /// lives on the one its id hashes to ([`arbiter_index`]).
    pub arbiters: usize,
}

impl Default for ActorConfig {
    fn default() -> Self {
        ActorConfig {
            idle_passivate_after: IDLE_PASSIVATE_AFTER,
            store_timeout: STORE_TIMEOUT,
            board_mailbox: BOARD_MAILBOX,
            snapshot_every: SNAPSHOT_EVERY,
            snapshot_writers: SNAPSHOT_WRITERS,
            number_block: NUMBER_BLOCK,
            recent_events: RECENT_EVENTS,
            follow_settle: FOLLOW_SETTLE,
            arbiters: 1,
        }
    }
}

/// Why a message could not be queued for an actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendFailure {
    /// The mailbox is full.
    Full,
    /// The actor has stopped.
    Closed,
}

impl<M> From<SendError<M>> for SendFailure {
    fn from(e: SendError<M>) -> Self {
        match e {
            SendError::Full(_) => SendFailure::Full,
            SendError::Closed(_) => SendFailure::Closed,
        }
    }
}

/// Start an actor on `arbiter` whose mailbox holds `capacity` messages
/// from the very first send (`start_in_arbiter` creates it with actix's
/// default of 16 and a capacity set in `started` comes too late for
/// messages sent meanwhile).
fn start_with_capacity<A>(
    arbiter: &ArbiterHandle,
    capacity: usize,
    make: impl FnOnce() -> A + Send + 'static,
) -> Addr<A>
where
    A: Actor<Context = actix::Context<A>>,
{
    let (tx, rx) = actix::dev::channel::channel(capacity);
    arbiter.spawn_fn(move || {
        actix::Context::with_receiver(rx).run(make());
    });
    Addr::new(tx)
}

/// `try_send` through the one address registered for `id` (starting an
/// actor with `start` when there is none or it has stopped). Never through
/// a fresh clone: actix lets every clone of an address overshoot a full
/// mailbox once, so sending through clones would make the bound meaningless.
fn send_via<K, A, M>(
    actors: &DashMap<K, Addr<A>>,
    id: K,
    start: impl FnOnce() -> Addr<A>,
    msg: Queued<M>,
) -> Result<(), SendFailure>
where
    K: std::hash::Hash + Eq,
    A: Actor<Context = actix::Context<A>> + Handler<Queued<M>>,
    M: Message + Send + 'static,
    M::Result: Send,
{
    if let Some(addr) = actors.get(&id) {
        if addr.connected() {
            return addr.try_send(msg).map_err(SendFailure::from);
        }
    }
    match actors.entry(id) {
        Entry::Occupied(mut e) => {
            if !e.get().connected() {
                e.insert(start());
            }
            e.get().try_send(msg).map_err(SendFailure::from)
        }
        Entry::Vacant(e) => e.insert(start()).try_send(msg).map_err(SendFailure::from),
    }
}

/// Name of the threads hosting board and org actors, numbered from 0
/// (`cb-actors-0`, …): per-thread CPU in `/proc/<pid>/task/*/` is told
/// apart by it (the load generator reports it).
pub const ACTOR_THREAD: &str = "cb-actors-";

/// Which of `arbiters` an aggregate lives on: a stable hash of its id, so a
/// board restarted after passivation returns to the same thread and the
/// aggregates spread evenly (random and time-ordered UUIDs alike: both
/// halves are folded, and the fold is mixed before the modulus).
pub fn arbiter_index(id: uuid::Uuid, arbiters: usize) -> usize {
    let bits = id.as_u128();
    #[allow(clippy::cast_possible_truncation)] // halves of a u128 fold into a u64
    let folded = (bits >> 64) as u64 ^ bits as u64;
    // splitmix64's finaliser: every input bit reaches every output bit.
    let mut z = folded.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let n = u64::try_from(arbiters.max(1)).unwrap_or(u64::MAX);
    usize::try_from(z % n).unwrap_or(0)
}

/// Names the calling thread (Linux: what `/proc/.../comm` shows, at most 15
/// bytes). Best effort: elsewhere, or if refused, the name stays actix's.
fn name_this_thread(name: &str) {
    let _ = std::fs::write("/proc/thread-self/comm", name);
}

/// An organization's view as the actor `by` published it.
struct Published {
    by: Addr<OrgActor>,
    view: Arc<LiveOrg>,
    /// The actor's item numbers at hand.
    numbers: Arc<Stock>,
}

/// An organization command in flight (see [`Registry::org_command_pending`]).
pub(crate) struct PendingOrgCommand {
    registry: Registry,
    id: OrgId,
}

impl Drop for PendingOrgCommand {
    fn drop(&mut self) {
        if let Entry::Occupied(mut pending) = self.registry.inner.org_pending.entry(self.id) {
            *pending.get_mut() -= 1;
            if *pending.get() == 0 {
                pending.remove();
            }
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
    bus: Arc<dyn Bus>,
    config: ActorConfig,
    boards: DashMap<BoardId, Addr<BoardActor>>,
    orgs: DashMap<OrgId, Addr<OrgActor>>,
    /// What each registered org actor published of itself, for boards to
    /// read without a round trip to it ([`Registry::org_view`]).
    org_views: DashMap<OrgId, Published>,
    /// Organization commands sent and not answered yet, per organization
    /// ([`Registry::org_command_pending`]).
    org_pending: DashMap<OrgId, usize>,
    arbiters: Vec<ArbiterHandle>,
    stats: Arc<ActorStats>,
    /// Snapshots being written ([`Registry::snapshot_slot`]).
    snapshot_slots: Arc<tokio::sync::Semaphore>,
}

impl Registry {
    /// A registry for a process alone (no other node shares its
    /// database): see [`Registry::with_bus`].
    pub fn new(store: Arc<dyn BoardStore>, config: ActorConfig) -> Registry {
        let solo = Arc::new(SoloBus(NodeId(uuid::Uuid::new_v4())));
        Registry::with_bus(store, config, solo)
    }

    /// A registry whose actors run on `config.arbiters` dedicated threads
    /// and tell other nodes what they commit through `bus`. Must be called
    /// inside a running actix `System`.
    pub fn with_bus(
        store: Arc<dyn BoardStore>,
        config: ActorConfig,
        bus: Arc<dyn Bus>,
    ) -> Registry {
        let arbiters = (0..config.arbiters.max(1))
            .map(|n| {
                let arbiter = Arbiter::new().handle();
                arbiter.spawn_fn(move || name_this_thread(&format!("{ACTOR_THREAD}{n}")));
                arbiter
            })
            .collect();
        let snapshot_slots = Arc::new(tokio::sync::Semaphore::new(config.snapshot_writers.max(1)));
        Registry {
            inner: Arc::new(Inner {
                store,
                bus,
                config,
                boards: DashMap::new(),
                orgs: DashMap::new(),
                org_views: DashMap::new(),
                org_pending: DashMap::new(),
                arbiters,
                stats: Arc::default(),
                snapshot_slots,
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

    /// One of the `snapshot_writers` slots, or `None` while every one is
    /// taken; the slot is free again when the permit drops.
    pub(crate) fn snapshot_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.inner.snapshot_slots)
            .try_acquire_owned()
            .ok()
    }

    /// The actor layer's counters.
    pub fn stats(&self) -> &ActorStats {
        &self.inner.stats
    }

    /// The counters, for an [`Outbox`](crate::Outbox) to count its
    /// session's cut in (`Outbox::counting_cuts_in`).
    pub fn shared_stats(&self) -> Arc<ActorStats> {
        self.inner.stats.clone()
    }

    pub(crate) fn config(&self) -> &ActorConfig {
        &self.inner.config
    }

    pub(crate) fn store(&self) -> Arc<dyn BoardStore> {
        self.inner.store.clone()
    }

    /// The bus this node shares with the others.
    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.inner.bus
    }

    /// The boards live on this node.
    pub fn live_boards(&self) -> Vec<BoardId> {
        self.inner.boards.iter().map(|e| *e.key()).collect()
    }

    /// The organizations live on this node.
    pub fn live_orgs(&self) -> Vec<OrgId> {
        self.inner.orgs.iter().map(|e| *e.key()).collect()
    }

    /// The arbiter an aggregate's actor always runs on.
    fn arbiter(&self, id: uuid::Uuid) -> &ArbiterHandle {
        &self.inner.arbiters[arbiter_index(id, self.inner.arbiters.len())]
    }

    fn start_board(&self, id: BoardId) -> Addr<BoardActor> {
        let registry = self.clone();
        start_with_capacity(self.arbiter(id.0), self.config().board_mailbox, move || {
            BoardActor::new(id, registry)
        })
    }

    /// `try_send` `msg` to the board's actor, starting one if needed.
    pub(crate) fn send_to_board<M>(&self, id: BoardId, msg: M) -> Result<(), SendFailure>
    where
        BoardActor: Handler<Queued<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        let msg = Queued::new(msg, self.inner.stats.board_mailbox.slot());
        send_via(&self.inner.boards, id, || self.start_board(id), msg)
    }

    /// `try_send` `msg` to the organization's actor, starting one if needed.
    pub(crate) fn send_to_org<M>(&self, id: OrgId, msg: M) -> Result<(), SendFailure>
    where
        OrgActor: Handler<Queued<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        let msg = Queued::new(msg, self.inner.stats.org_mailbox.slot());
        send_via(&self.inner.orgs, id, || self.start_org(id), msg)
    }

    /// Remove `id` only if it still maps to `addr` (a newer actor may have
    /// taken its place).
    pub(crate) fn board_stopped(&self, id: BoardId, addr: &Addr<BoardActor>) {
        self.inner.boards.remove_if(&id, |_, a| a == addr);
    }

    /// Send to the live actor of `id`, if any, without starting one; a
    /// full mailbox drops the message (callers say why that is fine).
    /// Returns whether the message was queued.
    pub(crate) fn send_live_board<M>(&self, id: BoardId, msg: M) -> bool
    where
        BoardActor: Handler<Queued<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        // Through the registered address (see `send_via`), never a clone.
        self.inner.boards.get(&id).is_some_and(|addr| {
            let slot = self.inner.stats.board_mailbox.slot();
            addr.try_send(Queued::new(msg, slot)).is_ok()
        })
    }

    /// Send to the live actor of `id`, if any (see `send_live_board`).
    pub(crate) fn send_live_org<M>(&self, id: OrgId, msg: M) -> bool
    where
        OrgActor: Handler<Queued<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        self.inner.orgs.get(&id).is_some_and(|addr| {
            let slot = self.inner.stats.org_mailbox.slot();
            addr.try_send(Queued::new(msg, slot)).is_ok()
        })
    }

    fn start_org(&self, id: OrgId) -> Addr<OrgActor> {
        let registry = self.clone();
        start_with_capacity(self.arbiter(id.0), self.config().board_mailbox, move || {
            OrgActor::new(id, registry)
        })
    }

    pub(crate) fn org_stopped(&self, id: OrgId, addr: &Addr<OrgActor>) {
        self.inner.orgs.remove_if(&id, |_, a| a == addr);
        self.withdraw_org_view(id, addr);
    }

    /// The roster and directory the organization's live actor last
    /// published, if it has (see `OrgActor::publish_view`): what a board
    /// decides with instead of asking the actor for every command.
    ///
    /// Nothing while an organization command sent from this node is not
    /// answered yet: a command sent after it (the same session's next
    /// message) must be decided after it, as when every board asked the
    /// actor, whose mailbox keeps that order.
    pub(crate) fn org_view(&self, id: OrgId) -> Option<Arc<LiveOrg>> {
        if self.inner.org_pending.contains_key(&id) {
            return None;
        }
        self.live_published(id)
            .map(|published| published.view.clone())
    }

    /// What the organization's actor published, if that actor still runs
    /// (not one that died without withdrawing it: a panic).
    fn live_published(&self, id: OrgId) -> Option<dashmap::mapref::one::Ref<'_, OrgId, Published>> {
        let published = self.inner.org_views.get(&id)?;
        published.by.connected().then_some(published)
    }

    /// An item number from the stock the organization's live actor
    /// published with its view, under the same conditions as
    /// [`Self::org_view`], without a message to the actor (unless the
    /// stock ran low: then it is told to reserve more). Nothing when there
    /// is no such stock or it has none at hand: ask the actor.
    pub(crate) fn take_org_number(&self, id: OrgId) -> Option<u64> {
        if self.inner.org_pending.contains_key(&id) {
            return None;
        }
        let (n, low) = {
            let published = self.live_published(id)?;
            let (n, low) = published.numbers.take()?;
            (n, low.then(|| published.numbers.clone()))
        };
        // The stock ran low: tell the actor (out of the map's guard).
        if let Some(numbers) = low {
            if self.send_to_org(id, StockChanged).is_err() {
                numbers.retell();
            }
        }
        Some(n)
    }

    /// Give `n` back to the published stock of item numbers; `false` when
    /// there is none (give it back through the actor).
    pub(crate) fn give_back_org_number(&self, id: OrgId, n: u64) -> bool {
        let waiters = {
            let Some(published) = self.live_published(id) else {
                return false;
            };
            published.numbers.give_back(n)
        };
        if waiters {
            let _ = self.send_to_org(id, StockChanged);
        }
        true
    }

    /// Publish `view` (`None`: withdraw it) as the organization's, on
    /// behalf of the actor `by` — only while `by` is the registered one:
    /// an actor on its way out, replaced already, may hold a stale roster.
    pub(crate) fn publish_org_view(
        &self,
        id: OrgId,
        by: &Addr<OrgActor>,
        view: Option<Arc<LiveOrg>>,
        numbers: Arc<Stock>,
    ) {
        let Some(view) = view else {
            self.withdraw_org_view(id, by);
            return;
        };
        // The registration is held while publishing, so an actor that
        // replaces `by` meanwhile publishes after it (never before).
        let registered = self.inner.orgs.get(&id);
        if registered.as_deref() == Some(by) {
            let by = by.clone();
            let published = Published { by, view, numbers };
            self.inner.org_views.insert(id, published);
        } else {
            drop(registered);
            self.withdraw_org_view(id, by);
        }
    }

    /// Withdraw the view `by` published, if it is still the one.
    fn withdraw_org_view(&self, id: OrgId, by: &Addr<OrgActor>) {
        self.inner.org_views.remove_if(&id, |_, p| &p.by == by);
    }

    /// Count an organization command as sent until the returned guard is
    /// dropped (when its answer has arrived, or its caller gave up): taken
    /// before the command is queued, so no board decides with the published
    /// view in between.
    pub(crate) fn org_command_pending(&self, id: OrgId) -> PendingOrgCommand {
        *self.inner.org_pending.entry(id).or_insert(0) += 1;
        PendingOrgCommand {
            registry: self.clone(),
            id,
        }
    }

    /// Whether any of `boards` has a live actor on this node.
    pub(crate) fn any_board_live(&self, boards: &[BoardId]) -> bool {
        boards.iter().any(|b| self.inner.boards.contains_key(b))
    }

    /// Stop every live actor and the arbiters hosting them. Board state is
    /// already durable (acked ⇒ committed), so nothing is lost.
    pub fn shutdown(&self) {
        self.inner.boards.clear();
        self.inner.orgs.clear();
        self.inner.org_views.clear();
        for arbiter in &self.inner.arbiters {
            arbiter.stop();
        }
    }
}

#[cfg(test)]
mod placement {
    use super::*;

    #[test]
    fn an_aggregate_always_lands_on_the_same_arbiter_and_aggregates_spread_evenly() {
        for arbiters in [1, 2, 3, 8] {
            let mut counts = vec![0usize; arbiters];
            for _ in 0..8_000 {
                let id = uuid::Uuid::new_v4();
                let at = arbiter_index(id, arbiters);
                assert_eq!(at, arbiter_index(id, arbiters), "stable");
                counts[at] += 1;
            }
            let fair = 8_000 / arbiters;
            for (n, &c) in counts.iter().enumerate() {
                assert!(
                    c * 10 > fair * 8 && c * 10 < fair * 12,
                    "arbiter {n} of {arbiters}: {c} of 8,000"
                );
            }
        }
        // Time-ordered ids made in one millisecond differ only in their
        // low random bits, and spread all the same.
        let mut counts = [0usize; 2];
        for n in 0..1_000u128 {
            let id = uuid::Uuid::from_u128((0x0190_0000_0000_7000_8000_0000_0000_0000) | n);
            counts[arbiter_index(id, 2)] += 1;
        }
        assert!(counts[0] > 400 && counts[1] > 400, "{counts:?}");
        assert_eq!(
            arbiter_index(uuid::Uuid::nil(), 0),
            0,
            "no arbiters means the first"
        );
    }

    #[actix_rt::test]
    async fn the_actor_threads_carry_their_names() {
        let config = ActorConfig {
            arbiters: 2,
            ..ActorConfig::default()
        };
        let registry = Registry::new(Arc::new(protocol::MemStore::new()), config);
        for (n, arbiter) in registry.inner.arbiters.iter().enumerate() {
            let (tx, rx) = tokio::sync::oneshot::channel();
            arbiter.spawn_fn(move || {
                let _ = tx.send(std::fs::read_to_string("/proc/thread-self/comm"));
            });
            let name = rx.await.expect("the arbiter runs");
            if let Ok(name) = name {
                assert_eq!(name.trim(), format!("{ACTOR_THREAD}{n}"));
            }
        }
        registry.shutdown();
    }
}
