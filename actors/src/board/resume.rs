//! Catching a subscriber up: a snapshot, or exactly the events it missed —
//! from memory when recent, from the store otherwise — never a silent hole.
//!
//! Policy (also in `PROTOCOL.md`): `subscribe` without `since` gets a
//! snapshot (or, from a session subscribed already, `already_subscribed`:
//! no second snapshot). With `since = N`, subscribed or not: the events after N from the in-memory ring
//! (the last `ActorConfig::recent_events`), else from PostgreSQL when at
//! most [`MAX_RESUME_EVENTS`] are missing; a snapshot marked `reset` when N
//! is in the future, more events are missing, or the store cannot answer.

use std::sync::Arc;

use actix::prelude::*;
use protocol::{Recorded, ServerMsg};

use super::{BoardActor, BoardSubscriber};
use crate::caller::Caller;
use crate::error::{bounded, ActorError};
use crate::outbox::{OutFrame, Outbox, PushError, SharedFrame, Slot};
use crate::stats::ActorStats;

/// Most events a resume replays from the store; more missed events get a
/// snapshot marked `reset`.
pub const MAX_RESUME_EVENTS: u64 = 50_000;

/// How a new subscriber catches up.
pub(super) enum CatchUp {
    /// Recent events, all still in memory (possibly none).
    Recent(Vec<Arc<SharedFrame>>),
    /// Events after `since` must be read from the store.
    Store { since: u64 },
    /// A snapshot; `reset` when it replaces a requested resume.
    Snapshot { reset: bool },
}

impl BoardActor {
    pub(super) fn plan_catch_up(&self, since: Option<u64>) -> CatchUp {
        let Some(since) = since else {
            return CatchUp::Snapshot { reset: false };
        };
        let seq = self.board.seq;
        if since > seq {
            return CatchUp::Snapshot { reset: true };
        }
        if since == seq {
            return CatchUp::Recent(Vec::new());
        }
        if self
            .recent
            .front()
            .is_some_and(|(first, _)| *first <= since + 1)
        {
            let frames = self
                .recent
                .iter()
                .filter(|(s, _)| *s > since)
                .map(|(_, f)| f.clone())
                .collect();
            ActorStats::add(&self.registry.stats().resumes_from_memory, 1);
            return CatchUp::Recent(frames);
        }
        if seq - since <= MAX_RESUME_EVENTS {
            ActorStats::add(&self.registry.stats().resumes_from_store, 1);
            CatchUp::Store { since }
        } else {
            CatchUp::Snapshot { reset: true }
        }
    }

    /// Read the missed events from the store, then attach. Runs inside the
    /// subscribe handler's atomic section, so the board's seq cannot move
    /// meanwhile and the events join the live stream without a gap.
    pub(super) fn catch_up_from_store(
        &mut self,
        since: u64,
        user: Caller,
        outbox: Outbox,
        slot: Option<Slot>,
        reply: super::Reply<u64>,
    ) -> actix::fut::LocalBoxActorFuture<Self, ()> {
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let (board, seq) = (self.id, self.board.seq);
        let read = async move {
            let limit = u32::try_from(seq - since).unwrap_or(u32::MAX);
            bounded(timeout, store.events_after(board, since, limit)).await
        };
        actix::fut::wrap_future(read)
            .map(move |res, act: &mut Self, _| {
                let frames = match res {
                    Ok(events) if gap_free(&events, since, act.board.seq) => Some(events),
                    Ok(_) => {
                        tracing::warn!(board_id = %act.id, since, "store returned a gap; sending a reset snapshot");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(board_id = %act.id, error = %e, "resume from store failed; sending a reset snapshot");
                        None
                    }
                };
                let frames = frames.map(|events| {
                    events
                        .into_iter()
                        .map(|rec| OutFrame::encode(&event_msg(rec), outbox.format()))
                        .collect()
                });
                let _ = reply.send(act.attach(user, outbox, slot, frames));
            })
            .boxed_local()
    }

    /// Send `frames` (or, when `None`, a reset snapshot) and register the
    /// subscriber in `slot` (`None`: the one it holds already).
    pub(super) fn attach(
        &mut self,
        user: Caller,
        outbox: Outbox,
        slot: Option<Slot>,
        frames: Option<Vec<OutFrame>>,
    ) -> Result<u64, ActorError> {
        let slot = self.slot_for(&outbox, slot)?;
        let sent = match frames {
            Some(frames) => push_catch_up(&outbox, frames),
            None => outbox.send(&self.snapshot(true)),
        };
        self.register(user, outbox, slot, sent)
    }

    /// The slot to register a subscriber in, settled before anything is
    /// sent to it: the one taken for it; `None` when it is subscribed
    /// already (it keeps the slot it holds); else a fresh one, if the
    /// session has one left.
    pub(super) fn slot_for(
        &self,
        outbox: &Outbox,
        slot: Option<Slot>,
    ) -> Result<Option<Slot>, ActorError> {
        if slot.is_some() || self.subscribers.contains(outbox.session()) {
            return Ok(slot);
        }
        self.subscribers
            .reserve(outbox)
            .map(Some)
            .ok_or_else(|| too_many(outbox))
    }

    /// Attach with an in-memory plan.
    pub(super) fn attach_now(
        &mut self,
        user: Caller,
        outbox: Outbox,
        slot: Option<Slot>,
        plan: CatchUp,
    ) -> Result<u64, ActorError> {
        let slot = self.slot_for(&outbox, slot)?;
        let sent = match plan {
            CatchUp::Recent(frames) => push_catch_up(
                &outbox,
                frames.iter().map(|f| f.frame(outbox.format())).collect(),
            ),
            CatchUp::Snapshot { reset } => outbox.send(&self.snapshot(reset)),
            CatchUp::Store { .. } => outbox.send(&self.snapshot(true)),
        };
        self.register(user, outbox, slot, sent)
    }

    fn snapshot(&self, reset: bool) -> ServerMsg {
        if reset {
            ActorStats::add(&self.registry.stats().resets, 1);
        }
        ServerMsg::Snapshot {
            board: self.id,
            seq: self.board.seq,
            state: self.board.clone(),
            reset,
        }
    }

    fn register(
        &mut self,
        user: Caller,
        outbox: Outbox,
        slot: Option<Slot>,
        sent: Result<(), PushError>,
    ) -> Result<u64, ActorError> {
        match sent {
            Ok(()) => {
                let session = outbox.session();
                let previous = self.subscribers.remove(session);
                let rejoined = previous.is_some();
                // Subscribing again keeps the slot and what the session shows.
                let (slot, presence) = match previous.map(|p| p.into_parts()) {
                    Some((held, previous)) => (slot.unwrap_or(held), previous.presence),
                    None => (
                        slot.ok_or_else(|| too_many(&outbox))?,
                        protocol::PresenceState::default(),
                    ),
                };
                self.subscribers
                    .insert(outbox, slot, BoardSubscriber::new(user, presence));
                self.joined(session, rejoined);
                Ok(self.board.seq)
            }
            Err(PushError::Overflow) => Err(ActorError::Overloaded),
            Err(PushError::Closed) => Err(ActorError::Unavailable("session closed".into())),
        }
    }
}

fn too_many(outbox: &Outbox) -> ActorError {
    ActorError::TooManySubscriptions {
        max: outbox.subscription_limit().unwrap_or(0),
    }
}

/// Catch-ups longer than this travel as one queue entry.
pub const CATCH_UP_BATCH_ABOVE: usize = 32;

/// Queue a catch-up. A long one goes in as a single batch entry that the
/// writer sends frame by frame: a resume of up to [`MAX_RESUME_EVENTS`]
/// must not overflow the session's outbound queue (bounded in entries),
/// and the batch itself is bounded by that maximum.
fn push_catch_up(outbox: &Outbox, frames: Vec<OutFrame>) -> Result<(), PushError> {
    let events = frames.len() as u64;
    if frames.len() > CATCH_UP_BATCH_ABOVE {
        outbox.push(OutFrame::Batch(frames))?;
    } else {
        frames.into_iter().try_for_each(|f| outbox.push(f))?;
    }
    outbox.count("event", events);
    Ok(())
}

/// Whether `events` are exactly seqs `since + 1 ..= seq`.
fn gap_free(events: &[Recorded], since: u64, seq: u64) -> bool {
    events.len() as u64 == seq - since
        && events
            .iter()
            .zip(since + 1..)
            .all(|(rec, want)| rec.seq == want)
}

/// The wire form of a recorded event.
pub(super) fn event_msg(rec: Recorded) -> ServerMsg {
    ServerMsg::Event {
        board: rec.board,
        seq: rec.seq,
        at: rec.at,
        by: rec.by,
        command_id: rec.command_id,
        event: rec.event,
    }
}
