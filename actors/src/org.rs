//! `OrgActor`: one per organization. Owns the roster (members and roles),
//! the board directory and the item-number counter, which it reserves from
//! storage in blocks so creating an item rarely costs a round trip.

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use actix::WeakAddr;
use protocol::{BoardId, Org, OrgId, Roster};
use tokio::sync::oneshot;

use crate::board::RETIRE_GRACE;
use crate::caller::Caller;
use crate::error::{bounded, ActorError};
use crate::fanout::Fanout;
use crate::registry::Registry;

/// What an organization looks like to its callers.
#[derive(Clone, Debug)]
pub struct LiveOrg {
    pub id: OrgId,
    pub name: String,
    pub key: String,
    pub members: Arc<Roster>,
    pub boards: Vec<BoardId>,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ActorError>>;

mod channel;
mod cluster;
mod idempotency;
mod numbers;
mod submit;

pub(crate) use channel::{SubscribeOrg, UnsubscribeOrg};
pub(crate) use cluster::{OrgBehind, Touch};
pub(crate) use numbers::{AllocateNumber, ReturnNumber, Stock, StockChanged};
pub use submit::OrgCommitted;
pub(crate) use submit::{CheckOrg, SubmitOrg};

/// Read the roster and directory.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct GetOrg(pub Reply<Arc<LiveOrg>>);

pub struct OrgActor {
    id: OrgId,
    registry: Registry,
    /// Shared with every request that reads it (one per board command):
    /// cloning the `Arc` is cheap; rebuilt from `state` after each commit.
    /// `None` while the organization does not exist (yet).
    org: Option<Arc<LiveOrg>>,
    /// The organization as its log says: the only state `decide` reads.
    state: Org,
    /// Set when activation found no organization or storage failed; every
    /// request is answered with it and the actor then stops, so the next
    /// request starts afresh.
    failed: Option<ActorError>,
    retiring: bool,
    /// Sessions following the org channel, and who each is.
    subscribers: Fanout<Caller>,
    numbers: numbers::Numbers,
    last_used: Instant,
    /// This actor's address, to publish its view under (set in `started`).
    me: Option<WeakAddr<OrgActor>>,
}

impl OrgActor {
    pub(crate) fn new(id: OrgId, registry: Registry) -> Self {
        OrgActor {
            id,
            registry,
            org: None,
            state: Org::new(id),
            failed: None,
            retiring: false,
            subscribers: Fanout::for_org(id),
            numbers: numbers::Numbers::default(),
            last_used: Instant::now(),
            me: None,
        }
    }

    /// The failure to answer with, if activation failed. Like a board, the
    /// actor retires: out of the registry now (after a permanent fault, once
    /// `FAULT_HOLD` has passed), stopped after the grace period, answering
    /// what was already queued.
    fn fail_and_retire(&mut self, ctx: &mut Context<Self>) -> Option<ActorError> {
        let err = self.failed.clone()?;
        // Unsure of its state now: boards ask (and restart) the actor.
        self.publish_view(None);
        if !self.retiring {
            self.retiring = true;
            // After a permanent fault, stay registered for a while (see
            // `FAULT_HOLD`) instead of reloading for every request.
            if matches!(err, ActorError::Internal(_)) {
                ctx.run_later(crate::board::FAULT_HOLD, |act, ctx| act.retire(ctx));
            } else {
                self.retire(ctx);
            }
        }
        Some(err)
    }

    /// Leave the registry now and stop after [`RETIRE_GRACE`].
    fn retire(&mut self, ctx: &mut Context<Self>) {
        self.registry.org_stopped(self.id, &ctx.address());
        ctx.run_later(RETIRE_GRACE, |_, ctx| ctx.stop());
    }
}

impl Actor for OrgActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.me = Some(ctx.address().downgrade());
        // Follow the organization's notices before loading its log (see
        // `cluster`).
        self.registry
            .bus()
            .watch(protocol::bus::Topic::Org(self.id));
        let store = self.registry.store();
        let timeout = self.registry.config().store_timeout;
        let id = self.id;
        let load = async move { bounded(timeout, store.load_org_log(id)).await };
        ctx.wait(actix::fut::wrap_future(load).map(
            |res, act: &mut Self, _: &mut Context<Self>| match res {
                Ok(Some(org)) => {
                    act.set_state(org);
                    // Sessions admitted on this node while no organization
                    // actor was live to hear a removal: check them now.
                    let members = Arc::new(act.state.members.clone());
                    for board in &act.state.board_order {
                        act.registry
                            .send_live_board(*board, crate::board::RosterLoaded(members.clone()));
                    }
                }
                // Not created yet: only `create_org` will be accepted.
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(org_id = %act.id, error = %e, "loading organization failed");
                    act.failed = Some(ActorError::from(e));
                }
            },
        ));
        let idle = self.registry.config().idle_passivate_after;
        ctx.run_interval(idle / 4, move |act, ctx| {
            act.subscribers.remove_gone();
            // Boards live here read its published view without a message
            // (so without touching `last_used`): they keep it live too.
            let boards_live = act.registry.any_board_live(&act.state.board_order);
            if act.subscribers.is_empty() && act.last_used.elapsed() >= idle && !boards_live {
                ctx.stop();
            }
        });
    }

    fn stopping(&mut self, ctx: &mut Self::Context) -> Running {
        self.registry.org_stopped(self.id, &ctx.address());
        Running::Stop
    }
}

impl Drop for OrgActor {
    fn drop(&mut self) {
        self.registry
            .bus()
            .unwatch(protocol::bus::Topic::Org(self.id));
    }
}

impl OrgActor {
    /// Takes `org` as the state and rebuilds the view callers read.
    pub(crate) fn set_state(&mut self, org: Org) {
        self.state = org;
        self.refresh_view();
    }

    /// Rebuilds the view callers read from the state, and publishes it
    /// for the boards: before the command that changed it is answered, so
    /// a board deciding after the ack decides with the new roster.
    pub(crate) fn refresh_view(&mut self) {
        self.org = view_of(&self.state);
        // A failed actor withdrew its view (`fail_and_retire`) and applies
        // nothing more, so this is never a failed actor's.
        self.publish_view(self.org.clone());
    }

    /// Publish `view` in the registry, with the stock of item numbers
    /// (`None`: withdraw this actor's).
    fn publish_view(&self, view: Option<Arc<LiveOrg>>) {
        if let Some(me) = self.me.as_ref().and_then(WeakAddr::upgrade) {
            let stock = self.numbers.stock().clone();
            self.registry.publish_org_view(self.id, &me, view, stock);
        }
    }
}

/// What callers see of `org`: nothing for a deleted organization, or one
/// not created yet (it is not found).
fn view_of(org: &Org) -> Option<Arc<LiveOrg>> {
    (org.exists() && !org.deleted).then(|| {
        Arc::new(LiveOrg {
            id: org.id,
            name: org.name.clone(),
            key: org.key.clone(),
            members: Arc::new(org.members.clone()),
            boards: org.board_order.clone(),
        })
    })
}

impl Handler<GetOrg> for OrgActor {
    type Result = ();

    fn handle(&mut self, msg: GetOrg, ctx: &mut Self::Context) {
        self.last_used = Instant::now();
        let reply = match self.fail_and_retire(ctx) {
            Some(err) => Err(err),
            None => self.org.clone().ok_or(ActorError::NotFound),
        };
        let _ = msg.0.send(reply);
    }
}
