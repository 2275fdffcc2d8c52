//! Every machine code a client can see on the WebSocket: the `code` of
//! `error` and `rejected` messages and the `reason` of `unsubscribed` and
//! `org_unsubscribed`. One table, so the server sends constants instead of
//! string literals and the TypeScript client gets the same list generated
//! from it (`web/client/src/generated/protocol.ts`).
//!
//! The codes come from [`crate::Rejection::code`], [`crate::DecodeError::code`],
//! the actors' and the token checker's error types, and the session itself;
//! tests next to each of those types check that every code they can produce
//! is listed here.

/// One code a client may receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// The code as on the wire, e.g. `wip_limit_reached`.
    pub code: &'static str,
    /// Whether sending the same message again later, unchanged, may
    /// succeed (overload, outage, rate limit, a restarted board).
    pub retryable: bool,
    /// What it means.
    pub description: &'static str,
}

macro_rules! codes {
    ($($name:ident = $code:literal, retry: $retry:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $name: &str = $code;
        )*

        /// Every code, sorted by code.
        pub const ALL: &[Code] = &[
            $(Code { code: $code, retryable: $retry, description: $desc },)*
        ];
    };
}

codes! {
    ACCESS_LOST = "access_lost", retry: false,
        "Unsubscribed: the user lost access to the board or organization (removed, demoted, board gone).";
    ALREADY_ASSIGNED = "already_assigned", retry: false, "The user is already assigned to the item.";
    ALREADY_MEMBER = "already_member", retry: false, "The user is already a member of the organization.";
    ALREADY_SUBSCRIBED = "already_subscribed", retry: false,
        "Already subscribed to this board; send `since` to catch up, or unsubscribe first.";
    AUTH_TIMEOUT = "auth_timeout", retry: true,
        "No `auth` message within the deadline; the socket closes (4000).";
    BOARD_ALREADY_EXISTS = "board_already_exists", retry: false, "The board already exists.";
    BOARD_ARCHIVED = "board_archived", retry: false, "The board is archived; restore it first.";
    BOARD_NOT_ARCHIVED = "board_not_archived", retry: false, "The board is not archived.";
    BOARD_NOT_FOUND = "board_not_found", retry: false,
        "The board does not exist (or is not visible to you).";
    BOARD_RESTARTED = "board_restarted", retry: true,
        "Unsubscribed: the board's actor restarted; subscribe again with `since`.";
    COLUMN_NOT_EMPTY = "column_not_empty", retry: false,
        "The column to remove still holds items, archived ones included.";
    COLUMN_NOT_FOUND = "column_not_found", retry: false, "The column does not exist on this board.";
    COMMENT_NOT_FOUND = "comment_not_found", retry: false,
        "The comment does not exist on this board (or was deleted).";
    DUPLICATE_COLUMN_NAME = "duplicate_column_name", retry: false,
        "Another column already has this name (ignoring case).";
    FORBIDDEN = "forbidden", retry: false, "Your role does not allow the command.";
    INTERNAL = "internal", retry: false,
        "A server fault that retrying cannot fix (a stored record that does not decode, a statement the database always refuses, an answer that cannot be encoded); nothing was applied, the session goes on.";
    INVALID_COMMAND = "invalid_command", retry: false,
        "A command message whose id could be read but which could not be decoded.";
    INVALID_COMMAND_ID = "invalid_command_id", retry: false, "The command id is empty or too long.";
    INVALID_FIELD = "invalid_field", retry: false,
        "A field breaks a rule (length, characters, range).";
    INVALID_MESSAGE = "invalid_message", retry: false,
        "A known message type with a missing, unknown or ill-typed field (or a message that is invalid in this state).";
    INVALID_TOKEN = "invalid_token", retry: false, "The access token is invalid; the socket closes (1008).";
    INVITE_EXPIRED = "invite_expired", retry: false, "The invitation has expired.";
    INVITE_REVOKED = "invite_revoked", retry: false, "The invitation was revoked.";
    INVITE_USED = "invite_used", retry: false, "The invitation was already accepted.";
    ITEM_ARCHIVED = "item_archived", retry: false, "The item is archived; restore it first.";
    ITEM_NOT_ARCHIVED = "item_not_archived", retry: false, "The item is not archived.";
    ITEM_NOT_FOUND = "item_not_found", retry: false, "The item does not exist on this board.";
    LABEL_EXISTS = "label_exists", retry: false, "The item already has the label.";
    LABEL_NOT_FOUND = "label_not_found", retry: false, "The item does not have the label.";
    LAST_OWNER = "last_owner", retry: false, "The organization must keep at least one owner.";
    MALFORMED_FRAME = "malformed_frame", retry: false,
        "Not valid JSON / MessagePack, trailing bytes, or the wrong frame kind for the subprotocol.";
    MESSAGE_TOO_LARGE = "message_too_large", retry: false, "The message exceeds the size limit.";
    NO_CHANGE = "no_change", retry: false, "The command would change nothing.";
    NO_COLUMN = "no_column", retry: false, "The board has no column to put the item in.";
    NOT_A_MEMBER = "not_a_member", retry: false, "The user is not a member of the organization.";
    NOT_ASSIGNED = "not_assigned", retry: false, "The user is not assigned to the item.";
    NOT_COMMENT_AUTHOR = "not_comment_author", retry: false,
        "Only a comment's author may edit or delete it.";
    NOT_FOUND = "not_found", retry: false,
        "The board or organization does not exist or is not visible to you.";
    NOT_SUBSCRIBED = "not_subscribed", retry: false, "The board is not subscribed by this session.";
    ORG_ALREADY_EXISTS = "org_already_exists", retry: false, "The organization already exists.";
    OVERLOADED = "overloaded", retry: true, "The board is overloaded; nothing was applied, retry shortly.";
    RATE_LIMITED = "rate_limited", retry: true,
        "Too many messages; retry after `details.retry_after_ms`.";
    REQUESTED = "requested", retry: false, "Unsubscribed because the client asked to.";
    SERVER_SHUTDOWN = "server_shutdown", retry: true,
        "The server is shutting down; reconnect shortly (close 1001 follows).";
    TIMEOUT = "timeout", retry: true, "The board did not answer in time; retry shortly.";
    TOKEN_EXPIRED = "token_expired", retry: false,
        "The access token expired; reconnect with a fresh token (close 1008 follows).";
    TOKEN_REVOKED = "token_revoked", retry: false,
        "The credential was revoked (close 1008 follows).";
    TOO_MANY_COLUMNS = "too_many_columns", retry: false,
        "The board already has the maximum number of columns.";
    TOO_MANY_ITEMS = "too_many_items", retry: false, "The board already has the maximum number of items.";
    TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions", retry: false,
        "The session already has the maximum number of subscriptions.";
    UNAUTHENTICATED = "unauthenticated", retry: false, "Send an `auth` message first.";
    UNAVAILABLE = "unavailable", retry: true,
        "Storage or the credential check is temporarily unavailable; retry shortly.";
    UNKNOWN_TYPE = "unknown_type", retry: false,
        "A `type` tag that names no known message, command or event.";
    USER_MISMATCH = "user_mismatch", retry: false,
        "A re-`auth` named another user than the session's (close 1008 follows).";
    WIP_LIMIT_REACHED = "wip_limit_reached", retry: false,
        "The target column is at its work-in-progress limit.";
}

/// The entry for `code`, if it is a known code.
pub fn lookup(code: &str) -> Option<&'static Code> {
    ALL.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Rejection;
    use crate::codec::DecodeError;
    use crate::ids::{ColumnId, CommentId, ItemId, UserId};

    /// One of every [`Rejection`] variant. The exhaustive match in
    /// [`rejection_index`] makes a new variant fail to compile until it is
    /// added here.
    fn rejections() -> Vec<Rejection> {
        let (column, item) = (ColumnId::default(), ItemId::default());
        let (user, comment) = (UserId::default(), CommentId::default());
        let text = String::from("x");
        vec![
            Rejection::BoardNotFound,
            Rejection::BoardAlreadyExists,
            Rejection::Forbidden {
                action: text.clone(),
            },
            Rejection::InvalidField {
                field: text.clone(),
                rule: text.clone(),
            },
            Rejection::ColumnNotFound { column },
            Rejection::DuplicateColumnName { name: text.clone() },
            Rejection::ColumnNotEmpty { column, items: 1 },
            Rejection::NoColumn,
            Rejection::TooManyColumns { max: 1 },
            Rejection::TooManyItems { max: 1 },
            Rejection::WipLimitReached { column, limit: 1 },
            Rejection::ItemNotFound { item },
            Rejection::ItemArchived { item },
            Rejection::ItemNotArchived { item },
            Rejection::NotAMember { user },
            Rejection::AlreadyAssigned { user },
            Rejection::NotAssigned { user },
            Rejection::LabelExists {
                label: text.clone(),
            },
            Rejection::LabelNotFound { label: text },
            Rejection::NoChange,
            Rejection::BoardArchived,
            Rejection::BoardNotArchived,
            Rejection::CommentNotFound { comment },
            Rejection::NotCommentAuthor { comment },
        ]
    }

    fn rejection_index(r: &Rejection) -> usize {
        match r {
            Rejection::BoardNotFound => 0,
            Rejection::BoardAlreadyExists => 1,
            Rejection::Forbidden { .. } => 2,
            Rejection::InvalidField { .. } => 3,
            Rejection::ColumnNotFound { .. } => 4,
            Rejection::DuplicateColumnName { .. } => 5,
            Rejection::ColumnNotEmpty { .. } => 6,
            Rejection::NoColumn => 7,
            Rejection::TooManyColumns { .. } => 8,
            Rejection::TooManyItems { .. } => 9,
            Rejection::WipLimitReached { .. } => 10,
            Rejection::ItemNotFound { .. } => 11,
            Rejection::ItemArchived { .. } => 12,
            Rejection::ItemNotArchived { .. } => 13,
            Rejection::NotAMember { .. } => 14,
            Rejection::AlreadyAssigned { .. } => 15,
            Rejection::NotAssigned { .. } => 16,
            Rejection::LabelExists { .. } => 17,
            Rejection::LabelNotFound { .. } => 18,
            Rejection::NoChange => 19,
            Rejection::BoardArchived => 20,
            Rejection::BoardNotArchived => 21,
            Rejection::CommentNotFound { .. } => 22,
            Rejection::NotCommentAuthor { .. } => 23,
        }
    }

    #[test]
    fn codes_are_sorted_and_unique() {
        assert!(ALL.windows(2).all(|w| w[0].code < w[1].code));
    }

    #[test]
    fn every_rejection_code_is_listed_and_not_retryable() {
        let all = rejections();
        let indices: Vec<usize> = all.iter().map(rejection_index).collect();
        assert_eq!(indices, (0..all.len()).collect::<Vec<_>>(), "one of each");
        for r in all {
            let entry = lookup(r.code()).unwrap_or_else(|| panic!("{} not in codes", r.code()));
            assert!(!entry.retryable, "{}", r.code());
            // The serde tag is the code, so `details` and `code` agree.
            assert_eq!(serde_json::to_value(&r).unwrap()["code"], r.code());
        }
    }

    #[test]
    fn every_decode_error_code_is_listed() {
        for e in [
            DecodeError::MalformedFrame(String::new()),
            DecodeError::UnknownType(String::new()),
            DecodeError::InvalidMessage(String::new()),
        ] {
            assert!(lookup(e.code()).is_some(), "{} not in codes", e.code());
        }
    }
}
