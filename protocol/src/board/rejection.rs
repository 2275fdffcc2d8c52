//! Why a command was refused. Each variant has a stable machine code that
//! clients can match on; the `Display` text is for humans.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{ColumnId, CommentId, ItemId, UserId};

/// A rule violation found by [`crate::Board::decide`]. Never an
/// infrastructure failure: retrying the same command gives the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    /// The board has not been created (or is not visible to you).
    #[error("the board does not exist")]
    BoardNotFound,
    /// `create` on a board that exists.
    #[error("the board already exists")]
    BoardAlreadyExists,
    /// The actor's role does not allow the command.
    #[error("your role does not allow {action}")]
    Forbidden {
        /// The command (its wire name) that was refused.
        action: String,
    },
    /// A field breaks a rule (length, characters, range).
    #[error("{field} is invalid: {rule}")]
    InvalidField {
        /// The offending field, e.g. `title`.
        field: String,
        /// The rule it breaks, e.g. `must be 1–500 characters`.
        rule: String,
    },
    /// The command names a column the board does not have.
    #[error("column {column} does not exist on this board")]
    ColumnNotFound {
        /// The column.
        column: ColumnId,
    },
    /// Another column already has this name (ignoring case).
    #[error("a column named {name:?} already exists")]
    DuplicateColumnName {
        /// The name as requested (trimmed).
        name: String,
    },
    /// A column to remove still holds items, archived ones included.
    #[error(
        "column {column} still holds {items} item(s), archived ones included; move them to another column first"
    )]
    ColumnNotEmpty {
        /// The column.
        column: ColumnId,
        /// How many items the column holds.
        items: u32,
    },
    /// `create_item` without a column on a board that has none.
    #[error("the board has no column to put the item in")]
    NoColumn,
    /// The board is at its maximum number of columns.
    #[error("the board already has the maximum of {max} columns")]
    TooManyColumns {
        /// The maximum.
        max: u32,
    },
    /// The board is at its maximum number of items.
    #[error("the board already has the maximum of {max} items")]
    TooManyItems {
        /// The maximum.
        max: u32,
    },
    /// The target column is at its work-in-progress limit.
    #[error("column {column} is at its WIP limit of {limit}")]
    WipLimitReached {
        /// The column.
        column: ColumnId,
        /// The column's WIP limit.
        limit: u32,
    },
    /// The command names an item the board does not have.
    #[error("item {item} does not exist on this board")]
    ItemNotFound {
        /// The item.
        item: ItemId,
    },
    /// The item is archived: restore it before changing it.
    #[error("item {item} is archived; restore it first")]
    ItemArchived {
        /// The item.
        item: ItemId,
    },
    /// `restore_item` on an item that is not archived.
    #[error("item {item} is not archived")]
    ItemNotArchived {
        /// The item.
        item: ItemId,
    },
    /// The user to assign is not a member of the organization.
    #[error("user {user} is not a member of the organization")]
    NotAMember {
        /// The user.
        user: UserId,
    },
    /// The user is already assigned to the item.
    #[error("user {user} is already assigned")]
    AlreadyAssigned {
        /// The user.
        user: UserId,
    },
    /// The user to unassign is not assigned to the item.
    #[error("user {user} is not assigned")]
    NotAssigned {
        /// The user.
        user: UserId,
    },
    /// The item already has the label.
    #[error("the item already has the label {label:?}")]
    LabelExists {
        /// The label.
        label: String,
    },
    /// The item does not have the label.
    #[error("the item has no label {label:?}")]
    LabelNotFound {
        /// The label.
        label: String,
    },
    /// The command would change nothing (same value, same place).
    #[error("the command changes nothing")]
    NoChange,
    /// The board is archived: restore it before changing it.
    #[error("the board is archived; restore it first")]
    BoardArchived,
    /// The board is not archived.
    #[error("the board is not archived")]
    BoardNotArchived,
    /// The command names a comment the board does not have (or no longer
    /// has: it was deleted).
    #[error("comment {comment} does not exist on this board")]
    CommentNotFound {
        /// The comment.
        comment: CommentId,
    },
    /// Only a comment's author may edit or delete it.
    #[error("only the author of comment {comment} may change it")]
    NotCommentAuthor {
        /// The comment.
        comment: CommentId,
    },
}

impl Rejection {
    /// The stable machine code (the serde tag), e.g. `wip_limit_reached`.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::BoardNotFound => crate::codes::BOARD_NOT_FOUND,
            Rejection::BoardAlreadyExists => crate::codes::BOARD_ALREADY_EXISTS,
            Rejection::Forbidden { .. } => crate::codes::FORBIDDEN,
            Rejection::InvalidField { .. } => crate::codes::INVALID_FIELD,
            Rejection::ColumnNotFound { .. } => crate::codes::COLUMN_NOT_FOUND,
            Rejection::DuplicateColumnName { .. } => crate::codes::DUPLICATE_COLUMN_NAME,
            Rejection::ColumnNotEmpty { .. } => crate::codes::COLUMN_NOT_EMPTY,
            Rejection::NoColumn => crate::codes::NO_COLUMN,
            Rejection::TooManyColumns { .. } => crate::codes::TOO_MANY_COLUMNS,
            Rejection::TooManyItems { .. } => crate::codes::TOO_MANY_ITEMS,
            Rejection::WipLimitReached { .. } => crate::codes::WIP_LIMIT_REACHED,
            Rejection::ItemNotFound { .. } => crate::codes::ITEM_NOT_FOUND,
            Rejection::ItemArchived { .. } => crate::codes::ITEM_ARCHIVED,
            Rejection::ItemNotArchived { .. } => crate::codes::ITEM_NOT_ARCHIVED,
            Rejection::NotAMember { .. } => crate::codes::NOT_A_MEMBER,
            Rejection::AlreadyAssigned { .. } => crate::codes::ALREADY_ASSIGNED,
            Rejection::NotAssigned { .. } => crate::codes::NOT_ASSIGNED,
            Rejection::LabelExists { .. } => crate::codes::LABEL_EXISTS,
            Rejection::LabelNotFound { .. } => crate::codes::LABEL_NOT_FOUND,
            Rejection::NoChange => crate::codes::NO_CHANGE,
            Rejection::BoardArchived => crate::codes::BOARD_ARCHIVED,
            Rejection::BoardNotArchived => crate::codes::BOARD_NOT_ARCHIVED,
            Rejection::CommentNotFound { .. } => crate::codes::COMMENT_NOT_FOUND,
            Rejection::NotCommentAuthor { .. } => crate::codes::NOT_COMMENT_AUTHOR,
        }
    }
}
