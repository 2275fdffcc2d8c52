//! An organization shared with other nodes, the way a board is (see
//! `board/cluster.rs`): another node's commit reaches this actor as
//! [`OrgBehind`], and the actor reads what it missed from the log and
//! applies it as if it had committed it, so the roster every decision
//! here reads follows, the org channel's sessions hear the events, and a
//! member removed on another node loses their subscriptions on this one.

use actix::fut::LocalBoxActorFuture;
use actix::prelude::*;
use protocol::StoreError;

use super::OrgActor;
use crate::error::bounded;
use crate::stats::ActorStats;
use crate::traced::in_current_span;

/// Most org events read from the log in one catch-up.
const CATCH_UP_BATCH: u32 = 10_000;

/// The organization's log has grown elsewhere, up to `to` (`None`: look).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct OrgBehind {
    pub to: Option<u64>,
}

/// A board of the organization has sessions on this node: stay live.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Touch;

impl Handler<Touch> for OrgActor {
    type Result = ();

    fn handle(&mut self, _: Touch, _: &mut Self::Context) {
        self.last_used = std::time::Instant::now();
    }
}

impl Handler<OrgBehind> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: OrgBehind, ctx: &mut Self::Context) {
        if self.failed.is_some() || msg.to.is_some_and(|to| to <= self.state.seq) {
            return;
        }
        let work = self.catch_up().map(|_, _, _| ());
        ctx.wait(in_current_span(work));
    }
}

impl OrgActor {
    /// Read what other nodes committed after this actor's seq and apply
    /// it. The caller waits for it (`ctx.wait`) before the next message.
    pub(super) fn catch_up(&mut self) -> LocalBoxActorFuture<Self, Result<(), StoreError>> {
        let (store, timeout, id, after) = (
            self.registry.store(),
            self.registry.config().store_timeout,
            self.id,
            self.state.seq,
        );
        let read = async move {
            bounded(timeout, store.org_events_after(id, after, CATCH_UP_BATCH)).await
        };
        actix::fut::wrap_future(read)
            .map(move |read, act: &mut Self, ctx: &mut Context<Self>| {
                let records = read.inspect_err(|e| {
                    tracing::warn!(org_id = %act.id, error = %e, "catching up the organization failed");
                })?;
                let full = records.len() as u64 >= u64::from(CATCH_UP_BATCH);
                let seq = act.state.seq;
                let fresh: Vec<_> = records.into_iter().filter(|r| r.seq > seq).collect();
                let follows = crate::cluster::follows(seq, fresh.iter().map(|r| r.seq));
                if follows && !fresh.is_empty() {
                    let stats = act.registry.stats();
                    ActorStats::add(&stats.catch_ups, 1);
                    ActorStats::add(&stats.events_caught_up, fresh.len() as u64);
                    act.apply_records(&fresh);
                }
                if full {
                    ctx.notify(OrgBehind { to: None });
                }
                Ok(())
            })
            .boxed_local()
    }
}
