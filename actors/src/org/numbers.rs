//! Item numbers: handed out from blocks reserved in storage, without ever
//! making other requests to the organization wait.
//!
//! A reservation runs beside the actor's other work (the roster keeps
//! answering meanwhile), and the next block is reserved when the current
//! one is half spent, so under steady load no caller waits for storage.
//! The block size adapts: it doubles (up to [`MAX_NUMBER_BLOCK`]) when the
//! current block was half spent within [`BLOCK_TARGET_LIFETIME`], and
//! halves (down to `ActorConfig::number_block`) when that took over ten
//! times longer. Numbers left
//! in the blocks when the actor stops are never used: an organization's
//! numbers increase but may skip, by at most two blocks per restart.
//!
//! Otherwise a number is spent only on an item that exists: boards take one
//! only for a `create_item` their rules accepted, and a number handed out
//! but not used (its caller gave up, or the create turned out to be a retry
//! of one already applied) is given back when it is still the last one
//! handed out, so the next create takes it.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{OrgActor, Reply};
use crate::error::{bounded, ActorError};

/// Largest block of item numbers reserved at once.
pub const MAX_NUMBER_BLOCK: u32 = 500;
/// A block half spent faster than this makes the next one twice as big;
/// one that takes over ten times longer makes it half as big.
pub const BLOCK_TARGET_LIFETIME: Duration = Duration::from_secs(1);

/// Hand out the next item number.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct AllocateNumber(pub Reply<u64>);

/// A number [`AllocateNumber`] handed out went unused: nothing was stored
/// with it.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct ReturnNumber(pub u64);

/// The organization's supply of item numbers.
#[derive(Default)]
pub(super) struct Numbers {
    /// The block numbers are taken from.
    current: Range<u64>,
    /// The block reserved ahead, used when `current` runs out.
    next: Option<Range<u64>>,
    /// When `current` was started.
    current_since: Option<Instant>,
    /// Size of the next reservation; 0 until the first one.
    block: u32,
    /// A reservation is running.
    reserving: bool,
    /// Callers waiting for a number, in arrival order.
    waiting: VecDeque<Reply<u64>>,
}

impl Numbers {
    /// The next number, if one is at hand.
    fn take(&mut self) -> Option<u64> {
        if let Some(n) = self.current.next() {
            return Some(n);
        }
        let next = self.next.take()?;
        self.current = next;
        self.current_since = Some(Instant::now());
        self.current.next()
    }

    /// Take `n` back if it is the last number handed out (then no one can
    /// have taken a later one); otherwise it stays skipped.
    fn give_back(&mut self, n: u64) -> bool {
        // `take` leaves `current.start` one past what it handed out, and
        // only `take` moves it, so this holds only for the last number.
        if n.checked_add(1) == Some(self.current.start) {
            self.current.start = n;
            true
        } else {
            false
        }
    }

    /// Whether to reserve now: someone waits, or the current block is
    /// half spent with no next one yet.
    fn wants_block(&self) -> bool {
        if self.reserving || self.next.is_some() {
            return false;
        }
        let left = self.current.end.saturating_sub(self.current.start);
        !self.waiting.is_empty() || left <= u64::from(self.block / 2)
    }

    /// The size of the next reservation, adapted to how fast the current
    /// block is being used.
    fn next_size(&mut self, min: u32) -> u32 {
        let min = min.max(1);
        self.block = match (self.block, self.current_since) {
            (0, _) | (_, None) => min,
            (block, Some(since)) => {
                let lasted = since.elapsed();
                if lasted < BLOCK_TARGET_LIFETIME {
                    block.saturating_mul(2).min(MAX_NUMBER_BLOCK)
                } else if lasted > BLOCK_TARGET_LIFETIME * 10 {
                    (block / 2).max(min)
                } else {
                    block
                }
            }
        }
        .max(min);
        self.block
    }
}

impl OrgActor {
    /// Starts a reservation when one is due; it runs beside other messages.
    fn reserve_if_due(&mut self, ctx: &mut Context<Self>) {
        if !self.numbers.wants_block() {
            return;
        }
        let size = self.numbers.next_size(self.registry.config().number_block);
        self.numbers.reserving = true;
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let id = self.id;
        let reserve = async move { bounded(timeout, store.reserve_item_numbers(id, size)).await };
        // In the span of the request that made it due: a failure shows
        // up with that request's id.
        ctx.spawn(crate::traced::in_current_span(
            actix::fut::wrap_future(reserve).map(
            move |res, act: &mut Self, ctx: &mut Context<Self>| {
                act.numbers.reserving = false;
                match res {
                    Ok(first) => {
                        act.numbers.next = Some(first..first + u64::from(size));
                        act.serve_waiting();
                        act.reserve_if_due(ctx);
                    }
                    Err(e) => {
                        // Only those already waiting get the error; the
                        // next request tries again.
                        tracing::warn!(org_id = %act.id, error = %e, "reserving item numbers failed");
                        let err = ActorError::from(e);
                        for reply in act.numbers.waiting.drain(..) {
                            let _ = reply.send(Err(err.clone()));
                        }
                    }
                }
            },
        )));
    }

    /// Answers waiting callers, in order, while numbers are at hand.
    fn serve_waiting(&mut self) {
        while !self.numbers.waiting.is_empty() {
            let Some(n) = self.numbers.take() else { return };
            if let Some(reply) = self.numbers.waiting.pop_front() {
                if let Err(Ok(unused)) = reply.send(Ok(n)) {
                    // The caller gave up: the next one gets the number.
                    self.numbers.give_back(unused);
                }
            }
        }
    }
}

impl Handler<AllocateNumber> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: AllocateNumber, ctx: &mut Self::Context) {
        self.last_used = Instant::now();
        if let Some(err) = self.fail_and_retire(ctx) {
            let _ = msg.0.send(Err(err));
            return;
        }
        if self.numbers.waiting.is_empty() {
            if let Some(n) = self.numbers.take() {
                if let Err(Ok(unused)) = msg.0.send(Ok(n)) {
                    self.numbers.give_back(unused);
                }
                self.reserve_if_due(ctx);
                return;
            }
        }
        self.numbers.waiting.push_back(msg.0);
        self.reserve_if_due(ctx);
    }
}

impl Handler<ReturnNumber> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: ReturnNumber, _: &mut Self::Context) {
        let ReturnNumber(n) = msg;
        if self.numbers.give_back(n) {
            self.serve_waiting();
        } else {
            tracing::debug!(org_id = %self.id, number = n, "item number skipped");
        }
    }
}
