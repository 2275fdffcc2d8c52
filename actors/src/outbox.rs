//! A session's bounded outbound queue, and encode-once frames.
//!
//! Board actors never write to a socket. They push already-encoded frames
//! into each subscriber's [`Outbox`] with `try_send`; a full queue means the
//! subscriber is too slow, so it is cut off (its writer closes the socket
//! with [`CLOSE_SLOW_CONSUMER`]) instead of slowing the board down. A cut
//! is final: every later push to the session fails, whoever makes it. The
//! channels' side of that policy is in `fanout.rs`.
//!
//! Both ends of the queue live here: [`SessionQueue::new`] makes the
//! [`Outbox`] the actors push into and the [`OutboxReceiver`] the session's
//! writer drains. The frame bound, the byte accounting and the overflow
//! flag are kept by these two types alone.

mod queue;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use bytestring::ByteString;
use protocol::codec::{encode_json, encode_msgpack};
use protocol::{BoardId, Format, OrgId, ServerMsg};

use crate::stats::ActorStats;
use queue::{Batch, Limits, Queue, Sender};
pub use queue::{SessionAlive, TryRecvError};

/// Close code sent to a session whose outbound queue overflowed. The client
/// should reconnect and resubscribe with `since`.
pub const CLOSE_SLOW_CONSUMER: u16 = protocol::close::SLOW_CONSUMER;

/// Identifies one WebSocket session within this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// One frame on its way to a socket.
#[derive(Clone, Debug)]
pub enum OutFrame {
    Text(ByteString),
    Binary(Bytes),
    /// Frames written one after another, queued as one entry (a long
    /// catch-up after `subscribe{since}`).
    Batch(Vec<OutFrame>),
    /// A WebSocket ping (keep-alive).
    Ping,
    /// The answer to a client's ping, echoing its payload (at most 125
    /// bytes, as the client's ping was a control frame).
    Pong(Bytes),
    /// Close the socket with this code and reason, after the frames queued
    /// before it.
    Close {
        code: u16,
        reason: String,
    },
}

impl OutFrame {
    /// Encode `msg` in `format`.
    pub fn encode(msg: &ServerMsg, format: Format) -> OutFrame {
        match format {
            Format::Json => OutFrame::Text(ByteString::from(encode_json(msg))),
            Format::MsgPack => OutFrame::Binary(Bytes::from(encode_msgpack(msg))),
        }
    }

    /// Payload size in bytes.
    pub fn len(&self) -> usize {
        match self {
            OutFrame::Text(s) => s.len(),
            OutFrame::Binary(b) => b.len(),
            OutFrame::Batch(frames) => frames.iter().map(OutFrame::len).sum(),
            OutFrame::Ping => 0,
            OutFrame::Pong(payload) => payload.len(),
            OutFrame::Close { reason, .. } => reason.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counts the messages queued to sessions, by type (`ServerMsg::kind`).
/// One is shared by every outbox of a server, for its metrics.
pub trait SentCounter: Send + Sync + std::fmt::Debug {
    /// `n` messages of type `kind` were queued.
    fn sent(&self, kind: &'static str, n: u64);
}

/// Why a frame could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum PushError {
    /// The queue is full: the session has been told to close as a slow consumer.
    Overflow,
    /// The session is gone.
    Closed,
}

/// The sending side of a session's outbound queue. Cloned into every board
/// the session subscribes to.
#[derive(Clone, Debug)]
pub struct Outbox {
    session: SessionId,
    format: Format,
    tx: Sender,
    counter: Option<Arc<dyn SentCounter>>,
    slots: Arc<SubscriptionSlots>,
}

/// The boards (and org channels) a session holds, recorded by the actors
/// themselves when they attach it and when they let it go (see
/// [`Outbox::with_subscription_limit`]): a subscribe still in flight, or one
/// the board refuses (not found), holds nothing, and boards that attach the
/// same session at once cannot pass the limit, which counts boards only.
/// The session reads what holds it from here, so a subscription the server
/// ends by itself (access lost, restart, an org channel's removal) is off
/// its list at once, with no message to the session.
#[derive(Debug)]
pub struct SubscriptionSlots {
    /// The slots each channel holds: one, except for the moment a retiring
    /// board actor and its successor both hold the session. A std lock:
    /// held only to read or change the map, never across an `.await`.
    held: Mutex<HashMap<Channel, usize>>,
    max: usize,
}

impl SubscriptionSlots {
    fn new(max: usize) -> Arc<SubscriptionSlots> {
        Arc::new(SubscriptionSlots {
            held: Mutex::new(HashMap::new()),
            max,
        })
    }

    /// The map; a panic elsewhere while it was held left it consistent
    /// (every change is one step), so poisoning is ignored.
    fn held(&self) -> MutexGuard<'_, HashMap<Channel, usize>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Slots held by boards (what the limit counts).
    fn boards_held(held: &HashMap<Channel, usize>) -> usize {
        held.iter()
            .filter(|(channel, _)| matches!(channel, Channel::Board(_)))
            .map(|(_, n)| n)
            .sum()
    }
}

/// What holds a session: a board, or an org channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Channel {
    Board(BoardId),
    Org(OrgId),
}

/// One board's (or org channel's) hold on one of its subscriber's slots,
/// given back when it lets the session go (unsubscribe, cut, access lost,
/// restart).
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<SubscriptionSlots>,
    channel: Channel,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.slots.held();
        if let Some(n) = held.get_mut(&self.channel) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.channel);
            }
        }
    }
}

/// Bytes a session's outbound queue may hold by default (see
/// [`Outbox::with_byte_limit`]).
pub const DEFAULT_QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// A new session's outbound queue, both ends: the session and the boards
/// it subscribes to push through `outbox`; the session's writer drains
/// `receiver`.
#[derive(Debug)]
pub struct SessionQueue {
    pub outbox: Outbox,
    pub receiver: OutboxReceiver,
}

impl SessionQueue {
    /// A queue of at most `capacity` frames (and [`DEFAULT_QUEUE_BYTES`],
    /// see [`Outbox::with_byte_limit`]) for `session`.
    pub fn new(session: SessionId, format: Format, capacity: usize) -> SessionQueue {
        let queue = Queue::new();
        let outbox = Outbox {
            session,
            format,
            tx: Sender {
                queue: queue.clone(),
                limits: Limits {
                    frames: capacity.max(1),
                    bytes: DEFAULT_QUEUE_BYTES,
                },
            },
            counter: None,
            slots: SubscriptionSlots::new(usize::MAX),
        };
        SessionQueue {
            outbox,
            receiver: OutboxReceiver {
                queue,
                taken: VecDeque::new(),
                batch: Batch::default(),
            },
        }
    }
}

/// The receiving side of a session's outbound queue, drained by the
/// session's writer. It takes everything queued at once, and gives that
/// batch back to the queue's bounds when it next takes, once the batch is
/// handed out whole.
#[derive(Debug)]
pub struct OutboxReceiver {
    queue: Arc<Queue>,
    /// Frames taken from the queue and not handed out yet.
    taken: VecDeque<OutFrame>,
    /// What `taken` held when it was taken: given back to the queue's
    /// bounds at the next take, once `taken` is empty.
    batch: Batch,
}

impl OutboxReceiver {
    /// The next queued frame, once there is one; `None` when every
    /// [`Outbox`] is gone, the session is gone (see
    /// [`OutboxReceiver::session_alive`]) or the queue was closed, and
    /// what was queued is taken.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<OutFrame>> {
        if let Some(frame) = self.taken.pop_front() {
            return Poll::Ready(Some(frame));
        }
        match self.refill(|queue, handed_out, buf| queue.poll_take(cx, handed_out, buf)) {
            Poll::Ready(Some(batch)) => {
                self.batch = batch;
                Poll::Ready(self.taken.pop_front())
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The next queued frame, waiting for it.
    pub async fn recv(&mut self) -> Option<OutFrame> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next queued frame, without waiting.
    ///
    /// # Errors
    /// When nothing is queued, or every [`Outbox`] is gone.
    pub fn try_recv(&mut self) -> Result<OutFrame, TryRecvError> {
        if self.taken.is_empty() {
            self.batch = self.refill(|queue, handed_out, buf| queue.take_now(handed_out, buf))?;
        }
        self.taken.pop_front().ok_or(TryRecvError::Empty)
    }

    /// Give the last batch back and take the next into `taken` (empty)
    /// with `take`. The deque and the vector share their buffer both ways
    /// (an empty deque becomes a vector, and a vector a deque, without a
    /// copy).
    fn refill<T>(&mut self, take: impl FnOnce(&Queue, Batch, &mut Vec<OutFrame>) -> T) -> T {
        let mut buf = Vec::from(std::mem::take(&mut self.taken));
        let taken = take(&self.queue, std::mem::take(&mut self.batch), &mut buf);
        self.taken = VecDeque::from(buf);
        taken
    }

    /// A guard for the session to hold: once it is dropped, the queue ends
    /// when what is queued is taken, even while boards still hold outboxes.
    pub fn session_alive(&self) -> SessionAlive {
        SessionAlive(self.queue.clone())
    }

    /// Whether the queue has overflowed (the session is to be closed as a
    /// slow consumer).
    pub fn overflowed(&self) -> bool {
        self.queue.is_cut()
    }

    /// Resolves once the queue has overflowed.
    pub async fn wait_overflow(&self) {
        self.queue.wait_cut().await;
    }

    /// Refuse further frames; [`Outbox::is_closed`] turns `true`.
    pub fn close(&mut self) {
        self.queue.close();
    }
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl Outbox {
    /// Bound the queue to `max_bytes` of queued payload as well as its
    /// frame count (the default is [`DEFAULT_QUEUE_BYTES`]). Set before
    /// the outbox is cloned: each clone keeps the bounds it was made with.
    pub fn with_byte_limit(mut self, max_bytes: usize) -> Outbox {
        self.tx.limits.bytes = max_bytes;
        self
    }

    /// Count this session's cut, if its queue overflows, in `stats`
    /// (`slow_consumers_cut`, once per session). Set once; a second call
    /// changes nothing.
    pub fn counting_cuts_in(self, stats: Arc<ActorStats>) -> Outbox {
        let _ = self.tx.queue.stats.set(stats);
        self
    }

    /// Let boards attach this session to at most `max` of them at once
    /// (unlimited by default). Set before the outbox is cloned.
    pub fn with_subscription_limit(mut self, max: usize) -> Outbox {
        self.slots = SubscriptionSlots::new(max);
        self
    }

    /// The boards that hold this session now.
    pub fn subscriptions_held(&self) -> usize {
        SubscriptionSlots::boards_held(&self.slots.held())
    }

    /// Whether `board` holds this session now: `false` once the board has
    /// let it go, whoever ended the subscription.
    pub fn held_by(&self, board: BoardId) -> bool {
        self.slots.held().contains_key(&Channel::Board(board))
    }

    /// Whether `org`'s channel holds this session now.
    pub fn held_by_org(&self, org: OrgId) -> bool {
        self.slots.held().contains_key(&Channel::Org(org))
    }

    /// The most boards that may hold this session at once, if limited.
    pub fn subscription_limit(&self) -> Option<usize> {
        (self.slots.max != usize::MAX).then_some(self.slots.max)
    }

    /// Take a slot for `channel`; `None` when it is a board and the
    /// session holds its limit of boards (org channels are not limited).
    pub(crate) fn take_slot(&self, channel: Channel) -> Option<Slot> {
        let mut held = self.slots.held();
        if matches!(channel, Channel::Board(_))
            && SubscriptionSlots::boards_held(&held) >= self.slots.max
        {
            return None;
        }
        *held.entry(channel).or_default() += 1;
        Some(Slot {
            slots: self.slots.clone(),
            channel,
        })
    }

    /// Count every message queued through this outbox (and its clones).
    pub fn with_counter(mut self, counter: Arc<dyn SentCounter>) -> Outbox {
        self.counter = Some(counter);
        self
    }

    /// Record `n` queued messages of type `kind`.
    pub(crate) fn count(&self, kind: &'static str, n: u64) {
        if let Some(counter) = &self.counter {
            counter.sent(kind, n);
        }
    }

    /// The session this outbox belongs to.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// The wire format of the session.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Queue a frame without waiting.
    ///
    /// # Errors
    /// [`PushError::Overflow`] when the queue is full (the session is then
    /// flagged for closing) or was found full before (a cut session takes
    /// nothing more, even once its writer has made room: it is closing),
    /// [`PushError::Closed`] when the session is gone.
    pub fn push(&self, frame: OutFrame) -> Result<(), PushError> {
        self.tx.push(frame, self.session)
    }

    /// Encode `msg` in this session's format and queue it.
    ///
    /// # Errors
    /// As [`Outbox::push`].
    pub fn send(&self, msg: &ServerMsg) -> Result<(), PushError> {
        self.push(OutFrame::encode(msg, self.format))?;
        self.count(msg.kind(), 1);
        Ok(())
    }

    /// Queue a message encoded once for many sessions, in this session's
    /// format.
    ///
    /// # Errors
    /// As [`Outbox::push`].
    pub fn push_shared(&self, frame: &SharedFrame) -> Result<(), PushError> {
        self.push(frame.frame(self.format))?;
        self.count(frame.msg().kind(), 1);
        Ok(())
    }

    /// Whether the session's writer is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.queue.is_closed()
    }

    /// Whether the session was cut as a slow consumer (its queue was found
    /// full): it takes nothing more and is being closed.
    pub fn is_cut(&self) -> bool {
        self.tx.queue.is_cut()
    }
}

/// A server message encoded at most once per wire format, however many
/// subscribers receive it.
#[derive(Debug)]
pub struct SharedFrame {
    msg: ServerMsg,
    json: OnceLock<OutFrame>,
    msgpack: OnceLock<OutFrame>,
}

impl SharedFrame {
    /// Wrap a message; nothing is encoded until a subscriber needs it.
    pub fn new(msg: ServerMsg) -> Self {
        SharedFrame {
            msg,
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
        }
    }

    /// The frame for `format`, encoding it on first use.
    pub fn frame(&self, format: Format) -> OutFrame {
        let cell = match format {
            Format::Json => &self.json,
            Format::MsgPack => &self.msgpack,
        };
        cell.get_or_init(|| OutFrame::encode(&self.msg, format))
            .clone()
    }

    /// The message itself.
    pub fn msg(&self) -> &ServerMsg {
        &self.msg
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Debug, Default)]
    struct Tally(Mutex<Vec<(&'static str, u64)>>);

    impl SentCounter for Tally {
        fn sent(&self, kind: &'static str, n: u64) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push((kind, n));
            }
        }
    }

    #[test]
    fn the_queue_is_bounded_in_bytes_as_well_as_frames() {
        let SessionQueue {
            outbox,
            mut receiver,
        } = SessionQueue::new(SessionId(1), Format::Json, 100);
        let outbox = outbox.with_byte_limit(1000);
        let frame = || OutFrame::Binary(bytes::Bytes::from(vec![0u8; 400]));
        assert!(outbox.push(frame()).is_ok());
        assert!(outbox.push(frame()).is_ok());
        // The writer takes both at once and hands them out; they are given
        // back to the bound when it next takes.
        receiver.try_recv().expect("queued");
        receiver.try_recv().expect("queued");
        assert!(receiver.try_recv().is_err(), "nothing more queued");
        assert!(outbox.push(frame()).is_ok());
        assert!(outbox.push(frame()).is_ok());
        assert_eq!(
            outbox.push(frame()),
            Err(PushError::Overflow),
            "1,200 bytes > 1,000"
        );
        assert!(receiver.overflowed());
        // The cut is final: room made afterwards takes nothing more.
        receiver.try_recv().expect("queued");
        receiver.try_recv().expect("queued");
        assert!(receiver.try_recv().is_err());
        assert_eq!(outbox.push(frame()), Err(PushError::Overflow));
        assert!(outbox.is_cut());
    }

    #[test]
    fn frames_taken_but_not_handed_out_still_count() {
        let SessionQueue {
            outbox,
            mut receiver,
        } = SessionQueue::new(SessionId(1), Format::Json, 3);
        let outbox = outbox.with_byte_limit(1000);
        let frame = || OutFrame::Binary(bytes::Bytes::from(vec![0u8; 400]));
        assert!(outbox.push(frame()).is_ok());
        assert!(outbox.push(frame()).is_ok());
        // One handed out, one still in the receiver's hand: 800 bytes
        // count until the whole batch is out.
        receiver.try_recv().expect("queued");
        assert_eq!(outbox.push(frame()), Err(PushError::Overflow));

        let SessionQueue {
            outbox,
            mut receiver,
        } = SessionQueue::new(SessionId(2), Format::Json, 3);
        for _ in 0..3 {
            assert!(outbox.push(OutFrame::Ping).is_ok());
        }
        // None queued, three in hand: the bound of three frames holds.
        receiver.try_recv().expect("queued");
        assert_eq!(outbox.push(OutFrame::Ping), Err(PushError::Overflow));
        assert!(outbox.is_cut());
    }

    #[test]
    fn a_cut_the_receiver_was_not_waiting_for_still_ends_its_queue() {
        use std::task::{Context, Poll, Waker};
        let SessionQueue {
            outbox,
            mut receiver,
        } = SessionQueue::new(SessionId(1), Format::Json, 2);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(outbox.push(OutFrame::Ping).is_ok());
        // The writer takes a frame: it is not waiting, so the push that
        // cuts the queue (one queued, one in hand) wakes nobody.
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert!(outbox.push(OutFrame::Ping).is_ok());
        assert_eq!(outbox.push(OutFrame::Ping), Err(PushError::Overflow));
        // What was queued before the cut may still go; then the queue
        // ends instead of waiting for a push that can never come.
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert!(matches!(receiver.poll_recv(&mut cx), Poll::Ready(None)));
        assert!(receiver.overflowed());
    }

    #[test]
    fn a_cut_is_counted_once_however_often_the_queue_is_found_full() {
        let stats = Arc::new(ActorStats::default());
        let SessionQueue { outbox, receiver } = SessionQueue::new(SessionId(1), Format::Json, 1);
        let outbox = outbox.counting_cuts_in(stats.clone());
        let other_board = outbox.clone();
        assert!(outbox.push(OutFrame::Ping).is_ok());
        assert_eq!(stats.snapshot().slow_consumers_cut, 0);
        assert_eq!(outbox.push(OutFrame::Ping), Err(PushError::Overflow));
        assert_eq!(other_board.push(OutFrame::Ping), Err(PushError::Overflow));
        assert_eq!(outbox.push(OutFrame::Ping), Err(PushError::Overflow));
        assert!(receiver.overflowed());
        assert_eq!(stats.snapshot().slow_consumers_cut, 1);
    }

    #[test]
    fn one_frame_larger_than_the_bound_fits_an_empty_queue() {
        let SessionQueue {
            outbox,
            receiver: _receiver,
        } = SessionQueue::new(SessionId(1), Format::Json, 4);
        let outbox = outbox.with_byte_limit(10);
        assert!(outbox
            .push(OutFrame::Binary(bytes::Bytes::from(vec![0u8; 50])))
            .is_ok());
        assert_eq!(
            outbox.push(OutFrame::Binary(bytes::Bytes::from(vec![0u8; 1]))),
            Err(PushError::Overflow)
        );
    }

    #[test]
    fn queued_messages_are_counted_by_type_and_refused_ones_are_not() {
        let tally = Arc::new(Tally::default());
        let SessionQueue {
            outbox,
            receiver: _receiver,
        } = SessionQueue::new(SessionId(1), Format::Json, 2);
        let outbox = outbox.with_counter(tally.clone());
        let pong = ServerMsg::Pong { nonce: Some(1) };
        assert!(outbox.send(&pong).is_ok());
        let shared = SharedFrame::new(pong.clone());
        assert!(outbox.clone().push_shared(&shared).is_ok());
        // The queue (2) is full: nothing more is counted.
        assert_eq!(outbox.send(&pong), Err(PushError::Overflow));
        let seen = tally.0.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen, vec![("pong", 1), ("pong", 1)]);
    }
}
