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
//! The blocks at hand are a [`Stock`] the actor shares with the boards of
//! its node: it publishes the stock with its view (`Registry::take_org_number`),
//! and a board takes a number from it under a lock, without a message to
//! the actor; only when the stock is empty does a board ask the actor
//! ([`AllocateNumber`]) and wait for the next block. A board that finds the
//! stock half spent asks the actor to reserve ([`StockChanged`]), once.
//!
//! Otherwise a number is spent only on an item that exists: boards take one
//! only for a `create_item` their rules accepted, and a number handed out
//! but not used (its caller gave up, or the create turned out to be a retry
//! of one already applied) is given back when it is still the last one
//! handed out, so the next create takes it.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{OrgActor, Reply};
use crate::error::{bounded, ActorError};

/// Largest block of item numbers reserved at once.
pub const MAX_NUMBER_BLOCK: u32 = 500;
/// A block half spent faster than this makes the next one twice as big;
/// one that takes over ten times longer makes it half as big.
pub const BLOCK_TARGET_LIFETIME: Duration = Duration::from_secs(1);

/// Hand out the next item number (the stock had none at hand).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct AllocateNumber(pub Reply<u64>);

/// A number [`AllocateNumber`] handed out went unused: nothing was stored
/// with it. (Given back through the actor only when its stock is not
/// published: [`Stock::give_back`] otherwise.)
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct ReturnNumber(pub u64);

/// A board changed the stock: it took it down to half a block (reserve
/// the next one), or gave a number back while callers wait (serve them).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct StockChanged;

/// The item numbers at hand, shared by the actor with the boards of its
/// node (published with its view).
#[derive(Default)]
pub(crate) struct Stock(Mutex<Blocks>);

#[derive(Default)]
struct Blocks {
    /// The block numbers are taken from.
    current: Range<u64>,
    /// The block reserved ahead, used when `current` runs out.
    next: Option<Range<u64>>,
    /// When `current` was started.
    current_since: Option<Instant>,
    /// The next block is due when no more than this is left (half a block).
    low_water: u64,
    /// A reservation runs, or a board asked for one ([`StockChanged`]):
    /// boards do not ask again.
    refill_asked: bool,
    /// Callers wait in the actor's queue: they go first.
    waiters: bool,
}

impl Blocks {
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

    /// Whether the current block is half spent with no next one yet.
    fn low(&self) -> bool {
        self.next.is_none() && self.current.end.saturating_sub(self.current.start) <= self.low_water
    }
}

impl Stock {
    fn lock(&self) -> MutexGuard<'_, Blocks> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A board's number, and whether to tell the actor the stock ran low
    /// (told once per reservation). Nothing when the stock is empty or
    /// callers wait for it: then the board asks the actor.
    pub(crate) fn take(&self) -> Option<(u64, bool)> {
        let mut blocks = self.lock();
        if blocks.waiters {
            return None;
        }
        let n = blocks.take()?;
        let tell = blocks.low() && !blocks.refill_asked;
        blocks.refill_asked |= tell;
        Some((n, tell))
    }

    /// The board that was to tell the actor the stock ran low could not
    /// (its mailbox was full): the next board to take tells instead.
    pub(crate) fn retell(&self) {
        self.lock().refill_asked = false;
    }

    /// A board gives `n` back (see [`Blocks::give_back`]); whether the
    /// actor has callers waiting it can now serve.
    pub(crate) fn give_back(&self, n: u64) -> bool {
        let mut blocks = self.lock();
        blocks.give_back(n) && blocks.waiters
    }
}

/// The organization's supply of item numbers.
#[derive(Default)]
pub(super) struct Numbers {
    /// The blocks at hand, shared with the boards.
    stock: Arc<Stock>,
    /// Size of the next reservation; 0 until the first one.
    block: u32,
    /// A reservation is running.
    reserving: bool,
    /// Callers waiting for a number, in arrival order.
    waiting: VecDeque<Reply<u64>>,
}

impl Numbers {
    /// The stock, to publish for the boards.
    pub(super) fn stock(&self) -> &Arc<Stock> {
        &self.stock
    }

    /// Whether to reserve now: someone waits, or the current block is
    /// half spent with no next one yet.
    fn wants_block(&self) -> bool {
        if self.reserving {
            return false;
        }
        let blocks = self.stock.lock();
        blocks.next.is_none() && (!self.waiting.is_empty() || blocks.low())
    }

    /// The size of the next reservation, adapted to how fast the current
    /// block is being used.
    fn next_size(&mut self, min: u32) -> u32 {
        let min = min.max(1);
        let since = self.stock.lock().current_since;
        self.block = match (self.block, since) {
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
        self.stock.lock().low_water = u64::from(self.block / 2);
        self.block
    }

    /// Tell the boards whether callers wait.
    fn note_waiters(&self) {
        self.stock.lock().waiters = !self.waiting.is_empty();
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
        self.numbers.stock.lock().refill_asked = true;
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
                        {
                            let mut blocks = act.numbers.stock.lock();
                            blocks.next = Some(first..first + u64::from(size));
                            blocks.refill_asked = false;
                        }
                        act.serve_waiting();
                        act.reserve_if_due(ctx);
                    }
                    Err(e) => {
                        // Only those already waiting get the error; the
                        // next request tries again.
                        tracing::warn!(org_id = %act.id, error = %e, "reserving item numbers failed");
                        act.numbers.stock.lock().refill_asked = false;
                        let err = ActorError::from(e);
                        for reply in act.numbers.waiting.drain(..) {
                            let _ = reply.send(Err(err.clone()));
                        }
                        act.numbers.note_waiters();
                    }
                }
            },
        )));
    }

    /// Answers waiting callers, in order, while numbers are at hand.
    fn serve_waiting(&mut self) {
        while !self.numbers.waiting.is_empty() {
            let Some(n) = self.numbers.stock.lock().take() else {
                break;
            };
            if let Some(reply) = self.numbers.waiting.pop_front() {
                if let Err(Ok(unused)) = reply.send(Ok(n)) {
                    // The caller gave up: the next one gets the number.
                    self.numbers.stock.lock().give_back(unused);
                }
            }
        }
        self.numbers.note_waiters();
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
            let taken = self.numbers.stock.lock().take();
            if let Some(n) = taken {
                if let Err(Ok(unused)) = msg.0.send(Ok(n)) {
                    self.numbers.stock.lock().give_back(unused);
                }
                self.reserve_if_due(ctx);
                return;
            }
        }
        self.numbers.waiting.push_back(msg.0);
        self.numbers.note_waiters();
        self.reserve_if_due(ctx);
    }
}

impl Handler<ReturnNumber> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: ReturnNumber, _: &mut Self::Context) {
        let ReturnNumber(n) = msg;
        if self.numbers.stock.lock().give_back(n) {
            self.serve_waiting();
        } else {
            tracing::debug!(org_id = %self.id, number = n, "item number skipped");
        }
    }
}

impl Handler<StockChanged> for OrgActor {
    type Result = ();

    fn handle(&mut self, _: StockChanged, ctx: &mut Self::Context) {
        if self.failed.is_some() {
            // Retiring: it hands out nothing more, so reserves nothing.
            return;
        }
        self.serve_waiting();
        self.reserve_if_due(ctx);
        if !self.numbers.reserving {
            // Not due after all (a block came meanwhile): the next board
            // to find the stock low tells again.
            self.numbers.stock.lock().refill_asked = false;
        }
    }
}
