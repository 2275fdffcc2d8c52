//! Folding events, and the read-side queries of a board.

use super::*;

fn rec_by(seq: u64, at: i64, by: UserId, event: Event) -> Recorded {
    Recorded {
        board: BOARD,
        seq,
        at: Millis(at),
        by,
        command_id: Some(format!("c{seq}")),
        event,
    }
}

#[test]
fn a_new_board_is_empty_and_not_created() {
    let board = Board::new(BOARD);
    assert_eq!(board.id, BOARD);
    assert!(!board.exists());
    assert_eq!(board.seq, 0);
    assert!(board.columns.is_empty() && board.items.is_empty());
    assert!(given(kanban()).board.exists());
}

#[test]
fn apply_stamps_seq_time_and_author() {
    let mut board = Board::new(BOARD);
    board.apply(&rec_by(1, 10, OWNER, created()));
    board.apply(&rec_by(2, 20, OWNER, column(1, "Todo", "V")));
    board.apply(&rec_by(3, 30, MEMBER, card(1, 1, "V")));
    assert_eq!(board.seq, 3);
    let it = &board.items[&item(1)];
    assert_eq!(
        (it.created_by, it.created_at, it.updated_at),
        (MEMBER, Millis(30), Millis(30))
    );
    board.apply(&rec_by(
        4,
        40,
        OWNER,
        Event::ItemAssigned {
            item: item(1),
            user: MEMBER,
        },
    ));
    let it = &board.items[&item(1)];
    assert_eq!(
        (it.created_by, it.created_at, it.updated_at),
        (MEMBER, Millis(30), Millis(40))
    );
    assert_eq!(board.seq, 4);
}

#[test]
fn apply_ignores_unknown_ids_without_panicking() {
    let mut board = given(with_items()).board;
    let before = board.clone();
    let ghost_item = item(99);
    let ghost_column = col(99);
    let events = [
        Event::ColumnRenamed {
            column: ghost_column,
            name: "x".into(),
        },
        Event::ColumnMoved {
            column: ghost_column,
            position: "A".into(),
        },
        Event::ColumnRemoved {
            column: ghost_column,
        },
        Event::WipLimitSet {
            column: ghost_column,
            limit: Some(1),
        },
        Event::ItemEdited {
            item: ghost_item,
            title: Some("x".into()),
            description: None,
        },
        Event::ItemMoved {
            item: ghost_item,
            column: col(1),
            position: "A".into(),
        },
        Event::ItemAssigned {
            item: ghost_item,
            user: OWNER,
        },
        Event::ItemUnassigned {
            item: ghost_item,
            user: OWNER,
        },
        Event::LabelAdded {
            item: ghost_item,
            label: "x".into(),
        },
        Event::LabelRemoved {
            item: ghost_item,
            label: "x".into(),
        },
        Event::ItemArchived { item: ghost_item },
        Event::ItemRestored { item: ghost_item },
    ];
    for (seq, event) in (100..).zip(events) {
        board.apply(&recorded(seq, event));
    }
    assert_eq!(board.seq, 111);
    board.seq = before.seq;
    assert_eq!(board, before);
}

#[test]
fn columns_stay_sorted_by_position_then_id() {
    let mut board = given([
        created(),
        column(2, "B", "W"),
        column(1, "A", "W"),
        column(3, "C", "V"),
    ])
    .board;
    let order = |board: &Board| board.columns.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(order(&board), [col(3), col(1), col(2)]);
    board.apply(&recorded(
        9,
        Event::ColumnMoved {
            column: col(3),
            position: "Z".into(),
        },
    ));
    assert_eq!(order(&board), [col(1), col(2), col(3)]);
    let in_order: Vec<ColumnId> = board.columns_in_order().iter().map(|c| c.id).collect();
    assert_eq!(in_order, order(&board));
    assert_eq!(board.column(col(2)).map(|c| c.name.as_str()), Some("B"));
    assert!(board.column(col(9)).is_none());
}

#[test]
fn item_queries() {
    let board = given(plus(
        kanban(),
        [
            card(1, 1, "X"),
            card(3, 1, "V"),
            card(2, 1, "V"),
            card(4, 2, "V"),
            archived(2),
        ],
    ))
    .board;
    let ids: Vec<ItemId> = board.items_in_column(col(1)).iter().map(|i| i.id).collect();
    // Equal positions fall back to the id; archived items keep their slot.
    assert_eq!(ids, [item(2), item(3), item(1)]);
    assert!(board.items_in_column(col(3)).is_empty());
    assert_eq!(board.column_load(col(1)), 2);
    assert_eq!(board.item_by_number(4).map(|i| i.id), Some(item(4)));
    assert!(board.item_by_number(42).is_none());
    assert_eq!(board.item(item(1)).map(|i| i.number), Some(1));
}

#[test]
fn record_numbers_events_after_the_board_seq() {
    let given = given(kanban());
    let events = vec![created(), created()];
    let recorded = given
        .board
        .record(&given.ctx(), Some("c-1"), events.clone());
    let seqs: Vec<u64> = recorded.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [5, 6]);
    assert!(recorded.iter().all(|r| r.board == BOARD
        && r.at == Millis(1_000)
        && r.by == OWNER
        && r.command_id.as_deref() == Some("c-1")));
    let events_back: Vec<Event> = recorded.into_iter().map(|r| r.event).collect();
    assert_eq!(events_back, events);
}
