//! The live board aggregate: what a `BoardActor` holds and what a snapshot
//! contains. Only [`Board::apply`](crate::Board::apply) mutates it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::item_order::ItemOrder;
use crate::ids::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, UserId};

/// A column. Columns are ordered by `(position, id)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Column {
    /// The column's id.
    pub id: ColumnId,
    /// Its name, unique on the board ignoring case.
    pub name: String,
    /// Its fractional position key among the columns.
    pub position: String,
    /// Its work-in-progress limit: the most non-archived items it may hold
    /// when items are added (a lowered limit does not evict anything).
    pub wip_limit: Option<u32>,
}

/// A work item. Within a column, items are ordered by `(position, id)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Item {
    /// The item's id.
    pub id: ItemId,
    /// Its organization-wide number (`DS-123` has number 123).
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// The column holding it (archived items keep theirs).
    pub column: ColumnId,
    /// Its fractional position key within the column.
    pub position: String,
    /// Assigned members.
    pub assignees: BTreeSet<UserId>,
    /// Labels.
    pub labels: BTreeSet<String>,
    /// Whether it is archived.
    pub archived: bool,
    /// Who created it.
    pub created_by: UserId,
    /// When it was created.
    pub created_at: Millis,
    /// When it last changed.
    pub updated_at: Millis,
}

/// What `decide` needs to know about a comment: its item and its author.
/// The body is not kept in the board (it lives in the log and in the
/// `comments` read model), so comments do not make live boards large.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommentMeta {
    /// The item commented on.
    pub item: ItemId,
    /// Who wrote it: the only one who may edit or delete it.
    pub author: UserId,
}

/// A board: its columns and items, and the seq of the last applied event.
/// `org` is `None` until `BoardCreated` is applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Board {
    /// The board's id.
    pub id: BoardId,
    /// The owning organization; `None` until the board is created.
    pub org: Option<OrgId>,
    /// The board's name.
    pub name: String,
    /// The seq of the last applied event (0 for a new board).
    pub seq: u64,
    /// The columns, kept sorted by `(position, id)`.
    pub columns: Vec<Column>,
    /// Every item, archived ones included, by id.
    pub items: BTreeMap<ItemId, Item>,
    /// Whether the board is archived (read-only).
    #[serde(default)]
    pub archived: bool,
    /// The comments on its items, by id (metadata only). Absent from the
    /// encoding when empty, so snapshots without comments keep their bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub comments: BTreeMap<CommentId, CommentMeta>,
    /// Each column's items in `(position, id)` order, so appending reads
    /// the last key without scanning the board. Derived from `items`: not
    /// encoded (snapshots keep their bytes) and not compared.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    #[cfg_attr(test, ts(skip))]
    pub(crate) by_column: ItemOrder,
}
