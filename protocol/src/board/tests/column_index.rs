//! The per-column item index (`Board::by_column`) against a full scan of
//! the items, over the seeded random decide runs the conformance fixtures
//! use: after every batch of accepted events, on the live board (index kept
//! up to date by `apply`), on its replay (index built on first use) and on
//! its decoded snapshot (index never encoded).

use super::super::Board;
use crate::codec;
use crate::generated::random::{self, Rng};
use crate::ids::{BoardId, ColumnId, ItemId, Millis};
use crate::position;
use uuid::Uuid;

/// A column's `(position, id)` keys as the old full scan found them.
fn scanned(board: &Board, column: ColumnId) -> Vec<(String, ItemId)> {
    let mut keys: Vec<(String, ItemId)> = board
        .items
        .values()
        .filter(|item| item.column == column)
        .map(|item| (item.position.clone(), item.id))
        .collect();
    keys.sort();
    keys
}

/// Every column any item or column names, so items left in a column that
/// no longer exists are checked too.
fn columns(board: &Board) -> Vec<ColumnId> {
    let mut ids: Vec<ColumnId> = board.columns.iter().map(|c| c.id).collect();
    ids.extend(board.items.values().map(|item| item.column));
    ids.sort();
    ids.dedup();
    ids
}

fn check(board: &Board, what: &str) {
    let index = board.by_column.get(&board.items);
    let indexed: usize = index.values().map(|keys| keys.len()).sum();
    assert_eq!(indexed, board.items.len(), "{what}: every item once");
    assert!(
        index.values().all(|keys| !keys.is_empty()),
        "{what}: no empty column kept"
    );
    for column in columns(board) {
        let scan = scanned(board, column);
        let kept: Vec<(String, ItemId)> =
            index.get(&column).into_iter().flatten().cloned().collect();
        assert_eq!(kept, scan, "{what}: column {column:?}");
        let ordered: Vec<ItemId> = board.items_in_column(column).iter().map(|i| i.id).collect();
        let scan_ids: Vec<ItemId> = scan.iter().map(|(_, id)| *id).collect();
        assert_eq!(ordered, scan_ids, "{what}: items_in_column");
        // The appended key follows the last key the scan finds.
        let last = scan.last().map(|(p, _)| p.as_str());
        assert_eq!(
            board.item_position(column, None, None),
            position::between(last, None),
            "{what}: append to {column:?}"
        );
        // Moving the last item to the end of its own column skips it.
        if let Some((_, moving)) = scan.last() {
            let before = scan.len().checked_sub(2).map(|i| scan[i].0.as_str());
            assert_eq!(
                board.item_position(column, None, Some(*moving)),
                position::between(before, None),
                "{what}: re-append in {column:?}"
            );
        }
    }
}

#[test]
fn the_per_column_index_equals_a_full_scan_of_random_runs() {
    for seed in 0..48u64 {
        let mut rng = Rng::new(seed);
        let id = BoardId(Uuid::from_u128(0xb000 + u128::from(seed)));
        let (mut live, mut log) = random::created(&mut rng, id, Millis(1_767_225_000_000));
        let mut number = 1;
        for batch in 0..12 {
            log.extend(random::run(&mut rng, &mut live, 25, &mut number));
            let what = format!("seed {seed}, batch {batch}");
            check(&live, &format!("{what}, live"));
            let replayed = Board::replay(id, &log);
            check(&replayed, &format!("{what}, replayed"));
            assert_eq!(replayed, live);
            let decoded = codec::decode_board(&codec::encode_board(&live)).unwrap();
            check(&decoded, &format!("{what}, decoded"));
        }
    }
}
