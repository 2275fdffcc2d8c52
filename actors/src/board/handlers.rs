//! Message handlers of `BoardActor`. Each handler that awaits something
//! (the org roster, or an item number, when its actor has published none
//! at hand; a read of the log) returns an `AtomicResponse`, so no other message of
//! this board interleaves; a batch's commit is the exception
//! (`pipeline.rs`).

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::{Ctx, OrgId, Role, ServerMsg};

use super::deciding::Decision;
use super::pipeline::Queued;
use super::resume::CatchUp;
use super::{
    new_id, now_millis, AccessLost, BoardActor, Create, Read, Reply, Submit, Subscribe, Unsubscribe,
};
use crate::caller::Caller;
use crate::error::ActorError;
use crate::org::LiveOrg;
use crate::traced::in_current_span;

pub(super) type Atomic = AtomicResponse<BoardActor, ()>;

/// `fut` as a handler's atomic response, polled inside the span of the
/// request being handled (see `traced`), so what it logs carries the
/// request's fields.
pub(super) fn atomic(fut: impl ActorFuture<BoardActor, Output = ()> + 'static) -> Atomic {
    AtomicResponse::new(Box::pin(in_current_span(fut)))
}

pub(super) fn done() -> Atomic {
    AtomicResponse::new(Box::pin(actix::fut::ready(())))
}

fn answer<T>(reply: Reply<T>, result: Result<T, ActorError>) -> Atomic {
    let _ = reply.send(result);
    done()
}

/// The caller's role in the org, or `NotFound` for a non-member.
fn role_of(org: &LiveOrg, caller: Caller) -> Result<Role, ActorError> {
    caller.role_in(org).ok_or(ActorError::NotFound)
}

/// What a command is decided with: the organization as its actor last
/// showed it, the caller's role in it, and the item number it needs.
type Prepared = (std::sync::Arc<LiveOrg>, Role, Option<u64>);

impl Handler<Submit> for BoardActor {
    type Result = Atomic;

    /// Prepare the command — the caller's role from the organization's
    /// roster and, for a `create_item`, an item number — then queue it for
    /// the next batch (`pipeline.rs`). The roster is the one the org actor
    /// published (`Registry::org_view`), read here without a round trip,
    /// and so is a number from the stock it published; only when there is
    /// no view, or no number at hand, is the org actor asked, and that
    /// preparing is atomic: while a batch commits, the
    /// commands behind it are prepared and queued.
    fn handle(&mut self, msg: Submit, ctx: &mut Self::Context) -> Atomic {
        self.last_used = std::time::Instant::now();
        if msg.reply.is_closed() {
            // The caller gave up (timed out) while this waited in the
            // mailbox: applying it now would surprise them.
            return done();
        }
        if let Some(err) = self.fail_and_retire(ctx) {
            return answer(msg.reply, Err(err));
        }
        let Some(org_id) = self.board.org else {
            return answer(msg.reply, Err(ActorError::NotFound));
        };
        let by = msg.by;
        let needs_number = msg.command.needs_item_number();
        if let Some(prepared) = self.prepare_now(org_id, by, needs_number) {
            self.queue_prepared(msg, prepared, ctx);
            return done();
        }
        let org = self.registry.org(org_id);
        let prepare = async move {
            let view = org.view().await?;
            let role = role_of(&view, by)?;
            let number = if needs_number {
                Some(org.allocate_number().await?)
            } else {
                None
            };
            Ok::<_, ActorError>((view, role, number))
        };
        let fut = actix::fut::wrap_future(prepare)
            .map(move |prepared, act: &mut Self, ctx| act.queue_prepared(msg, prepared, ctx));
        atomic(fut)
    }
}

impl BoardActor {
    /// Prepare a command from what the org actor published, when that is
    /// all it needs: the roster and, for a `create_item`, a number from
    /// the published stock (taken only once the caller's role is known).
    /// `None`: ask the actor.
    fn prepare_now(
        &self,
        org_id: OrgId,
        by: Caller,
        needs_number: bool,
    ) -> Option<Result<Prepared, ActorError>> {
        let view = self.registry.org_view(org_id)?;
        let role = match role_of(&view, by) {
            Ok(role) => role,
            Err(e) => return Some(Err(e)),
        };
        let number = if needs_number {
            Some(self.registry.take_org_number(org_id)?)
        } else {
            None
        };
        Some(Ok((view, role, number)))
    }

    /// Queue `msg` for the next batch with what it was `prepared` with, or
    /// answer it with why it could not be.
    fn queue_prepared(
        &mut self,
        msg: Submit,
        prepared: Result<Prepared, ActorError>,
        ctx: &mut Context<Self>,
    ) {
        let Submit {
            by,
            command,
            command_id,
            reply,
        } = msg;
        let (view, role, number) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        let decision = Decision {
            by,
            role,
            now: now_millis(),
            new_id: new_id(),
            view,
            command,
            command_id,
        };
        self.enqueue(
            Queued {
                decision,
                number,
                reply,
                alone: false,
            },
            ctx,
        );
    }

    /// Run `then` with `user`'s role in the board's organization (or why
    /// there is none): at once from the roster its actor published, else
    /// once the actor has answered. Atomic either way.
    fn role_then(
        &mut self,
        user: Caller,
        then: impl FnOnce(Result<Role, ActorError>, &mut Self) -> LocalBoxActorFuture<Self, ()>
            + 'static,
    ) -> Atomic {
        let Some(org_id) = self.board.org else {
            return atomic(then(Err(ActorError::NotFound), self));
        };
        if let Some(view) = self.registry.org_view(org_id) {
            return atomic(then(role_of(&view, user), self));
        }
        let org = self.registry.org(org_id);
        let check = async move { org.view().await.and_then(|view| role_of(&view, user)) };
        atomic(actix::fut::wrap_future(check).then(move |role, act: &mut Self, _| then(role, act)))
    }
}

impl Handler<Create> for BoardActor {
    type Result = Atomic;

    fn handle(&mut self, msg: Create, ctx: &mut Self::Context) -> Atomic {
        self.last_used = std::time::Instant::now();
        if self.failed.is_some() {
            if let Some(err) = self.fail_and_retire(ctx) {
                return answer(msg.reply, Err(err));
            }
        }
        let org = self.registry.org(msg.org);
        let by = msg.by;
        let prepare = async move {
            let view = org.view().await?;
            let role = role_of(&view, by)?;
            Ok::<_, ActorError>((view, role))
        };
        let fut = actix::fut::wrap_future(prepare).then(move |prepared, act: &mut Self, _| {
            let Create {
                org,
                name,
                columns,
                reply,
                ..
            } = msg;
            let decided = prepared.and_then(|(view, role)| {
                let ctx = Ctx {
                    actor: by.actor_id(),
                    role,
                    now: now_millis(),
                    new_id: new_id(),
                    item_number: None,
                    members: &view.members,
                };
                let events = act.board.create(&ctx, org, &name, &columns)?;
                Ok(act.board.record(&ctx, None, events))
            });
            match decided {
                Ok(records) => act.append_then_commit(records, reply, None),
                Err(e) => {
                    let _ = reply.send(Err(e));
                    actix::fut::ready(()).boxed_local()
                }
            }
        });
        atomic(fut)
    }
}

impl Handler<Subscribe> for BoardActor {
    type Result = Atomic;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Self::Context) -> Atomic {
        self.last_used = std::time::Instant::now();
        if let Some(err) = self.fail_and_retire(ctx) {
            return answer(msg.reply, Err(err));
        }
        self.role_then(msg.user, move |role, act| {
            let Subscribe {
                user,
                outbox,
                since,
                reply,
            } = msg;
            if let Err(e) = role {
                let _ = reply.send(Err(e));
                return actix::fut::ready(()).boxed_local();
            }
            // Attached to the committed board: not while a batch's events
            // are applied but not yet committed (`pipeline.rs`).
            act.on_committed(move |act| act.catch_up_and_attach(user, outbox, since, reply))
        })
    }
}

impl BoardActor {
    /// Attach a subscriber whose role was checked, after catching up from
    /// the log when it resumes from a seq this node has not seen: such a
    /// client comes from another node (a failover), and gets the events it
    /// missed rather than a reset snapshot.
    fn catch_up_and_attach(
        &mut self,
        user: Caller,
        outbox: crate::outbox::Outbox,
        since: Option<u64>,
        reply: Reply<u64>,
    ) -> actix::fut::LocalBoxActorFuture<Self, ()> {
        let caught_up = if since.is_some_and(|since| since > self.board.seq) {
            self.catch_up().map(|_, _, _| ()).boxed_local()
        } else {
            actix::fut::ready(()).boxed_local()
        };
        caught_up
            .then(move |(), act: &mut Self, _| act.subscribe_checked(user, outbox, since, reply))
            .boxed_local()
    }

    /// Attach a subscriber whose role was checked, catching it up.
    fn subscribe_checked(
        &mut self,
        user: Caller,
        outbox: crate::outbox::Outbox,
        since: Option<u64>,
        reply: Reply<u64>,
    ) -> LocalBoxActorFuture<Self, ()> {
        // A session subscribed already gets no second snapshot: with
        // `since` it catches up from its live subscription, without it
        // the answer is a cheap refusal (PROTOCOL.md, `subscribe`).
        let subscribed = self.subscribers.contains(outbox.session());
        if subscribed && since.is_none() {
            let _ = reply.send(Err(ActorError::AlreadySubscribed));
            return actix::fut::ready(()).boxed_local();
        }
        // The session's slot is taken before anything is sent to it.
        let slot = match self.slot_for(&outbox, None) {
            Ok(slot) => slot,
            Err(e) => {
                let _ = reply.send(Err(e));
                return actix::fut::ready(()).boxed_local();
            }
        };
        match self.plan_catch_up(since) {
            CatchUp::Store { since } => self.catch_up_from_store(since, user, outbox, slot, reply),
            plan => {
                let _ = reply.send(self.attach_now(user, outbox, slot, plan));
                actix::fut::ready(()).boxed_local()
            }
        }
    }
}

impl Handler<AccessLost> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: AccessLost, _: &mut Self::Context) {
        let lost = msg.user.map(Caller::User);
        self.cut_off(|user| lost.is_none_or(|lost| user == lost));
    }
}

impl BoardActor {
    /// End the subscriptions of the sessions whose caller `lost_access`
    /// says, with `unsubscribed{reason: "access_lost"}`.
    pub(super) fn cut_off(&mut self, lost_access: impl Fn(Caller) -> bool) {
        let gone = self
            .subscribers
            .remove_where(|sub| lost_access(sub.state.user));
        let told: Vec<_> = gone.iter().map(|(_, sub)| sub.outbox().clone()).collect();
        // Their slots are given back here, before they are told.
        self.left(gone);
        for outbox in told {
            let _ = outbox.send(&ServerMsg::Unsubscribed {
                board: self.id,
                reason: protocol::codes::ACCESS_LOST.into(),
            });
        }
    }
}

impl Handler<Unsubscribe> for BoardActor {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _: &mut Self::Context) {
        // The slot is given back before the answer is queued: a client
        // that hears it may subscribe elsewhere at once.
        self.remove_subscriber(msg.session);
        if let Some(outbox) = msg.answer {
            let _ = outbox.send(&ServerMsg::Unsubscribed {
                board: self.id,
                reason: protocol::codes::REQUESTED.into(),
            });
        }
    }
}

impl BoardActor {
    /// Answer `reply` with `read(self)` once `user` is known to be allowed
    /// to read the board; `NotFound` otherwise.
    pub(super) fn read_with<T: 'static>(
        &mut self,
        ctx: &mut Context<Self>,
        user: Caller,
        reply: Reply<T>,
        read: impl FnOnce(&BoardActor) -> T + 'static,
    ) -> Atomic {
        self.last_used = std::time::Instant::now();
        if let Some(err) = self.fail_and_retire(ctx) {
            return answer(reply, Err(err));
        }
        self.role_then(user, move |role, act| {
            // What is read is committed: not while a batch's events are
            // applied but not yet committed (`pipeline.rs`).
            act.on_committed(move |act| {
                let _ = reply.send(role.map(|_| read(act)));
                actix::fut::ready(()).boxed_local()
            })
        })
    }
}

impl Handler<Read> for BoardActor {
    type Result = Atomic;

    fn handle(&mut self, msg: Read, ctx: &mut Self::Context) -> Atomic {
        self.read_with(ctx, msg.user, msg.reply, |act| act.board.clone())
    }
}

/// Makes the board's actor panic, to test crash isolation.
#[cfg(test)]
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Crash;

#[cfg(test)]
impl Handler<Crash> for BoardActor {
    type Result = ();

    fn handle(&mut self, _: Crash, _: &mut Self::Context) {
        panic!("injected crash of board {}", self.id);
    }
}
