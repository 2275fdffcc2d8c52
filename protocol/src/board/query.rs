//! Reading a board: construction, lookups, orderings, and the position keys
//! for an insertion index. Nothing here mutates the board.

use std::cmp::Ordering;

use super::{Board, Column, Ctx, Event, Item, Recorded};
use crate::ids::{BoardId, ColumnId, ItemId};
use crate::position;

/// The `(position, id)` order of columns.
fn column_order(a: &Column, b: &Column) -> Ordering {
    (a.position.as_str(), a.id).cmp(&(b.position.as_str(), b.id))
}

/// The `(position, id)` order of items within a column.
fn item_order(a: &Item, b: &Item) -> Ordering {
    (a.position.as_str(), a.id).cmp(&(b.position.as_str(), b.id))
}

impl Board {
    /// An empty board that has not been created yet: `decide` answers
    /// [`Rejection::BoardNotFound`](crate::Rejection::BoardNotFound) until a
    /// `BoardCreated` event is applied.
    pub fn new(id: BoardId) -> Board {
        Board {
            id,
            ..Board::default()
        }
    }

    /// A board rebuilt from its log: [`Board::new`] followed by
    /// [`Board::apply`] of every event, in order.
    pub fn replay<'a>(id: BoardId, events: impl IntoIterator<Item = &'a Recorded>) -> Board {
        let mut board = Board::new(id);
        for rec in events {
            board.apply(rec);
        }
        board
    }

    /// Whether the board has been created (`BoardCreated` applied).
    pub fn exists(&self) -> bool {
        self.org.is_some()
    }

    /// Stamps events decided for `ctx` with consecutive seqs following
    /// `self.seq`, the context's time and actor, and the client's command
    /// id, ready to be appended and then applied.
    pub fn record(&self, ctx: &Ctx, command_id: Option<&str>, events: Vec<Event>) -> Vec<Recorded> {
        (self.seq + 1..)
            .zip(events)
            .map(|(seq, event)| Recorded {
                board: self.id,
                seq,
                at: ctx.now,
                by: ctx.actor,
                command_id: command_id.map(str::to_owned),
                event,
            })
            .collect()
    }

    /// The column with this id.
    pub fn column(&self, id: ColumnId) -> Option<&Column> {
        self.columns.iter().find(|column| column.id == id)
    }

    /// The item with this id (archived or not).
    pub fn item(&self, id: ItemId) -> Option<&Item> {
        self.items.get(&id)
    }

    /// The columns ordered by `(position, id)`, left to right.
    pub fn columns_in_order(&self) -> Vec<&Column> {
        let mut columns: Vec<&Column> = self.columns.iter().collect();
        columns.sort_by(|a, b| column_order(a, b));
        columns
    }

    /// Every item of a column, archived ones included, ordered by
    /// `(position, id)`, top to bottom. Command indexes count in this order.
    pub fn items_in_column(&self, column: ColumnId) -> Vec<&Item> {
        self.column_items(column)
            .filter_map(|(_, id)| self.items.get(id))
            .collect()
    }

    /// The `(position, id)` keys of a column's items, in order, from the
    /// per-column index (no scan of the board).
    fn column_items(&self, column: ColumnId) -> impl DoubleEndedIterator<Item = &(String, ItemId)> {
        self.by_column
            .get(&self.items)
            .get(&column)
            .into_iter()
            .flatten()
    }

    /// The item with this organization-wide number, if it is on this board.
    pub fn item_by_number(&self, number: u64) -> Option<&Item> {
        self.items.values().find(|item| item.number == number)
    }

    /// A column's load for its WIP limit: its items that are not archived.
    pub fn column_load(&self, column: ColumnId) -> usize {
        self.items
            .values()
            .filter(|item| item.column == column && !item.archived)
            .count()
    }

    /// The key for a column placed at `index` among the other columns
    /// (`moving` excluded); `None` or out of range means the end.
    pub(super) fn column_position(&self, index: Option<u32>, moving: Option<ColumnId>) -> String {
        let others: Vec<&str> = self
            .columns_in_order()
            .into_iter()
            .filter(|column| Some(column.id) != moving)
            .map(|column| column.position.as_str())
            .collect();
        key_at(&others, index)
    }

    /// The key for an item placed at `index` among the other items of
    /// `column` (`moving` excluded); `None` or out of range means the end.
    pub(crate) fn item_position(
        &self,
        column: ColumnId,
        index: Option<u32>,
        moving: Option<ItemId>,
    ) -> String {
        let mut others = self
            .column_items(column)
            .filter(|(_, id)| Some(*id) != moving)
            .map(|(position, _)| position.as_str());
        if index.is_none() {
            // Appending (the common case) needs only the last key: O(log n)
            // from the index, whatever the board's size.
            return position::between(others.next_back(), None);
        }
        key_at(&others.collect::<Vec<_>>(), index)
    }

    /// The index a column has now among the other columns.
    pub(super) fn column_index(&self, column: &Column) -> usize {
        self.columns
            .iter()
            .filter(|other| column_order(other, column) == Ordering::Less)
            .count()
    }

    /// The index an item has now among the other items of its column.
    pub(super) fn item_index(&self, item: &Item) -> usize {
        self.items
            .values()
            .filter(|other| other.column == item.column)
            .filter(|other| item_order(other, item) == Ordering::Less)
            .count()
    }
}

/// Resolves a requested index against a list of `len` others: out of range
/// or absent means the end.
pub(super) fn clamp_index(index: Option<u32>, len: usize) -> usize {
    index
        .and_then(|index| usize::try_from(index).ok())
        .map_or(len, |index| index.min(len))
}

/// A key between the neighbours of slot `index` in the ordered `keys`.
fn key_at(keys: &[&str], index: Option<u32>) -> String {
    let at = clamp_index(index, keys.len());
    let before = at.checked_sub(1).and_then(|i| keys.get(i)).copied();
    let after = keys.get(at).copied();
    position::between(before, after)
}
