//! `web/client/test/fixtures/positions.json`: cases for the TypeScript port
//! of [`position::between`] and [`position::is_valid`], and for the keys
//! `decide` picks for an index, so the client's optimistic prediction can
//! be checked against the server's.
//!
//! How `decide` turns an index into a key (`Board::item_position`,
//! `Board::column_position` and `clamp_index` in `board/query.rs`):
//!
//! * Items: the neighbours are **all** items of the target column,
//!   **archived ones included**, ordered by `(position, id)` (the id as its
//!   lowercase UUID string), with the moving item **excluded** (for
//!   `move_item`; `create_item` excludes nothing). The index is clamped to
//!   `0..=len` of that list; absent means `len` (the end). The key is
//!   `between(list[index - 1] or open, list[index] or open)`. Appending
//!   (index absent) is the same as `between(last, open)`.
//! * `create_item` without a column uses the first column in
//!   `(position, id)` order.
//! * Columns: the same with the board's columns (`add_column`: none
//!   excluded, index absent = end; `move_column`: the moving column
//!   excluded).
//! * Before any key is picked, `move_item` within its own column is refused
//!   as `no_change` when the clamped index equals the item's current index
//!   among the others, and `move_column` likewise.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::random::{self, Rng};
use crate::board::Board;
use crate::ids::{BoardId, ColumnId, ItemId, Millis};
use crate::position::{between, is_valid};

/// Where the file is committed, from the workspace root.
pub const PATH: &str = "web/client/test/fixtures/positions.json";

#[derive(Serialize)]
struct Between {
    before: Option<String>,
    after: Option<String>,
    result: String,
}

fn case(before: Option<&str>, after: Option<&str>) -> Between {
    Between {
        before: before.map(str::to_owned),
        after: after.map(str::to_owned),
        result: between(before, after),
    }
}

fn between_cases() -> Vec<Between> {
    let long_low = "V".repeat(40);
    let long_high = format!("{}W", "V".repeat(39));
    let long_z = format!("{}z", "z".repeat(30));
    let pairs: Vec<(Option<&str>, Option<&str>)> = vec![
        // Open ends.
        (None, None),
        (Some("V"), None),
        (None, Some("V")),
        (Some("0z"), None),
        (None, Some("1")),
        (None, Some("01")),
        (None, Some("0001")),
        (None, Some("11")),
        (None, Some("V1")),
        (None, Some("z")),
        // Adjacent digits and neighbours.
        (Some("V"), Some("W")),
        (Some("V"), Some("X")),
        (Some("9"), Some("A")),
        (Some("Z"), Some("a")),
        (Some("a"), Some("b")),
        (Some("y"), Some("z")),
        (Some("1"), Some("2")),
        (Some("0z"), Some("1")),
        // `z` runs.
        (Some("z"), None),
        (Some("zz"), None),
        (Some("zzz"), None),
        (Some("Vz"), Some("W")),
        (Some("Vzz"), Some("W")),
        (Some("Vzzz"), None),
        (Some("yz"), Some("z")),
        (Some("Vzz"), Some("Vzz1")),
        // Keys that need extending.
        (Some("V"), Some("V1")),
        (Some("V"), Some("V01")),
        (Some("V1"), Some("V2")),
        (Some("V01"), Some("V1")),
        (Some("V"), Some("V001")),
        (Some("a1"), Some("a2")),
        // Long keys.
        (Some(&long_low), None),
        (None, Some(&long_low)),
        (Some(&long_low), Some(&long_high)),
        (Some(&long_z), None),
        // Invalid keys are open ends.
        (Some(""), None),
        (None, Some("")),
        (Some("V0"), None),
        (Some("V"), Some("W0")),
        (Some("a-b"), Some("z")),
        (Some("V"), Some("é")),
        (Some("a b"), Some("c")),
        (Some("0"), Some("1")),
        // `after` not greater than `before` is ignored.
        (Some("W"), Some("V")),
        (Some("V"), Some("V")),
        (Some("b"), Some("a1")),
        (Some("z"), Some("y")),
    ];
    let mut out: Vec<Between> = pairs.into_iter().map(|(b, a)| case(b, a)).collect();
    // 200 appends at the end.
    let mut last: Option<String> = None;
    for _ in 0..200 {
        let next = case(last.as_deref(), None);
        last = Some(next.result.clone());
        out.push(next);
    }
    // 200 inserts at the start.
    let mut first: Option<String> = None;
    for _ in 0..200 {
        let next = case(None, first.as_deref());
        first = Some(next.result.clone());
        out.push(next);
    }
    // 200 inserts right after the same key, before its current successor.
    let mut successor = String::from("W");
    for _ in 0..200 {
        let next = case(Some("V"), Some(&successor));
        successor.clone_from(&next.result);
        out.push(next);
    }
    out
}

fn is_valid_cases() -> Vec<serde_json::Value> {
    let long = "a".repeat(60);
    [
        "",
        "0",
        "00",
        "V",
        "V0",
        "0V",
        "00V",
        "z",
        "zz",
        "Z",
        "9",
        "0z",
        "1",
        "01",
        "a b",
        "é",
        "-",
        "V-",
        "\u{1F600}",
        "VVV",
        &long,
    ]
    .iter()
    .map(|key| json!({ "key": key, "valid": is_valid(key) }))
    .collect()
}

/// A random board of moderate size (so the file stays small).
fn board(seed: u64) -> Board {
    let mut rng = Rng::new(seed);
    let id = BoardId(Uuid::from_u128(
        0x0b0a_0000_0000_4000_8000_0000_0000_0200 + u128::from(seed),
    ));
    let (mut board, _) = random::created(&mut rng, id, Millis(1_767_225_000_000));
    let mut number = 1;
    let events = 20 + rng.below(40);
    random::run(&mut rng, &mut board, events, &mut number);
    board
}

fn index(rng: &mut Rng, len: usize) -> Option<u32> {
    rng.chance(80).then(|| rng.below(len + 3) as u32)
}

fn item_position_cases() -> Vec<serde_json::Value> {
    (1..=30u64)
        .map(|seed| {
            let board = board(1_000 + seed);
            let mut rng = Rng::new(seed);
            let columns: Vec<ColumnId> = board.columns.iter().map(|c| c.id).collect();
            let column = rng.pick(&columns).unwrap_or_default();
            let len = board.items_in_column(column).len();
            let index = index(&mut rng, len);
            let live: Vec<ItemId> = board.items.values().filter(|i| !i.archived).map(|i| i.id).collect();
            let moving = rng.chance(60).then(|| rng.pick(&live)).flatten();
            let result = board.item_position(column, index, moving);
            json!({ "board": board, "column": column, "index": index, "moving": moving, "result": result })
        })
        .collect()
}

fn render() -> String {
    let lines = |values: Vec<serde_json::Value>| -> String {
        let lines: Vec<String> = values
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        lines.join(",\n")
    };
    let between: Vec<serde_json::Value> = between_cases()
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    format!(
        "{{\"between\": [\n{}\n],\n\"is_valid\": [\n{}\n],\n\"item_position\": [\n{}\n]}}\n",
        lines(between),
        lines(is_valid_cases()),
        lines(item_position_cases()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_json_is_current() {
        for c in between_cases() {
            assert!(is_valid(&c.result), "{c:?}", c = c.result);
        }
        let cases = item_position_cases();
        let archived_neighbours = cases.iter().any(|c| {
            let column = c["column"].as_str().unwrap_or_default();
            c["board"]["items"].as_object().is_some_and(|items| {
                items
                    .values()
                    .any(|i| i["column"] == column && i["archived"] == true)
            })
        });
        assert!(
            archived_neighbours,
            "some case has archived items among the neighbours"
        );
        let text = render();
        assert!(
            text.len() < 2_000_000,
            "positions.json is {} bytes",
            text.len()
        );
        super::super::check_or_bless(PATH, &text);
    }
}
