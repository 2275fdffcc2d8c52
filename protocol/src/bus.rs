//! The bus port: what the nodes sharing one PostgreSQL tell each other.
//!
//! The log is the truth, the bus only says where to look: "board B
//! committed up to seq N" (with the events when they fit), "org O committed
//! up to N", presence, revocations. A node that misses a notice loses
//! nothing but time: it catches up from the table at the next notice of the
//! same board, at its periodic sweep, or when its bus connection returns.
//! Engines (PostgreSQL LISTEN/NOTIFY, NATS) live in the `bus` crate; this
//! is the contract, with no I/O.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{BoardId, OrgId, UserId};
use crate::presence::{PresenceChange, PresenceEntry};
use crate::Recorded;

/// One `corkboard` process among those sharing the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(
    /// A random id drawn at start.
    pub Uuid,
);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Short enough for every log line: the first 8 hex digits.
        let hex = self.0.simple().to_string();
        f.write_str(&hex[..8])
    }
}

/// Who hears a notice: the nodes interested in one board or organization,
/// or every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// The nodes following one board.
    Board(BoardId),
    /// The nodes following one organization.
    Org(OrgId),
    /// Every node (revocations).
    Cluster,
}

impl Topic {
    /// The topic's name, in the alphabet both engines accept (PostgreSQL
    /// channel names up to 63 bytes, NATS subject tokens).
    pub fn name(self) -> String {
        match self {
            Topic::Board(b) => format!("cb_b_{}", b.0.simple()),
            Topic::Org(o) => format!("cb_o_{}", o.0.simple()),
            Topic::Cluster => "cb_cluster".to_owned(),
        }
    }
}

/// Something that no longer grants access, told to every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revocation {
    /// One login session and its access tokens.
    Session {
        /// The login session.
        session: Uuid,
    },
    /// Every token of a user issued at or before `at` (unix seconds).
    User {
        /// Whose tokens.
        user: UserId,
        /// Issued at or before this (unix seconds).
        at: u64,
    },
    /// An API key.
    ApiKey {
        /// The key's id.
        key: Uuid,
    },
}

/// What one node tells the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// The board's log now ends at `to`. `events` are the events the
    /// sender committed in that batch (the last ones up to `to`) when
    /// they fit in the engine's message, else empty: read the table.
    BoardCommitted {
        /// The board.
        board: BoardId,
        /// Its last committed seq.
        to: u64,
        /// The batch's events, when they fit.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        events: Vec<Recorded>,
    },
    /// The organization's log now ends at `to`.
    OrgCommitted {
        /// The organization.
        org: OrgId,
        /// Its last committed seq.
        to: u64,
    },
    /// A session on the sender changed its presence on `board`.
    Presence {
        /// The board.
        board: BoardId,
        /// What happened.
        change: PresenceChange,
        /// The session (its id names its node) and its state.
        entry: PresenceEntry,
    },
    /// The sender follows `board` (it has a live actor for it). Unless
    /// `answer`, it has just started to (or came back after losing the
    /// bus): every node that follows the board too answers with a hello
    /// of its own (`answer`) and its sessions' `Presence` (`joined`).
    /// A node publishes `BoardCommitted` only while another node is known
    /// to follow the board (or it may not have heard yet).
    PresenceHello {
        /// The board.
        board: BoardId,
        /// An answer to another node's hello (not to be answered).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answer: bool,
    },
    /// Close what depended on this credential.
    Revoked(Revocation),
}

impl Notice {
    /// Who hears it.
    pub fn topic(&self) -> Topic {
        match self {
            Notice::BoardCommitted { board, .. }
            | Notice::Presence { board, .. }
            | Notice::PresenceHello { board, .. } => Topic::Board(*board),
            Notice::OrgCommitted { org, .. } => Topic::Org(*org),
            Notice::Revoked(_) => Topic::Cluster,
        }
    }
}

/// A notice as it travels: who sent it and when (for the lag figure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The sender.
    pub node: NodeId,
    /// The sender's clock, milliseconds since the epoch.
    pub sent_ms: i64,
    /// What it says.
    #[serde(flatten)]
    pub notice: Notice,
}

/// What an engine hands the node: notices, and its connection's ups and
/// downs (a node without its bus is not ready, and catches up from the
/// tables when the bus returns).
#[derive(Clone, Debug, PartialEq)]
pub enum BusEvent {
    /// Another node said something.
    Notice(Envelope),
    /// Connected (again): everything that was watched is watched again.
    Up,
    /// The connection is lost; notices published meanwhile may be lost.
    Down,
    /// Still connected, but notices meant for this node were dropped (a
    /// broker that found it too slow): catch up as after `Up`.
    Missed,
}

/// A bus engine. Publishing never waits: a notice goes into a bounded
/// queue, and one that does not fit is dropped and counted (the log is
/// the truth; receivers catch up at their next notice or sweep).
pub trait Bus: Send + Sync + 'static {
    /// This node.
    fn node(&self) -> NodeId;
    /// Tell the nodes interested in the notice's topic.
    fn publish(&self, notice: Notice);
    /// Hear the notices of `topic` from now on. Counted: as many
    /// `unwatch` calls as `watch` calls end the interest.
    fn watch(&self, topic: Topic);
    /// Stop hearing `topic` (see `watch`).
    fn unwatch(&self, topic: Topic);
}

/// The bus of a process alone (tests of one process, tools): nothing is
/// heard, nothing needs to be.
#[derive(Debug)]
pub struct SoloBus(
    /// This node.
    pub NodeId,
);

impl Bus for SoloBus {
    fn node(&self) -> NodeId {
        self.0
    }
    fn publish(&self, _: Notice) {}
    fn watch(&self, _: Topic) {}
    fn unwatch(&self, _: Topic) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_fit_postgres_channels_and_nats_tokens() {
        let board = Topic::Board(BoardId(Uuid::new_v4())).name();
        assert!(board.len() <= 63, "{board}");
        assert!(board.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn envelopes_travel_as_flat_json() {
        let envelope = Envelope {
            node: NodeId(Uuid::nil()),
            sent_ms: 7,
            notice: Notice::OrgCommitted {
                org: OrgId(Uuid::nil()),
                to: 3,
            },
        };
        let json = serde_json::to_string(&envelope).unwrap();
        assert!(json.contains(r#""notice":"org_committed""#), "{json}");
        assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), envelope);
        let revoked = Envelope {
            notice: Notice::Revoked(Revocation::User {
                user: UserId(Uuid::nil()),
                at: 5,
            }),
            ..envelope
        };
        let json = serde_json::to_string(&revoked).unwrap();
        assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), revoked);
    }

    #[test]
    fn a_hello_says_answer_only_when_it_is_one() {
        let hello = |answer| Envelope {
            node: NodeId(Uuid::nil()),
            sent_ms: 7,
            notice: Notice::PresenceHello {
                board: BoardId(Uuid::nil()),
                answer,
            },
        };
        let json = serde_json::to_string(&hello(false)).unwrap();
        assert!(!json.contains("answer"), "{json}");
        // What a node from before answers sends decodes as a hello.
        assert_eq!(
            serde_json::from_str::<Envelope>(&json).unwrap(),
            hello(false)
        );
        let json = serde_json::to_string(&hello(true)).unwrap();
        assert!(json.contains(r#""answer":true"#), "{json}");
        assert_eq!(
            serde_json::from_str::<Envelope>(&json).unwrap(),
            hello(true)
        );
    }
}
