//! The queue under a session's [`Outbox`](super::Outbox): frames behind one
//! lock, with the bounds, the overflow flag and the writer's waker beside
//! them.
//!
//! It replaces a tokio `mpsc` channel plus a separate overflow record. A
//! fan-out pushes one frame to each of a thousand sessions per event, and
//! every distinct piece of memory a push touches is a cache miss then: the
//! channel's semaphore, its block list, its waker, the overflow flag and
//! the byte count were five. Here a push takes one uncontended lock over
//! one cache line, and the writer swaps out everything queued at once.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;

use super::{OutFrame, PushError, SessionId};
use crate::stats::ActorStats;

/// Shared by every [`Sender`] of a session and its receiver. The state a
/// push or a take touches fills one cache line, and starts one: with a
/// thousand subscribers, every line a delivery touches is a cache miss,
/// twice (at the push, then at the take).
#[derive(Debug)]
#[repr(C, align(64))]
pub(super) struct Queue {
    state: Mutex<State>,
    /// Wakes [`Queue::wait_cut`].
    cut_notify: Notify,
    /// Where the cut is counted.
    pub(super) stats: OnceLock<Arc<ActorStats>>,
}

/// At most 56 bytes, so that with its lock it fills one cache line.
#[derive(Debug, Default)]
struct State {
    frames: Vec<OutFrame>,
    /// The receiver's, kept from one wait to the next: waking it by
    /// reference spares a clone and a drop of the waker per delivery.
    waker: Option<Waker>,
    /// Payload bytes in `frames` and in the receiver's hand (see
    /// `in_hand`); saturating, as the bound is far below `u32::MAX`.
    bytes: u32,
    /// Frames the receiver took and has not handed out yet: they still
    /// count against the bounds, so what one slow session holds stays
    /// within them wherever it sits.
    in_hand: u32,
    /// Live [`Sender`]s.
    senders: u32,
    /// Set, once and for good, when a push found the queue full.
    cut: bool,
    /// The receiver refuses further frames (closed, or dropped).
    closed: bool,
    /// The session is gone ([`SessionAlive`] dropped): once what is queued
    /// is taken, nothing more is waited for.
    session_gone: bool,
    /// The receiver found nothing and waits for `waker`.
    waiting: bool,
}

impl State {
    /// Wake the receiver if it waits. Under the lock: a waker only
    /// schedules its task (or enlists its session, see the server's
    /// flusher), it never polls the receiver.
    fn wake(&mut self) {
        if std::mem::take(&mut self.waiting) {
            if let Some(waker) = &self.waker {
                waker.wake_by_ref();
            }
        }
    }

    fn give_back(&mut self, batch: Batch) {
        self.in_hand -= batch.frames;
        self.bytes -= batch.bytes;
    }

    /// Swap the queued frames into `into`; `None` when there are none.
    fn take(&mut self, into: &mut Vec<OutFrame>) -> Option<Batch> {
        if self.frames.is_empty() {
            return None;
        }
        into.clear();
        std::mem::swap(&mut self.frames, into);
        // Everything counted but the frames in hand is in this batch.
        let batch = Batch {
            frames: u32::try_from(into.len()).unwrap_or(u32::MAX),
            bytes: self.bytes,
        };
        self.in_hand = batch.frames;
        Some(batch)
    }
}

/// Frames a receiver took in one go, to give back to the bounds once it
/// has handed them all out.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Batch {
    frames: u32,
    bytes: u32,
}

// What a push or a take touches stays within the queue's first line.
const _: () = assert!(std::mem::size_of::<Mutex<State>>() <= 64);

/// A queue's bounds, kept by each sender (they are set before the first
/// clone, and read at every push: beside the sender, not on another line
/// of the queue).
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) frames: usize,
    pub(super) bytes: usize,
}

impl Queue {
    pub(super) fn new() -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(State {
                senders: 1,
                ..State::default()
            }),
            cut_notify: Notify::new(),
            stats: OnceLock::new(),
        })
    }

    /// The state; a panic elsewhere while it was held left it consistent
    /// (every change is one step), so poisoning is ignored.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the queue overflowed (the session is cut).
    pub(super) fn is_cut(&self) -> bool {
        self.state().cut
    }

    /// Queue `frame`, or say why not. A frame larger than the byte bound
    /// still fits an empty queue (a long catch-up, itself bounded by the
    /// resume limit).
    pub(super) fn push(
        &self,
        frame: OutFrame,
        limits: Limits,
        session: SessionId,
    ) -> Result<(), PushError> {
        let bytes = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let mut state = self.state();
        if state.cut {
            return Err(PushError::Overflow);
        }
        if state.closed {
            return Err(PushError::Closed);
        }
        let over_bytes =
            state.bytes > 0 && state.bytes.saturating_add(bytes) as usize > limits.bytes;
        if state.frames.len() + state.in_hand as usize >= limits.frames || over_bytes {
            // The cut is counted here, on the flag's first change, and
            // nowhere else: a session is cut once however many boards,
            // presence notices or replies of its own then find its queue
            // full, and whichever of them finds it full first.
            state.cut = true;
            state.wake();
            drop(state);
            tracing::info!(%session, "slow consumer cut off");
            if let Some(stats) = self.stats.get() {
                ActorStats::add(&stats.slow_consumers_cut, 1);
            }
            self.cut_notify.notify_one();
            return Err(PushError::Overflow);
        }
        state.frames.push(frame);
        state.bytes = state.bytes.saturating_add(bytes);
        state.wake();
        Ok(())
    }

    /// Resolves once the queue has overflowed.
    pub(super) async fn wait_cut(&self) {
        loop {
            let notified = self.cut_notify.notified();
            if self.is_cut() {
                return;
            }
            notified.await;
        }
    }

    /// Swap what is queued into `into` (empty, so the two buffers take
    /// turns and neither is reallocated once both have grown), first
    /// giving back `handed_out`, the batch the receiver took last and has
    /// since handed out whole. When nothing is queued: `Ready(None)` if
    /// nothing more will come (every sender gone, the session gone, the
    /// queue closed or cut), else `Pending` with `cx`'s waker kept for the
    /// next push. `Ready(Some(batch))` when frames moved: what to give back
    /// once they are handed out.
    pub(super) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        handed_out: Batch,
        into: &mut Vec<OutFrame>,
    ) -> Poll<Option<Batch>> {
        let mut state = self.state();
        state.give_back(handed_out);
        if let Some(batch) = state.take(into) {
            return Poll::Ready(Some(batch));
        }
        // Cut: nothing more will be queued, and the receiver may not have
        // been waiting when the cut's push came (it was taking frames, or
        // had not kept a waker yet), so it must not wait now either.
        if state.senders == 0 || state.session_gone || state.closed || state.cut {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        state.waiting = true;
        Poll::Pending
    }

    /// As [`Queue::poll_take`], without waiting.
    pub(super) fn take_now(
        &self,
        handed_out: Batch,
        into: &mut Vec<OutFrame>,
    ) -> Result<Batch, TryRecvError> {
        let mut state = self.state();
        state.give_back(handed_out);
        state
            .take(into)
            .ok_or(if state.senders == 0 || state.closed {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            })
    }

    /// Refuse further frames; what is queued may still be taken.
    pub(super) fn close(&self) {
        self.state().closed = true;
    }

    /// Whether the receiver refuses frames.
    pub(super) fn is_closed(&self) -> bool {
        self.state().closed
    }

    fn sender_added(&self) {
        self.state().senders += 1;
    }

    fn sender_dropped(&self) {
        let mut state = self.state();
        state.senders -= 1;
        if state.senders == 0 {
            state.wake();
        }
    }

    fn session_ended(&self) {
        let mut state = self.state();
        state.session_gone = true;
        state.wake();
    }
}

/// Why [`OutboxReceiver::try_recv`](super::OutboxReceiver::try_recv)
/// returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing is queued now.
    Empty,
    /// Nothing is queued, and every sender is gone or the queue was closed.
    Disconnected,
}

/// One counted handle on the queue: the receiver sees the queue end when
/// the last is dropped.
#[derive(Debug)]
pub(super) struct Sender {
    pub(super) queue: Arc<Queue>,
    pub(super) limits: Limits,
}

impl Sender {
    pub(super) fn push(&self, frame: OutFrame, session: SessionId) -> Result<(), PushError> {
        self.queue.push(frame, self.limits, session)
    }
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.queue.sender_added();
        Sender {
            queue: Arc::clone(&self.queue),
            limits: self.limits,
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.queue.sender_dropped();
    }
}

/// Held by the session for as long as it lives: once it is dropped, the
/// writer sends what is queued and then closes, even while boards still
/// hold clones of the session's outbox (they let go at their next push).
#[derive(Debug)]
pub struct SessionAlive(pub(super) Arc<Queue>);

impl Drop for SessionAlive {
    fn drop(&mut self) {
        self.0.session_ended();
    }
}
