//! WebSocket sessions: one actix actor per socket. The socket is taken
//! over from the HTTP layer after the handshake (`upgrade`); incoming
//! frames are a stream added to the actor's context (`reader`), decoded by
//! a sans-IO `assembler` that refuses oversize frames on their header;
//! outgoing frames go through a bounded queue drained by a writer task
//! (`writer`), so a board never waits on a socket.

mod actor;
pub mod assembler;
mod handle;
pub mod reader;
pub mod upgrade;
pub mod writer;

pub use actor::WsSession;

/// Close codes (also in `protocol/PROTOCOL.md`).
pub mod close {
    /// Server shutting down: reconnect with backoff.
    pub const GOING_AWAY: u16 = 1001;
    /// Invalid WebSocket framing.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message (or close reason) that is not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Authentication failed, token expired or revoked: get a new token
    /// before reconnecting.
    pub const POLICY: u16 = 1008;
    /// A frame or fragmented message above the hard limit, refused on its
    /// header.
    pub const TOO_BIG: u16 = 1009;
    /// The credential could not be checked (database unreachable):
    /// reconnect with backoff, same token.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// No `auth` message within the deadline.
    pub const AUTH_TIMEOUT: u16 = 4000;
    /// The client sent nothing (not even a pong) for the client timeout.
    pub const IDLE_TIMEOUT: u16 = 4001;
    /// Outbound queue overflow: reconnect and resubscribe with `since`.
    pub const SLOW_CONSUMER: u16 = actors::CLOSE_SLOW_CONSUMER;
}

/// Largest message an unauthenticated socket may send (an `auth` message
/// with a token fits easily).
pub const UNAUTHENTICATED_MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// The hard frame limit of an unauthenticated socket, by the same rule as
/// the authenticated one (twice the message limit, at least 64 KiB): a
/// frame declaring more closes the socket (1009) on its header. So a socket
/// that never authenticates holds at most this much of its data.
pub const UNAUTHENTICATED_FRAME_LIMIT: usize = 64 * 1024;

/// Messages an unauthenticated socket may send (other than `auth` and
/// `ping`) before it is closed.
pub const UNAUTHENTICATED_STRIKES: u32 = 3;
