//! The board aggregate: state, commands, events, rejections, and the pure
//! `decide`/`apply` pair that holds every rule.

mod apply;
mod command;
mod decide;
mod decide_comments;
mod decide_items;
mod event;
mod item_order;
mod query;
mod rejection;
mod state;
#[cfg(test)]
mod tests;
mod validate;

pub use command::Command;
pub use event::{Event, Recorded};
pub use rejection::Rejection;
pub use state::{Board, Column, CommentMeta, Item};

use crate::ids::{Millis, UserId};
use crate::role::{Role, Roster};
use uuid::Uuid;

/// Limits enforced by `decide`.
pub mod limits {
    /// Board name length in characters.
    pub const BOARD_NAME_MAX: usize = 100;
    /// Column name length in characters.
    pub const COLUMN_NAME_MAX: usize = 50;
    /// Columns per board.
    pub const COLUMNS_MAX: usize = 50;
    /// Item title length in characters (at least 1).
    pub const TITLE_MAX: usize = 500;
    /// Item description length in bytes (64 KiB).
    pub const DESCRIPTION_MAX_BYTES: usize = 64 * 1024;
    /// Label length in characters (at least 1).
    pub const LABEL_MAX: usize = 50;
    /// Labels per item.
    pub const LABELS_PER_ITEM_MAX: usize = 20;
    /// Assignees per item.
    pub const ASSIGNEES_PER_ITEM_MAX: usize = 20;
    /// Items per board (archived ones included).
    pub const ITEMS_MAX: usize = 50_000;
    /// Comment length in characters (at least 1, not only whitespace).
    pub const COMMENT_MAX: usize = 10_000;
    /// Comments per board (deleted ones do not count).
    pub const COMMENTS_MAX: usize = 200_000;
}

/// Everything `decide` needs from the outside world: who acts with which
/// role, the time, fresh ids, and facts owned by the organization.
#[derive(Clone, Debug)]
pub struct Ctx<'a> {
    /// The user issuing the command.
    pub actor: UserId,
    /// The actor's role in the board's organization.
    pub role: Role,
    /// The current time.
    pub now: Millis,
    /// A fresh UUID for whatever the command creates (column, item or
    /// comment id).
    pub new_id: Uuid,
    /// The item number allocated for a `CreateItem` command.
    pub item_number: Option<u64>,
    /// The organization's members and their roles (for assignee checks).
    pub members: &'a Roster,
}
