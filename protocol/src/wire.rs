//! Messages on the WebSocket. The same serde types travel as JSON in text
//! frames (`corkboard.v1.json`) and as MessagePack in binary frames
//! (`corkboard.v1.msgpack`). See `PROTOCOL.md` for the full spec.

use serde::{Deserialize, Serialize};

use crate::board::{Board, Command, Event, Rejection};
use crate::ids::{BoardId, Millis, OrgId, UserId};
use crate::org::{Member, OrgEvent, OrgRejection, OrgRequest};
use crate::presence::{PresenceChange, PresenceEntry, PresenceState};

/// Least time between two presence updates of one session that other
/// sessions see (later ones are coalesced: the latest state wins).
pub const PRESENCE_MIN_INTERVAL_MS: u64 = 50;

/// Largest client command id, in bytes.
pub const COMMAND_ID_MAX: usize = 64;

/// A message from client to server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// Authenticate (first message) or refresh the token of a live socket.
    Auth {
        /// A JWT access token or an API key.
        token: String,
    },
    /// Subscribe to a board. Answered by a `snapshot`, then live `event`s.
    Subscribe {
        /// The board.
        board: BoardId,
        /// The last seq the client has applied, to resume without a
        /// snapshot; absent for a fresh subscription.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        since: Option<u64>,
    },
    /// Stop receiving a board's events.
    Unsubscribe {
        /// The board.
        board: BoardId,
    },
    /// Run a command. `id` is chosen by the client and echoed in the `ack`
    /// or `rejected` answer and in the resulting `event`s.
    Command {
        /// The client's id for the command (1–64 bytes), its idempotency
        /// key: sending the same id again never applies it twice.
        id: String,
        /// The board.
        board: BoardId,
        /// What to do.
        command: Command,
    },
    /// Run an organization command (members, invitations, the
    /// organization itself). Answered like a board command: `org_ack` once
    /// committed, or `rejected`; `id` is its idempotency key too.
    OrgCommand {
        /// The client's id for the command (1–64 bytes): sending the same
        /// id again never applies it twice.
        id: String,
        /// The organization.
        org: OrgId,
        /// What to do.
        command: OrgRequest,
    },
    /// Follow an organization's channel: answered by `org_snapshot`, then
    /// live `org_event`s (members, boards).
    SubscribeOrg {
        /// The organization.
        org: OrgId,
    },
    /// Stop following an organization's channel.
    UnsubscribeOrg {
        /// The organization.
        org: OrgId,
    },
    /// Show where this session is on a subscribed board. Throttled: other
    /// sessions see at most one update per session every
    /// [`PRESENCE_MIN_INTERVAL_MS`], always the latest.
    Presence {
        /// The board (must be subscribed).
        board: BoardId,
        /// The new state.
        state: PresenceState,
    },
    /// Liveness check; answered by `pong` with the same nonce.
    Ping {
        /// Echoed in the `pong`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        nonce: Option<u64>,
    },
}

impl ClientMsg {
    /// The message's `type` tag (`"command"`, `"subscribe"`, …), for
    /// metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Auth { .. } => "auth",
            ClientMsg::Subscribe { .. } => "subscribe",
            ClientMsg::Unsubscribe { .. } => "unsubscribe",
            ClientMsg::Command { .. } => "command",
            ClientMsg::OrgCommand { .. } => "org_command",
            ClientMsg::SubscribeOrg { .. } => "subscribe_org",
            ClientMsg::UnsubscribeOrg { .. } => "unsubscribe_org",
            ClientMsg::Presence { .. } => "presence",
            ClientMsg::Ping { .. } => "ping",
        }
    }
}

/// Limits the server enforces on this session, sent in `welcome`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Limits {
    /// Largest accepted frame, in bytes.
    pub max_frame_bytes: u32,
    /// Boards one session may subscribe to at once.
    pub max_subscriptions: u32,
    /// The server closes a socket that sends nothing for this long.
    pub idle_timeout_ms: u32,
}

/// A message from server to client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The session is authenticated.
    Welcome {
        /// The session's id (for support and logs).
        session: String,
        /// The authenticated user.
        user: UserId,
        /// What the server enforces on this session.
        limits: Limits,
    },
    /// The whole board as of `seq`; live events with higher seqs follow.
    Snapshot {
        /// The board.
        board: BoardId,
        /// The seq of the last event included in `state`.
        seq: u64,
        /// The board itself.
        state: Board,
        /// `true` when this snapshot answers a `subscribe{since}` that could
        /// not be served as events (too old, or in the future): the client
        /// must replace its copy of the board, not merge.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reset: bool,
    },
    /// One event of a subscribed board.
    Event {
        /// The board.
        board: BoardId,
        /// The event's seq: exactly one more than the previous event's.
        seq: u64,
        /// When it happened.
        at: Millis,
        /// Who caused it.
        by: UserId,
        /// The id of the client command that caused it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        command_id: Option<String>,
        /// The fact.
        event: Event,
    },
    /// The command `id` is committed; its last event has `seq`.
    Ack {
        /// The client's command id.
        id: String,
        /// The board.
        board: BoardId,
        /// The seq of the command's last event.
        seq: u64,
    },
    /// The organization command `id` is committed; its last event has
    /// `seq` in the organization's log.
    OrgAck {
        /// The client's command id.
        id: String,
        /// The organization.
        org: OrgId,
        /// The seq of the command's last event.
        seq: u64,
    },
    /// The command `id` was refused. `retryable` says whether sending it
    /// again later may succeed (overload, storage outage).
    Rejected {
        /// The client's command id.
        id: String,
        /// A stable machine code, e.g. `wip_limit_reached`.
        code: String,
        /// A human explanation.
        message: String,
        /// Whether the same command may succeed later, unchanged.
        #[serde(default)]
        retryable: bool,
        /// Structured details: the rejection's fields, e.g.
        /// `{"column": …, "limit": 3}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        details: Option<serde_json::Value>,
    },
    /// The subscription to `board` ended (unsubscribed, access lost).
    Unsubscribed {
        /// The board.
        board: BoardId,
        /// Why, as a stable code (`requested`, `access_lost`, `board_restarted`; see `crate::codes`).
        reason: String,
    },
    /// A problem with a message that has no command id (malformed frame,
    /// unknown type, oversize, unauthorized subscribe...).
    Error {
        /// A stable machine code, e.g. `malformed_frame`.
        code: String,
        /// A human explanation naming the problem.
        message: String,
        /// The board concerned, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        board: Option<BoardId>,
        /// The organization concerned, when there is one (a refused
        /// `subscribe_org`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        org: Option<OrgId>,
    },
    /// The organization as of now: members and boards; live `org_event`s
    /// follow.
    OrgSnapshot {
        /// The organization.
        org: OrgId,
        /// Its name.
        name: String,
        /// Its item key (`DS` in `DS-123`).
        key: String,
        /// Members and roles.
        members: Vec<Member>,
        /// Its boards, oldest first.
        boards: Vec<BoardId>,
    },
    /// Something happened in a followed organization.
    OrgEvent {
        /// The organization.
        org: OrgId,
        /// When, in milliseconds since the Unix epoch.
        at: Millis,
        /// What happened.
        event: OrgEvent,
    },
    /// The organization channel ended (unsubscribed, access lost).
    OrgUnsubscribed {
        /// The organization.
        org: OrgId,
        /// Why, as a stable code (`requested`, `access_lost`).
        reason: String,
    },
    /// Everyone on a board, sent right after the subscription's snapshot
    /// (or catch-up events).
    Presence {
        /// The board.
        board: BoardId,
        /// Every subscribed session, this one included.
        sessions: Vec<PresenceEntry>,
    },
    /// A session joined, updated its state, or left a subscribed board.
    PresenceChanged {
        /// The board.
        board: BoardId,
        /// What happened.
        change: PresenceChange,
        /// The session (with its last state when it left).
        entry: PresenceEntry,
    },
    /// Answer to `ping`.
    Pong {
        /// The `ping`'s nonce.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        nonce: Option<u64>,
    },
}

impl ServerMsg {
    /// The message's `type` tag (`"event"`, `"ack"`, …), for metrics and
    /// logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMsg::Welcome { .. } => "welcome",
            ServerMsg::Snapshot { .. } => "snapshot",
            ServerMsg::Event { .. } => "event",
            ServerMsg::Ack { .. } => "ack",
            ServerMsg::OrgAck { .. } => "org_ack",
            ServerMsg::Rejected { .. } => "rejected",
            ServerMsg::Unsubscribed { .. } => "unsubscribed",
            ServerMsg::Error { .. } => "error",
            ServerMsg::OrgSnapshot { .. } => "org_snapshot",
            ServerMsg::OrgEvent { .. } => "org_event",
            ServerMsg::OrgUnsubscribed { .. } => "org_unsubscribed",
            ServerMsg::Presence { .. } => "presence",
            ServerMsg::PresenceChanged { .. } => "presence_changed",
            ServerMsg::Pong { .. } => "pong",
        }
    }

    /// The `rejected` answer to command `id` for a rule violation: the
    /// rejection's code and text, `retryable: false`, and its fields as
    /// `details` (none for a variant without fields).
    pub fn rejected(id: impl Into<String>, rejection: &impl RuleRefusal) -> ServerMsg {
        ServerMsg::Rejected {
            id: id.into(),
            code: rejection.code().to_owned(),
            message: rejection.to_string(),
            retryable: false,
            details: rejection_details(rejection),
        }
    }

    /// The `rejected` answer to command `id` for anything but a rule: a
    /// command that cannot be read, or a server condition. With
    /// `retry_after_ms` it is retryable and says when to resend as
    /// `details.retry_after_ms`; without, it is final and has no details.
    pub fn refused(
        id: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
        retry_after_ms: Option<u64>,
    ) -> ServerMsg {
        ServerMsg::Rejected {
            id: id.into(),
            code: code.into(),
            message: message.into(),
            retryable: retry_after_ms.is_some(),
            details: retry_after_ms.map(|ms| serde_json::json!({ "retry_after_ms": ms })),
        }
    }
}

/// A refusal by a rule of the domain: a board's [`Rejection`] or an
/// organization's [`OrgRejection`]. Both serialize as a map tagged with
/// `code`, so both are answered and described alike.
pub trait RuleRefusal: Serialize + std::fmt::Display {
    /// The stable code, from [`crate::codes`].
    fn code(&self) -> &'static str;
}

impl RuleRefusal for Rejection {
    fn code(&self) -> &'static str {
        Rejection::code(self)
    }
}

impl RuleRefusal for OrgRejection {
    fn code(&self) -> &'static str {
        OrgRejection::code(self)
    }
}

/// A rule rejection's `details`, as PROTOCOL.md lists them: its fields
/// without the code (which is the message's `code`), or `None` for a
/// variant without fields. REST error bodies use the same value, so both
/// transports describe a refusal alike.
pub fn rejection_details(rejection: &impl RuleRefusal) -> Option<serde_json::Value> {
    // A rejection is a map of strings and numbers, so converting it to a
    // JSON value cannot fail; were it to, the details are just left out.
    match serde_json::to_value(rejection) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.remove("code");
            (!fields.is_empty()).then_some(serde_json::Value::Object(fields))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ColumnId;

    #[test]
    fn rejected_carries_code_message_and_fields() {
        let column = ColumnId(uuid::Uuid::from_u128(1));
        let msg = ServerMsg::rejected("c-1", &Rejection::WipLimitReached { column, limit: 3 });
        assert_eq!(
            msg,
            ServerMsg::Rejected {
                id: "c-1".into(),
                code: "wip_limit_reached".into(),
                message: format!("column {column} is at its WIP limit of 3"),
                retryable: false,
                details: Some(serde_json::json!({"column": column, "limit": 3})),
            }
        );
        let ServerMsg::Rejected { details, code, .. } =
            ServerMsg::rejected("c-2", &Rejection::NoChange)
        else {
            panic!("not a rejection");
        };
        assert_eq!((code.as_str(), details), ("no_change", None));
    }
    #[test]
    fn refused_is_retryable_exactly_when_it_says_when() {
        let msg = ServerMsg::refused("c-3", "overloaded", "busy", Some(250));
        let json = serde_json::to_value(&msg).expect("encodes");
        assert_eq!(json["retryable"], true);
        assert_eq!(json["details"], serde_json::json!({"retry_after_ms": 250}));
        let msg = ServerMsg::refused("c-4", "invalid_command_id", "too long", None);
        let json = serde_json::to_value(&msg).expect("encodes");
        assert_eq!(json["retryable"], false);
        assert!(json.get("details").is_none(), "{json}");
    }

    #[test]
    fn kind_is_the_type_tag() {
        let board = BoardId(uuid::Uuid::from_u128(1));
        let org = OrgId(uuid::Uuid::from_u128(2));
        let client = [
            ClientMsg::Auth { token: "t".into() },
            ClientMsg::Subscribe { board, since: None },
            ClientMsg::Unsubscribe { board },
            ClientMsg::Command {
                id: "c".into(),
                board,
                command: Command::ArchiveItem {
                    item: crate::ids::ItemId(uuid::Uuid::from_u128(3)),
                },
            },
            ClientMsg::SubscribeOrg { org },
            ClientMsg::UnsubscribeOrg { org },
            ClientMsg::Ping { nonce: None },
        ];
        for msg in client {
            let json = serde_json::to_value(&msg).expect("encodes");
            assert_eq!(json["type"], msg.kind());
        }
        let server = [
            ServerMsg::Ack {
                id: "c".into(),
                board,
                seq: 1,
            },
            ServerMsg::rejected("c", &Rejection::NoChange),
            ServerMsg::Unsubscribed {
                board,
                reason: "requested".into(),
            },
            ServerMsg::Error {
                code: "x".into(),
                message: "y".into(),
                board: None,
                org: None,
            },
            ServerMsg::OrgUnsubscribed {
                org,
                reason: "requested".into(),
            },
            ServerMsg::Pong { nonce: Some(1) },
        ];
        for msg in server {
            let json = serde_json::to_value(&msg).expect("encodes");
            assert_eq!(json["type"], msg.kind());
        }
    }
}
