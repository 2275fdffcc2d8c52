//! The property that makes event sourcing safe: for any sequence of
//! commands, folding the accepted events one by one (the live board) and
//! replaying the whole log onto `Board::new` give exactly the same board.
//! Along the way the board's invariants must hold after every command.

use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::board::Column;
use crate::codec;
use crate::position;

#[derive(Clone, Debug)]
enum Op {
    RenameBoard(u8),
    AddColumn(u8, Option<u8>, Option<u8>),
    RenameColumn(Index, u8),
    MoveColumn(Index, u8),
    RemoveColumn(Index),
    SetWipLimit(Index, Option<u8>),
    CreateItem(Option<Index>, Option<u8>, u8),
    EditItem(Index, Option<u8>, Option<u8>),
    MoveItem(Index, Index, Option<u8>),
    Assign(Index, u8),
    Unassign(Index, u8),
    AddLabel(Index, u8),
    RemoveLabel(Index, u8),
    Archive(Index),
    Restore(Index),
    ArchiveBoard,
    RestoreBoard,
    AddComment(Index, u8),
    EditComment(Index, u8),
    DeleteComment(Index),
}

fn op() -> impl Strategy<Value = Op> {
    let i = any::<Index>;
    let small = || 0u8..8;
    prop_oneof![
        1 => small().prop_map(Op::RenameBoard),
        3 => (small(), prop::option::of(0u8..4), prop::option::of(small()))
            .prop_map(|(n, l, at)| Op::AddColumn(n, l, at)),
        1 => (i(), small()).prop_map(|(c, n)| Op::RenameColumn(c, n)),
        2 => (i(), small()).prop_map(|(c, at)| Op::MoveColumn(c, at)),
        1 => i().prop_map(Op::RemoveColumn),
        2 => (i(), prop::option::of(0u8..4)).prop_map(|(c, l)| Op::SetWipLimit(c, l)),
        8 => (prop::option::of(i()), prop::option::of(small()), small())
            .prop_map(|(c, at, t)| Op::CreateItem(c, at, t)),
        2 => (i(), prop::option::of(small()), prop::option::of(small()))
            .prop_map(|(it, t, d)| Op::EditItem(it, t, d)),
        8 => (i(), i(), prop::option::of(small())).prop_map(|(it, c, at)| Op::MoveItem(it, c, at)),
        2 => (i(), small()).prop_map(|(it, u)| Op::Assign(it, u)),
        1 => (i(), small()).prop_map(|(it, u)| Op::Unassign(it, u)),
        2 => (i(), small()).prop_map(|(it, l)| Op::AddLabel(it, l)),
        1 => (i(), small()).prop_map(|(it, l)| Op::RemoveLabel(it, l)),
        2 => i().prop_map(Op::Archive),
        2 => i().prop_map(Op::Restore),
        1 => Just(Op::ArchiveBoard),
        2 => Just(Op::RestoreBoard),
        3 => (i(), small()).prop_map(|(it, b)| Op::AddComment(it, b)),
        2 => (i(), small()).prop_map(|(c, b)| Op::EditComment(c, b)),
        1 => i().prop_map(Op::DeleteComment),
    ]
}

/// Users 1–4 are members; 5 (and up) are not.
fn user(n: u8) -> UserId {
    UserId(Uuid::from_u128(u128::from(n % 6)))
}

/// Turns an abstract op into a command against the current board. Indexes
/// pick existing columns and items; on an empty board they name unknown
/// ones, which must be refused.
fn command(board: &Board, op: &Op) -> Command {
    let columns: Vec<ColumnId> = board.columns_in_order().iter().map(|c| c.id).collect();
    let items: Vec<ItemId> = board.items.keys().copied().collect();
    let pick_column = |at: &Index| match columns.len() {
        0 => col(999),
        len => columns[at.index(len)],
    };
    let pick_item = |at: &Index| match items.len() {
        0 => item(999),
        len => items[at.index(len)],
    };
    let comments: Vec<CommentId> = board.comments.keys().copied().collect();
    let pick_comment = |at: &Index| match comments.len() {
        0 => comment(999),
        len => comments[at.index(len)],
    };
    // Some bodies are blank, which must be refused.
    let body = |n: &u8| ["note", " ", "see #2", "\n"][usize::from(*n) % 4].to_owned();
    let name = |n: &u8| {
        [
            "Todo", "todo", "Doing", "Done", "QA", "Later", " ", "Review",
        ][usize::from(*n) % 8]
    };
    let text = |n: &u8| format!("text {}", n % 3);
    match op {
        Op::RenameBoard(n) => Command::RenameBoard { name: text(n) },
        Op::AddColumn(n, limit, at) => Command::AddColumn {
            name: name(n).into(),
            wip_limit: limit.map(u32::from),
            index: at.map(u32::from),
        },
        Op::RenameColumn(c, n) => Command::RenameColumn {
            column: pick_column(c),
            name: name(n).into(),
        },
        Op::MoveColumn(c, at) => Command::MoveColumn {
            column: pick_column(c),
            index: u32::from(*at),
        },
        Op::RemoveColumn(c) => Command::RemoveColumn {
            column: pick_column(c),
        },
        Op::SetWipLimit(c, limit) => Command::SetWipLimit {
            column: pick_column(c),
            limit: limit.map(u32::from),
        },
        Op::CreateItem(c, at, t) => Command::CreateItem {
            title: text(t),
            description: String::new(),
            column: c.as_ref().map(pick_column),
            index: at.map(u32::from),
        },
        Op::EditItem(it, t, d) => Command::EditItem {
            item: pick_item(it),
            title: t.as_ref().map(text),
            description: d.as_ref().map(text),
        },
        Op::MoveItem(it, c, at) => Command::MoveItem {
            item: pick_item(it),
            column: pick_column(c),
            index: at.map(u32::from),
        },
        Op::Assign(it, u) => Command::AssignItem {
            item: pick_item(it),
            user: user(*u),
        },
        Op::Unassign(it, u) => Command::UnassignItem {
            item: pick_item(it),
            user: user(*u),
        },
        Op::AddLabel(it, l) => Command::AddLabel {
            item: pick_item(it),
            label: text(l),
        },
        Op::RemoveLabel(it, l) => Command::RemoveLabel {
            item: pick_item(it),
            label: text(l),
        },
        Op::Archive(it) => Command::ArchiveItem {
            item: pick_item(it),
        },
        Op::Restore(it) => Command::RestoreItem {
            item: pick_item(it),
        },
        Op::ArchiveBoard => Command::ArchiveBoard,
        Op::RestoreBoard => Command::RestoreBoard,
        Op::AddComment(it, b) => Command::AddComment {
            item: pick_item(it),
            body: body(b),
        },
        Op::EditComment(c, b) => Command::EditComment {
            comment: pick_comment(c),
            body: body(b),
        },
        Op::DeleteComment(c) => Command::DeleteComment {
            comment: pick_comment(c),
        },
    }
}

/// What must hold after every accepted command.
fn check_invariants(board: &Board, log: &[Recorded]) {
    assert_eq!(board.seq, log.len() as u64);
    let seqs_ok = log.iter().zip(1..).all(|(rec, seq)| rec.seq == seq);
    assert!(seqs_ok, "seqs must be 1, 2, 3, …");
    let last_archiving = log.iter().rev().find_map(|rec| match rec.event {
        Event::BoardArchived => Some(true),
        Event::BoardRestored => Some(false),
        _ => None,
    });
    assert_eq!(board.archived, last_archiving.unwrap_or(false));
    let in_order: Vec<&Column> = board.columns_in_order();
    let stored: Vec<&Column> = board.columns.iter().collect();
    assert_eq!(in_order, stored, "columns must stay sorted");
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
    assert_eq!(
        positions.len(),
        board.columns.len(),
        "column positions are distinct"
    );
    for column in &board.columns {
        assert!(position::is_valid(&column.position));
        let items = board.items_in_column(column.id);
        assert!(items.iter().all(|it| position::is_valid(&it.position)));
        assert!(
            items
                .windows(2)
                .all(|pair| pair[0].position < pair[1].position),
            "item positions are distinct within a column"
        );
    }
    for it in board.items.values() {
        assert!(board.column(it.column).is_some(), "every item has a column");
        assert!(it.assignees.iter().all(|u| members().contains_key(u)));
    }
    for meta in board.comments.values() {
        assert!(
            board.items.contains_key(&meta.item),
            "every comment has an item"
        );
        assert!(members().contains_key(&meta.author), "authors are members");
    }
}

/// The column an event is about to add a live item to, if any: creating,
/// moving in from another column, restoring. Reordering does not count.
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

/// An accepted event never takes a column past its WIP limit.
fn check_wip(board: &Board, column: Option<ColumnId>) {
    if let Some(column) = column.and_then(|id| board.column(id)) {
        if let Some(limit) = column.wip_limit {
            assert!(board.column_load(column.id) <= limit as usize, "{column:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replaying_the_log_reproduces_the_live_board(
        ops in prop::collection::vec((op(), 0u8..8), 1..150),
    ) {
        let members = members();
        let mut live = Board::new(BOARD);
        let mut log: Vec<Recorded> = Vec::new();
        let owner = Ctx {
            actor: OWNER,
            role: Role::Owner,
            now: Millis(0),
            new_id: Uuid::from_u128(NEW),
            item_number: None,
            members: &members,
        };
        let columns = [(col(1), "Todo".to_owned()), (col(2), "Done".to_owned())];
        let events = live.create(&owner, ORG, "Board", &columns).unwrap();
        for rec in live.record(&owner, None, events) {
            live.apply(&rec);
            log.push(rec);
        }
        for (step, (op, who)) in (1u64..).zip(&ops) {
            let cmd = command(&live, op);
            // Mostly the owner, sometimes someone with less power.
            let role = [Role::Owner, Role::Owner, Role::Owner, Role::Admin, Role::Member,
                Role::Member, Role::Viewer, Role::Owner][usize::from(*who)];
            let ctx = Ctx {
                actor: actor(role),
                role,
                now: Millis(step as i64 * 10),
                new_id: Uuid::from_u128(0x10_0000 + u128::from(step)),
                item_number: Some(step),
                members: &members,
            };
            let was_archived = live.archived;
            let Ok(events) = live.decide(&ctx, &cmd) else { continue };
            prop_assert!(!events.is_empty());
            if was_archived {
                // An archived board only accepts being restored.
                prop_assert_eq!(&events, &vec![Event::BoardRestored]);
            }
            for rec in live.record(&ctx, Some(&format!("c{step}")), events) {
                let gaining = column_gaining_an_item(&live, &rec.event);
                live.apply(&rec);
                check_wip(&live, gaining);
                log.push(rec);
            }
            check_invariants(&live, &log);
        }
        let replayed = Board::replay(BOARD, &log);
        prop_assert_eq!(&replayed, &live);
        // The persisted encodings round-trip what was decided, too.
        prop_assert_eq!(codec::decode_board(&codec::encode_board(&live)).unwrap(), live);
        for rec in &log {
            prop_assert_eq!(&codec::decode_event(&codec::encode_event(&rec.event)).unwrap(), &rec.event);
        }
    }
}
