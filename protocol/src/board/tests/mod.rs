//! Given/when/then tests of the board rules: `given(events)` builds a board
//! from its log, `.when(command)` decides as a user of the chosen role, and
//! the test compares the outcome with the expected events or rejection.

mod apply;
mod archive;
mod column_index;
mod comments;
mod create;
mod golden;
mod items;
mod labels;
mod replay;
mod structure;

use uuid::Uuid;

use super::{Board, Command, Ctx, Event, Recorded, Rejection};
use crate::ids::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, UserId};
use crate::role::{Role, Roster};

const BOARD: BoardId = BoardId(Uuid::from_u128(0xb0));
const ORG: OrgId = OrgId(Uuid::from_u128(0x0a));
/// The id `decide` receives for whatever the command creates.
const NEW: u128 = 0xf_ffff;

const OWNER: UserId = UserId(Uuid::from_u128(0x1));
const ADMIN: UserId = UserId(Uuid::from_u128(0x2));
const MEMBER: UserId = UserId(Uuid::from_u128(0x3));
const VIEWER: UserId = UserId(Uuid::from_u128(0x4));
/// Not in the organization.
const STRANGER: UserId = UserId(Uuid::from_u128(0x5));

fn col(n: u128) -> ColumnId {
    ColumnId(Uuid::from_u128(0xc00 + n))
}

fn item(n: u128) -> ItemId {
    ItemId(Uuid::from_u128(0x1700 + n))
}

fn comment(n: u128) -> CommentId {
    CommentId(Uuid::from_u128(0xc0e00 + n))
}

fn new_column() -> ColumnId {
    ColumnId(Uuid::from_u128(NEW))
}

fn new_item() -> ItemId {
    ItemId(Uuid::from_u128(NEW))
}

fn members() -> Roster {
    Roster::from([
        (OWNER, Role::Owner),
        (ADMIN, Role::Admin),
        (MEMBER, Role::Member),
        (VIEWER, Role::Viewer),
    ])
}

fn actor(role: Role) -> UserId {
    match role {
        Role::Owner => OWNER,
        Role::Admin => ADMIN,
        Role::Member => MEMBER,
        Role::Viewer => VIEWER,
    }
}

/// A board built from events, and who is about to act on it.
struct Given {
    board: Board,
    role: Role,
    number: Option<u64>,
    members: Roster,
}

/// The board after `events` (seq 1, 2, … at time = seq, by the owner).
fn given(events: impl IntoIterator<Item = Event>) -> Given {
    let log: Vec<Recorded> = (1..)
        .zip(events)
        .map(|(seq, event)| recorded(seq, event))
        .collect();
    Given {
        board: Board::replay(BOARD, &log),
        role: Role::Owner,
        number: Some(100),
        members: members(),
    }
}

fn recorded(seq: u64, event: Event) -> Recorded {
    Recorded {
        board: BOARD,
        seq,
        at: Millis(seq as i64),
        by: OWNER,
        command_id: None,
        event,
    }
}

impl Given {
    fn acting_as(mut self, role: Role) -> Given {
        self.role = role;
        self
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            actor: actor(self.role),
            role: self.role,
            now: Millis(1_000),
            new_id: Uuid::from_u128(NEW),
            item_number: self.number,
            members: &self.members,
        }
    }

    fn when(&self, cmd: Command) -> Result<Vec<Event>, Rejection> {
        self.board.decide(&self.ctx(), &cmd)
    }

    /// `when`, expecting exactly one event, returned.
    fn accepts(&self, cmd: Command) -> Event {
        match self.when(cmd.clone()) {
            Ok(events) if events.len() == 1 => events.into_iter().next().unwrap(),
            other => panic!("{cmd:?} gave {other:?}"),
        }
    }
}

fn created() -> Event {
    Event::BoardCreated {
        org: ORG,
        name: "Board".into(),
    }
}

fn column(n: u128, name: &str, position: &str) -> Event {
    Event::ColumnAdded {
        column: col(n),
        name: name.into(),
        position: position.into(),
        wip_limit: None,
    }
}

fn limited(n: u128, name: &str, position: &str, limit: u32) -> Event {
    Event::ColumnAdded {
        column: col(n),
        name: name.into(),
        position: position.into(),
        wip_limit: Some(limit),
    }
}

fn card(n: u128, column: u128, position: &str) -> Event {
    Event::ItemCreated {
        item: item(n),
        number: n as u64,
        title: format!("Item {n}"),
        description: String::new(),
        column: col(column),
        position: position.into(),
    }
}

fn archived(n: u128) -> Event {
    Event::ItemArchived { item: item(n) }
}

/// A created board with columns Todo (1), Doing (2), Done (3).
fn kanban() -> Vec<Event> {
    vec![
        created(),
        column(1, "Todo", "V"),
        column(2, "Doing", "W"),
        column(3, "Done", "X"),
    ]
}

/// `kanban` plus items 1, 2, 3 in Todo, in that order.
fn with_items() -> Vec<Event> {
    let mut events = kanban();
    events.extend([card(1, 1, "V"), card(2, 1, "W"), card(3, 1, "X")]);
    events
}

fn invalid(field: &str, rule: &str) -> Rejection {
    Rejection::InvalidField {
        field: field.into(),
        rule: rule.into(),
    }
}

fn forbidden(action: &str) -> Rejection {
    Rejection::Forbidden {
        action: action.into(),
    }
}

/// Extends a log with events (builder for readability).
fn plus(mut events: Vec<Event>, more: impl IntoIterator<Item = Event>) -> Vec<Event> {
    events.extend(more);
    events
}
