//! The org channel: the organization's public events, pushed (encoded
//! once) to every session following the organization after they are
//! committed (see `submit`). A member who is removed loses, at once, the
//! org channel and every board subscription of the organization
//! (`access_lost`). The channel's followers are a
//! [`Fanout`](crate::fanout::Fanout), under its overflow policy: a follower
//! whose queue is full is cut and removed like a board's subscriber.

use actix::prelude::*;
use protocol::{Member, OrgEvent, ServerMsg, UserId};

use super::{OrgActor, Reply};
use crate::board::AccessLost;
use crate::caller::Caller;
use crate::error::ActorError;
use crate::outbox::{Outbox, PushError, SessionId, SharedFrame};

/// Follow the org channel.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SubscribeOrg {
    pub caller: Caller,
    pub outbox: Outbox,
    pub reply: Reply<()>,
}

/// Stop following the org channel.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct UnsubscribeOrg {
    pub session: SessionId,
}

impl OrgActor {
    /// Push `event` (decided at `at`) to every follower. Those the
    /// fan-out removes (gone, or cut as slow consumers) need no notice.
    pub(super) fn publish(&mut self, event: OrgEvent, at: protocol::Millis) {
        let frame = SharedFrame::new(ServerMsg::OrgEvent {
            org: self.id,
            at,
            event,
        });
        let _removed = self.subscribers.publish(&frame, None);
    }

    /// Cut `user` (`None`: everyone, API keys too, as when the
    /// organization is deleted) off the org channel and every live board
    /// of the org.
    pub(super) fn revoke_access(&mut self, user: Option<UserId>) {
        let lost = user.map(Caller::User);
        for (_, sub) in self
            .subscribers
            .remove_where(|sub| lost.is_none_or(|lost| sub.state == lost))
        {
            let _ = sub.into_outbox().send(&ServerMsg::OrgUnsubscribed {
                org: self.id,
                reason: protocol::codes::ACCESS_LOST.into(),
            });
        }
        // From the state, not the view: a deleted organization has no view
        // left, but its boards still have sessions to cut off.
        for board in self.state.board_order.clone() {
            // Best effort is enough: a board that misses this (mailbox
            // full) still refuses the user's next command and subscribe,
            // because it checks the roster on every request.
            self.registry.send_live_board(board, AccessLost { user });
        }
    }
}

impl Handler<SubscribeOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: SubscribeOrg, ctx: &mut Self::Context) {
        self.last_used = std::time::Instant::now();
        if let Some(err) = self.fail_and_retire(ctx) {
            let _ = msg.reply.send(Err(err));
            return;
        }
        let Some(org) = &self.org else {
            let _ = msg.reply.send(Err(ActorError::NotFound));
            return;
        };
        if msg.caller.role_in(org).is_none() {
            let _ = msg.reply.send(Err(ActorError::NotFound));
            return;
        }
        let snapshot = ServerMsg::OrgSnapshot {
            org: org.id,
            name: org.name.clone(),
            key: org.key.clone(),
            members: org
                .members
                .iter()
                .map(|(user, role)| Member {
                    user: *user,
                    role: *role,
                })
                .collect(),
            boards: org.boards.clone(),
        };
        let result = match msg.outbox.send(&snapshot) {
            // Org channels take no slot the subscription limit counts.
            Ok(()) => self
                .subscribers
                .attach(msg.outbox, msg.caller)
                .map_err(|_| ActorError::Internal("an org channel refused a slot".into())),
            Err(PushError::Overflow) => Err(ActorError::Overloaded),
            Err(PushError::Closed) => Err(ActorError::Unavailable("session closed".into())),
        };
        let _ = msg.reply.send(result);
    }
}

impl Handler<UnsubscribeOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: UnsubscribeOrg, _: &mut Self::Context) {
        self.subscribers.remove(msg.session);
    }
}
