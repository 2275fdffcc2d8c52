//! The org channel: the organization's public events, pushed (encoded
//! once) to every session following the organization after they are
//! committed (see `submit`). A member who is removed loses, at once, the
//! org channel and every board subscription of the organization
//! (`access_lost`).

use actix::prelude::*;
use protocol::{Member, OrgEvent, ServerMsg, UserId};

use super::{OrgActor, OrgSubscriber, Reply};
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
    /// Push `event` (decided at `at`) to every follower; drop the ones
    /// that are gone or too slow (their writer closes them as slow
    /// consumers).
    pub(super) fn publish(&mut self, event: OrgEvent, at: protocol::Millis) {
        let frame = SharedFrame::new(ServerMsg::OrgEvent {
            org: self.id,
            at,
            event,
        });
        self.subscribers
            .retain(|_, sub| match sub.outbox.push_shared(&frame) {
                Ok(()) => true,
                Err(PushError::Overflow | PushError::Closed) => false,
            });
    }

    /// Cut `user` (`None`: everyone, API keys too, as when the
    /// organization is deleted) off the org channel and every live board
    /// of the org.
    pub(super) fn revoke_access(&mut self, user: Option<UserId>) {
        let org = self.id;
        let lost = user.map(Caller::User);
        self.subscribers.retain(|_, sub| {
            if lost.is_some_and(|lost| sub.caller != lost) {
                return true;
            }
            let _ = sub.outbox.send(&ServerMsg::OrgUnsubscribed {
                org,
                reason: protocol::codes::ACCESS_LOST.into(),
            });
            false
        });
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
            Ok(()) => {
                self.subscribers.insert(
                    msg.outbox.session(),
                    OrgSubscriber {
                        caller: msg.caller,
                        _slot: msg.outbox.take_org_slot(org.id),
                        outbox: msg.outbox,
                    },
                );
                Ok(())
            }
            Err(PushError::Overflow) => Err(ActorError::Overloaded),
            Err(PushError::Closed) => Err(ActorError::Unavailable("session closed".into())),
        };
        let _ = msg.reply.send(result);
    }
}

impl Handler<UnsubscribeOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: UnsubscribeOrg, _: &mut Self::Context) {
        self.subscribers.remove(&msg.session);
    }
}
