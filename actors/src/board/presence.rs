//! Presence on a board: who is subscribed and what they show (an item, a
//! cursor). Ephemeral: it lives in the subscriber entries of the board's
//! actor and is never persisted. Updates are throttled per session
//! ([`PRESENCE_MIN_INTERVAL_MS`]): within the interval the latest state is
//! kept and sent when it ends, so others always end on the latest state.
//! Notices go out through the board's [`Fanout`](crate::fanout::Fanout),
//! under its overflow policy; whoever it removes is announced as `left`.

use std::time::{Duration, Instant};

use actix::prelude::*;
use protocol::wire::PRESENCE_MIN_INTERVAL_MS;
use protocol::{PresenceChange, PresenceEntry, PresenceState, ServerMsg};

use super::handlers::Atomic;
use super::{BoardActor, BoardSubscriber, Removed, Reply};
use crate::caller::Caller;
use crate::fanout::Subscriber;
use crate::outbox::{SessionId, SharedFrame};

/// A session's new presence state on this board.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SetPresence {
    pub session: SessionId,
    pub state: PresenceState,
}

/// Who is present on the board, for a caller allowed to read it.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct ReadPresence {
    pub user: Caller,
    pub reply: Reply<Vec<PresenceEntry>>,
}

impl Handler<ReadPresence> for BoardActor {
    type Result = Atomic;

    fn handle(&mut self, msg: ReadPresence, ctx: &mut Self::Context) -> Atomic {
        self.read_with(ctx, msg.user, msg.reply, |act| act.everyone_present())
    }
}

const MIN_INTERVAL: Duration = Duration::from_millis(PRESENCE_MIN_INTERVAL_MS);

pub(super) fn entry(session: SessionId, sub: &Subscriber<BoardSubscriber>) -> PresenceEntry {
    PresenceEntry {
        session: session.to_string(),
        user: sub.state.user.actor_id(),
        state: sub.state.presence.clone(),
    }
}

impl BoardActor {
    /// A subscriber was registered: give it everyone present, and tell the
    /// others it joined (unless it was already subscribed).
    pub(super) fn joined(&mut self, session: SessionId, rejoined: bool) {
        let Some(sub) = self.subscribers.get(session) else {
            return;
        };
        let sessions = self.everyone_present();
        let _ = sub.outbox().send(&ServerMsg::Presence {
            board: self.id,
            sessions,
        });
        if !rejoined {
            self.announce(session, PresenceChange::Joined);
        }
    }

    /// Who is present: this node's subscribers, then other nodes'.
    fn everyone_present(&self) -> Vec<PresenceEntry> {
        let local = self.subscribers.iter().map(|(s, sub)| entry(s, sub));
        let remote = self.remote.values().map(|(_, entry)| entry.clone());
        local.chain(remote).collect()
    }

    fn announce(&mut self, session: SessionId, change: PresenceChange) {
        let Some(sub) = self.subscribers.get(session) else {
            return;
        };
        let entry = entry(session, sub);
        self.tell_nodes(change, &entry);
        let frame = SharedFrame::new(ServerMsg::PresenceChanged {
            board: self.id,
            change,
            entry,
        });
        self.publish(&frame, Some(session));
    }

    /// Remove `session` (if subscribed) and tell the others it left.
    pub(super) fn remove_subscriber(&mut self, session: SessionId) {
        if let Some(sub) = self.subscribers.remove(session) {
            self.left(vec![(session, sub)]);
        }
    }

    /// Tell the remaining subscribers that `removed` left. Sessions the
    /// fan-out removes while doing so are announced in turn.
    pub(super) fn left(&mut self, mut removed: Removed) {
        while let Some((session, sub)) = removed.pop() {
            let entry = entry(session, &sub);
            self.tell_nodes(PresenceChange::Left, &entry);
            let frame = SharedFrame::new(ServerMsg::PresenceChanged {
                board: self.id,
                change: PresenceChange::Left,
                entry,
            });
            removed.extend(self.subscribers.publish(&frame, None).removed);
        }
    }

    /// Send a pending (throttled) update of `session`, if still wanted.
    fn flush_presence(&mut self, session: SessionId) {
        let Some(sub) = self.subscribers.get_mut(session) else {
            return;
        };
        let sub = &mut sub.state;
        if !sub.presence_pending {
            return;
        }
        sub.presence_pending = false;
        sub.presence_sent = Some(Instant::now());
        self.announce(session, PresenceChange::Updated);
    }
}

impl Handler<SetPresence> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: SetPresence, ctx: &mut Self::Context) {
        let Some(sub) = self.subscribers.get_mut(msg.session) else {
            return;
        };
        let sub = &mut sub.state;
        sub.presence = msg.state;
        if sub.presence_pending {
            return; // a flush is already scheduled; it sends the latest state
        }
        let wait = sub
            .presence_sent
            .map(|sent| MIN_INTERVAL.saturating_sub(sent.elapsed()))
            .unwrap_or_default();
        sub.presence_pending = true;
        if wait.is_zero() {
            self.flush_presence(msg.session);
        } else {
            let session = msg.session;
            ctx.run_later(wait, move |act, _| act.flush_presence(session));
        }
    }
}
