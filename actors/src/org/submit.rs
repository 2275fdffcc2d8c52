//! Changing an organization, the way a board changes: (look up the
//! command id, see `idempotency`) → decide against the state folded from
//! the log → append (the events, their read models and the command's
//! outcome in the StorageActor's batch transaction) → apply → publish the
//! public events and cut off who lost access. The actor waits for each
//! step (`ctx.wait`) before the next message, so it is the only writer
//! and every decision sees the last commit.

use std::sync::Arc;

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::{OrgCaller, OrgCommand, OrgCtx, OrgEvent, OrgRecorded, StoreError};

use super::idempotency::Prior;
use super::{LiveOrg, OrgActor, Reply};
use crate::board::now_millis;
use crate::error::{bounded, ActorError};
use crate::stats::ActorStats;
use crate::traced::in_current_span;

/// What a committed organization command did.
#[derive(Clone, Debug)]
pub struct OrgCommitted {
    /// The events appended, in order.
    pub records: Vec<OrgRecorded>,
    /// The organization as it was just before (`None`: it did not exist).
    pub before: Option<Arc<LiveOrg>>,
    /// Whether this answers a retry of a command id that had already been
    /// committed: the records are the original ones, read back from the
    /// log, and nothing was appended or published again.
    pub replayed: bool,
}

/// Decide `command` as `caller` and commit it. `reply` is `None` for the
/// server's own reports (a board created, archived or restored), which
/// nobody awaits.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SubmitOrg {
    pub caller: OrgCaller,
    pub command: OrgCommand,
    /// The client's command id, kept with the outcome for retries.
    pub command_id: Option<String>,
    /// The request that sent it, for the audit entries written with its
    /// events (`None` for the server's own reports).
    pub origin: Option<protocol::Origin>,
    pub reply: Option<Reply<OrgCommitted>>,
}

/// Decide `command` as `caller` without committing anything: whether the
/// organization would accept it now (for a route that must refuse before
/// it can name everything the command needs).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct CheckOrg {
    pub caller: OrgCaller,
    pub command: OrgCommand,
    pub reply: Reply<()>,
}

impl Handler<CheckOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: CheckOrg, ctx: &mut Self::Context) {
        if let Some(err) = self.fail_and_retire(ctx) {
            let _ = msg.reply.send(Err(err));
            return;
        }
        let decided = self.state.decide(
            &OrgCtx {
                caller: msg.caller,
                now: now_millis(),
            },
            &msg.command,
        );
        let _ = msg
            .reply
            .send(decided.map(|_| ()).map_err(ActorError::OrgRejected));
    }
}

/// Sends `result` to whoever awaits it (nobody, for the server's own
/// reports).
pub(super) fn answer(reply: Option<Reply<OrgCommitted>>, result: Result<OrgCommitted, ActorError>) {
    if let Some(reply) = reply {
        let _ = reply.send(result);
    }
}

impl Handler<SubmitOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: SubmitOrg, ctx: &mut Self::Context) {
        self.last_used = std::time::Instant::now();
        if let Some(err) = self.fail_and_retire(ctx) {
            answer(msg.reply, Err(err));
            return;
        }
        let work = match msg.command_id.clone() {
            None => self.decide_and_append(msg, 0),
            // Looked up before deciding: a retry is answered, not decided
            // again (which could now go the other way).
            Some(command_id) => self
                .prior(msg.caller.author(), command_id)
                .then(|prior, act: &mut Self, _| match prior {
                    Prior::New => act.decide_and_append(msg, 0),
                    Prior::Answered(first) => {
                        answer(msg.reply, first);
                        actix::fut::ready(()).boxed_local()
                    }
                })
                .boxed_local(),
        };
        ctx.wait(in_current_span(work));
    }
}

impl OrgActor {
    /// Decides `msg` on the current state and, when accepted, appends,
    /// applies and publishes it.
    fn decide_and_append(
        &mut self,
        msg: SubmitOrg,
        attempts: u32,
    ) -> LocalBoxActorFuture<Self, ()> {
        let now = now_millis();
        let (caller, command, origin) = (msg.caller, msg.command.clone(), msg.origin.clone());
        let author = msg.caller.author();
        let decided = self.state.decide(
            &OrgCtx {
                caller: msg.caller,
                now,
            },
            &msg.command,
        );
        let events = match (decided, msg.command_id.clone()) {
            (Ok(events), _) => events,
            (Err(rejection), Some(command_id)) => {
                return self.settle_refusal(author, command_id, rejection, msg.reply);
            }
            (Err(rejection), None) => {
                answer(msg.reply, Err(ActorError::OrgRejected(rejection)));
                return actix::fut::ready(()).boxed_local();
            }
        };
        let records: Vec<OrgRecorded> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| OrgRecorded {
                seq: self.state.seq + 1 + i as u64,
                at: now,
                by: author,
                command_id: msg.command_id.clone(),
                event,
            })
            .collect();
        let command_id = msg.command_id.clone();
        let key = msg.command_id.map(|command_id| (author, command_id));
        let before = self.org.clone();
        let reply = msg.reply;
        let (store, timeout, id) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
        );
        let append = {
            let records = records.clone();
            let origin = origin.clone();
            async move { bounded(timeout, store.append_org(id, records, key, origin)).await }
        };
        actix::fut::wrap_future(append)
            .then(move |res, act: &mut Self, ctx: &mut Context<Self>| {
                match res {
                    Ok(()) => {
                        act.apply_committed(&records);
                        let committed = OrgCommitted {
                            records,
                            before,
                            replayed: false,
                        };
                        answer(reply, Ok(committed));
                    }
                    Err(StoreError::OrgDuplicate { command_id, .. }) => {
                        // Nothing was written: the first answer stands.
                        return act.answer_duplicate(author, command_id, reply);
                    }
                    Err(StoreError::OrgConflict { seq, .. })
                        if attempts < crate::board::MAX_SEQ_RETRIES =>
                    {
                        // Another node took the seq: catch up from the log
                        // and decide again on the organization as it is.
                        ActorStats::add(&act.registry.stats().seq_conflicts, 1);
                        tracing::debug!(org_id = %act.id, seq, "org seq taken by another node; catching up");
                        let again = SubmitOrg {
                            caller,
                            command,
                            command_id,
                            origin,
                            reply,
                        };
                        return act
                            .catch_up()
                            .then(move |caught, act: &mut Self, _| match caught {
                                Ok(()) => act.decide_and_append(again, attempts + 1),
                                Err(e) => {
                                    answer(again.reply, Err(ActorError::from(e)));
                                    actix::fut::ready(()).boxed_local()
                                }
                            })
                            .boxed_local();
                    }
                    Err(StoreError::OrgConflict { seq, .. }) => {
                        // Another writer took the seq: this state is stale. A
                        // fresh actor reloads the log; the caller may retry.
                        tracing::warn!(org_id = %act.id, seq, "organization log conflict; reloading");
                        act.failed = Some(ActorError::Unavailable(format!(
                            "the organization changed elsewhere at seq {seq}; retry"
                        )));
                        let err = act
                            .fail_and_retire(ctx)
                            .unwrap_or(ActorError::Unavailable("retry".into()));
                        answer(reply, Err(err));
                    }
                    Err(e @ (StoreError::Timeout | StoreError::Unavailable(_))) => {
                        // The outcome is unknown: the events may yet commit,
                        // or have (a connection lost during COMMIT). Going
                        // on with this state could keep a removed member
                        // in, so, like a board, the actor withdraws its view
                        // and reloads from the log for the next request.
                        tracing::warn!(org_id = %act.id, error = %e, "organization append outcome unknown; reloading");
                        let unknown = ActorError::from(e);
                        act.failed = Some(unknown.clone());
                        let err = act.fail_and_retire(ctx).unwrap_or(unknown);
                        answer(reply, Err(err));
                    }
                    Err(e) => answer(reply, Err(ActorError::from(e))),
                }
                actix::fut::ready(()).boxed_local()
            })
            .boxed_local()
    }
}

impl OrgActor {
    /// Applies records this actor committed, then tells the other nodes.
    pub(super) fn apply_committed(&mut self, records: &[OrgRecorded]) {
        self.apply_records(records);
        if let Some(last) = records.last() {
            self.registry
                .bus()
                .publish(protocol::bus::Notice::OrgCommitted {
                    org: self.id,
                    to: last.seq,
                });
        }
    }

    /// Applies committed records (this node's or another's), then tells
    /// the org channel and cuts off who lost access.
    pub(super) fn apply_records(&mut self, records: &[OrgRecorded]) {
        for rec in records {
            self.state.apply_recorded(rec);
        }
        self.refresh_view();
        // Who lost access is cut off first, so they never hear the news
        // (nor act on it) as a follower; a deletion is news for everyone,
        // told just before they are all cut off.
        for rec in records {
            match &rec.event {
                OrgEvent::MemberRemoved { user } => self.revoke_access(Some(*user)),
                OrgEvent::OrgDeleted => {
                    self.publish(OrgEvent::OrgDeleted, rec.at);
                    self.revoke_access(None);
                }
                _ => {}
            }
        }
        for rec in records {
            if rec.event.is_public() && rec.event != OrgEvent::OrgDeleted {
                self.publish(rec.event.clone(), rec.at);
            }
        }
    }
}
