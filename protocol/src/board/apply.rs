//! `apply`: folds one recorded event into the board. It trusts the log: no
//! validation, no rejection, no panic. An event naming an unknown column or
//! item is ignored, so a log written by an older or buggy version still
//! loads. Replaying a log onto [`Board::new`] always gives the same board.

use super::{Board, Column, CommentMeta, Event, Item, Recorded};
use crate::ids::{ItemId, Millis};

impl Board {
    /// Folds one recorded event: sets `seq` to the record's, stamps items
    /// with the record's time (`created_at`, `updated_at`) and author
    /// (`created_by`), and keeps `columns` sorted by `(position, id)`.
    pub fn apply(&mut self, rec: &Recorded) {
        self.seq = rec.seq;
        match &rec.event {
            Event::BoardArchived => self.archived = true,
            Event::BoardRestored => self.archived = false,
            Event::BoardCreated { org, name } => {
                self.org = Some(*org);
                self.name.clone_from(name);
            }
            Event::BoardRenamed { name } => self.name.clone_from(name),
            Event::ColumnAdded {
                column,
                name,
                position,
                wip_limit,
            } => {
                self.columns.retain(|existing| existing.id != *column);
                self.columns.push(Column {
                    id: *column,
                    name: name.clone(),
                    position: position.clone(),
                    wip_limit: *wip_limit,
                });
                self.sort_columns();
            }
            Event::ColumnRenamed { column, name } => {
                if let Some(existing) = self.columns.iter_mut().find(|c| c.id == *column) {
                    existing.name.clone_from(name);
                }
            }
            Event::ColumnMoved { column, position } => {
                if let Some(existing) = self.columns.iter_mut().find(|c| c.id == *column) {
                    existing.position.clone_from(position);
                }
                self.sort_columns();
            }
            Event::ColumnRemoved { column } => self.columns.retain(|c| c.id != *column),
            Event::WipLimitSet { column, limit } => {
                if let Some(existing) = self.columns.iter_mut().find(|c| c.id == *column) {
                    existing.wip_limit = *limit;
                }
            }
            Event::ItemCreated {
                item,
                number,
                title,
                description,
                column,
                position,
            } => {
                // A re-created id (only in a damaged log) leaves its old spot.
                let from = self
                    .items
                    .get(item)
                    .map(|it| (it.column, it.position.as_str()));
                self.by_column
                    .relocate(*item, from, Some((*column, position.as_str())));
                self.items.insert(
                    *item,
                    Item {
                        id: *item,
                        number: *number,
                        title: title.clone(),
                        description: description.clone(),
                        column: *column,
                        position: position.clone(),
                        assignees: Default::default(),
                        labels: Default::default(),
                        archived: false,
                        created_by: rec.by,
                        created_at: rec.at,
                        updated_at: rec.at,
                    },
                );
            }
            Event::ItemEdited {
                item,
                title,
                description,
            } => self.update_item(*item, rec.at, |it| {
                if let Some(title) = title {
                    it.title.clone_from(title);
                }
                if let Some(description) = description {
                    it.description.clone_from(description);
                }
            }),
            Event::ItemMoved {
                item,
                column,
                position,
            } => {
                if let Some(it) = self.items.get(item) {
                    let from = Some((it.column, it.position.as_str()));
                    self.by_column
                        .relocate(*item, from, Some((*column, position.as_str())));
                }
                self.update_item(*item, rec.at, |it| {
                    it.column = *column;
                    it.position.clone_from(position);
                })
            }
            Event::ItemAssigned { item, user } => self.update_item(*item, rec.at, |it| {
                it.assignees.insert(*user);
            }),
            Event::ItemUnassigned { item, user } => self.update_item(*item, rec.at, |it| {
                it.assignees.remove(user);
            }),
            Event::LabelAdded { item, label } => self.update_item(*item, rec.at, |it| {
                it.labels.insert(label.clone());
            }),
            Event::LabelRemoved { item, label } => self.update_item(*item, rec.at, |it| {
                it.labels.remove(label);
            }),
            Event::ItemArchived { item } => {
                self.update_item(*item, rec.at, |it| it.archived = true)
            }
            Event::ItemRestored { item } => {
                self.update_item(*item, rec.at, |it| it.archived = false)
            }
            // Comments do not touch their item (its `updated_at` stays).
            Event::CommentAdded { comment, item, .. } => {
                if self.items.contains_key(item) {
                    let meta = CommentMeta {
                        item: *item,
                        author: rec.by,
                    };
                    self.comments.insert(*comment, meta);
                }
            }
            Event::CommentEdited { .. } => {}
            Event::CommentDeleted { comment } => {
                self.comments.remove(comment);
            }
        }
    }

    /// Changes an item, if it exists, and stamps `updated_at`.
    fn update_item(&mut self, item: ItemId, at: Millis, change: impl FnOnce(&mut Item)) {
        if let Some(existing) = self.items.get_mut(&item) {
            change(existing);
            existing.updated_at = at;
        }
    }

    /// Restores the `(position, id)` order of `columns`.
    fn sort_columns(&mut self) {
        self.columns
            .sort_by(|a, b| (a.position.as_str(), a.id).cmp(&(b.position.as_str(), b.id)));
    }
}
