//! Corkboard's live state.
//!
//! # Architecture invariant
//! One `BoardActor` per board is the only writer of that board: it runs
//! decide → append (await commit) → apply → broadcast for one command
//! before it takes the next message. The registry never starts two actors
//! for one id (DashMap entry API). Every request is a bounded `try_send`:
//! a full mailbox is answered with `overloaded`, never queued without
//! limit, and every subscriber has a bounded outbound queue, fed by one
//! fan-out type with one overflow policy (`fanout.rs`). Persistence
//! goes through `protocol::BoardStore` only.

mod board;
mod caller;
mod cluster;
mod error;
mod fanout;
mod handles;
mod mailbox;
mod org;
mod outbox;
mod registry;
mod stats;
#[cfg(test)]
mod tests;
mod traced;

pub use board::BoardActor;
pub use caller::Caller;
pub use error::ActorError;
pub use fanout::{Fanout, LimitReached, Published, Subscriber};
pub use handles::{BoardHandle, Committed, OrgHandle};
pub use org::{LiveOrg, OrgActor, OrgCommitted};
pub use outbox::{
    OutFrame, Outbox, OutboxReceiver, PushError, SentCounter, SessionAlive, SessionId,
    SessionQueue, SharedFrame, TryRecvError, CLOSE_SLOW_CONSUMER, DEFAULT_QUEUE_BYTES,
};
pub use registry::{ActorConfig, Registry, SNAPSHOT_WRITERS};
pub use stats::{ActorStats, StatsSnapshot};
