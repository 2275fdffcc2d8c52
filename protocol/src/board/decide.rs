//! `create` and `decide`: every rule of a board. Pure functions of the board,
//! the context and the command; they return the events to record or the
//! rule that refuses the command, and never touch `self`.
//!
//! Checks run in a fixed order, so a command breaking several rules always
//! gets the same answer: the board exists, the role allows the command, the
//! board is not archived (unless the command restores it), the fields are
//! well-formed, the things it names exist and are in a usable state, and
//! finally capacity (WIP limits, maxima). Item commands are in
//! `decide_items.rs`, comment commands in `decide_comments.rs`.

use std::collections::BTreeSet;

use super::limits::COLUMNS_MAX;
use super::validate::{self, as_u32, invalid, name_key};
use super::{Board, Column, Command, Ctx, Event, Rejection};
use crate::ids::{ColumnId, OrgId};
use crate::position;

impl Board {
    /// Decides the creation of this board in organization `org`, with
    /// `columns` (ids minted by the caller, names) from left to right.
    ///
    /// Returns `BoardCreated` followed by one `ColumnAdded` per column, with
    /// increasing positions. Names are trimmed.
    ///
    /// # Errors
    /// [`Rejection::BoardAlreadyExists`] when the board exists,
    /// [`Rejection::Forbidden`] (action `create_board`) unless the role can
    /// manage, [`Rejection::InvalidField`] for a bad board or column name or
    /// a repeated column id, [`Rejection::TooManyColumns`] past
    /// [`COLUMNS_MAX`](super::limits::COLUMNS_MAX), and
    /// [`Rejection::DuplicateColumnName`] for names equal up to case.
    pub fn create(
        &self,
        ctx: &Ctx,
        org: OrgId,
        name: &str,
        columns: &[(ColumnId, String)],
    ) -> Result<Vec<Event>, Rejection> {
        if self.exists() {
            return Err(Rejection::BoardAlreadyExists);
        }
        if !ctx.role.can_manage() {
            return Err(Rejection::Forbidden {
                action: "create_board".to_owned(),
            });
        }
        let name = validate::board_name(name)?;
        if columns.len() > COLUMNS_MAX {
            return Err(Rejection::TooManyColumns {
                max: as_u32(COLUMNS_MAX),
            });
        }
        let mut events = vec![Event::BoardCreated { org, name }];
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut last: Option<String> = None;
        for (column, name) in columns {
            let name = validate::column_name(name)?;
            if !ids.insert(*column) {
                return Err(invalid("columns", "column ids must be unique"));
            }
            if !names.insert(name_key(&name)) {
                return Err(Rejection::DuplicateColumnName { name });
            }
            let position = position::between(last.as_deref(), None);
            last = Some(position.clone());
            events.push(Event::ColumnAdded {
                column: *column,
                name,
                position,
                wip_limit: None,
            });
        }
        Ok(events)
    }

    /// Decides a command: the events it causes, or why it is refused.
    ///
    /// Structural commands ([`Command::is_structural`]) need a role that can
    /// manage the board, item commands a role that can edit items. Every
    /// command currently yields exactly one event.
    ///
    /// # Errors
    /// [`Rejection::BoardNotFound`] before the board is created,
    /// [`Rejection::Forbidden`] (action = [`Command::name`]) when the role
    /// does not allow the command, [`Rejection::BoardArchived`] for any
    /// command but [`Command::RestoreBoard`] on an archived board, and the
    /// rule-specific rejections listed for each command in `PROTOCOL.md`.
    pub fn decide(&self, ctx: &Ctx, cmd: &Command) -> Result<Vec<Event>, Rejection> {
        if !self.exists() {
            return Err(Rejection::BoardNotFound);
        }
        let allowed = if cmd.is_structural() {
            ctx.role.can_manage()
        } else {
            ctx.role.can_edit_items()
        };
        if !allowed {
            return Err(Rejection::Forbidden {
                action: cmd.name().to_owned(),
            });
        }
        if self.archived && *cmd != Command::RestoreBoard {
            return Err(Rejection::BoardArchived);
        }
        let event = match cmd {
            Command::ArchiveBoard => Event::BoardArchived,
            Command::RestoreBoard if !self.archived => return Err(Rejection::BoardNotArchived),
            Command::RestoreBoard => Event::BoardRestored,
            Command::RenameBoard { name } => self.rename_board(name)?,
            Command::AddColumn {
                name,
                wip_limit,
                index,
            } => self.add_column(ctx, name, *wip_limit, *index)?,
            Command::RenameColumn { column, name } => self.rename_column(*column, name)?,
            Command::MoveColumn { column, index } => self.move_column(*column, *index)?,
            Command::RemoveColumn { column } => self.remove_column(*column)?,
            Command::SetWipLimit { column, limit } => self.set_wip_limit(*column, *limit)?,
            Command::CreateItem {
                title,
                description,
                column,
                index,
            } => self.create_item(ctx, title, description, *column, *index)?,
            Command::EditItem {
                item,
                title,
                description,
            } => self.edit_item(*item, title.as_deref(), description.as_deref())?,
            Command::MoveItem {
                item,
                column,
                index,
            } => self.move_item(*item, *column, *index)?,
            Command::AssignItem { item, user } => self.assign_item(ctx, *item, *user)?,
            Command::UnassignItem { item, user } => self.unassign_item(*item, *user)?,
            Command::AddLabel { item, label } => self.add_label(*item, label)?,
            Command::RemoveLabel { item, label } => self.remove_label(*item, label)?,
            Command::ArchiveItem { item } => self.archive_item(*item)?,
            Command::RestoreItem { item } => self.restore_item(*item)?,
            Command::AddComment { item, body } => self.add_comment(ctx, *item, body)?,
            Command::EditComment { comment, body } => self.edit_comment(ctx, *comment, body)?,
            Command::DeleteComment { comment } => self.delete_comment(ctx, *comment)?,
        };
        Ok(vec![event])
    }

    /// The column, or [`Rejection::ColumnNotFound`].
    pub(super) fn find_column(&self, column: ColumnId) -> Result<&Column, Rejection> {
        self.column(column)
            .ok_or(Rejection::ColumnNotFound { column })
    }

    /// Refuses a column name another column (not `except`) already has.
    fn unique_column_name(&self, name: &str, except: Option<ColumnId>) -> Result<(), Rejection> {
        let key = name_key(name);
        let taken = self
            .columns
            .iter()
            .any(|column| Some(column.id) != except && name_key(&column.name) == key);
        if taken {
            return Err(Rejection::DuplicateColumnName {
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    fn rename_board(&self, name: &str) -> Result<Event, Rejection> {
        let name = validate::board_name(name)?;
        if name == self.name {
            return Err(Rejection::NoChange);
        }
        Ok(Event::BoardRenamed { name })
    }

    fn add_column(
        &self,
        ctx: &Ctx,
        name: &str,
        wip_limit: Option<u32>,
        index: Option<u32>,
    ) -> Result<Event, Rejection> {
        let name = validate::column_name(name)?;
        let wip_limit = validate::wip_limit("wip_limit", wip_limit)?;
        let column = ColumnId(ctx.new_id);
        if self.column(column).is_some() {
            return Err(invalid("id", "the new column id is already in use"));
        }
        self.unique_column_name(&name, None)?;
        if self.columns.len() >= COLUMNS_MAX {
            return Err(Rejection::TooManyColumns {
                max: as_u32(COLUMNS_MAX),
            });
        }
        Ok(Event::ColumnAdded {
            column,
            name,
            position: self.column_position(index, None),
            wip_limit,
        })
    }

    fn rename_column(&self, column: ColumnId, name: &str) -> Result<Event, Rejection> {
        let name = validate::column_name(name)?;
        let current = self.find_column(column)?;
        if current.name == name {
            return Err(Rejection::NoChange);
        }
        self.unique_column_name(&name, Some(column))?;
        Ok(Event::ColumnRenamed { column, name })
    }

    fn move_column(&self, column: ColumnId, index: u32) -> Result<Event, Rejection> {
        let current = self.find_column(column)?;
        let target = super::query::clamp_index(Some(index), self.columns.len().saturating_sub(1));
        if target == self.column_index(current) {
            return Err(Rejection::NoChange);
        }
        Ok(Event::ColumnMoved {
            column,
            position: self.column_position(Some(index), Some(column)),
        })
    }

    fn remove_column(&self, column: ColumnId) -> Result<Event, Rejection> {
        self.find_column(column)?;
        let items = self
            .items
            .values()
            .filter(|item| item.column == column)
            .count();
        if items > 0 {
            return Err(Rejection::ColumnNotEmpty {
                column,
                items: as_u32(items),
            });
        }
        Ok(Event::ColumnRemoved { column })
    }

    fn set_wip_limit(&self, column: ColumnId, limit: Option<u32>) -> Result<Event, Rejection> {
        let limit = validate::wip_limit("limit", limit)?;
        let current = self.find_column(column)?;
        if current.wip_limit == limit {
            return Err(Rejection::NoChange);
        }
        Ok(Event::WipLimitSet { column, limit })
    }
}
