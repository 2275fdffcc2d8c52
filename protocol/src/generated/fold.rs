//! `web/client/test/fixtures/fold.json`: cases for the TypeScript port of
//! [`Board::apply`]. Each case is an initial board (wire JSON), recorded
//! events, and the board after applying them all (`after_each`, when
//! present, is the board after each event). Hand-written cases pin the
//! edges (every event kind, ignored events, ties, string order, stamping);
//! seeded random cases run the real `decide`, so positions, numbers and
//! ids look like production.

use serde::Serialize;
use uuid::Uuid;

use super::fold_edges;
use super::random::{self, Rng};
use crate::board::{Board, Event, Recorded};
use crate::codec::EVENT_TYPES;
use crate::ids::{BoardId, Millis, UserId};

/// Where the file is committed, from the workspace root.
pub const PATH: &str = "web/client/test/fixtures/fold.json";

/// One case: a board, events, and the board after them.
#[derive(Serialize)]
pub struct Case {
    pub name: String,
    pub initial: Board,
    pub events: Vec<Recorded>,
    pub expected: Board,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_each: Option<Vec<Board>>,
}

/// Folds `events` (given as `(by, at, event)`, seqs following the initial
/// board's) into a case that records the board after each one.
pub fn case(name: &str, initial: Board, events: Vec<(UserId, i64, Event)>) -> Case {
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
    let mut all = fold_edges::cases();
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
        let labels = &cases[3].expected.items[&fold_edges::item(1)].labels;
        let order: Vec<&str> = labels.iter().map(String::as_str).collect();
        let ff5e = order.iter().position(|l| *l == "\u{FF5E}");
        assert!(ff5e < order.iter().position(|l| *l == "\u{1F600}"));
        let text = render(&cases);
        assert!(text.len() < 2_000_000, "fold.json is {} bytes", text.len());
        super::super::check_or_bless(PATH, &text);
    }
}
