//! Every machine code a client can see: the `code` of WebSocket `error` and
//! `rejected` messages, the `reason` of `unsubscribed` and
//! `org_unsubscribed`, and the `code` of every HTTP error body
//! (`ErrorBody`). One table, [`ErrorCode`], so the server sends its
//! variants instead of string literals; `PROTOCOL.md`'s error-code tables,
//! the OpenAPI document and the TypeScript client's list
//! (`web/client/src/generated/protocol.ts`) are checked against it or
//! generated from it.
//!
//! The codes come from [`crate::Rejection::code`], [`crate::DecodeError::code`],
//! the actors' and the token checker's error types, the session, and the
//! HTTP API's error type; tests next to each of those types check that
//! every code they can produce is listed here.

use serde::{Deserialize, Serialize};

/// One code a client may receive, as a table row.
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
    ($($variant:ident $name:ident = $code:literal, retry: $retry:literal, $desc:literal;)*) => {
        /// A machine code a client may receive: serialized as its wire
        /// string (`ErrorCode::WipLimitReached` is `"wip_limit_reached"`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // `rename_all` for utoipa, which does not read a `rename` whose
        // value comes from a macro argument; serde takes each variant's
        // `rename`, and a test checks the two agree.
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(
                #[doc = $desc]
                #[serde(rename = $code)]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, sorted by its wire string.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// Its row of the table ([`ALL`](crate::codes::ALL)).
            pub const fn entry(self) -> Code {
                match self {
                    $(ErrorCode::$variant => Code {
                        code: $code,
                        retryable: $retry,
                        description: $desc,
                    },)*
                }
            }

            /// Whether sending the same message again later may succeed.
            pub const fn retryable(self) -> bool {
                self.entry().retryable
            }

            /// The code with this wire string, if it is one.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }

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

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    AccessLost ACCESS_LOST = "access_lost", retry: false,
        "Unsubscribed: the user lost access to the board or organization (removed, demoted, board gone).";
    AccountDisabled ACCOUNT_DISABLED = "account_disabled", retry: false,
        "REST: an instance operator disabled the account; login and refresh are refused (401).";
    AlreadyAssigned ALREADY_ASSIGNED = "already_assigned", retry: false,
        "The user is already assigned to the item.";
    AlreadyMember ALREADY_MEMBER = "already_member", retry: false,
        "REST: the user is already a member of the organization (409).";
    AlreadySubscribed ALREADY_SUBSCRIBED = "already_subscribed", retry: false,
        "Already subscribed to this board; send `since` to catch up, or unsubscribe first.";
    AuthTimeout AUTH_TIMEOUT = "auth_timeout", retry: true,
        "No `auth` message within the deadline; the socket closes (4000).";
    BadRequest BAD_REQUEST = "bad_request", retry: false,
        "REST: a request the HTTP layer refused before any handler (400); only the status is known.";
    BoardAlreadyExists BOARD_ALREADY_EXISTS = "board_already_exists", retry: false,
        "The board already exists.";
    BoardArchived BOARD_ARCHIVED = "board_archived", retry: false,
        "The board is archived; restore it first.";
    BoardNotArchived BOARD_NOT_ARCHIVED = "board_not_archived", retry: false,
        "The board is not archived.";
    BoardNotFound BOARD_NOT_FOUND = "board_not_found", retry: false,
        "The board does not exist (or is not visible to you).";
    BoardRestarted BOARD_RESTARTED = "board_restarted", retry: true,
        "Unsubscribed: the board's actor restarted; subscribe again with `since`.";
    ColumnNotEmpty COLUMN_NOT_EMPTY = "column_not_empty", retry: false,
        "The column to remove still holds items, archived ones included.";
    ColumnNotFound COLUMN_NOT_FOUND = "column_not_found", retry: false,
        "The column does not exist on this board.";
    CommentNotFound COMMENT_NOT_FOUND = "comment_not_found", retry: false,
        "The comment does not exist on this board (or was deleted).";
    Conflict CONFLICT = "conflict", retry: false,
        "REST: what the request creates already exists (409).";
    DuplicateColumnName DUPLICATE_COLUMN_NAME = "duplicate_column_name", retry: false,
        "Another column already has this name (ignoring case).";
    ExpectationFailed EXPECTATION_FAILED = "expectation_failed", retry: false,
        "REST: an `Expect` header the server does not meet (417).";
    Forbidden FORBIDDEN = "forbidden", retry: false,
        "Your role does not allow the command.";
    Gone GONE = "gone", retry: false,
        "REST: the resource existed but can no longer be used (410).";
    Internal INTERNAL = "internal", retry: false,
        "A server bug or a permanent server fault (an undecodable row, an answer that could not be encoded); sending it again will fail the same way (REST 500).";
    InvalidBody INVALID_BODY = "invalid_body", retry: false,
        "REST: the JSON body is missing, malformed or has an ill-typed or unknown field (400).";
    InvalidCommand INVALID_COMMAND = "invalid_command", retry: false,
        "A command message whose id could be read but which could not be decoded.";
    InvalidCommandId INVALID_COMMAND_ID = "invalid_command_id", retry: false,
        "The command id is empty or too long.";
    InvalidCredentials INVALID_CREDENTIALS = "invalid_credentials", retry: false,
        "REST: the email or password is wrong (401).";
    InvalidField INVALID_FIELD = "invalid_field", retry: false,
        "A field breaks a rule (length, characters, range).";
    InvalidMessage INVALID_MESSAGE = "invalid_message", retry: false,
        "A known message type with a missing, unknown or ill-typed field (or a message that is invalid in this state).";
    InvalidPath INVALID_PATH = "invalid_path", retry: false,
        "REST: a path parameter is not a valid id or value (400).";
    InvalidQuery INVALID_QUERY = "invalid_query", retry: false,
        "REST: the query string is invalid (400).";
    InvalidRefreshToken INVALID_REFRESH_TOKEN = "invalid_refresh_token", retry: false,
        "REST: the refresh token is unknown or malformed (401).";
    InvalidToken INVALID_TOKEN = "invalid_token", retry: false,
        "The access token is invalid; the socket closes (1008).";
    InviteExpired INVITE_EXPIRED = "invite_expired", retry: false,
        "REST: the invite has expired (410).";
    InviteRevoked INVITE_REVOKED = "invite_revoked", retry: false,
        "REST: the invite has been revoked (410).";
    InviteUsed INVITE_USED = "invite_used", retry: false,
        "REST: the invite has already been accepted (410, or 409 when revoking it).";
    ItemArchived ITEM_ARCHIVED = "item_archived", retry: false,
        "The item is archived; restore it first.";
    ItemNotArchived ITEM_NOT_ARCHIVED = "item_not_archived", retry: false,
        "The item is not archived.";
    ItemNotFound ITEM_NOT_FOUND = "item_not_found", retry: false,
        "The item does not exist on this board.";
    LabelExists LABEL_EXISTS = "label_exists", retry: false,
        "The item already has the label.";
    LabelNotFound LABEL_NOT_FOUND = "label_not_found", retry: false,
        "The item does not have the label.";
    LastOwner LAST_OWNER = "last_owner", retry: false,
        "REST: the organization must keep at least one owner (409).";
    LengthRequired LENGTH_REQUIRED = "length_required", retry: false,
        "REST: the request needs a `Content-Length` (411).";
    LoginLocked LOGIN_LOCKED = "login_locked", retry: true,
        "REST: too many failed logins; retry after `Retry-After` (429).";
    MalformedFrame MALFORMED_FRAME = "malformed_frame", retry: false,
        "Not valid JSON / MessagePack, trailing bytes, or the wrong frame kind for the subprotocol.";
    MessageTooLarge MESSAGE_TOO_LARGE = "message_too_large", retry: false,
        "The message exceeds the size limit.";
    MethodNotAllowed METHOD_NOT_ALLOWED = "method_not_allowed", retry: false,
        "REST: the path does not accept this method; `Allow` lists those it does (405).";
    MissingRefreshToken MISSING_REFRESH_TOKEN = "missing_refresh_token", retry: false,
        "REST: neither the body nor the cookie has a refresh token (401).";
    MissingToken MISSING_TOKEN = "missing_token", retry: false,
        "REST: no `Authorization: Bearer` credential (401).";
    NoChange NO_CHANGE = "no_change", retry: false,
        "The command would change nothing.";
    NoColumn NO_COLUMN = "no_column", retry: false,
        "The board has no column to put the item in.";
    NotAMember NOT_A_MEMBER = "not_a_member", retry: false,
        "The user is not a member of the organization.";
    NotAWebsocket NOT_A_WEBSOCKET = "not_a_websocket", retry: false,
        "The WebSocket upgrade request is not a valid handshake (400).";
    NotAcceptable NOT_ACCEPTABLE = "not_acceptable", retry: false,
        "REST: no representation matches the `Accept` header (406).";
    NotAssigned NOT_ASSIGNED = "not_assigned", retry: false,
        "The user is not assigned to the item.";
    NotCommentAuthor NOT_COMMENT_AUTHOR = "not_comment_author", retry: false,
        "Only a comment's author may edit or delete it.";
    NotFound NOT_FOUND = "not_found", retry: false,
        "The board or organization does not exist or is not visible to you.";
    NotSubscribed NOT_SUBSCRIBED = "not_subscribed", retry: false,
        "The board is not subscribed by this session.";
    OrgAlreadyExists ORG_ALREADY_EXISTS = "org_already_exists", retry: false,
        "The organization already exists (an organization is created once).";
    OrgKeyTaken ORG_KEY_TAKEN = "org_key_taken", retry: false,
        "REST: another organization has this key (409).";
    Overloaded OVERLOADED = "overloaded", retry: true,
        "The board is overloaded; nothing was applied, retry shortly.";
    PayloadTooLarge PAYLOAD_TOO_LARGE = "payload_too_large", retry: false,
        "REST: the request body exceeds the size limit (413).";
    RateLimited RATE_LIMITED = "rate_limited", retry: true,
        "Too many messages; retry after `details.retry_after_ms`.";
    RefreshTokenExpired REFRESH_TOKEN_EXPIRED = "refresh_token_expired", retry: false,
        "REST: the login session has expired; log in again (401).";
    RefreshTokenReused REFRESH_TOKEN_REUSED = "refresh_token_reused", retry: false,
        "REST: the refresh token was already used; the login session is revoked (401).";
    RequestHeaderFieldsTooLarge REQUEST_HEADER_FIELDS_TOO_LARGE = "request_header_fields_too_large", retry: false,
        "REST: the request headers are too large (431).";
    RequestTimeout REQUEST_TIMEOUT = "request_timeout", retry: true,
        "REST: the request was not received in time (408).";
    Requested REQUESTED = "requested", retry: false,
        "Unsubscribed because the client asked to.";
    ServerShutdown SERVER_SHUTDOWN = "server_shutdown", retry: true,
        "The server is shutting down; reconnect shortly (close 1001 follows).";
    SessionRevoked SESSION_REVOKED = "session_revoked", retry: false,
        "REST: the login session has been revoked; log in again (401).";
    Timeout TIMEOUT = "timeout", retry: true,
        "The board did not answer in time; retry shortly.";
    TokenExpired TOKEN_EXPIRED = "token_expired", retry: false,
        "The access token expired; reconnect with a fresh token (close 1008 follows).";
    TokenRevoked TOKEN_REVOKED = "token_revoked", retry: false,
        "The credential was revoked (close 1008 follows).";
    TooManyColumns TOO_MANY_COLUMNS = "too_many_columns", retry: false,
        "The board already has the maximum number of columns.";
    TooManyItems TOO_MANY_ITEMS = "too_many_items", retry: false,
        "The board already has the maximum number of items.";
    TooManyRequests TOO_MANY_REQUESTS = "too_many_requests", retry: true,
        "REST: refused for now by the HTTP layer; retry later (429).";
    TooManySubscriptions TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions", retry: false,
        "The session already has the maximum number of subscriptions.";
    Unauthenticated UNAUTHENTICATED = "unauthenticated", retry: false,
        "Send an `auth` message first.";
    Unauthorized UNAUTHORIZED = "unauthorized", retry: false,
        "REST: the HTTP layer refused the credentials (401); only the status is known.";
    Unavailable UNAVAILABLE = "unavailable", retry: true,
        "Storage or the credential check is temporarily unavailable; retry shortly.";
    UnknownType UNKNOWN_TYPE = "unknown_type", retry: false,
        "A `type` tag that names no known message, command or event.";
    UnsupportedMediaType UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", retry: false,
        "REST: the body is not `application/json` (415).";
    UnsupportedSubprotocol UNSUPPORTED_SUBPROTOCOL = "unsupported_subprotocol", retry: false,
        "The WebSocket upgrade offers no subprotocol the server speaks (400).";
    UriTooLong URI_TOO_LONG = "uri_too_long", retry: false,
        "REST: the request URI is too long (414).";
    UserMismatch USER_MISMATCH = "user_mismatch", retry: false,
        "A re-`auth` named another user than the session's (close 1008 follows).";
    ValidationFailed VALIDATION_FAILED = "validation_failed", retry: false,
        "REST: a field breaks a rule; `details` names each field (400).";
    WipLimitReached WIP_LIMIT_REACHED = "wip_limit_reached", retry: false,
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
    fn the_enum_and_the_table_agree() {
        assert_eq!(ErrorCode::ALL.len(), ALL.len());
        for (code, row) in ErrorCode::ALL.iter().zip(ALL) {
            assert_eq!(code.entry(), *row);
            assert_eq!(ErrorCode::parse(row.code), Some(*code));
            // The serde name is the wire string.
            assert_eq!(serde_json::to_value(code).unwrap(), row.code);
            let back: ErrorCode = serde_json::from_value(row.code.into()).unwrap();
            assert_eq!(back, *code);
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
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

    /// The codes `PROTOCOL.md` lists in the first column of the tables of
    /// its "Error codes" section.
    fn documented_codes() -> std::collections::BTreeSet<String> {
        let spec = include_str!("../PROTOCOL.md");
        let start = spec
            .find("\n## Error codes\n")
            .expect("an Error codes section");
        let section = &spec[start + 1..];
        let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
        section[..end]
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`'))
            .map(|(code, _)| code.to_owned())
            .collect()
    }

    #[test]
    fn protocol_md_lists_exactly_the_catalog() {
        let documented = documented_codes();
        let catalog: std::collections::BTreeSet<String> =
            ALL.iter().map(|c| c.code.to_owned()).collect();
        let undocumented: Vec<&String> = catalog.difference(&documented).collect();
        let unknown: Vec<&String> = documented.difference(&catalog).collect();
        assert!(
            undocumented.is_empty(),
            "codes missing from PROTOCOL.md's error-code tables: {undocumented:?}"
        );
        assert!(
            unknown.is_empty(),
            "PROTOCOL.md lists codes that are not in protocol::codes: {unknown:?}"
        );
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
