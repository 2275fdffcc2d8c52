//! The org channel: membership and board-directory changes, applied to the
//! live roster and pushed (encoded once) to every session following the
//! organization. A member who is removed loses, at once, the org channel
//! and every board subscription of the organization (`access_lost`).

use std::sync::Arc;

use actix::prelude::*;
use protocol::{BoardId, Member, OrgEvent, Role, ServerMsg, UserId};

use super::{OrgActor, OrgSubscriber, Reply};
use crate::board::{now_millis, AccessLost};
use crate::caller::Caller;
use crate::error::ActorError;
use crate::outbox::{Outbox, PushError, SessionId, SharedFrame};

/// A member was added, re-roled (`Some`) or removed (`None`) in storage.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SetMember {
    pub user: UserId,
    pub role: Option<Role>,
    pub reply: Reply<()>,
}

/// A board of this organization was created.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct BoardAdded {
    pub board: BoardId,
    pub name: String,
}

/// A board of this organization was archived (`true`) or restored.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct BoardStatus {
    pub board: BoardId,
    pub archived: bool,
}

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
    /// Push `event` to every follower; drop the ones that are gone or
    /// too slow (their writer closes them as slow consumers).
    fn publish(&mut self, event: OrgEvent) {
        let frame = SharedFrame::new(ServerMsg::OrgEvent {
            org: self.id,
            at: now_millis(),
            event,
        });
        self.subscribers
            .retain(|_, sub| match sub.outbox.push_shared(&frame) {
                Ok(()) => true,
                Err(PushError::Overflow | PushError::Closed) => false,
            });
    }

    /// Cut `user` off the org channel and every live board of the org.
    fn revoke_access(&mut self, user: UserId) {
        let org = self.id;
        self.subscribers.retain(|_, sub| {
            if sub.caller != Caller::User(user) {
                return true;
            }
            let _ = sub.outbox.send(&ServerMsg::OrgUnsubscribed {
                org,
                reason: protocol::codes::ACCESS_LOST.into(),
            });
            false
        });
        let boards = self
            .org
            .as_ref()
            .map(|o| o.boards.clone())
            .unwrap_or_default();
        for board in boards {
            // Best effort is enough: a board that misses this (mailbox
            // full) still refuses the user's next command and subscribe,
            // because it checks the roster on every request.
            self.registry.send_live_board(board, AccessLost { user });
        }
    }
}

impl OrgActor {
    fn change_member(&mut self, user: UserId, role: Option<Role>) {
        let Some(org) = &mut self.org else { return };
        let org = Arc::make_mut(org);
        let members = Arc::make_mut(&mut org.members);
        let before = match role {
            Some(role) => members.insert(user, role),
            None => members.remove(&user),
        };
        // Cut a removed member off even when the roster already knew (an
        // actor activated after the change): their board subscriptions may
        // predate this actor.
        if role.is_none() {
            self.revoke_access(user);
        }
        let event = match (before, role) {
            (None, Some(role)) => OrgEvent::MemberAdded { user, role },
            (Some(old), Some(role)) if old != role => OrgEvent::MemberRoleChanged { user, role },
            (Some(_), None) => OrgEvent::MemberRemoved { user },
            _ => return,
        };
        self.publish(event);
    }
}

impl Handler<SetMember> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: SetMember, ctx: &mut Self::Context) {
        if let Some(err) = self.fail_and_retire(ctx) {
            let _ = msg.reply.send(Err(err));
            return;
        }
        self.change_member(msg.user, msg.role);
        // Answer last: the notices to the boards are queued by now, so what
        // the caller does next is ordered after them.
        let _ = msg.reply.send(Ok(()));
    }
}

impl Handler<BoardAdded> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: BoardAdded, _: &mut Self::Context) {
        let Some(org) = &mut self.org else { return };
        if org.boards.contains(&msg.board) {
            return;
        }
        Arc::make_mut(org).boards.push(msg.board);
        self.publish(OrgEvent::BoardCreated {
            board: msg.board,
            name: msg.name,
        });
    }
}

impl Handler<BoardStatus> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: BoardStatus, _: &mut Self::Context) {
        let event = if msg.archived {
            OrgEvent::BoardArchived { board: msg.board }
        } else {
            OrgEvent::BoardRestored { board: msg.board }
        };
        self.publish(event);
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
