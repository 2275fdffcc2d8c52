//! One flusher per HTTP worker writes the sockets of every session the
//! worker holds.
//!
//! A board's push into a session's queue wakes the session's waker. Here
//! that waker is not a task's: it puts the session on its worker's ready
//! list, and wakes the flusher only when the list was empty. So an event
//! that reaches a thousand sessions wakes each worker once, and the
//! flusher then encodes each session's queued frames into one reused
//! buffer and writes it with one `send`, session after session: no task is
//! scheduled, polled or woken per delivery, and no buffer is allocated.
//! Nothing is held back: the flusher runs as soon as the worker is free,
//! and writes everything queued.
//!
//! A socket that does not take a whole chunk at once leaves the flusher:
//! a task of its own writes the rest, waiting for the peer under the stall
//! timeout, and then hands the session back (`write_rest`). Its later
//! frames stay queued meanwhile, so their order holds. A session whose
//! close frame went out, or whose peer is gone, is dropped from the
//! flusher, which closes its writing side.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use bytes::BytesMut;
use tokio::net::tcp::OwnedWriteHalf;

use super::upgrade::SocketGuard;
use super::writer::{send_now, write_rest, Failed, Outbound, Stall};

/// Sessions served in one turn of the flusher before the worker's other
/// tasks (sessions reading commands, HTTP requests) get their turn.
pub(super) const SESSIONS_PER_TURN: usize = 256;

/// Chunks one session writes in a turn before going to the back of the
/// line (a session with a long catch-up does not hold up the others).
const CHUNKS_PER_TURN: usize = 4;

/// A reused buffer that grew past this (a large catch-up) is let go
/// rather than kept for the life of the worker.
const KEEP_BUFFER_BYTES: usize = 256 * 1024;

/// The sessions with something to write, filled from any thread and
/// emptied by the flusher.
#[derive(Default)]
struct Ready {
    state: Mutex<ReadyState>,
}

#[derive(Default)]
struct ReadyState {
    sessions: Vec<u64>,
    /// The flusher's, while it waits for a session to serve.
    flusher: Option<Waker>,
}

impl Ready {
    fn enlist(&self, session: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.sessions.push(session);
        let flusher = state.flusher.take();
        drop(state);
        if let Some(flusher) = flusher {
            flusher.wake();
        }
    }

    /// Move the enlisted sessions to `into`; when there are none, keep
    /// `cx`'s waker for the next.
    fn take(&self, cx: &Context<'_>, into: &mut VecDeque<u64>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.sessions.is_empty() {
            state.flusher = Some(cx.waker().clone());
            return false;
        }
        into.extend(state.sessions.drain(..));
        true
    }
}

/// A session's waker: enlists the session with its worker's flusher.
struct SessionWake {
    session: u64,
    ready: Arc<Ready>,
}

impl Wake for SessionWake {
    fn wake(self: Arc<Self>) {
        self.ready.enlist(self.session);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.enlist(self.session);
    }
}

/// The writing side of one session.
struct SocketWriter {
    outbound: Outbound,
    io: OwnedWriteHalf,
    waker: Waker,
    stall: Stall,
    _open: SocketGuard,
}

impl SocketWriter {
    /// Give the socket up: reset it, and refuse further frames.
    fn fail(mut self, failed: Failed) {
        let failed = match failed {
            Failed::Stalled => {
                self.stall.metrics.write_stalled();
                format!("the peer took no bytes for {:?}", self.stall.timeout)
            }
            Failed::Io(e) => e,
        };
        tracing::debug!(error = %failed, "websocket write failed; resetting the connection");
        // Reset, not end: the socket's send buffer may hold megabytes (its
        // autotuning) that would otherwise trickle out to a peer taking
        // almost nothing, for minutes after it was given up on. With
        // `SO_LINGER` 0 they are discarded, and a reset sent, when the
        // session lets go of the read half, which closing the queue makes
        // it do at its next heartbeat tick.
        let _ = self.io.as_ref().set_zero_linger();
        self.io.forget();
        self.outbound.finish();
    }
}

/// What one session's turn came to.
enum Turn {
    /// Written; nothing more queued now.
    Idle,
    /// Written; more may be queued (back of the line).
    More,
    /// The close frame went out, or the session is gone.
    Done,
    /// The socket took `.0` bytes of the chunk: the rest waits for it.
    Partial(usize),
    Failed(Failed),
}

/// Hashes a session id with one multiplication: ids are small, distinct
/// and not chosen by clients, and the map is looked up once per delivery.
#[derive(Default, Clone, Copy)]
struct SessionHasher(u64);

impl std::hash::Hasher for SessionHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: spreads consecutive ids over the high bits
        // the map's control bytes come from.
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Writers = HashMap<u64, SocketWriter, std::hash::BuildHasherDefault<SessionHasher>>;

/// The flusher of one worker.
struct Flusher {
    ready: Arc<Ready>,
    writers: RefCell<Writers>,
    /// Enlisted sessions not served yet.
    line: RefCell<VecDeque<u64>>,
    buf: RefCell<BytesMut>,
}

thread_local! {
    /// This worker's flusher, once a session started on it.
    static FLUSHER: RefCell<Option<Rc<Flusher>>> = const { RefCell::new(None) };
}

/// Clears the worker's flusher when its task is dropped (the worker's
/// runtime stops), so a later runtime on the thread starts its own; a
/// newer flusher already there stays.
struct Running(Rc<Flusher>);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = FLUSHER.try_with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                if slot.as_ref().is_some_and(|f| Rc::ptr_eq(f, &self.0)) {
                    slot.take();
                }
            }
        });
    }
}

/// Write `outbound` to `io` from this worker's flusher until the close
/// frame is out or the peer is gone, then close the socket's writing side.
/// `open` counts the socket as open until then (graceful shutdown waits
/// for it). Must run on the worker's runtime.
pub fn start(
    session: u64,
    outbound: Outbound,
    io: OwnedWriteHalf,
    stall: Stall,
    open: SocketGuard,
) {
    let (flusher, new) = FLUSHER.with(|slot| {
        let mut slot = slot.borrow_mut();
        match &*slot {
            Some(flusher) => (Rc::clone(flusher), false),
            None => {
                let flusher = Rc::new(Flusher {
                    ready: Arc::default(),
                    writers: RefCell::default(),
                    line: RefCell::default(),
                    buf: RefCell::default(),
                });
                *slot = Some(Rc::clone(&flusher));
                (flusher, true)
            }
        }
    });
    if new {
        // Spawned with the slot no longer borrowed: a task dropped at once
        // (a runtime shutting down) clears the slot again.
        let running = Running(Rc::clone(&flusher));
        actix_rt::spawn(async move {
            poll_fn(|cx| running.0.poll(cx)).await;
        });
    }
    let waker = Waker::from(Arc::new(SessionWake {
        session,
        ready: Arc::clone(&flusher.ready),
    }));
    flusher.writers.borrow_mut().insert(
        session,
        SocketWriter {
            outbound,
            io,
            waker: waker.clone(),
            stall,
            _open: open,
        },
    );
    // Its first turn registers the waker (and writes anything queued).
    waker.wake();
}

impl Flusher {
    /// Serve enlisted sessions, a turn's worth at a time; never ready.
    fn poll(self: &Rc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut served = 0;
        loop {
            let next = self.line.borrow_mut().pop_front();
            let Some(session) = next else {
                if self.ready.take(cx, &mut self.line.borrow_mut()) {
                    continue;
                }
                return Poll::Pending;
            };
            if served == SESSIONS_PER_TURN {
                self.line.borrow_mut().push_front(session);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            served += 1;
            self.serve(session);
        }
    }

    fn serve(self: &Rc<Self>, session: u64) {
        let mut writers = self.writers.borrow_mut();
        // Absent: away writing a partial chunk, or gone.
        let Some(writer) = writers.get_mut(&session) else {
            return;
        };
        let mut buf = self.buf.borrow_mut();
        let turn = turn(writer, &mut buf);
        match turn {
            Turn::Idle => {}
            Turn::More => writer.waker.wake_by_ref(),
            Turn::Done => {
                // Dropping the writing half shuts it down (a FIN after the
                // close frame).
                writers.remove(&session);
            }
            Turn::Failed(failed) => {
                if let Some(writer) = writers.remove(&session) {
                    writer.fail(failed);
                }
            }
            Turn::Partial(taken) => {
                let rest = buf.split().split_off(taken).freeze();
                if let Some(writer) = writers.remove(&session) {
                    actix_rt::spawn(Rc::clone(self).write_rest(session, writer, rest));
                }
            }
        }
        if buf.capacity() > KEEP_BUFFER_BYTES {
            *buf = BytesMut::new();
        }
    }

    /// Write what the socket did not take at once, then hand the session
    /// back to the flusher.
    async fn write_rest(
        self: Rc<Self>,
        session: u64,
        mut writer: SocketWriter,
        rest: bytes::Bytes,
    ) {
        match write_rest(&mut writer.io, &rest, writer.stall.timeout).await {
            Ok(()) => {
                let waker = writer.waker.clone();
                self.writers.borrow_mut().insert(session, writer);
                waker.wake();
            }
            Err(failed) => writer.fail(failed),
        }
    }
}

/// Write up to [`CHUNKS_PER_TURN`] chunks of `writer`'s queue, each with
/// one `send`, encoding them into `buf` (left holding the last chunk).
fn turn(writer: &mut SocketWriter, buf: &mut BytesMut) -> Turn {
    let mut cx = Context::from_waker(&writer.waker);
    for _ in 0..CHUNKS_PER_TURN {
        buf.clear();
        match writer.outbound.poll_chunk_into(&mut cx, buf) {
            Poll::Pending => return Turn::Idle,
            Poll::Ready(None) => return Turn::Done,
            Poll::Ready(Some(())) => match send_now(&writer.io, buf) {
                Ok(taken) if taken == buf.len() => {}
                Ok(taken) => return Turn::Partial(taken),
                Err(failed) => return Turn::Failed(failed),
            },
        }
    }
    Turn::More
}
