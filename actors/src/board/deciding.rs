//! Deciding a command and appending it: decide → (an item number for an
//! accepted `create_item`) → decide again → append → apply and answer;
//! after a seq taken by another node, catch up from the log and decide
//! again (at most [`MAX_SEQ_RETRIES`] times); before answering a refusal,
//! look at the log once, in case this node was behind.

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::{Ctx, Recorded, Role, StoreError};
use uuid::Uuid;

use super::{now_millis, BoardActor, Reply};
use crate::caller::Caller;
use crate::error::{bounded, ActorError};
use crate::handles::Committed;
use crate::org::LiveOrg;
use crate::stats::ActorStats;

impl BoardActor {
    /// Append `records` and, once committed, apply and broadcast them and
    /// answer `reply`. On a seq conflict the in-memory state is stale, so
    /// the actor stops and the next request reloads it.
    pub(super) fn append_then_commit(
        &mut self,
        records: Vec<Recorded>,
        reply: Reply<Committed>,
        retry: Option<Retry>,
    ) -> LocalBoxActorFuture<Self, ()> {
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let batch = records.clone();
        let append = async move { bounded(timeout, store.append(batch)).await };
        actix::fut::wrap_future(append)
            .then(move |res, act: &mut Self, ctx| {
                match res {
                    Ok(()) => {
                        ActorStats::add(&act.registry.stats().commands_committed, 1);
                        act.apply_committed(&records);
                        let seq = act.board.seq;
                        let _ = reply.send(Ok(Committed {
                            seq,
                            events: records,
                        }));
                    }
                    Err(StoreError::Duplicate { command_id, .. }) => {
                        // A retry of a command already applied: nothing was
                        // stored, so an item number it took goes back.
                        act.return_item_numbers(&records);
                        let actor = records
                            .first()
                            .map(|r| r.by)
                            .unwrap_or(protocol::UserId(uuid::Uuid::nil()));
                        return act.answer_duplicate(actor, command_id, reply);
                    }
                    Err(StoreError::Conflict { seq, .. }) if retry.as_ref().is_some_and(Retry::may_retry) => {
                        // Another node took the seq: catch up from the log
                        // and decide again (the item number, if any, stays
                        // taken for the new decision).
                        ActorStats::add(&act.registry.stats().seq_conflicts, 1);
                        tracing::debug!(board_id = %act.id, seq, "seq taken by another node; catching up and deciding again");
                        let retry = retry.map(Retry::again);
                        return act.catch_up_and_redecide(retry, reply);
                    }
                    Err(StoreError::Conflict { seq, .. }) if retry.is_some() => {
                        // Other nodes took the seq each time this command
                        // was decided again: nothing of it was stored. The
                        // board caught up before each decision and its
                        // notices bring the rest, so it goes on; the
                        // caller may retry.
                        act.return_item_numbers(&records);
                        tracing::warn!(board_id = %act.id, seq, "seq taken by other nodes {MAX_SEQ_RETRIES} times; refused as retryable");
                        let _ = reply.send(Err(ActorError::Unavailable(
                            "the board is busy on other nodes; retry".into(),
                        )));
                    }
                    Err(StoreError::Conflict { seq, .. }) => {
                        // Another writer holds the seq: nothing of this
                        // append was stored.
                        act.return_item_numbers(&records);
                        tracing::warn!(board_id = %act.id, seq, "seq conflict; reloading board");
                        let _ =
                            reply.send(Err(ActorError::Unavailable("board was reloaded".into())));
                        ctx.stop();
                    }
                    Err(StoreError::Timeout) => {
                        // The outcome is unknown: the events may yet commit.
                        // Going on with this state could hide them (or
                        // conflict with them), so reload from storage.
                        tracing::warn!(board_id = %act.id, "append outcome unknown; reloading board");
                        let _ = reply.send(Err(ActorError::Timeout));
                        ctx.stop();
                    }
                    Err(StoreError::Overloaded) => {
                        // Refused before it reached the database. (Not
                        // after `Unavailable`: a lost connection may hide a
                        // commit, and a number given back twice would name
                        // two items.)
                        act.return_item_numbers(&records);
                        let _ = reply.send(Err(ActorError::from(StoreError::Overloaded)));
                    }
                    Err(e @ StoreError::Internal(_)) => {
                        // Refused for good, and certainly not committed:
                        // the numbers go back, the board state stands.
                        act.return_item_numbers(&records);
                        tracing::error!(board_id = %act.id, error = %e, "append refused");
                        let _ = reply.send(Err(ActorError::from(e)));
                    }
                    Err(e) => {
                        tracing::warn!(board_id = %act.id, error = %e, "append failed");
                        let _ = reply.send(Err(ActorError::from(e)));
                    }
                }
                actix::fut::ready(()).boxed_local()
            })
            .boxed_local()
    }
}

/// The item number a command is first decided with. A number is taken
/// from the organization only once `decide` has accepted the command, so a
/// refused `create_item` spends none.
const UNNUMBERED: u64 = 0;

/// How many times a command is decided again after losing its seq to
/// another node before it is refused (retryably) as `unavailable`.
pub const MAX_SEQ_RETRIES: u32 = 5;

/// A command's decision kept for deciding it again after a seq conflict.
pub(super) struct Retry {
    decision: Decision,
    /// The item number it was decided with, if it needed one.
    number: Option<u64>,
    attempts: u32,
    /// A refusal was already checked against the log (see `settle`).
    log_checked: bool,
}

impl Retry {
    fn may_retry(&self) -> bool {
        self.attempts < MAX_SEQ_RETRIES
    }

    fn again(mut self) -> Retry {
        self.attempts += 1;
        self
    }
}

/// What a command is decided with, fixed before the first `decide` so the
/// second one (with the real item number) sees the same time and id.
pub(super) struct Decision {
    pub by: Caller,
    pub role: Role,
    pub now: protocol::Millis,
    pub new_id: Uuid,
    pub view: std::sync::Arc<LiveOrg>,
    pub command: protocol::Command,
    pub command_id: Option<String>,
}

impl Decision {
    /// `decide` with `number` as the item number, and the records it
    /// would append.
    pub(super) fn run(
        &self,
        board: &protocol::Board,
        number: Option<u64>,
    ) -> Result<Vec<Recorded>, ActorError> {
        let ctx = Ctx {
            actor: self.by.actor_id(),
            role: self.role,
            now: self.now,
            new_id: self.new_id,
            item_number: number,
            members: &self.view.members,
        };
        let events = board.decide(&ctx, &self.command)?;
        Ok(board.record(&ctx, self.command_id.as_deref(), events))
    }
}

impl BoardActor {
    /// Catch up from the log, then decide `retry`'s command again on the
    /// board as it now is and append it.
    fn catch_up_and_redecide(
        &mut self,
        retry: Option<Retry>,
        reply: Reply<Committed>,
    ) -> LocalBoxActorFuture<Self, ()> {
        self.catch_up()
            .then(move |caught, act: &mut Self, ctx| {
                let Some(retry) = retry else {
                    return actix::fut::ready(()).boxed_local();
                };
                if let Err(e) = caught {
                    // The log cannot be read past this actor's state, so
                    // that state is not the board's: stop, and the next
                    // request loads the board afresh (and meets the fault
                    // there, if it lasts). Subscribers are told
                    // `board_restarted`.
                    tracing::warn!(board_id = %act.id, error = %e, "catching up after a seq conflict failed; restarting the board");
                    act.give_back(retry.number);
                    let _ = reply.send(Err(ActorError::from(e)));
                    ctx.stop();
                    return actix::fut::ready(()).boxed_local();
                }
                let mut retry = retry;
                // Decided now, on the board as it now is: its events must
                // not be dated before those it follows.
                retry.decision.now = now_millis();
                let decided = retry.decision.run(&act.board, retry.number);
                if decided.is_err() {
                    act.give_back(retry.number);
                }
                let (by, command_id) = (retry.decision.by, retry.decision.command_id.clone());
                act.settle(decided, by, command_id, reply, Some(retry))
            })
            .boxed_local()
    }

    /// Give back an item number taken for a command that was then refused.
    pub(super) fn give_back(&self, number: Option<u64>) {
        if let (Some(org), Some(n)) = (self.board.org, number) {
            if n != UNNUMBERED {
                self.registry.org(org).return_number(n);
            }
        }
    }

    /// Append what was decided, or settle the refusal (recording it for a
    /// command id), and answer `reply`.
    fn settle(
        &mut self,
        decided: Result<Vec<Recorded>, ActorError>,
        by: Caller,
        command_id: Option<String>,
        reply: Reply<Committed>,
        retry: Option<Retry>,
    ) -> LocalBoxActorFuture<Self, ()> {
        match (decided, command_id) {
            (Ok(records), _) => self.append_then_commit(records, reply, retry),
            (Err(ActorError::Rejected(rejection)), command_id)
                if retry.as_ref().is_some_and(|r| !r.log_checked) =>
            {
                // Refused on what this node holds, which may lag what
                // another node committed (an item it created, a column it
                // emptied): look at the log before answering (a refusal
                // with a command id is recorded for good). When the board
                // moved, the command is decided again on it.
                let Some(mut retry) = retry else {
                    return actix::fut::ready(()).boxed_local();
                };
                retry.log_checked = true;
                let seq = self.board.seq;
                self.catch_up()
                    .then(move |_, act: &mut Self, _| {
                        if act.board.seq == seq {
                            return act.settle(
                                Err(ActorError::Rejected(rejection)),
                                by,
                                command_id,
                                reply,
                                Some(retry),
                            );
                        }
                        let mut decision = retry.decision;
                        decision.now = now_millis();
                        act.decide_and_settle(decision, retry.attempts, true, reply)
                    })
                    .boxed_local()
            }
            (Err(ActorError::Rejected(rejection)), Some(id)) => {
                ActorStats::add(&self.registry.stats().commands_rejected, 1);
                self.settle_rejection(by.actor_id(), id, rejection, reply)
            }
            (Err(e), _) => {
                let _ = reply.send(Err(e));
                actix::fut::ready(()).boxed_local()
            }
        }
    }
}

impl BoardActor {
    /// Give back the item numbers of `records`, which were not stored.
    pub(super) fn return_item_numbers(&self, records: &[Recorded]) {
        let Some(org) = self.board.org else { return };
        for record in records {
            if let protocol::Event::ItemCreated { number, .. } = record.event {
                self.registry.org(org).return_number(number);
            }
        }
    }
}

impl BoardActor {
    /// Decide, then (for an accepted `create_item` only) take an item
    /// number and decide again with it, then append or settle the refusal.
    pub(super) fn decide_and_settle(
        &mut self,
        decision: Decision,
        attempts: u32,
        log_checked: bool,
        reply: Reply<Committed>,
    ) -> LocalBoxActorFuture<Self, ()> {
        let by = decision.by;
        let needs_number = decision.command.needs_item_number();
        let first = decision.run(&self.board, needs_number.then_some(UNNUMBERED));
        if first.is_err() || !needs_number {
            let command_id = decision.command_id.clone();
            let retry = Retry {
                decision,
                number: None,
                attempts,
                log_checked,
            };
            return self.settle(first, by, command_id, reply, Some(retry));
        }
        let Some(org) = self.board.org.map(|org| self.registry.org(org)) else {
            let _ = reply.send(Err(ActorError::NotFound));
            return actix::fut::ready(()).boxed_local();
        };
        let allocate = async move { org.allocate_number().await };
        actix::fut::wrap_future(allocate)
            .then(move |number, act: &mut Self, _| {
                let number_taken = number.as_ref().ok().copied();
                let decided = number.and_then(|n| {
                    let decided = decision.run(&act.board, Some(n));
                    if decided.is_err() {
                        // Not expected (the board has not changed), but
                        // a number taken for nothing goes back.
                        act.give_back(Some(n));
                    }
                    decided
                });
                let command_id = decision.command_id.clone();
                let retry = Retry {
                    number: number_taken,
                    decision,
                    attempts,
                    log_checked,
                };
                act.settle(decided, by, command_id, reply, Some(retry))
            })
            .boxed_local()
    }
}
