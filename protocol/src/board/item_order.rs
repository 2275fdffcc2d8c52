//! The items of each column in `(position, id)` order, kept beside
//! [`Board::items`](crate::Board) so appending to a column reads its last
//! key in O(log n) instead of scanning every item of the board.
//!
//! It is derived data: built from `items` on first use and then kept up to
//! date by `apply`. It is never serialized (snapshots and the wire keep
//! their bytes) and never compared (two boards with the same items have the
//! same index, built or not).
//!
//! `apply` moves an item's entry when it is created or moved. Removing a
//! column needs nothing: a column's entry goes when its last item leaves,
//! and `decide` removes only empty columns (items a damaged log leaves in
//! a removed column stay indexed, as the scan this replaces found them).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::Item;
use crate::ids::{ColumnId, ItemId};

/// One column's items: `(position, id)`, archived ones included.
pub(crate) type ColumnItems = BTreeSet<(String, ItemId)>;

/// Every column's items in order, built lazily.
#[derive(Clone, Default)]
pub(crate) struct ItemOrder(OnceLock<BTreeMap<ColumnId, ColumnItems>>);

impl ItemOrder {
    /// The index, built from `items` if this is its first use.
    pub(crate) fn get<'a>(
        &'a self,
        items: &BTreeMap<ItemId, Item>,
    ) -> &'a BTreeMap<ColumnId, ColumnItems> {
        self.0.get_or_init(|| {
            let mut index: BTreeMap<ColumnId, ColumnItems> = BTreeMap::new();
            for item in items.values() {
                index
                    .entry(item.column)
                    .or_default()
                    .insert((item.position.clone(), item.id));
            }
            index
        })
    }

    /// Records that `item` left `from` (if it was somewhere) and now sits
    /// in `to` (if anywhere). Nothing to do while the index is not built:
    /// it will be built from the items as they are then.
    pub(crate) fn relocate(
        &mut self,
        item: ItemId,
        from: Option<(ColumnId, &str)>,
        to: Option<(ColumnId, &str)>,
    ) {
        let Some(index) = self.0.get_mut() else {
            return;
        };
        if let Some((column, position)) = from {
            if let Some(items) = index.get_mut(&column) {
                items.remove(&(position.to_owned(), item));
                if items.is_empty() {
                    index.remove(&column);
                }
            }
        }
        if let Some((column, position)) = to {
            index
                .entry(column)
                .or_default()
                .insert((position.to_owned(), item));
        }
    }
}

/// Derived from the items, so it never makes two boards differ.
impl PartialEq for ItemOrder {
    fn eq(&self, _: &ItemOrder) -> bool {
        true
    }
}

impl Eq for ItemOrder {}

impl std::fmt::Debug for ItemOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.0.get().map(|index| index.len());
        f.debug_struct("ItemOrder")
            .field("columns", &built)
            .finish()
    }
}
