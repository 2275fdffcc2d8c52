//! Structural commands: the board's name, its columns and their limits.

use super::*;
use crate::board::limits::COLUMNS_MAX;

fn add_column(name: &str, wip_limit: Option<u32>, index: Option<u32>) -> Command {
    Command::AddColumn {
        name: name.into(),
        wip_limit,
        index,
    }
}

#[test]
fn rename_board() {
    let board = given(kanban());
    assert_eq!(
        board.when(Command::RenameBoard {
            name: " Plans ".into()
        }),
        Ok(vec![Event::BoardRenamed {
            name: "Plans".into()
        }])
    );
    assert_eq!(
        board.when(Command::RenameBoard {
            name: "Board".into()
        }),
        Err(Rejection::NoChange)
    );
    assert_eq!(
        board.when(Command::RenameBoard { name: "".into() }),
        Err(invalid("name", "must be 1–100 characters"))
    );
}

#[test]
fn add_column_at_the_end_or_at_an_index() {
    let board = given(kanban());
    let added = |position: &str| {
        Ok(vec![Event::ColumnAdded {
            column: new_column(),
            name: "Review".into(),
            position: position.into(),
            wip_limit: None,
        }])
    };
    assert_eq!(board.when(add_column("Review", None, None)), added("Y"));
    assert_eq!(board.when(add_column("Review", None, Some(3))), added("Y"));
    assert_eq!(board.when(add_column("Review", None, Some(99))), added("Y"));
    assert_eq!(board.when(add_column("Review", None, Some(0))), added("U"));
    assert_eq!(board.when(add_column("Review", None, Some(2))), added("WV"));
    let limited = board.accepts(add_column("Review", Some(2), None));
    assert!(matches!(
        limited,
        Event::ColumnAdded {
            wip_limit: Some(2),
            ..
        }
    ));
}

#[test]
fn add_column_rules() {
    let board = given(kanban());
    assert_eq!(
        board.when(add_column(" doing ", None, None)),
        Err(Rejection::DuplicateColumnName {
            name: "doing".into()
        })
    );
    assert_eq!(
        board.when(add_column("Review", Some(0), None)),
        Err(invalid("wip_limit", "must be at least 1 when set"))
    );
    assert_eq!(
        board.when(add_column(&"x".repeat(51), None, None)),
        Err(invalid("name", "must be 1–50 characters"))
    );
    let taken = given(plus(kanban(), [column(NEW - 0xc00, "Fresh", "Z")]));
    assert_eq!(
        taken.when(add_column("Other", None, None)),
        Err(invalid("id", "the new column id is already in use"))
    );
    let mut full = vec![created()];
    let mut last: Option<String> = None;
    for n in 0..COLUMNS_MAX as u128 {
        let position = crate::position::between(last.as_deref(), None);
        full.push(column(n, &format!("c{n}"), &position));
        last = Some(position);
    }
    assert_eq!(
        given(full).when(add_column("One more", None, None)),
        Err(Rejection::TooManyColumns {
            max: COLUMNS_MAX as u32
        })
    );
}

#[test]
fn rename_column() {
    let board = given(kanban());
    let rename = |n: u128, name: &str| Command::RenameColumn {
        column: col(n),
        name: name.into(),
    };
    assert_eq!(
        board.when(rename(1, "Backlog")),
        Ok(vec![Event::ColumnRenamed {
            column: col(1),
            name: "Backlog".into()
        }])
    );
    // Changing only the case of its own name is a change, not a duplicate.
    assert!(board.when(rename(1, "TODO")).is_ok());
    assert_eq!(board.when(rename(1, "Todo")), Err(Rejection::NoChange));
    assert_eq!(
        board.when(rename(1, "done")),
        Err(Rejection::DuplicateColumnName {
            name: "done".into()
        })
    );
    assert_eq!(
        board.when(rename(9, "Nine")),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
    assert_eq!(
        board.when(rename(1, "")),
        Err(invalid("name", "must be 1–50 characters"))
    );
}

#[test]
fn move_column() {
    let board = given(kanban());
    let move_to = |n: u128, index: u32| Command::MoveColumn {
        column: col(n),
        index,
    };
    let moved = |n: u128, position: &str| {
        Ok(vec![Event::ColumnMoved {
            column: col(n),
            position: position.into(),
        }])
    };
    assert_eq!(board.when(move_to(3, 0)), moved(3, "U"));
    assert_eq!(board.when(move_to(1, 2)), moved(1, "Y"));
    assert_eq!(board.when(move_to(1, 1)), moved(1, "WV"));
    assert_eq!(board.when(move_to(2, 99)), moved(2, "Y"));
    assert_eq!(board.when(move_to(1, 0)), Err(Rejection::NoChange));
    assert_eq!(board.when(move_to(3, 2)), Err(Rejection::NoChange));
    assert_eq!(board.when(move_to(3, 99)), Err(Rejection::NoChange));
    assert_eq!(
        board.when(move_to(9, 0)),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
}

#[test]
fn remove_column_only_when_empty() {
    let remove = |n: u128| Command::RemoveColumn { column: col(n) };
    let board = given(plus(with_items(), [archived(2), card(4, 2, "V")]));
    assert_eq!(
        board.when(remove(3)),
        Ok(vec![Event::ColumnRemoved { column: col(3) }])
    );
    // Archived items still live in their column.
    assert_eq!(
        board.when(remove(1)),
        Err(Rejection::ColumnNotEmpty {
            column: col(1),
            items: 3
        })
    );
    assert_eq!(
        board.when(remove(2)),
        Err(Rejection::ColumnNotEmpty {
            column: col(2),
            items: 1
        })
    );
    assert_eq!(
        board.when(remove(9)),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
}

#[test]
fn set_wip_limit() {
    let set = |n: u128, limit: Option<u32>| Command::SetWipLimit {
        column: col(n),
        limit,
    };
    let board = given(plus(with_items(), [limited(4, "Limited", "Z", 2)]));
    assert_eq!(
        board.when(set(1, Some(5))),
        Ok(vec![Event::WipLimitSet {
            column: col(1),
            limit: Some(5)
        }])
    );
    // A limit below the current load is allowed: it only blocks additions.
    assert!(board.when(set(1, Some(1))).is_ok());
    assert_eq!(
        board.when(set(4, None)),
        Ok(vec![Event::WipLimitSet {
            column: col(4),
            limit: None
        }])
    );
    assert_eq!(board.when(set(4, Some(2))), Err(Rejection::NoChange));
    assert_eq!(board.when(set(1, None)), Err(Rejection::NoChange));
    assert_eq!(
        board.when(set(1, Some(0))),
        Err(invalid("limit", "must be at least 1 when set"))
    );
    assert_eq!(
        board.when(set(9, Some(1))),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
}
