//! WebSocket close codes: one table with each code's number, whether a
//! client should reconnect after it, and what it means. The server closes
//! sockets with these constants; the TypeScript client gets the same table
//! generated from it (`web/client/src/generated/protocol.ts`).

/// One close code the server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCode {
    /// The constant's name (`GOING_AWAY`), as in the generated TypeScript.
    pub name: &'static str,
    /// The code in the close frame.
    pub code: u16,
    /// Whether a client should reconnect (with backoff) after it. `false`
    /// means terminal: reconnecting as before fails the same way (a client
    /// bug, or a credential that is no longer good).
    pub reconnect: bool,
    /// What it means and what a client should do.
    pub description: &'static str,
}

macro_rules! close_codes {
    ($($name:ident = $code:literal, reconnect: $reconnect:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $name: u16 = $code;
        )*

        /// Every close code, in ascending order.
        pub const ALL: &[CloseCode] = &[
            $(CloseCode { name: stringify!($name), code: $code, reconnect: $reconnect, description: $desc },)*
        ];
    };
}

close_codes! {
    GOING_AWAY = 1001, reconnect: true,
        "Server shutting down: reconnect with backoff.";
    PROTOCOL_ERROR = 1002, reconnect: false,
        "Invalid WebSocket framing: a client bug; terminal.";
    INVALID_DATA = 1007, reconnect: false,
        "A text message (or close reason) that is not valid UTF-8: a client bug; terminal.";
    POLICY = 1008, reconnect: false,
        "Authentication failed, token expired or revoked: terminal unless a new token can be obtained; reconnect only with a fresh token.";
    TOO_BIG = 1009, reconnect: false,
        "A frame or fragmented message above the hard limit, refused on its header: a client bug; terminal.";
    TRY_AGAIN_LATER = 1013, reconnect: true,
        "The credential could not be checked (database unreachable): reconnect with backoff, same token.";
    AUTH_TIMEOUT = 4000, reconnect: true,
        "No `auth` message within the deadline: reconnect and authenticate first.";
    IDLE_TIMEOUT = 4001, reconnect: true,
        "The client sent nothing (not even a pong) for the idle timeout: reconnect.";
    SLOW_CONSUMER = 4008, reconnect: true,
        "Outbound queue overflow: reconnect and resubscribe with `since`.";
}

/// The entry for `code`, if the server sends it.
pub fn lookup(code: u16) -> Option<&'static CloseCode> {
    ALL.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ascending_and_unique() {
        assert!(ALL.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(lookup(POLICY).map(|c| c.reconnect), Some(false));
        assert_eq!(lookup(SLOW_CONSUMER).map(|c| c.name), Some("SLOW_CONSUMER"));
        assert_eq!(lookup(1000), None);
    }
}
