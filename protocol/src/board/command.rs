//! Commands a client may send for a board. Imperative names; every field is
//! checked by [`crate::Board::decide`].

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{ColumnId, CommentId, ItemId, UserId};

/// A command against one board. Creating a board is an organization-level
/// operation ([`crate::Board::create`]), so it is not a variant here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Rename the board.
    RenameBoard {
        /// The new name: 1–100 characters after trimming.
        name: String,
    },
    /// Add a column at `index` among the columns (end when absent).
    AddColumn {
        /// The column's name: 1–50 characters, unique ignoring case.
        name: String,
        /// Its WIP limit (at least 1), or none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        wip_limit: Option<u32>,
        /// Where to put it among the existing columns; the end when absent
        /// or out of range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        index: Option<u32>,
    },
    /// Rename a column.
    RenameColumn {
        /// The column.
        column: ColumnId,
        /// The new name: 1–50 characters, unique ignoring case.
        name: String,
    },
    /// Move a column to `index` among the other columns.
    MoveColumn {
        /// The column.
        column: ColumnId,
        /// The target index among the other columns (out of range = end).
        index: u32,
    },
    /// Remove an empty column.
    RemoveColumn {
        /// The column; it must hold no item, archived ones included.
        column: ColumnId,
    },
    /// Set or clear a column's work-in-progress limit.
    SetWipLimit {
        /// The column.
        column: ColumnId,
        /// The new limit (at least 1), or `null` to clear it.
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Create an item in `column` (the first column when absent) at `index`
    /// (the end when absent).
    CreateItem {
        /// The title: 1–500 characters after trimming, on one line.
        title: String,
        /// The description: up to 64 KiB of text.
        #[serde(default)]
        // Absent means empty, so a client may leave it out.
        #[cfg_attr(test, ts(as = "Option<String>", optional))]
        description: String,
        /// The column; the first column when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        column: Option<ColumnId>,
        /// The index among the column's items; the end when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        index: Option<u32>,
    },
    /// Change an item's title and/or description.
    EditItem {
        /// The item.
        item: ItemId,
        /// The new title, if it changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        title: Option<String>,
        /// The new description, if it changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        description: Option<String>,
    },
    /// Move an item to `column` at `index` among that column's other items
    /// (the end when absent).
    MoveItem {
        /// The item.
        item: ItemId,
        /// The target column (may be the item's own column).
        column: ColumnId,
        /// The index among the target column's other items; the end when
        /// absent or out of range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        index: Option<u32>,
    },
    /// Assign a member of the organization.
    AssignItem {
        /// The item.
        item: ItemId,
        /// The member to assign.
        user: UserId,
    },
    /// Remove an assignee.
    UnassignItem {
        /// The item.
        item: ItemId,
        /// The assignee to remove.
        user: UserId,
    },
    /// Add a label.
    AddLabel {
        /// The item.
        item: ItemId,
        /// The label: 1–50 characters after trimming.
        label: String,
    },
    /// Remove a label.
    RemoveLabel {
        /// The item.
        item: ItemId,
        /// The label (trimmed before matching).
        label: String,
    },
    /// Archive an item: it stays on the board but no longer counts toward
    /// WIP limits and can no longer be edited or moved.
    ArchiveItem {
        /// The item.
        item: ItemId,
    },
    /// Restore an archived item into its column.
    RestoreItem {
        /// The item.
        item: ItemId,
    },
    /// Archive the board: it becomes read-only until restored.
    #[serde(deserialize_with = "no_fields")]
    ArchiveBoard,
    /// Restore an archived board.
    #[serde(deserialize_with = "no_fields")]
    RestoreBoard,
    /// Comment on an item.
    AddComment {
        /// The item; it must not be archived.
        item: ItemId,
        /// The text: 1–10,000 characters, not only whitespace, kept as
        /// written.
        body: String,
    },
    /// Replace the text of one of your own comments.
    EditComment {
        /// The comment.
        comment: CommentId,
        /// The new text, as for `add_comment`.
        body: String,
    },
    /// Delete one of your own comments.
    DeleteComment {
        /// The comment.
        comment: CommentId,
    },
}

/// Refuses any field besides `type` for a variant without fields. Serde
/// would otherwise ignore them (`deny_unknown_fields` does not reach unit
/// variants of an internally tagged enum), and a typo would pass silently.
fn no_fields<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoFields {}
    NoFields::deserialize(deserializer).map(|NoFields {}| ())
}

impl Command {
    /// The snake_case name of the command, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RenameBoard { .. } => "rename_board",
            Command::AddColumn { .. } => "add_column",
            Command::RenameColumn { .. } => "rename_column",
            Command::MoveColumn { .. } => "move_column",
            Command::RemoveColumn { .. } => "remove_column",
            Command::SetWipLimit { .. } => "set_wip_limit",
            Command::CreateItem { .. } => "create_item",
            Command::EditItem { .. } => "edit_item",
            Command::MoveItem { .. } => "move_item",
            Command::AssignItem { .. } => "assign_item",
            Command::UnassignItem { .. } => "unassign_item",
            Command::AddLabel { .. } => "add_label",
            Command::RemoveLabel { .. } => "remove_label",
            Command::ArchiveItem { .. } => "archive_item",
            Command::RestoreItem { .. } => "restore_item",
            Command::ArchiveBoard => "archive_board",
            Command::RestoreBoard => "restore_board",
            Command::AddComment { .. } => "add_comment",
            Command::EditComment { .. } => "edit_comment",
            Command::DeleteComment { .. } => "delete_comment",
        }
    }

    /// Whether the command changes the board's structure (name, columns,
    /// limits) rather than its items. Structure needs the admin role.
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            Command::RenameBoard { .. }
                | Command::AddColumn { .. }
                | Command::RenameColumn { .. }
                | Command::MoveColumn { .. }
                | Command::RemoveColumn { .. }
                | Command::SetWipLimit { .. }
                | Command::ArchiveBoard
                | Command::RestoreBoard
        )
    }

    /// Whether executing the command needs a freshly allocated item number.
    pub fn needs_item_number(&self) -> bool {
        matches!(self, Command::CreateItem { .. })
    }
}
