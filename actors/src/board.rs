//! `BoardActor`: the one writer of a board. It holds the live aggregate and
//! runs decide → append (await commit) → apply → ack → broadcast, for
//! commands that queued up behind a commit in one batch (`pipeline.rs`).
//! Activated on first use from the latest snapshot plus later events,
//! passivated after an idle period without subscribers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix::prelude::*;
use protocol::{Board, BoardId, ColumnId, Command, Millis, OrgId, Recorded, ServerMsg, StoreError};
use tokio::sync::oneshot;

use crate::caller::Caller;
use crate::error::{bounded, ActorError};
use crate::fanout::{Fanout, Published};
use crate::handles::Committed;
use crate::outbox::{Outbox, SessionId, SharedFrame};
use crate::registry::Registry;
use crate::stats::ActorStats;

mod cluster;
mod deciding;
mod handlers;
mod idempotency;
mod pipeline;
mod presence;

pub(crate) use cluster::{Behind, HeardPresence, NodeGone, PresenceHello, RosterLoaded, SayHello};
pub use deciding::MAX_SEQ_RETRIES;
#[cfg(test)]
pub(crate) use handlers::Crash;
pub(crate) use presence::{ReadPresence, SetPresence};
mod resume;
mod snapshots;

type Reply<T> = oneshot::Sender<Result<T, ActorError>>;

/// Run a board command.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Submit {
    pub by: Caller,
    pub command: Command,
    pub command_id: Option<String>,
    pub reply: Reply<Committed>,
}

/// Create the board (its first events).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Create {
    pub org: OrgId,
    pub by: Caller,
    pub name: String,
    pub columns: Vec<(ColumnId, String)>,
    pub reply: Reply<Committed>,
}

/// Attach a session.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Subscribe {
    pub user: Caller,
    pub outbox: Outbox,
    pub since: Option<u64>,
    pub reply: Reply<u64>,
}

/// Detach a session; with `answer`, tell it `unsubscribed{requested}`
/// once it is detached (see `BoardHandle::leave`).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Unsubscribe {
    pub session: SessionId,
    pub answer: Option<Outbox>,
}

/// `user` is no longer a member of the board's organization: end their
/// subscriptions (`unsubscribed{reason: "access_lost"}`).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct AccessLost {
    /// Who lost it; `None`: everyone (the organization was deleted).
    pub user: Option<protocol::UserId>,
}

/// Read the live board.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Read {
    pub user: Caller,
    pub reply: Reply<Board>,
}

/// What the board keeps about one subscriber (its queue and slot are in
/// the [`Fanout`]).
struct BoardSubscriber {
    user: Caller,
    /// What the session shows of itself (presence), and the throttle state.
    presence: protocol::PresenceState,
    presence_sent: Option<Instant>,
    presence_pending: bool,
}

impl BoardSubscriber {
    fn new(user: Caller, presence: protocol::PresenceState) -> Self {
        BoardSubscriber {
            user,
            presence,
            presence_sent: None,
            presence_pending: false,
        }
    }
}

type Subscribers = Fanout<BoardSubscriber>;
type Removed = Vec<(SessionId, crate::fanout::Subscriber<BoardSubscriber>)>;

pub struct BoardActor {
    id: BoardId,
    registry: Registry,
    board: Board,
    /// Set when activation failed; requests get it and the actor stops.
    failed: Option<ActorError>,
    subscribers: Subscribers,
    /// The most recent events, encoded on demand, for `subscribe{since}`.
    recent: VecDeque<(u64, Arc<SharedFrame>)>,
    since_snapshot: u64,
    last_used: Instant,
    /// Out of the registry and about to stop (see `fail_and_retire`).
    retiring: bool,
    /// Sessions on other nodes, by their presence id (`node:session`).
    remote: std::collections::BTreeMap<String, (protocol::bus::NodeId, protocol::PresenceEntry)>,
    /// Other nodes known to follow this board (see `cluster.rs`): its
    /// commits are published on the bus only while there is one, or while
    /// `settling`.
    followers: std::collections::BTreeSet<protocol::bus::NodeId>,
    /// Hellos of ours whose answers may still be on their way: until they
    /// have had [`ActorConfig::follow_settle`](crate::ActorConfig) to
    /// arrive, commits are published whoever follows.
    settling: u32,
    /// Commands waiting for the batch in flight (see `pipeline.rs`).
    pipeline: pipeline::Pipeline,
}

/// After activation, how long until the board looks at its log again (and
/// asks again who is present): by then the bus listens to its topic.
pub(crate) const WATCH_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a retiring actor keeps answering requests already sent to it.
pub(crate) const RETIRE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How long an actor whose activation hit a permanent fault
/// ([`ActorError::Internal`]) stays registered, answering every request
/// with it, before it retires. Loading the board again would fail the same
/// way, so a fresh actor per request (and a load per request) would only
/// repeat the fault; after this, one request tries again, in case the data
/// was repaired.
pub(crate) const FAULT_HOLD: std::time::Duration = std::time::Duration::from_secs(30);

/// The id of something a command creates (an item, a comment, a column):
/// a time-ordered UUID (v7), so the B-tree indexes keyed by it (the
/// `items` and `comments` primary keys) grow at their right edge instead
/// of touching a random leaf page per row.
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

pub(crate) fn now_millis() -> Millis {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Millis(ms)
}

impl BoardActor {
    pub(crate) fn new(id: BoardId, registry: Registry) -> Self {
        BoardActor {
            id,
            registry,
            board: Board::new(id),
            failed: None,
            subscribers: Fanout::for_board(id),
            recent: VecDeque::new(),
            since_snapshot: 0,
            last_used: Instant::now(),
            retiring: false,
            remote: std::collections::BTreeMap::new(),
            followers: std::collections::BTreeSet::new(),
            settling: 0,
            pipeline: pipeline::Pipeline::default(),
        }
    }

    /// The failure to answer with, if activation failed or the board does
    /// not exist — and, as the name says, the actor then retires: it leaves
    /// the registry at once, so
    /// the next request starts a fresh one, and stops after
    /// [`RETIRE_GRACE`], answering whatever was already queued for it with
    /// the same error (stopping at once would drop those requests unanswered).
    /// After a permanent fault it first stays registered for [`FAULT_HOLD`].
    fn fail_and_retire(&mut self, ctx: &mut Context<Self>) -> Option<ActorError> {
        let err = match &self.failed {
            Some(err) => err.clone(),
            None if !self.board.exists() => ActorError::NotFound,
            None => return None,
        };
        if self.failed.is_none() {
            // From now on even a `Create` is refused: a fresh actor handles it.
            self.failed = Some(err.clone());
        }
        if !self.retiring {
            self.retiring = true;
            if matches!(err, ActorError::Internal(_)) {
                ctx.run_later(FAULT_HOLD, |act, ctx| act.retire(ctx));
            } else {
                self.retire(ctx);
            }
        }
        Some(err)
    }

    /// Leave the registry now and stop after [`RETIRE_GRACE`].
    fn retire(&mut self, ctx: &mut Context<Self>) {
        self.registry.board_stopped(self.id, &ctx.address());
        ctx.run_later(RETIRE_GRACE, |_, ctx| ctx.stop());
    }

    /// Apply events this actor committed, tell the other nodes, remember
    /// them and send them to subscribers.
    fn apply_committed(&mut self, records: &[Recorded]) {
        for rec in records {
            self.board.apply(rec);
        }
        self.publish_committed(records);
    }

    /// Events this actor committed and has applied already (a batch is
    /// applied as it is decided): tell the other nodes, remember them and
    /// send them to subscribers.
    fn publish_committed(&mut self, records: &[Recorded]) {
        self.applied(records, true);
        if let Some(last) = records.last().filter(|_| self.others_may_follow()) {
            self.registry
                .bus()
                .publish(protocol::bus::Notice::BoardCommitted {
                    board: self.id,
                    to: last.seq,
                    events: records.to_vec(),
                });
        }
    }

    /// Apply committed events (`own`: committed by this actor, which then
    /// also reports directory changes to the organization and takes
    /// snapshots; else another node did, and did both), remember them and
    /// send them to subscribers.
    fn apply_records(&mut self, records: &[Recorded], own: bool) {
        for rec in records {
            self.board.apply(rec);
        }
        self.applied(records, own);
    }

    /// What follows applying committed events: see [`Self::apply_records`].
    fn applied(&mut self, records: &[Recorded], own: bool) {
        for rec in records {
            if own {
                self.tell_org(rec);
            }
            let frame = Arc::new(SharedFrame::new(resume::event_msg(rec.clone())));
            self.broadcast(&frame);
            ActorStats::add(&self.registry.stats().events_broadcast, 1);
            self.recent.push_back((rec.seq, frame));
            if self.recent.len() > self.registry.config().recent_events {
                self.recent.pop_front();
            }
        }
        self.since_snapshot += records.len() as u64;
        if own {
            self.snapshot_if_due();
        }
    }

    /// Board-directory changes the org channel announces.
    fn tell_org(&self, rec: &Recorded) {
        let command = match &rec.event {
            protocol::Event::BoardArchived => {
                protocol::OrgCommand::BoardArchived { board: self.id }
            }
            protocol::Event::BoardRestored => {
                protocol::OrgCommand::BoardRestored { board: self.id }
            }
            _ => return,
        };
        if let Some(org) = self.board.org {
            // The organization's directory follows: a report from the
            // server on behalf of whoever changed the board. Nobody awaits
            // it; a lost report leaves only the org channel's directory
            // behind (the board's own log and read model are committed).
            let _ = self.registry.send_to_org(
                org,
                crate::org::SubmitOrg {
                    caller: protocol::OrgCaller::System(rec.by),
                    command,
                    command_id: None,
                    origin: None,
                    reply: None,
                },
            );
        }
    }

    /// Send `frame` to every subscriber but `except` (see `fanout.rs` for
    /// who is removed and why); the others are told who left.
    fn publish(&mut self, frame: &SharedFrame, except: Option<SessionId>) -> u64 {
        let Published { delivered, removed } = self.subscribers.publish(frame, except);
        self.left(removed);
        delivered
    }

    /// Send an event to every subscriber, counted in `deliveries`.
    fn broadcast(&mut self, frame: &SharedFrame) {
        let delivered = self.publish(frame, None);
        ActorStats::add(&self.registry.stats().deliveries, delivered);
    }
}

impl Actor for BoardActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Follow the board's notices before loading it: one sent meanwhile
        // waits in the mailbox and finds the board loaded (see `cluster`).
        self.registry
            .bus()
            .watch(protocol::bus::Topic::Board(self.id));
        self.say_hello(ctx);
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let id = self.id;
        let load = async move { bounded(timeout, store.load_board(id)).await };
        ctx.wait(
            actix::fut::wrap_future(load).map(|res, act: &mut Self, ctx: &mut Context<Self>| match res {
                Ok(Some(loaded)) => {
                    if let Some(snapshot) = loaded.snapshot {
                        act.board = snapshot;
                    }
                    for rec in &loaded.events {
                        act.board.apply(rec);
                    }
                    act.since_snapshot = loaded.events.len() as u64;
                    // The bus may not have been listening yet when the log
                    // was read (watching is asynchronous): look again, and
                    // ask again who is present, once it surely is.
                    ctx.run_later(WATCH_SETTLE, |act, ctx| {
                        ctx.notify(Behind::look(None));
                        act.say_hello(ctx);
                    });
                    tracing::debug!(board_id = %act.id, seq = act.board.seq, "board activated");
                    ActorStats::add(&act.registry.stats().boards_activated, 1);
                }
                Ok(None) => {}
                Err(e @ StoreError::Internal(_)) => {
                    tracing::error!(board_id = %act.id, error = %e, "loading board failed for good");
                    act.failed = Some(ActorError::from(e));
                }
                Err(e) => {
                    tracing::warn!(board_id = %act.id, error = %e, "loading board failed");
                    act.failed = Some(ActorError::from(e));
                }
            }),
        );
        let idle = self.registry.config().idle_passivate_after;
        ctx.run_interval(idle / 4, move |act, ctx| {
            let gone = act.subscribers.remove_gone();
            act.left(gone);
            act.keep_org_alive();
            if act.subscribers.is_empty() && act.last_used.elapsed() >= idle && !act.pipeline_busy()
            {
                tracing::debug!(board_id = %act.id, "board passivated");
                ActorStats::add(&act.registry.stats().boards_passivated, 1);
                ctx.stop();
            }
        });
    }

    fn stopping(&mut self, ctx: &mut Self::Context) -> Running {
        self.registry.board_stopped(self.id, &ctx.address());
        Running::Stop
    }
}

impl Drop for BoardActor {
    /// Subscribers must not silently stop receiving, whether the actor
    /// stopped (seq conflict, failed activation) or panicked: tell them to
    /// subscribe again (with `since`), which starts a fresh actor. A
    /// panicking actor's registry entry is replaced on next use, because
    /// its address is no longer connected.
    fn drop(&mut self) {
        self.registry
            .bus()
            .unwatch(protocol::bus::Topic::Board(self.id));
        if std::thread::panicking() {
            tracing::error!(board_id = %self.id, "board actor panicked; it restarts from storage on next use");
            ActorStats::add(&self.registry.stats().boards_crashed, 1);
        }
        let msg = SharedFrame::new(ServerMsg::Unsubscribed {
            board: self.id,
            reason: protocol::codes::BOARD_RESTARTED.into(),
        });
        // Slots are given back before the sessions are told.
        for (session, sub) in self.subscribers.remove_where(|_| true) {
            self.tell_nodes(
                protocol::PresenceChange::Left,
                &presence::entry(session, &sub),
            );
            let _ = sub.into_outbox().push_shared(&msg);
        }
    }
}
