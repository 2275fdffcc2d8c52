//! Arbitrary command sequences against one board, issued by users of every
//! role: `create` and `decide` never panic, every accepted event keeps the
//! board's invariants, and at the end replaying the log reproduces the live
//! board and the persisted encodings round-trip it.
//!
//! The ops pick existing columns, items and comments most of the time (so
//! sequences get deep) and unknown ids sometimes; texts are either a small
//! vocabulary (so names collide) or arbitrary strings (so trimming, counting
//! and control-character rules see Unicode). The invariant checks mirror
//! `protocol/src/board/tests/replay.rs`, which is test-only code this crate
//! cannot reach.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use protocol::codec::{decode_board, decode_event, encode_board, encode_event};
use protocol::{
    position, Board, BoardId, ColumnId, Command, CommentId, Ctx, Event, ItemId, Millis, OrgId,
    Recorded, Role, Roster, UserId,
};
use uuid::Uuid;

/// Commands per input: enough to fill columns to their WIP limits and
/// archive things, few enough to keep executions fast.
const MAX_STEPS: usize = 64;
const BOARD: BoardId = BoardId(Uuid::from_u128(0xb0));
const ORG: OrgId = OrgId(Uuid::from_u128(0x0a));

#[derive(Arbitrary, Debug)]
struct Script {
    name: Text,
    columns: Vec<(u8, Text)>,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
struct Step {
    /// Index into the roles; 0–3 are the four members, anything else the
    /// owner (most commands need power to be accepted).
    who: u8,
    /// `false` reuses one fixed "fresh" id, so a second creation collides.
    fresh_id: bool,
    op: Op,
}

/// A text: one of a few words that collide up to case, or anything.
#[derive(Arbitrary, Debug)]
enum Text {
    Word(u8),
    Free(String),
}

/// An existing thing (by index, modulo the count) or an unknown id.
#[derive(Arbitrary, Debug)]
enum Pick {
    Existing(u8),
    Unknown(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    RenameBoard(Text),
    AddColumn(Text, Option<u32>, Option<u32>),
    RenameColumn(Pick, Text),
    MoveColumn(Pick, u32),
    RemoveColumn(Pick),
    SetWipLimit(Pick, Option<u32>),
    CreateItem(Text, Text, Option<Pick>, Option<u32>),
    EditItem(Pick, Option<Text>, Option<Text>),
    MoveItem(Pick, Pick, Option<u32>),
    AssignItem(Pick, u8),
    UnassignItem(Pick, u8),
    AddLabel(Pick, Text),
    RemoveLabel(Pick, Text),
    ArchiveItem(Pick),
    RestoreItem(Pick),
    ArchiveBoard,
    RestoreBoard,
    AddComment(Pick, Text),
    EditComment(Pick, Text),
    DeleteComment(Pick),
}

const WORDS: [&str; 8] = ["Todo", "todo", " Doing ", "Done", "", " ", "a\u{7}b", "QA"];

fn text(text: &Text) -> String {
    match text {
        Text::Word(n) => WORDS[usize::from(*n) % WORDS.len()].to_owned(),
        Text::Free(free) => free.clone(),
    }
}

/// Users 1–4 are the members (owner, admin, member, viewer); 5 is not.
fn user(n: u8) -> UserId {
    UserId(Uuid::from_u128(1 + u128::from(n % 5)))
}

fn roster() -> Roster {
    let roles = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];
    (0u8..)
        .zip(roles)
        .map(|(n, role)| (user(n), role))
        .collect()
}

fn pick<T: Copy>(existing: &[T], pick: &Pick, unknown: impl Fn(u128) -> T) -> T {
    match pick {
        Pick::Existing(n) if !existing.is_empty() => existing[usize::from(*n) % existing.len()],
        Pick::Existing(n) | Pick::Unknown(n) => unknown(0xdead_0000 + u128::from(*n)),
    }
}

/// The command an op stands for on the current board.
fn command(board: &Board, op: &Op) -> Command {
    let columns: Vec<ColumnId> = board.columns.iter().map(|c| c.id).collect();
    let items: Vec<ItemId> = board.items.keys().copied().collect();
    let comments: Vec<CommentId> = board.comments.keys().copied().collect();
    let column = |p: &Pick| pick(&columns, p, |n| ColumnId(Uuid::from_u128(n)));
    let item = |p: &Pick| pick(&items, p, |n| ItemId(Uuid::from_u128(n)));
    let comment = |p: &Pick| pick(&comments, p, |n| CommentId(Uuid::from_u128(n)));
    match op {
        Op::RenameBoard(name) => Command::RenameBoard { name: text(name) },
        Op::AddColumn(name, wip_limit, index) => Command::AddColumn {
            name: text(name),
            wip_limit: *wip_limit,
            index: *index,
        },
        Op::RenameColumn(c, name) => Command::RenameColumn {
            column: column(c),
            name: text(name),
        },
        Op::MoveColumn(c, index) => Command::MoveColumn {
            column: column(c),
            index: *index,
        },
        Op::RemoveColumn(c) => Command::RemoveColumn { column: column(c) },
        Op::SetWipLimit(c, limit) => Command::SetWipLimit {
            column: column(c),
            limit: *limit,
        },
        Op::CreateItem(title, description, c, index) => Command::CreateItem {
            title: text(title),
            description: text(description),
            column: c.as_ref().map(column),
            index: *index,
        },
        Op::EditItem(it, title, description) => Command::EditItem {
            item: item(it),
            title: title.as_ref().map(text),
            description: description.as_ref().map(text),
        },
        Op::MoveItem(it, c, index) => Command::MoveItem {
            item: item(it),
            column: column(c),
            index: *index,
        },
        Op::AssignItem(it, u) => Command::AssignItem {
            item: item(it),
            user: user(*u),
        },
        Op::UnassignItem(it, u) => Command::UnassignItem {
            item: item(it),
            user: user(*u),
        },
        Op::AddLabel(it, label) => Command::AddLabel {
            item: item(it),
            label: text(label),
        },
        Op::RemoveLabel(it, label) => Command::RemoveLabel {
            item: item(it),
            label: text(label),
        },
        Op::ArchiveItem(it) => Command::ArchiveItem { item: item(it) },
        Op::RestoreItem(it) => Command::RestoreItem { item: item(it) },
        Op::ArchiveBoard => Command::ArchiveBoard,
        Op::RestoreBoard => Command::RestoreBoard,
        Op::AddComment(it, body) => Command::AddComment {
            item: item(it),
            body: text(body),
        },
        Op::EditComment(c, body) => Command::EditComment {
            comment: comment(c),
            body: text(body),
        },
        Op::DeleteComment(c) => Command::DeleteComment {
            comment: comment(c),
        },
    }
}

/// What must hold after every accepted command (as in the replay test).
fn check_invariants(board: &Board, log: &[Recorded], members: &Roster) {
    assert_eq!(board.seq, log.len() as u64);
    assert!(log.iter().zip(1..).all(|(rec, seq)| rec.seq == seq));
    let last_archiving = log.iter().rev().find_map(|rec| match rec.event {
        Event::BoardArchived => Some(true),
        Event::BoardRestored => Some(false),
        _ => None,
    });
    assert_eq!(board.archived, last_archiving.unwrap_or(false));
    let stored: Vec<_> = board.columns.iter().collect();
    assert_eq!(board.columns_in_order(), stored, "columns must stay sorted");
    let mut names: Vec<String> = board
        .columns
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), board.columns.len(), "column names are unique");
    let mut positions: Vec<&str> = board.columns.iter().map(|c| c.position.as_str()).collect();
    positions.dedup();
    assert_eq!(positions.len(), board.columns.len(), "column positions");
    for column in &board.columns {
        assert!(position::is_valid(&column.position));
        let items = board.items_in_column(column.id);
        assert!(items.iter().all(|it| position::is_valid(&it.position)));
        assert!(
            items.windows(2).all(|w| w[0].position < w[1].position),
            "item positions are distinct within a column"
        );
    }
    for it in board.items.values() {
        assert!(board.column(it.column).is_some(), "every item has a column");
        assert!(it.assignees.iter().all(|u| members.contains_key(u)));
    }
    for meta in board.comments.values() {
        assert!(board.items.contains_key(&meta.item), "comment without item");
        assert!(members.contains_key(&meta.author), "authors are members");
    }
}

/// The column an event adds a live item to (create, move in, restore).
fn column_gaining_an_item(board: &Board, event: &Event) -> Option<ColumnId> {
    match event {
        Event::ItemCreated { column, .. } => Some(*column),
        Event::ItemMoved { item, column, .. } => board
            .item(*item)
            .filter(|it| it.column != *column)
            .map(|_| *column),
        Event::ItemRestored { item } => board.item(*item).map(|it| it.column),
        _ => None,
    }
}

fuzz_target!(|script: Script| {
    let members = roster();
    let roles = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];
    let mut live = Board::new(BOARD);
    let mut log: Vec<Recorded> = Vec::new();
    let owner = Ctx {
        actor: user(0),
        role: Role::Owner,
        now: Millis(0),
        new_id: Uuid::from_u128(0xf000),
        item_number: None,
        members: &members,
    };
    let columns: Vec<(ColumnId, String)> = script
        .columns
        .iter()
        .map(|(id, name)| {
            (
                ColumnId(Uuid::from_u128(0xc00 + u128::from(*id))),
                text(name),
            )
        })
        .collect();
    if let Ok(events) = live.create(&owner, ORG, &text(&script.name), &columns) {
        for rec in live.record(&owner, None, events) {
            live.apply(&rec);
            log.push(rec);
        }
        check_invariants(&live, &log, &members);
    }
    for (step, at) in script.steps.iter().take(MAX_STEPS).zip(1u64..) {
        let role = roles
            .get(usize::from(step.who))
            .copied()
            .unwrap_or(Role::Owner);
        let new_id = if step.fresh_id {
            0x10_0000 + u128::from(at)
        } else {
            0xf001
        };
        let ctx = Ctx {
            actor: user(roles.iter().position(|r| *r == role).unwrap_or(0) as u8),
            role,
            now: Millis(at as i64 * 10),
            new_id: Uuid::from_u128(new_id),
            item_number: Some(at),
            members: &members,
        };
        let cmd = command(&live, &step.op);
        let was_archived = live.archived;
        let Ok(events) = live.decide(&ctx, &cmd) else {
            continue;
        };
        assert!(
            live.exists(),
            "a board that does not exist accepted {cmd:?}"
        );
        assert!(!events.is_empty());
        if was_archived {
            assert_eq!(events, vec![Event::BoardRestored]);
        }
        for rec in live.record(&ctx, Some("c"), events) {
            let gaining = column_gaining_an_item(&live, &rec.event);
            live.apply(&rec);
            if let Some(column) = gaining.and_then(|id| live.column(id)) {
                if let Some(limit) = column.wip_limit {
                    assert!(live.column_load(column.id) <= limit as usize, "{column:?}");
                }
            }
            log.push(rec);
        }
        check_invariants(&live, &log, &members);
    }
    assert_eq!(Board::replay(BOARD, &log), live, "replay differs from live");
    assert_eq!(decode_board(&encode_board(&live)).as_ref(), Ok(&live));
    for rec in &log {
        assert_eq!(
            decode_event(&encode_event(&rec.event)).as_ref(),
            Ok(&rec.event)
        );
    }
});
