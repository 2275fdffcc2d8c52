//! Corkboard's bus engines. The contract is `protocol::bus`: "board B
//! committed up to N", org notices, presence and revocations between the
//! nodes that share one PostgreSQL. Two engines:
//!
//! - [`pg::PgBus`] (the default, nothing to install): LISTEN/NOTIFY on one
//!   dedicated connection, a channel per board or organization watched;
//! - [`nats::NatsBus`] (for deployments where NOTIFY saturates): core NATS
//!   publish/subscribe, a subject per board or organization watched.
//!
//! Both hand what they hear, and their connection's ups and downs, to the
//! node as [`BusEvent`]s through a bounded channel, and neither makes a
//! publisher wait (see [`protocol::bus::Bus`]).

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod front;
pub mod nats;
pub mod pg;
mod stats;

pub use front::Front;
pub use protocol::bus::{Bus, BusEvent, Envelope, NodeId, Notice, Revocation, Topic};
pub use stats::BusStats;

/// Notices queued for publishing at most; more are dropped and counted
/// (receivers catch up from the tables).
pub const PUBLISH_QUEUE: usize = 8192;
/// Events queued for the node at most; the engine waits (and the broker
/// buffers) when the node falls this far behind.
pub const DELIVER_QUEUE: usize = 8192;
/// First wait before reconnecting; doubles up to [`RECONNECT_MAX`].
pub const RECONNECT_MIN: std::time::Duration = std::time::Duration::from_millis(100);
/// Longest wait between reconnection attempts.
pub const RECONNECT_MAX: std::time::Duration = std::time::Duration::from_secs(2);

/// Milliseconds since the epoch, for `Envelope::sent_ms`.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `notice` from `node`, encoded for the wire within `limit` bytes: a
/// board's events are left out (receivers read the table) when the whole
/// would not fit. `None` when even that does not fit (not expected: the
/// other notices are small).
pub fn encode(node: NodeId, notice: Notice, limit: usize) -> Option<String> {
    let mut envelope = Envelope {
        node,
        sent_ms: now_ms(),
        notice,
    };
    let json = serde_json::to_string(&envelope).ok()?;
    if json.len() <= limit {
        return Some(json);
    }
    if let Notice::BoardCommitted { events, .. } = &mut envelope.notice {
        events.clear();
        let json = serde_json::to_string(&envelope).ok()?;
        return (json.len() <= limit).then_some(json);
    }
    None
}

/// A wire payload back to an envelope; `None` for anything else (another
/// program's notification on a channel of ours), which is ignored.
pub fn decode(payload: &[u8]) -> Option<Envelope> {
    serde_json::from_slice(payload).ok()
}
