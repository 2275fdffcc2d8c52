//! Changing an organization, the way a board changes: decide against the
//! state folded from the log → append (the events and their read models in
//! one transaction) → apply → publish the public events and cut off who
//! lost access. The actor waits for each append before the next command,
//! so it is the only writer and every decision sees the last commit.

use std::sync::Arc;

use actix::prelude::*;
use protocol::{OrgCaller, OrgCommand, OrgCtx, OrgEvent, OrgRecorded, StoreError};

use super::{LiveOrg, OrgActor, Reply};
use crate::board::now_millis;
use crate::error::{bounded, ActorError};

/// What a committed organization command did.
#[derive(Clone, Debug)]
pub struct OrgCommitted {
    /// The events appended, in order.
    pub records: Vec<OrgRecorded>,
    /// The organization as it was just before (`None`: it did not exist).
    pub before: Option<Arc<LiveOrg>>,
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

fn answer(reply: Option<Reply<OrgCommitted>>, result: Result<OrgCommitted, ActorError>) {
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
        let now = now_millis();
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let id = self.id;
        let author = msg.caller.author();
        let events = match self.state.decide(
            &OrgCtx {
                caller: msg.caller,
                now,
            },
            &msg.command,
        ) {
            Ok(events) => events,
            Err(rejection) => {
                if let Some(command_id) = msg.command_id {
                    let refused = rejection.clone();
                    ctx.spawn(actix::fut::wrap_future(async move {
                        if let Err(e) = bounded(timeout, store.record_org_rejection(id, author, command_id, refused)).await {
                            tracing::warn!(org_id = %id, error = %e, "recording an org command's refusal failed");
                        }
                    }));
                }
                answer(msg.reply, Err(ActorError::OrgRejected(rejection)));
                return;
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
        let key = msg.command_id.map(|command_id| (author, command_id));
        let before = self.org.clone();
        let reply = msg.reply;
        let append = {
            let records = records.clone();
            async move { bounded(timeout, store.append_org(id, records, key)).await }
        };
        ctx.wait(actix::fut::wrap_future(append).map(
            move |res, act: &mut Self, ctx: &mut Context<Self>| match res {
                Ok(()) => {
                    act.commit(&records);
                    answer(reply, Ok(OrgCommitted { records, before }));
                }
                Err(StoreError::OrgConflict { seq, .. }) => {
                    // Another writer took the seq: this state is stale. A fresh
                    // actor reloads the log; the caller may retry at once.
                    tracing::warn!(org_id = %act.id, seq, "organization log conflict; reloading");
                    act.failed = Some(ActorError::Unavailable(format!(
                        "the organization changed elsewhere at seq {seq}; retry"
                    )));
                    let err = act
                        .fail_and_retire(ctx)
                        .unwrap_or(ActorError::Unavailable("retry".into()));
                    answer(reply, Err(err));
                }
                Err(e) => answer(reply, Err(ActorError::from(e))),
            },
        ));
    }
}

impl OrgActor {
    /// Applies committed records, then tells the org channel and cuts off
    /// who lost access.
    fn commit(&mut self, records: &[OrgRecorded]) {
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
