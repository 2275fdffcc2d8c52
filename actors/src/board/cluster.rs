//! A board shared with other nodes. Any node may append to any board: the
//! `(board_id, seq)` key decides who wins a seq, and the log is the truth.
//! What another node committed reaches this actor as [`Behind`] (from its
//! notice, the periodic sweep, or the bus coming back): the actor applies
//! the notice's events when they follow its seq, else reads what it
//! missed from the log, and sends it to its subscribers in seq order, so
//! every node's subscribers see the same total order without a gap.
//!
//! Presence travels the bus too: this node's sessions are announced to
//! the others as `node:session`, theirs are kept in `remote` and shown
//! beside ours, and a node that stops heart-beating takes its sessions
//! with it ([`NodeGone`]).

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::bus::{NodeId, Notice};
use protocol::{PresenceChange, PresenceEntry, Recorded, ServerMsg, StoreError};

use super::handlers::{atomic, done, Atomic};
use super::BoardActor;
use crate::error::bounded;
use crate::outbox::SharedFrame;
use crate::stats::ActorStats;

/// Most events read from the log in one catch-up; more are read by the
/// next one, which the actor asks itself for at once.
pub const CATCH_UP_BATCH: u32 = 10_000;

/// The board's log has grown elsewhere: up to `to` (`None`: unknown, look).
/// `events` are the last ones up to `to` when the notice carried them;
/// `from` is the node whose notice this is (`None`: the sweep, or the
/// actor itself).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Behind {
    pub to: Option<u64>,
    pub events: Vec<Recorded>,
    pub from: Option<NodeId>,
}

impl Behind {
    /// Look in the log, for no notice: it may have grown (`to`).
    pub(crate) fn look(to: Option<u64>) -> Self {
        Self {
            to,
            events: Vec::new(),
            from: None,
        }
    }
}

/// A session on another node joined, changed or left this board.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct HeardPresence {
    pub node: NodeId,
    pub change: PresenceChange,
    pub entry: PresenceEntry,
}

/// `node` follows the board; unless `answer`, it has just started to:
/// tell it that this node follows the board too, and who is here.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct PresenceHello {
    pub node: NodeId,
    pub answer: bool,
}

/// Say hello to the nodes that follow the board (the actor started, or the
/// bus came back): see [`BoardActor::say_hello`].
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SayHello;

/// The organization's actor (re)loaded its roster: whoever is subscribed
/// here but no longer a member loses the board (a removal this node's
/// organization actor was not live to apply).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct RosterLoaded(pub std::sync::Arc<protocol::Roster>);

impl Handler<RosterLoaded> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: RosterLoaded, _: &mut Self::Context) {
        self.cut_off(|caller| match caller {
            crate::caller::Caller::User(user) => !msg.0.contains_key(&user),
            crate::caller::Caller::ApiKey { .. } => false,
        });
    }
}

/// A node stopped heart-beating (or shut down): its sessions are gone.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct NodeGone(pub NodeId);

/// Whether `events` follow `seq` one by one.
fn follows(seq: u64, events: &[Recorded]) -> bool {
    crate::cluster::follows(seq, events.iter().map(|rec| rec.seq))
}

impl Handler<Behind> for BoardActor {
    type Result = Atomic;

    fn handle(&mut self, msg: Behind, _ctx: &mut Self::Context) -> Atomic {
        if let Some(node) = msg.from {
            // Whoever publishes the board's commits follows it (an answer
            // to its hello may have been lost, or it predates answers).
            self.heard_from(node);
        }
        if self.failed.is_some() || !self.board.exists() {
            return done();
        }
        if msg.to.is_some_and(|to| to <= self.board.seq) {
            return done();
        }
        if self.behind_while_busy() {
            // A batch is committing: catch up once it has (`pipeline.rs`).
            return done();
        }
        let seq = self.board.seq;
        // The notice's events, from the one after ours.
        let carried: Vec<Recorded> = msg.events.into_iter().filter(|r| r.seq > seq).collect();
        if !carried.is_empty() && follows(seq, &carried) && msg.to == carried.last().map(|r| r.seq)
        {
            self.apply_heard(&carried);
            return done();
        }
        let by_notice = msg.from.is_some();
        atomic(self.catch_up().map(move |_, act: &mut Self, ctx| {
            if !by_notice && act.board.seq > seq && act.settling == 0 {
                // Another node committed to the board without publishing
                // it: it does not know this node follows the board (a
                // hello or its answer was lost). Tell it again.
                act.say_hello(ctx);
            }
        }))
    }
}

impl BoardActor {
    /// Read what other nodes committed after this actor's seq and apply it.
    /// Runs inside the caller's atomic section.
    pub(super) fn catch_up(&mut self) -> LocalBoxActorFuture<Self, Result<(), StoreError>> {
        let (store, timeout, id, after) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
            self.board.seq,
        );
        let read =
            async move { bounded(timeout, store.events_after(id, after, CATCH_UP_BATCH)).await };
        actix::fut::wrap_future(read)
            .map(move |read, act: &mut Self, ctx: &mut Context<Self>| {
                let events = read.inspect_err(|e| {
                    tracing::warn!(board_id = %act.id, error = %e, "catching up from the log failed");
                })?;
                let full = events.len() as u64 >= u64::from(CATCH_UP_BATCH);
                let fresh: Vec<Recorded> =
                    events.into_iter().filter(|r| r.seq > act.board.seq).collect();
                if follows(act.board.seq, &fresh) {
                    act.apply_heard(&fresh);
                }
                if full {
                    // More to read: next, before any other message.
                    ctx.notify(Behind::look(None));
                }
                Ok(())
            })
            .boxed_local()
    }

    /// Apply events another node committed.
    pub(super) fn apply_heard(&mut self, records: &[Recorded]) {
        if records.is_empty() {
            return;
        }
        let stats = self.registry.stats();
        ActorStats::add(&stats.catch_ups, 1);
        ActorStats::add(&stats.events_caught_up, records.len() as u64);
        self.apply_records(records, false);
    }

    /// Tell the nodes that follow the board that this one does (they
    /// answer, see [`PresenceHello`]), and publish every commit until
    /// their answers have had time to arrive.
    pub(super) fn say_hello(&mut self, ctx: &mut Context<Self>) {
        self.registry.bus().publish(Notice::PresenceHello {
            board: self.id,
            answer: false,
        });
        let settle = self.registry.config().follow_settle;
        if !settle.is_zero() {
            self.settling += 1;
            ctx.run_later(settle, |act, _| act.settling -= 1);
        }
    }

    /// Whether a commit must be published on the bus: another node follows
    /// the board, or may without this one having heard so yet. A board no
    /// other node follows (every board, on a single node) costs the
    /// database no notification per commit, and this node none to hear
    /// back. A node that misses a notice all the same (its hello answered
    /// late) still catches up: at the next notice it hears, which then
    /// does not follow its seq, or at the periodic sweep.
    pub(super) fn others_may_follow(&self) -> bool {
        self.settling > 0 || !self.followers.is_empty()
    }

    /// `node` said something on the board's topic: it follows the board
    /// (unless it is this node, whose own notices the bus may echo).
    fn heard_from(&mut self, node: NodeId) {
        if node != self.registry.bus().node() {
            self.followers.insert(node);
        }
    }

    /// Tell the other nodes about this node's session (its presence id
    /// names the node).
    pub(super) fn tell_nodes(&self, change: PresenceChange, entry: &PresenceEntry) {
        let bus = self.registry.bus();
        let mut entry = entry.clone();
        entry.session = format!("{}:{}", bus.node(), entry.session);
        bus.publish(Notice::Presence {
            board: self.id,
            change,
            entry,
        });
    }

    /// While sessions follow this board, its organization's actor stays
    /// live on this node: it is what hears that a member was removed on
    /// another node and cuts their subscriptions here.
    pub(super) fn keep_org_alive(&self) {
        if let (Some(org), false) = (self.board.org, self.subscribers.is_empty()) {
            // Started again if it had stopped: it then checks our
            // subscribers against its roster (`RosterLoaded`).
            let _ = self.registry.send_to_org(org, crate::org::Touch);
        }
    }

    fn show_remote(&mut self, change: PresenceChange, entry: PresenceEntry) {
        let frame = SharedFrame::new(ServerMsg::PresenceChanged {
            board: self.id,
            change,
            entry,
        });
        self.publish(&frame, None);
    }
}

impl Handler<HeardPresence> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: HeardPresence, _: &mut Self::Context) {
        let HeardPresence {
            node,
            change,
            entry,
        } = msg;
        self.heard_from(node);
        match change {
            PresenceChange::Left => {
                if self.remote.remove(&entry.session).is_none() {
                    return;
                }
            }
            PresenceChange::Joined | PresenceChange::Updated => {
                let known = self.remote.get(&entry.session);
                if known.is_some_and(|(_, shown)| *shown == entry) {
                    // An answer to another node's hello: nothing new here.
                    return;
                }
                let change = if known.is_none() {
                    PresenceChange::Joined
                } else {
                    change
                };
                self.remote
                    .insert(entry.session.clone(), (node, entry.clone()));
                self.show_remote(change, entry);
                return;
            }
        }
        self.show_remote(change, entry);
    }
}

impl Handler<PresenceHello> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: PresenceHello, _: &mut Self::Context) {
        if msg.node == self.registry.bus().node() {
            return;
        }
        self.heard_from(msg.node);
        if msg.answer {
            return;
        }
        self.registry.bus().publish(Notice::PresenceHello {
            board: self.id,
            answer: true,
        });
        let here: Vec<PresenceEntry> = self
            .subscribers
            .iter()
            .map(|(s, sub)| super::presence::entry(s, sub))
            .collect();
        for entry in &here {
            self.tell_nodes(PresenceChange::Joined, entry);
        }
    }
}

impl Handler<SayHello> for BoardActor {
    type Result = ();

    fn handle(&mut self, _: SayHello, ctx: &mut Self::Context) {
        self.say_hello(ctx);
    }
}

impl Handler<NodeGone> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: NodeGone, _: &mut Self::Context) {
        // Should it be alive after all, its next notice says so again; and
        // should it miss this board's commits meanwhile, its sweep finds
        // them and it says hello again (`Behind`).
        self.followers.remove(&msg.0);
        let gone: Vec<String> = self
            .remote
            .iter()
            .filter(|(_, (node, _))| *node == msg.0)
            .map(|(session, _)| session.clone())
            .collect();
        for session in gone {
            if let Some((_, entry)) = self.remote.remove(&session) {
                self.show_remote(PresenceChange::Left, entry);
            }
        }
    }
}
