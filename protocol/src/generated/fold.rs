//! `web/client/test/fixtures/fold.json`: cases for the TypeScript port of
//! [`Board::apply`]. Each case is an initial board (wire JSON), recorded
//! events, and the board after applying them all (`after_each`, when
//! present, is the board after each event). Hand-written cases pin the
//! edges (every event kind, ignored events, ties, string order, stamping);
//! seeded random cases run the real `decide`, so positions, numbers and
//! ids look like production.

use serde::Serialize;
use uuid::Uuid;

use super::random::{self, Rng};
use crate::board::{Board, Event, Recorded};
use crate::codec::EVENT_TYPES;
use crate::ids::{BoardId, ColumnId, CommentId, ItemId, Millis, OrgId, UserId};

/// Where the file is committed, from the workspace root.
pub const PATH: &str = "web/client/test/fixtures/fold.json";

#[derive(Serialize)]
struct Case {
    name: String,
    initial: Board,
    events: Vec<Recorded>,
    expected: Board,
    #[serde(skip_serializing_if = "Option::is_none")]
    after_each: Option<Vec<Board>>,
}

const BOARD: BoardId = BoardId(Uuid::from_u128(0x0b0a_0000_0000_4000_8000_0000_0000_0001));
const ORG: OrgId = OrgId(Uuid::from_u128(0x0a00_0000_0000_4000_8000_0000_0000_0001));

fn col(n: u128) -> ColumnId {
    ColumnId(Uuid::from_u128(
        0x0c00_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

fn item(n: u128) -> ItemId {
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

/// Folds `events` (given as `(by, at, event)`, seqs following the initial
/// board's) into a case that records the board after each one.
fn case(name: &str, initial: Board, events: Vec<(UserId, i64, Event)>) -> Case {
    let mut board = initial.clone();
    let mut log = Vec::new();
    let mut after_each = Vec::new();
    for (by, at, event) in events {
        let rec = Recorded {
            board: initial.id,
            seq: board.seq + 1,
            at: Millis(at),
            by,
            command_id: (at % 2 == 0).then(|| format!("c-{at}")),
            event,
        };
        board.apply(&rec);
        after_each.push(board.clone());
        log.push(rec);
    }
    Case {
        name: name.to_owned(),
        initial,
        events: log,
        expected: board,
        after_each: Some(after_each),
    }
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

/// Random boards: odd seeds start from a snapshot taken midway, even ones
/// from an empty board (the log includes `board_created`).
fn random_cases() -> Vec<Case> {
    (1..=20u64)
        .map(|seed| {
            let mut rng = Rng::new(seed);
            let board_id = BoardId(Uuid::from_u128(
                0x0b0a_0000_0000_4000_8000_0000_0000_0100 + u128::from(seed),
            ));
            let (mut board, mut log) =
                random::created(&mut rng, board_id, Millis(1_767_225_000_000));
            let mut number = 1;
            let events = 100 + rng.below(150);
            let initial = if seed % 2 == 1 {
                random::run(&mut rng, &mut board, events / 2, &mut number);
                log.clear();
                board.clone()
            } else {
                Board::new(board_id)
            };
            log.extend(random::run(&mut rng, &mut board, events, &mut number));
            let replayed = log.iter().fold(initial.clone(), |mut b, rec| {
                b.apply(rec);
                b
            });
            assert_eq!(replayed, board);
            assert!(
                (100..=300).contains(&log.len()),
                "seed {seed}: {} events",
                log.len()
            );
            Case {
                name: format!("random_seed_{seed}"),
                initial,
                events: log,
                expected: board,
                after_each: None,
            }
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let mut all = vec![
        every_event(),
        ignored(),
        column_ties(),
        set_order(),
        stamping(),
    ];
    all.extend(random_cases());
    all
}

/// The file: one case per line, so diffs stay readable.
fn render(cases: &[Case]) -> String {
    let lines: Vec<String> = cases
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    format!("{{\"cases\": [\n{}\n]}}\n", lines.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn fold_json_is_current() {
        let cases = cases();
        let kinds: BTreeSet<String> = cases
            .iter()
            .flat_map(|c| &c.events)
            .map(|rec| {
                serde_json::to_value(&rec.event).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let all: BTreeSet<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(kinds, all, "every event kind is exercised");
        let labels = &cases[3].expected.items[&item(1)].labels;
        let order: Vec<&str> = labels.iter().map(String::as_str).collect();
        let ff5e = order.iter().position(|l| *l == "\u{FF5E}");
        assert!(ff5e < order.iter().position(|l| *l == "\u{1F600}"));
        let text = render(&cases);
        assert!(text.len() < 2_000_000, "fold.json is {} bytes", text.len());
        super::super::check_or_bless(PATH, &text);
    }
}
