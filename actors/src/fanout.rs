//! Fan-out: the sessions one channel pushes to (a board's subscribers, or
//! an organization's channel), and the one overflow policy every channel
//! follows. Board events, presence notices and org events all go out
//! through [`Fanout::publish`].
//!
//! # Overflow policy
//!
//! - **Nothing waits on a subscriber.** A frame is queued with `try_send`
//!   into the session's bounded [`Outbox`]; a channel never blocks, retries
//!   or buffers on a subscriber's behalf.
//! - **A full queue cuts the session.** The push that finds the queue full
//!   (in frames or bytes) flags it; from then on every push to that session,
//!   from any channel, fails, and its writer closes the socket with
//!   [`CLOSE_SLOW_CONSUMER`](crate::CLOSE_SLOW_CONSUMER) (4008). The cut is
//!   counted once in `slow_consumers_cut`, by the outbox, whichever channel
//!   (or reply of the session's own) found the queue full first.
//! - **A cut session leaves every channel at its next push.** Each channel
//!   removes it the next time it publishes (or at its idle sweep), so the
//!   session's subscription slots are given back without any message to it.
//! - **A closed queue is removed silently.** The session is gone; nothing
//!   is counted or logged.
//! - **What a channel does about those it removed is its own business:** a
//!   board tells the others they left (presence), an org channel does
//!   nothing more. [`Published::removed`] hands them back for that.
//!
//! # Counting
//!
//! Every frame a publish queues is counted by message type once per
//! publish, in the sessions' [`SentCounter`](crate::SentCounter)
//! (`corkboard_ws_messages_out_total{type}`), the same way for every
//! channel. `deliveries` (`corkboard_event_deliveries_total`) counts board
//! *events* only — events × subscribers — because that is what clients
//! receive of the board's log and what the load test checks the server's
//! figure against; presence notices and org events are not in it. The
//! caller adds [`Published::delivered`] to it for events.
//!
//! The publish loop is the hot path of every board: per subscriber it
//! clones a reference-counted frame and makes one `try_send`, and it
//! allocates only when someone is removed.

use std::collections::HashMap;

use protocol::{BoardId, OrgId};

use crate::outbox::{Channel, Outbox, PushError, SessionId, SharedFrame, Slot};

/// The sessions one channel pushes to, each with what the channel keeps
/// about it (`S`: a board's presence, an org channel's caller).
#[derive(Debug)]
pub struct Fanout<S> {
    channel: Channel,
    subscribers: HashMap<SessionId, Subscriber<S>>,
}

/// One session on a channel.
#[derive(Debug)]
pub struct Subscriber<S> {
    outbox: Outbox,
    /// The slot this channel holds of the session's (see
    /// `Outbox::subscriptions_held`); given back when this is dropped.
    slot: Slot,
    /// What the channel keeps about the session.
    pub state: S,
}

impl<S> Subscriber<S> {
    /// The session's outbound queue.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The slot and the state, e.g. to keep them when the session
    /// subscribes again.
    pub(crate) fn into_parts(self) -> (Slot, S) {
        (self.slot, self.state)
    }

    /// Give the session's slot back and keep its queue, to tell it why it
    /// was let go: a session that hears it no longer counts this channel.
    pub fn into_outbox(self) -> Outbox {
        self.outbox
    }
}

/// What one [`Fanout::publish`] did.
#[derive(Debug)]
#[must_use = "the removed subscribers may need to be told about (presence)"]
pub struct Published<S> {
    /// Sessions the frame was queued for.
    pub delivered: u64,
    /// Sessions removed from the channel because their queue was full (cut)
    /// or closed (gone), with what the channel kept about them.
    pub removed: Vec<(SessionId, Subscriber<S>)>,
}

/// The session holds as many boards as it may (see
/// `Outbox::with_subscription_limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitReached;

impl<S> Fanout<S> {
    /// The subscribers of `board`.
    pub fn for_board(board: BoardId) -> Self {
        Fanout::new(Channel::Board(board))
    }

    /// The followers of `org`'s channel.
    pub fn for_org(org: OrgId) -> Self {
        Fanout::new(Channel::Org(org))
    }

    fn new(channel: Channel) -> Self {
        Fanout {
            channel,
            subscribers: HashMap::new(),
        }
    }

    /// Take a slot for `outbox`'s session on this channel, before anything
    /// is sent to it; `None` when it holds its limit of boards (org
    /// channels are not limited).
    pub(crate) fn reserve(&self, outbox: &Outbox) -> Option<Slot> {
        outbox.take_slot(self.channel)
    }

    /// Add `outbox`'s session in `slot`; returns the subscriber it
    /// replaces, if the session was on the channel already.
    pub(crate) fn insert(&mut self, outbox: Outbox, slot: Slot, state: S) -> Option<Subscriber<S>> {
        let session = outbox.session();
        self.subscribers.insert(
            session,
            Subscriber {
                outbox,
                slot,
                state,
            },
        )
    }

    /// Take a slot for `outbox`'s session and add it (replacing it if it
    /// was on the channel already).
    ///
    /// # Errors
    /// [`LimitReached`] when the session holds its limit of boards; nothing
    /// is added.
    pub fn attach(&mut self, outbox: Outbox, state: S) -> Result<(), LimitReached> {
        let slot = self.reserve(&outbox).ok_or(LimitReached)?;
        self.insert(outbox, slot, state);
        Ok(())
    }

    /// Queue `frame` (encoded at most once per wire format) for every
    /// subscriber but `except`, and remove those whose queue is full or
    /// closed (see the module's overflow policy).
    pub fn publish(&mut self, frame: &SharedFrame, except: Option<SessionId>) -> Published<S> {
        let mut delivered = 0;
        let mut failed = Vec::new();
        // Counted once per publish below, not once per subscriber: every
        // session of a server shares one counter.
        let mut counter = None;
        for (session, sub) in &self.subscribers {
            if Some(*session) == except {
                continue;
            }
            match sub.outbox.push(frame.frame(sub.outbox.format())) {
                Ok(()) => {
                    delivered += 1;
                    counter.get_or_insert(&sub.outbox);
                }
                Err(PushError::Overflow) => {
                    // Counted by the outbox, once per session.
                    tracing::debug!(channel = ?self.channel, %session, "slow consumer removed");
                    failed.push(*session);
                }
                Err(PushError::Closed) => failed.push(*session),
            }
        }
        if let Some(outbox) = counter {
            outbox.count(frame.msg().kind(), delivered);
        }
        Published {
            delivered,
            removed: self.remove_all(failed),
        }
    }

    /// Remove every subscriber `which` picks; returns them.
    pub fn remove_where(
        &mut self,
        mut which: impl FnMut(&Subscriber<S>) -> bool,
    ) -> Vec<(SessionId, Subscriber<S>)> {
        let picked = self
            .subscribers
            .iter()
            .filter(|(_, sub)| which(sub))
            .map(|(session, _)| *session)
            .collect();
        self.remove_all(picked)
    }

    /// Remove the subscribers whose session is gone or was cut (the idle
    /// sweep: a channel that publishes nothing still lets them go).
    pub fn remove_gone(&mut self) -> Vec<(SessionId, Subscriber<S>)> {
        self.remove_where(|sub| sub.outbox.is_closed() || sub.outbox.is_cut())
    }

    fn remove_all(&mut self, sessions: Vec<SessionId>) -> Vec<(SessionId, Subscriber<S>)> {
        sessions
            .into_iter()
            .filter_map(|session| Some((session, self.subscribers.remove(&session)?)))
            .collect()
    }

    /// Remove `session`; returns it if it was on the channel.
    pub fn remove(&mut self, session: SessionId) -> Option<Subscriber<S>> {
        self.subscribers.remove(&session)
    }

    /// The subscriber of `session`, if on the channel.
    pub fn get(&self, session: SessionId) -> Option<&Subscriber<S>> {
        self.subscribers.get(&session)
    }

    /// The subscriber of `session`, to change its state.
    pub fn get_mut(&mut self, session: SessionId) -> Option<&mut Subscriber<S>> {
        self.subscribers.get_mut(&session)
    }

    /// Whether `session` is on the channel.
    pub fn contains(&self, session: SessionId) -> bool {
        self.subscribers.contains_key(&session)
    }

    /// Every subscriber, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (SessionId, &Subscriber<S>)> {
        self.subscribers
            .iter()
            .map(|(session, sub)| (*session, sub))
    }

    /// How many sessions are on the channel.
    pub fn len(&self) -> usize {
        self.subscribers.len()
    }

    /// Whether no session is on the channel.
    pub fn is_empty(&self) -> bool {
        self.subscribers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use protocol::{Format, ServerMsg};
    use uuid::Uuid;

    use super::*;
    use crate::outbox::{OutboxReceiver, SentCounter, SessionQueue};
    use crate::stats::ActorStats;

    const BOARD: BoardId = BoardId(Uuid::from_u128(0xb1));
    const OTHER_BOARD: BoardId = BoardId(Uuid::from_u128(0xb2));

    #[derive(Debug, Default)]
    struct Tally(Mutex<Vec<(&'static str, u64)>>);

    impl SentCounter for Tally {
        fn sent(&self, kind: &'static str, n: u64) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push((kind, n));
            }
        }
    }

    fn pong() -> SharedFrame {
        SharedFrame::new(ServerMsg::Pong { nonce: Some(7) })
    }

    /// A session with a queue of `capacity` frames, counting its cut in
    /// `stats` and what it is sent in `tally`.
    fn session(
        n: u64,
        capacity: usize,
        stats: &Arc<ActorStats>,
        tally: &Arc<Tally>,
    ) -> (Outbox, OutboxReceiver) {
        let SessionQueue { outbox, receiver } =
            SessionQueue::new(SessionId(n), Format::Json, capacity);
        let outbox = outbox
            .counting_cuts_in(stats.clone())
            .with_counter(tally.clone());
        (outbox, receiver)
    }

    fn sessions(removed: &[(SessionId, Subscriber<()>)]) -> Vec<SessionId> {
        removed.iter().map(|(session, _)| *session).collect()
    }

    #[test]
    fn a_publish_reaches_every_subscriber_but_the_one_excepted_and_is_counted_once() {
        let (stats, tally) = (Arc::default(), Arc::<Tally>::default());
        let mut fanout = Fanout::for_board(BOARD);
        let mut receivers = Vec::new();
        for n in 1..=3 {
            let (outbox, receiver) = session(n, 8, &stats, &tally);
            fanout.attach(outbox, ()).expect("no limit");
            receivers.push(receiver);
        }
        let published = fanout.publish(&pong(), Some(SessionId(2)));
        assert_eq!(published.delivered, 2);
        assert!(published.removed.is_empty());
        let got: Vec<bool> = receivers.iter_mut().map(|r| r.try_recv().is_ok()).collect();
        assert_eq!(got, [true, false, true], "session 2 was skipped");
        let seen = tally.0.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen, [("pong", 2)], "one count per publish, by type");
        assert_eq!(stats.snapshot().slow_consumers_cut, 0);
    }

    #[test]
    fn a_full_queue_is_cut_once_and_every_channel_removes_it_at_its_next_push() {
        let (stats, tally) = (Arc::default(), Arc::<Tally>::default());
        let (slow, mut slow_rx) = session(1, 1, &stats, &tally);
        let (fast, mut fast_rx) = session(2, 8, &stats, &tally);
        let mut board = Fanout::for_board(BOARD);
        let mut other = Fanout::for_board(OTHER_BOARD);
        let mut org = Fanout::for_org(OrgId(Uuid::from_u128(0xa1)));
        for fanout in [&mut board, &mut other, &mut org] {
            fanout.attach(slow.clone(), ()).expect("no limit");
            fanout.attach(fast.clone(), ()).expect("no limit");
        }
        assert_eq!(slow.subscriptions_held(), 2);

        assert_eq!(board.publish(&pong(), None).delivered, 2);
        let published = board.publish(&pong(), None);
        assert_eq!(published.delivered, 1, "the fast session still gets it");
        assert_eq!(sessions(&published.removed), [SessionId(1)]);
        drop(published);
        assert!(slow_rx.overflowed(), "the writer closes it with 4008");
        // The writer takes a frame: there is room again, but the session
        // stays cut, and each other channel drops it at its next push.
        slow_rx.try_recv().expect("the first frame");
        for fanout in [&mut other, &mut org] {
            let published = fanout.publish(&pong(), None);
            assert_eq!(sessions(&published.removed), [SessionId(1)]);
            assert_eq!(published.delivered, 1);
        }
        assert_eq!(stats.snapshot().slow_consumers_cut, 1, "counted once");
        assert_eq!(slow.subscriptions_held(), 0, "every slot given back");
        assert!(!slow.held_by(BOARD) && !slow.held_by(OTHER_BOARD));
        assert!(!fast_rx.overflowed());
        assert_eq!(std::iter::from_fn(|| fast_rx.try_recv().ok()).count(), 4);
    }

    #[test]
    fn a_closed_queue_is_removed_without_being_counted_as_cut() {
        let (stats, tally) = (Arc::<ActorStats>::default(), Arc::<Tally>::default());
        let (gone, gone_rx) = session(1, 8, &stats, &tally);
        let mut fanout = Fanout::for_board(BOARD);
        fanout.attach(gone.clone(), ()).expect("no limit");
        drop(gone_rx);
        let published = fanout.publish(&pong(), None);
        assert_eq!(published.delivered, 0);
        assert_eq!(sessions(&published.removed), [SessionId(1)]);
        assert_eq!(stats.snapshot().slow_consumers_cut, 0);
        assert!(fanout.is_empty());
        drop(published);
        assert_eq!(gone.subscriptions_held(), 0, "the slot is given back");
        let seen = tally.0.lock().map(|s| s.clone()).unwrap_or_default();
        assert!(seen.is_empty(), "nothing was queued: {seen:?}");
    }

    #[test]
    fn the_idle_sweep_removes_cut_and_closed_sessions_only() {
        let (stats, tally) = (Arc::default(), Arc::<Tally>::default());
        let (cut, _cut_rx) = session(1, 1, &stats, &tally);
        let (closed, closed_rx) = session(2, 8, &stats, &tally);
        let (live, _live_rx) = session(3, 8, &stats, &tally);
        let mut fanout = Fanout::for_board(BOARD);
        for outbox in [&cut, &closed, &live] {
            fanout.attach(outbox.clone(), ()).expect("no limit");
        }
        // Another channel (or a reply) found the queue full.
        let _ = cut.send(&ServerMsg::Pong { nonce: None });
        assert_eq!(
            cut.send(&ServerMsg::Pong { nonce: None }),
            Err(PushError::Overflow)
        );
        drop(closed_rx);
        let mut removed = sessions(&fanout.remove_gone());
        removed.sort();
        assert_eq!(removed, [SessionId(1), SessionId(2)]);
        assert!(fanout.contains(SessionId(3)));
    }

    #[test]
    fn attaching_takes_a_slot_within_the_limit_and_removing_gives_it_back() {
        let (stats, tally) = (Arc::default(), Arc::<Tally>::default());
        let (outbox, _rx) = session(1, 8, &stats, &tally);
        let outbox = outbox.with_subscription_limit(1);
        let (mut first, mut second) = (Fanout::for_board(BOARD), Fanout::for_board(OTHER_BOARD));
        let mut org = Fanout::for_org(OrgId(Uuid::from_u128(0xa1)));
        first.attach(outbox.clone(), ()).expect("room for one");
        assert_eq!(second.attach(outbox.clone(), ()), Err(LimitReached));
        org.attach(outbox.clone(), ())
            .expect("org channels are not limited");
        assert!(second.is_empty());
        assert!(first.remove(outbox.session()).is_some());
        second
            .attach(outbox.clone(), ())
            .expect("the slot was given back");
        assert!(outbox.held_by(OTHER_BOARD) && !outbox.held_by(BOARD));
    }
}
