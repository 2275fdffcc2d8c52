//! Events: the persisted, past-tense facts. These types are stored in the
//! `events` table (MessagePack, named fields) and replayed forever: renaming
//! a variant or a field breaks history, which the golden-bytes test catches.

use serde::{Deserialize, Serialize};

use crate::ids::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, UserId};

/// A fact about a board. Positions are fractional-index keys (see
/// [`crate::position`]): sorting items of a column by `(position, id)` gives
/// every client the same order, and each event is self-contained, so a
/// projection never needs the rest of the board to apply it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The board was created in an organization.
    BoardCreated {
        /// The owning organization.
        org: OrgId,
        /// The board's name (trimmed).
        name: String,
    },
    /// The board was renamed.
    BoardRenamed {
        /// The new name.
        name: String,
    },
    /// A column was added.
    ColumnAdded {
        /// The new column's id.
        column: ColumnId,
        /// Its name.
        name: String,
        /// Its position key among the columns.
        position: String,
        /// Its work-in-progress limit, if any.
        wip_limit: Option<u32>,
    },
    /// A column was renamed.
    ColumnRenamed {
        /// The column.
        column: ColumnId,
        /// The new name.
        name: String,
    },
    /// A column moved to a new position.
    ColumnMoved {
        /// The column.
        column: ColumnId,
        /// Its new position key.
        position: String,
    },
    /// An empty column was removed.
    ColumnRemoved {
        /// The column.
        column: ColumnId,
    },
    /// A column's WIP limit was set (`Some`) or cleared (`None`).
    WipLimitSet {
        /// The column.
        column: ColumnId,
        /// The new limit.
        limit: Option<u32>,
    },
    /// An item was created.
    ItemCreated {
        /// The new item's id.
        item: ItemId,
        /// Its organization-wide number (`DS-123` has number 123).
        number: u64,
        /// Its title (trimmed).
        title: String,
        /// Its description (as written).
        description: String,
        /// The column it was created in.
        column: ColumnId,
        /// Its position key within that column.
        position: String,
    },
    /// An item's title and/or description changed; `None` means unchanged.
    ItemEdited {
        /// The item.
        item: ItemId,
        /// The new title, when it changed.
        title: Option<String>,
        /// The new description, when it changed.
        description: Option<String>,
    },
    /// An item moved (to another column, or within its column).
    ItemMoved {
        /// The item.
        item: ItemId,
        /// The column it is in now.
        column: ColumnId,
        /// Its new position key within that column.
        position: String,
    },
    /// A member was assigned to an item.
    ItemAssigned {
        /// The item.
        item: ItemId,
        /// The assignee.
        user: UserId,
    },
    /// An assignee was removed from an item.
    ItemUnassigned {
        /// The item.
        item: ItemId,
        /// The former assignee.
        user: UserId,
    },
    /// A label was added to an item.
    LabelAdded {
        /// The item.
        item: ItemId,
        /// The label (trimmed).
        label: String,
    },
    /// A label was removed from an item.
    LabelRemoved {
        /// The item.
        item: ItemId,
        /// The label.
        label: String,
    },
    /// An item was archived: it keeps its column and position.
    ItemArchived {
        /// The item.
        item: ItemId,
    },
    /// An archived item was restored in place.
    ItemRestored {
        /// The item.
        item: ItemId,
    },
    /// The board was archived: read-only until restored.
    BoardArchived,
    /// The board was restored.
    BoardRestored,
    /// A comment was added to an item; its author is the record's `by`.
    CommentAdded {
        /// The new comment's id.
        comment: CommentId,
        /// The item commented on.
        item: ItemId,
        /// The text, as written.
        body: String,
    },
    /// A comment's text was replaced.
    CommentEdited {
        /// The comment.
        comment: CommentId,
        /// The new text.
        body: String,
    },
    /// A comment was deleted.
    CommentDeleted {
        /// The comment.
        comment: CommentId,
    },
}

impl Event {
    /// The item the event names, if any: every item event and
    /// `CommentAdded`. `CommentEdited` and `CommentDeleted` name only their
    /// comment (its item is in the board's [`CommentMeta`](super::CommentMeta)
    /// and in the `CommentAdded` of the same comment); board and column
    /// events name no item.
    pub fn item(&self) -> Option<ItemId> {
        match self {
            Event::ItemCreated { item, .. }
            | Event::ItemEdited { item, .. }
            | Event::ItemMoved { item, .. }
            | Event::ItemAssigned { item, .. }
            | Event::ItemUnassigned { item, .. }
            | Event::LabelAdded { item, .. }
            | Event::LabelRemoved { item, .. }
            | Event::ItemArchived { item }
            | Event::ItemRestored { item }
            | Event::CommentAdded { item, .. } => Some(*item),
            Event::BoardCreated { .. }
            | Event::BoardRenamed { .. }
            | Event::ColumnAdded { .. }
            | Event::ColumnRenamed { .. }
            | Event::ColumnMoved { .. }
            | Event::ColumnRemoved { .. }
            | Event::WipLimitSet { .. }
            | Event::BoardArchived
            | Event::BoardRestored
            | Event::CommentEdited { .. }
            | Event::CommentDeleted { .. } => None,
        }
    }

    /// The comment the event names, if any (the three comment events).
    pub fn comment(&self) -> Option<CommentId> {
        match self {
            Event::CommentAdded { comment, .. }
            | Event::CommentEdited { comment, .. }
            | Event::CommentDeleted { comment } => Some(*comment),
            _ => None,
        }
    }
}

/// An event as recorded in a board's log: its place in the total order, who
/// caused it, when, and under which client command id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Recorded {
    /// The board whose log holds the event.
    pub board: BoardId,
    /// The event's place in the board's log: 1 for `BoardCreated`, then
    /// exactly one more per event.
    pub seq: u64,
    /// When the command was decided.
    pub at: Millis,
    /// Who issued the command.
    pub by: UserId,
    /// The client's command id, when the event came from a client command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub command_id: Option<String>,
    /// The fact itself.
    pub event: Event,
}
