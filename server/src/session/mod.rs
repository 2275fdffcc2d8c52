//! WebSocket sessions: one actix actor per socket. The socket is taken
//! over from the HTTP layer after the handshake (`upgrade`); incoming
//! frames are a stream added to the actor's context (`reader`), decoded by
//! a sans-IO `assembler` that refuses oversize frames on their header;
//! outgoing frames go through a bounded queue that the worker's flusher
//! (`flusher`) drains, encoding them as `writer` says, so a board never
//! waits on a socket.

mod actor;
mod answers;
pub mod assembler;
mod commands;
mod flusher;
mod handle;
pub mod reader;
pub mod upgrade;
pub mod writer;

pub use actor::WsSession;

/// Close codes (also in `protocol/PROTOCOL.md`): the table lives in
/// `protocol::close`, which also says which ones a client may reconnect
/// after.
pub use protocol::close;

#[cfg(test)]
mod codes_tests;
#[cfg(test)]
mod flusher_tests;

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
