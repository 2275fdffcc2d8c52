//! Mailbox depth: how many messages sent through the registry wait in
//! actors' mailboxes, by kind of actor, for `/metrics`.
//!
//! actix does not expose a mailbox's length, so the registry sends every
//! message wrapped in [`Queued`], which holds a [`Slot`]: the slot counts
//! the message in when it is queued and out when it is dropped — as soon
//! as its actor starts handling it, or with the mailbox when the actor
//! stops. The gauge therefore never drifts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix::prelude::*;

use crate::board::{self, BoardActor};
use crate::org::{self, OrgActor};

/// Messages waiting in one kind of actor's mailboxes.
#[derive(Debug, Default)]
pub(crate) struct Depth(Arc<AtomicU64>);

impl Depth {
    /// A slot for one more queued message.
    pub(crate) fn slot(&self) -> Slot {
        self.0.fetch_add(1, Ordering::Relaxed);
        Slot(self.0.clone())
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One queued message's place in a [`Depth`]; counted out on drop.
pub(crate) struct Slot(Arc<AtomicU64>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A message on its way through a mailbox, with its slot and the span of
/// whoever sent it (see `traced`).
pub(crate) struct Queued<M> {
    pub msg: M,
    pub slot: Slot,
    pub span: tracing::Span,
}

impl<M> Queued<M> {
    /// `msg`, counted in `slot`, sent from the current span.
    pub(crate) fn new(msg: M, slot: Slot) -> Self {
        Queued {
            msg,
            slot,
            span: tracing::Span::current(),
        }
    }
}

impl<M: Message> Message for Queued<M> {
    type Result = M::Result;
}

/// Unwraps [`Queued`] messages of each listed type for `$actor`: the slot
/// is released before the real handler runs, which runs inside the
/// sender's span. A message type missing here cannot be sent through the
/// registry (it does not compile).
macro_rules! handle_queued {
    ($actor:ty: $($msg:ty),+ $(,)?) => {$(
        impl Handler<Queued<$msg>> for $actor {
            type Result = <$actor as Handler<$msg>>::Result;

            fn handle(&mut self, queued: Queued<$msg>, ctx: &mut Self::Context) -> Self::Result {
                let Queued { msg, slot, span } = queued;
                drop(slot);
                let _entered = span.enter();
                <$actor as Handler<$msg>>::handle(self, msg, ctx)
            }
        }
    )+};
}

handle_queued!(BoardActor:
    board::Submit,
    board::Create,
    board::Read,
    board::ReadPresence,
    board::Subscribe,
    board::Unsubscribe,
    board::SetPresence,
    board::AccessLost,
    board::Behind,
    board::HeardPresence,
    board::PresenceHello,
    board::SayHello,
    board::NodeGone,
    board::RosterLoaded,
);
#[cfg(test)]
handle_queued!(BoardActor: board::Crash);
handle_queued!(OrgActor:
    org::GetOrg,
    org::AllocateNumber,
    org::ReturnNumber,
    org::StockChanged,
    org::SubmitOrg,
    org::CheckOrg,
    org::SubscribeOrg,
    org::UnsubscribeOrg,
    org::OrgBehind,
    org::Touch,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_in_on_creation_and_out_on_drop() {
        let depth = Depth::default();
        let a = depth.slot();
        let b = depth.slot();
        assert_eq!(depth.get(), 2);
        drop(a);
        assert_eq!(depth.get(), 1);
        drop(b);
        assert_eq!(depth.get(), 0);
    }
}
