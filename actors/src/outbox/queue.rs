//! The queue under a session's [`Outbox`](super::Outbox): frames behind one
//! lock, with the bounds, the overflow flag and the writer's waker beside
//! them.
//!
//! It replaces a tokio `mpsc` channel plus a separate overflow record. A
//! fan-out pushes one frame to each of a thousand sessions per event, and
//! every distinct piece of memory a push touches is a cache miss then: the
//! channel's semaphore, its block list, its waker, the overflow flag and
//! the byte count were five. Here a push takes one uncontended lock over
//! one record, and the writer takes everything queued at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;

use super::{OutFrame, PushError, SessionId, DEFAULT_QUEUE_BYTES};
use crate::stats::ActorStats;

/// Shared by every [`Sender`] of a session and its receiver.
#[derive(Debug)]
pub(super) struct Queue {
    state: Mutex<State>,
    /// Set, once and for good, when a push found the queue full; read
    /// without the lock.
    cut: AtomicBool,
    /// Wakes [`Queue::wait_cut`].
    cut_notify: Notify,
    max_frames: usize,
    max_bytes: AtomicUsize,
    /// Where the cut is counted.
    pub(super) stats: OnceLock<Arc<ActorStats>>,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<OutFrame>,
    /// Payload bytes in `frames`.
    bytes: usize,
    /// The receiver's, while it waits for a frame.
    waker: Option<Waker>,
    /// Live [`Sender`]s.
    senders: usize,
    /// The receiver refuses further frames (closed, or dropped).
    closed: bool,
    /// The session is gone ([`SessionAlive`] dropped): once what is queued
    /// is taken, nothing more is waited for.
    session_gone: bool,
}

impl Queue {
    pub(super) fn new(max_frames: usize) -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(State {
                senders: 1,
                ..State::default()
            }),
            cut: AtomicBool::new(false),
            cut_notify: Notify::new(),
            max_frames: max_frames.max(1),
            max_bytes: AtomicUsize::new(DEFAULT_QUEUE_BYTES),
            stats: OnceLock::new(),
        })
    }

    /// The state; a panic elsewhere while it was held left it consistent
    /// (every change is one step), so poisoning is ignored.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn set_max_bytes(&self, max_bytes: usize) {
        self.max_bytes.store(max_bytes, Ordering::Relaxed);
    }

    /// Whether the queue overflowed (the session is cut).
    pub(super) fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }

    /// Queue `frame`, or say why not. A frame larger than the byte bound
    /// still fits an empty queue (a long catch-up, itself bounded by the
    /// resume limit).
    pub(super) fn push(&self, frame: OutFrame, session: SessionId) -> Result<(), PushError> {
        if self.is_cut() {
            return Err(PushError::Overflow);
        }
        let bytes = frame.len();
        let waker = {
            let mut state = self.state();
            if state.closed {
                return Err(PushError::Closed);
            }
            let over_bytes =
                state.bytes > 0 && state.bytes + bytes > self.max_bytes.load(Ordering::Relaxed);
            if state.frames.len() >= self.max_frames || over_bytes {
                drop(state);
                self.trigger(session);
                return Err(PushError::Overflow);
            }
            state.frames.push_back(frame);
            state.bytes += bytes;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Flag the session for closing. The cut is counted here, on the flag's
    /// first change, and nowhere else: a session is cut once however many
    /// boards, presence notices or replies of its own then find its queue
    /// full, and whichever of them finds it full first.
    fn trigger(&self, session: SessionId) {
        if !self.cut.swap(true, Ordering::AcqRel) {
            tracing::info!(%session, "slow consumer cut off");
            if let Some(stats) = self.stats.get() {
                ActorStats::add(&stats.slow_consumers_cut, 1);
            }
            self.wake();
        }
        self.cut_notify.notify_one();
    }

    /// Wake the receiver, if it waits.
    fn wake(&self) {
        let waker = self.state().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Resolves once the queue has overflowed.
    pub(super) async fn wait_cut(&self) {
        while !self.is_cut() {
            self.cut_notify.notified().await;
        }
    }

    /// Move everything queued to the back of `into`; when nothing is,
    /// `Ready(false)` if nothing more will come (every sender gone, the
    /// session gone or the queue closed), else `Pending` with `cx`'s waker
    /// kept to be woken by the next push. `Ready(true)` when frames moved.
    pub(super) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        into: &mut VecDeque<OutFrame>,
    ) -> Poll<bool> {
        let mut state = self.state();
        if !state.frames.is_empty() {
            state.bytes = 0;
            if into.is_empty() {
                // Swap rather than move: the two buffers take turns, so
                // neither is reallocated once both have grown.
                std::mem::swap(&mut state.frames, into);
            } else {
                into.append(&mut state.frames);
            }
            return Poll::Ready(true);
        }
        if state.senders == 0 || state.session_gone || state.closed {
            return Poll::Ready(false);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Take what is queued now, without waiting.
    pub(super) fn take_now(&self, into: &mut VecDeque<OutFrame>) -> Result<(), TryRecvError> {
        let mut state = self.state();
        if state.frames.is_empty() {
            return Err(if state.senders == 0 || state.closed {
                TryRecvError::Disconnected
            } else {
                TryRecvError::Empty
            });
        }
        state.bytes = 0;
        into.append(&mut state.frames);
        Ok(())
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
            let waker = state.waker.take();
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    fn session_ended(&self) {
        let mut state = self.state();
        state.session_gone = true;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
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
pub(super) struct Sender(pub(super) Arc<Queue>);

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.0.sender_added();
        Sender(Arc::clone(&self.0))
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.sender_dropped();
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
