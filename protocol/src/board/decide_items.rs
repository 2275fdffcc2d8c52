//! The item half of `decide`: create, edit, move, assign, label, archive and
//! restore. Dispatch and the check order are documented in `decide.rs`.

use super::limits::{ASSIGNEES_PER_ITEM_MAX, ITEMS_MAX, LABELS_PER_ITEM_MAX};
use super::query::clamp_index;
use super::validate::{self, as_u32, invalid};
use super::{Board, Column, Ctx, Event, Item, Rejection};
use crate::ids::{ColumnId, ItemId, UserId};

impl Board {
    /// The item, or [`Rejection::ItemNotFound`].
    fn find_item(&self, item: ItemId) -> Result<&Item, Rejection> {
        self.items
            .get(&item)
            .ok_or(Rejection::ItemNotFound { item })
    }

    /// The item if it exists and is not archived.
    fn live_item(&self, item: ItemId) -> Result<&Item, Rejection> {
        let found = self.find_item(item)?;
        if found.archived {
            return Err(Rejection::ItemArchived { item });
        }
        Ok(found)
    }

    /// Refuses one more live item in `column` when it is at its WIP limit.
    fn room_in(&self, column: &Column) -> Result<(), Rejection> {
        match column.wip_limit {
            Some(limit) if self.column_load(column.id) >= limit as usize => {
                Err(Rejection::WipLimitReached {
                    column: column.id,
                    limit,
                })
            }
            _ => Ok(()),
        }
    }

    pub(super) fn create_item(
        &self,
        ctx: &Ctx,
        title: &str,
        description: &str,
        column: Option<ColumnId>,
        index: Option<u32>,
    ) -> Result<Event, Rejection> {
        let title = validate::title(title)?;
        let description = validate::description(description)?;
        // A missing number is a bug of the caller, not of the client; it
        // is still answered, never a panic.
        let number = ctx
            .item_number
            .ok_or_else(|| invalid("number", "an item number must be allocated for create_item"))?;
        let item = ItemId(ctx.new_id);
        if self.items.contains_key(&item) {
            return Err(invalid("id", "the new item id is already in use"));
        }
        let column = match column {
            Some(column) => self.find_column(column)?,
            None => self
                .columns_in_order()
                .into_iter()
                .next()
                .ok_or(Rejection::NoColumn)?,
        };
        if self.items.len() >= ITEMS_MAX {
            return Err(Rejection::TooManyItems {
                max: as_u32(ITEMS_MAX),
            });
        }
        self.room_in(column)?;
        Ok(Event::ItemCreated {
            item,
            number,
            title,
            description,
            column: column.id,
            position: self.item_position(column.id, index, None),
        })
    }

    pub(super) fn edit_item(
        &self,
        item: ItemId,
        title: Option<&str>,
        description: Option<&str>,
    ) -> Result<Event, Rejection> {
        let current = self.live_item(item)?;
        let title = title.map(validate::title).transpose()?;
        let description = description.map(validate::description).transpose()?;
        // Only fields that actually change go into the event.
        let title = title.filter(|title| *title != current.title);
        let description = description.filter(|description| *description != current.description);
        if title.is_none() && description.is_none() {
            return Err(Rejection::NoChange);
        }
        Ok(Event::ItemEdited {
            item,
            title,
            description,
        })
    }

    pub(super) fn move_item(
        &self,
        item: ItemId,
        column: ColumnId,
        index: Option<u32>,
    ) -> Result<Event, Rejection> {
        let current = self.live_item(item)?;
        let target = self.find_column(column)?;
        if current.column == column {
            // Reordering within a column never changes its load.
            let others = self
                .items
                .values()
                .filter(|other| other.column == column)
                .count()
                .saturating_sub(1);
            if clamp_index(index, others) == self.item_index(current) {
                return Err(Rejection::NoChange);
            }
        } else {
            self.room_in(target)?;
        }
        Ok(Event::ItemMoved {
            item,
            column,
            position: self.item_position(column, index, Some(item)),
        })
    }

    pub(super) fn assign_item(
        &self,
        ctx: &Ctx,
        item: ItemId,
        user: UserId,
    ) -> Result<Event, Rejection> {
        let current = self.live_item(item)?;
        if !ctx.members.contains_key(&user) {
            return Err(Rejection::NotAMember { user });
        }
        if current.assignees.contains(&user) {
            return Err(Rejection::AlreadyAssigned { user });
        }
        if current.assignees.len() >= ASSIGNEES_PER_ITEM_MAX {
            return Err(invalid(
                "assignees",
                format!("at most {ASSIGNEES_PER_ITEM_MAX} per item"),
            ));
        }
        Ok(Event::ItemAssigned { item, user })
    }

    pub(super) fn unassign_item(&self, item: ItemId, user: UserId) -> Result<Event, Rejection> {
        // Former members can still be unassigned: no membership check.
        let current = self.live_item(item)?;
        if !current.assignees.contains(&user) {
            return Err(Rejection::NotAssigned { user });
        }
        Ok(Event::ItemUnassigned { item, user })
    }

    pub(super) fn add_label(&self, item: ItemId, label: &str) -> Result<Event, Rejection> {
        let label = validate::label(label)?;
        let current = self.live_item(item)?;
        if current.labels.contains(&label) {
            return Err(Rejection::LabelExists { label });
        }
        if current.labels.len() >= LABELS_PER_ITEM_MAX {
            return Err(invalid(
                "labels",
                format!("at most {LABELS_PER_ITEM_MAX} per item"),
            ));
        }
        Ok(Event::LabelAdded { item, label })
    }

    pub(super) fn remove_label(&self, item: ItemId, label: &str) -> Result<Event, Rejection> {
        let current = self.live_item(item)?;
        let label = label.trim();
        if !current.labels.contains(label) {
            return Err(Rejection::LabelNotFound {
                label: label.to_owned(),
            });
        }
        Ok(Event::LabelRemoved {
            item,
            label: label.to_owned(),
        })
    }

    pub(super) fn archive_item(&self, item: ItemId) -> Result<Event, Rejection> {
        self.live_item(item)?;
        Ok(Event::ItemArchived { item })
    }

    pub(super) fn restore_item(&self, item: ItemId) -> Result<Event, Rejection> {
        let current = self.find_item(item)?;
        if !current.archived {
            return Err(Rejection::ItemNotArchived { item });
        }
        // A column holding items cannot be removed, so it still exists.
        let column = self.find_column(current.column)?;
        self.room_in(column)?;
        Ok(Event::ItemRestored { item })
    }
}
