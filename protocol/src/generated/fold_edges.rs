//! The hand-written cases of `fold.json`: every event kind, events that
//! name what the board does not have, column ties, the order of label and
//! assignee sets, and stamping.

use uuid::Uuid;

use super::fold::{case, Case};
use crate::board::{Board, Event};
use crate::ids::{BoardId, ColumnId, CommentId, ItemId, OrgId, UserId};

const BOARD: BoardId = BoardId(Uuid::from_u128(0x0b0a_0000_0000_4000_8000_0000_0000_0001));
const ORG: OrgId = OrgId(Uuid::from_u128(0x0a00_0000_0000_4000_8000_0000_0000_0001));

fn col(n: u128) -> ColumnId {
    ColumnId(Uuid::from_u128(
        0x0c00_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

pub fn item(n: u128) -> ItemId {
    ItemId(Uuid::from_u128(
        0x01e0_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

fn comment(n: u128) -> CommentId {
    CommentId(Uuid::from_u128(
        0x0c0e_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

/// A user whose id starts with `first` (a hex digit), so assignee order
/// shows in the ids.
fn user_at(first: u128) -> UserId {
    UserId(Uuid::from_u128(
        (first << 124) | 0x0000_0000_0000_4000_8000_0000_0000_0001,
    ))
}

fn created(name: &str) -> Event {
    Event::BoardCreated {
        org: ORG,
        name: name.into(),
    }
}

fn column_added(n: u128, name: &str, position: &str, wip_limit: Option<u32>) -> Event {
    Event::ColumnAdded {
        column: col(n),
        name: name.into(),
        position: position.into(),
        wip_limit,
    }
}

fn item_created(n: u128, column: u128, position: &str) -> Event {
    Event::ItemCreated {
        item: item(n),
        number: 100 + n as u64,
        title: format!("Item {n}"),
        description: String::new(),
        column: col(column),
        position: position.into(),
    }
}

/// Every event kind once, from an empty board.
fn every_event() -> Case {
    let (a, b) = (user_at(0xa), user_at(0x1));
    let events = vec![
        created("Roadmap"),
        Event::BoardRenamed {
            name: "Roadmap 2026".into(),
        },
        column_added(1, "Todo", "V", None),
        column_added(2, "Done", "W", Some(3)),
        Event::ColumnRenamed {
            column: col(1),
            name: "To do".into(),
        },
        column_added(3, "Later", "X", None),
        Event::ColumnMoved {
            column: col(3),
            position: "U".into(),
        },
        Event::WipLimitSet {
            column: col(2),
            limit: None,
        },
        Event::WipLimitSet {
            column: col(1),
            limit: Some(5),
        },
        item_created(1, 1, "V"),
        item_created(2, 1, "U"),
        Event::ItemEdited {
            item: item(1),
            title: Some("Write the spec".into()),
            description: None,
        },
        Event::ItemEdited {
            item: item(1),
            title: None,
            description: Some("all of it".into()),
        },
        Event::ItemMoved {
            item: item(2),
            column: col(2),
            position: "V".into(),
        },
        Event::ItemAssigned {
            item: item(1),
            user: a,
        },
        Event::ItemAssigned {
            item: item(1),
            user: b,
        },
        Event::ItemUnassigned {
            item: item(1),
            user: a,
        },
        Event::LabelAdded {
            item: item(1),
            label: "docs".into(),
        },
        Event::LabelAdded {
            item: item(1),
            label: "bug".into(),
        },
        Event::LabelRemoved {
            item: item(1),
            label: "docs".into(),
        },
        Event::ItemArchived { item: item(2) },
        Event::ItemRestored { item: item(2) },
        Event::CommentAdded {
            comment: comment(1),
            item: item(1),
            body: "first".into(),
        },
        Event::CommentAdded {
            comment: comment(2),
            item: item(2),
            body: "second".into(),
        },
        Event::CommentEdited {
            comment: comment(1),
            body: "first, edited".into(),
        },
        Event::CommentDeleted {
            comment: comment(2),
        },
        Event::ColumnRemoved { column: col(3) },
        Event::BoardArchived,
        Event::BoardRestored,
        Event::BoardArchived,
    ];
    let by = [a, b];
    let events = (0..)
        .zip(events)
        .map(|(i, e)| (by[i % 2], 1_000 + i as i64 * 7, e))
        .collect();
    case("every_event_kind", Board::new(BOARD), events)
}

/// A small created board to start the edge cases from.
fn base() -> Board {
    let setup = case(
        "",
        Board::new(BOARD),
        vec![
            (user_at(0xa), 10, created("Base")),
            (user_at(0xa), 11, column_added(1, "Todo", "V", None)),
            (user_at(0xa), 12, column_added(2, "Done", "k", Some(2))),
            (user_at(0xa), 13, item_created(1, 1, "V")),
        ],
    );
    setup.expected
}

/// Events that name what the board does not have change nothing but `seq`
/// (and what they may legitimately replace).
fn ignored() -> Case {
    let u = user_at(0xa);
    let events = vec![
        Event::ColumnRenamed {
            column: col(9),
            name: "Nope".into(),
        },
        Event::ColumnMoved {
            column: col(9),
            position: "A".into(),
        },
        Event::WipLimitSet {
            column: col(9),
            limit: Some(1),
        },
        Event::ColumnRemoved { column: col(9) },
        Event::ItemEdited {
            item: item(9),
            title: Some("x".into()),
            description: None,
        },
        Event::ItemMoved {
            item: item(9),
            column: col(1),
            position: "A".into(),
        },
        Event::ItemAssigned {
            item: item(9),
            user: u,
        },
        Event::ItemUnassigned {
            item: item(9),
            user: u,
        },
        Event::ItemUnassigned {
            item: item(1),
            user: u,
        },
        Event::LabelAdded {
            item: item(9),
            label: "x".into(),
        },
        Event::LabelRemoved {
            item: item(9),
            label: "x".into(),
        },
        Event::LabelRemoved {
            item: item(1),
            label: "absent".into(),
        },
        Event::ItemArchived { item: item(9) },
        Event::ItemRestored { item: item(9) },
        Event::CommentAdded {
            comment: comment(9),
            item: item(9),
            body: "x".into(),
        },
        Event::CommentEdited {
            comment: comment(9),
            body: "x".into(),
        },
        Event::CommentDeleted {
            comment: comment(9),
        },
        Event::BoardRestored,
        // An existing id: the column is replaced (name, position, limit).
        column_added(1, "Todo again", "m", Some(4)),
        // An item moved to a column the board does not have still moves.
        Event::ItemMoved {
            item: item(1),
            column: col(9),
            position: "W".into(),
        },
        // An existing item id: the item is replaced (stamps, labels reset).
        item_created(1, 2, "V"),
    ];
    let events = (0..).zip(events).map(|(i, e)| (u, 100 + i, e)).collect();
    case("ignored_and_replacing_events", base(), events)
}

/// Columns with equal positions are ordered by id; moving a column onto
/// another's position ties too.
fn column_ties() -> Case {
    let u = user_at(0xa);
    let events = vec![
        created("Ties"),
        column_added(0xff, "B", "V", None),
        column_added(0x10, "A", "V", None),
        column_added(0x20, "C", "a", None),
        Event::ColumnMoved {
            column: col(0x20),
            position: "V".into(),
        },
        Event::ColumnMoved {
            column: col(0x10),
            position: "a".into(),
        },
        column_added(0x01, "D", "V0", None),
    ];
    let events = (0..).zip(events).map(|(i, e)| (u, 200 + i, e)).collect();
    case("column_order_ties", Board::new(BOARD), events)
}

/// Sets are ordered as Rust orders them: labels by UTF-8 bytes (so
/// U+FF5E before U+1F600, unlike JavaScript's `<` on UTF-16), assignees by
/// UUID (the same as their lowercase strings).
fn set_order() -> Case {
    let u = user_at(0xa);
    let mut events = Vec::new();
    for label in [
        "\u{1F600}",
        "\u{FF5E}",
        "z",
        "Z",
        "é",
        "e\u{301}",
        "a b",
        "ab",
        "10",
        "9",
    ] {
        events.push(Event::LabelAdded {
            item: item(1),
            label: label.into(),
        });
    }
    for first in [0xf, 0x0, 0xa, 0x9, 0xb] {
        events.push(Event::ItemAssigned {
            item: item(1),
            user: user_at(first),
        });
    }
    events.push(Event::ItemAssigned {
        item: item(1),
        user: user_at(0xa),
    });
    events.push(Event::LabelAdded {
        item: item(1),
        label: "z".into(),
    });
    let events = (0..).zip(events).map(|(i, e)| (u, 300 + i, e)).collect();
    case("label_and_assignee_order", base(), events)
}

/// `created_at`/`created_by` come from the creating record, `updated_at`
/// from the last record that changed the item; comments do not touch it.
fn stamping() -> Case {
    let (a, b) = (user_at(0xa), user_at(0xb));
    let events = vec![
        (b, 1_000, item_created(2, 2, "V")),
        (
            a,
            2_000,
            Event::ItemEdited {
                item: item(2),
                title: None,
                description: None,
            },
        ),
        (
            a,
            3_000,
            Event::CommentAdded {
                comment: comment(1),
                item: item(2),
                body: "hi".into(),
            },
        ),
        (
            a,
            4_000,
            Event::ItemMoved {
                item: item(2),
                column: col(1),
                position: "W".into(),
            },
        ),
        (
            b,
            5_000,
            Event::CommentDeleted {
                comment: comment(1),
            },
        ),
        (a, 6_000, Event::ItemArchived { item: item(2) }),
        (
            b,
            6_001,
            Event::BoardRenamed {
                name: "Stamps".into(),
            },
        ),
    ];
    case("stamping", base(), events)
}

/// Every hand-written case; the label-order one is fourth.
pub fn cases() -> Vec<Case> {
    vec![
        every_event(),
        ignored(),
        column_ties(),
        set_order(),
        stamping(),
    ]
}
