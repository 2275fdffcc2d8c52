//! Items: create, edit, move, archive, restore, and WIP limits.

use super::*;
use crate::board::limits::{DESCRIPTION_MAX_BYTES, ITEMS_MAX};

fn create_in(column: Option<u128>, index: Option<u32>) -> Command {
    Command::CreateItem {
        title: "New".into(),
        description: String::new(),
        column: column.map(col),
        index,
    }
}

fn created_item(column: u128, position: &str) -> Event {
    Event::ItemCreated {
        item: new_item(),
        number: 100,
        title: "New".into(),
        description: String::new(),
        column: col(column),
        position: position.into(),
    }
}

fn move_to(n: u128, column: u128, index: Option<u32>) -> Command {
    Command::MoveItem {
        item: item(n),
        column: col(column),
        index,
    }
}

fn moved(n: u128, column: u128, position: &str) -> Result<Vec<Event>, Rejection> {
    Ok(vec![Event::ItemMoved {
        item: item(n),
        column: col(column),
        position: position.into(),
    }])
}

#[test]
fn create_item_goes_to_the_first_column_by_default() {
    // Columns are ordered by position, not by creation.
    let board = given([created(), column(1, "Later", "X"), column(2, "First", "A")]);
    assert_eq!(
        board.when(create_in(None, None)),
        Ok(vec![created_item(2, "V")])
    );
    assert_eq!(
        given([created()]).when(create_in(None, None)),
        Err(Rejection::NoColumn)
    );
    assert_eq!(
        board.when(create_in(Some(9), None)),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
}

#[test]
fn create_item_at_an_index() {
    let board = given(with_items());
    assert_eq!(
        board.when(create_in(Some(1), None)),
        Ok(vec![created_item(1, "Y")])
    );
    assert_eq!(
        board.when(create_in(Some(1), Some(7))),
        Ok(vec![created_item(1, "Y")])
    );
    assert_eq!(
        board.when(create_in(Some(1), Some(0))),
        Ok(vec![created_item(1, "U")])
    );
    assert_eq!(
        board.when(create_in(Some(1), Some(1))),
        Ok(vec![created_item(1, "VV")])
    );
    assert_eq!(
        board.when(create_in(Some(2), Some(5))),
        Ok(vec![created_item(2, "V")])
    );
}

#[test]
fn create_item_checks_its_fields() {
    let board = given(kanban());
    let create = |title: &str, description: &str| Command::CreateItem {
        title: title.into(),
        description: description.into(),
        column: None,
        index: None,
    };
    let title_rule = invalid("title", "must be 1–500 characters");
    assert_eq!(board.when(create("  ", "")), Err(title_rule.clone()));
    assert_eq!(board.when(create(&"t".repeat(501), "")), Err(title_rule));
    assert!(board.when(create(&"é".repeat(500), "")).is_ok());
    assert_eq!(
        board.when(create("line\nbreak", "")),
        Err(invalid("title", "must not contain control characters"))
    );
    // Unicode's line and paragraph separators are line breaks too.
    for separator in ["\u{2028}", "\u{2029}"] {
        assert_eq!(
            board.when(create(&format!("line{separator}break"), "")),
            Err(invalid("title", "must not contain line breaks")),
            "{separator:?}"
        );
    }
    let trimmed = board.accepts(create("  Title  ", "keeps\n  spaces "));
    assert!(matches!(
        trimmed,
        Event::ItemCreated { ref title, ref description, .. }
            if title == "Title" && description == "keeps\n  spaces "
    ));
    // The description limit is in bytes: 32 Ki two-byte characters fit.
    assert!(board
        .when(create("T", &"é".repeat(DESCRIPTION_MAX_BYTES / 2)))
        .is_ok());
    assert_eq!(
        board.when(create("T", &"x".repeat(DESCRIPTION_MAX_BYTES + 1))),
        Err(invalid("description", "must be at most 65536 bytes"))
    );
    assert_eq!(
        board.when(create("T", "nul\0")),
        Err(invalid("description", "must not contain NUL characters"))
    );
}

#[test]
fn create_item_needs_an_allocated_number_and_a_fresh_id() {
    let mut board = given(kanban());
    board.number = None;
    assert_eq!(
        board.when(create_in(None, None)),
        Err(invalid(
            "number",
            "an item number must be allocated for create_item"
        ))
    );
    let taken = given(plus(kanban(), [card(NEW - 0x1700, 1, "V")]));
    assert_eq!(
        taken.when(create_in(None, None)),
        Err(invalid("id", "the new item id is already in use"))
    );
}

#[test]
fn create_item_stops_at_items_max() {
    let mut board = given(kanban());
    for n in 0..ITEMS_MAX as u128 {
        board.board.apply(&recorded(
            10 + n as u64,
            Event::ItemCreated {
                item: item(n),
                number: n as u64,
                title: "t".into(),
                description: String::new(),
                column: col(1),
                position: "V".into(),
            },
        ));
    }
    assert_eq!(
        board.when(create_in(None, None)),
        Err(Rejection::TooManyItems {
            max: ITEMS_MAX as u32
        })
    );
}

#[test]
fn wip_limit_counts_live_items() {
    let log = vec![
        created(),
        limited(1, "Doing", "V", 2),
        column(2, "Done", "W"),
        card(1, 1, "V"),
        card(2, 1, "W"),
        card(3, 2, "V"),
        card(4, 2, "W"),
        archived(4),
    ];
    let full = Err(Rejection::WipLimitReached {
        column: col(1),
        limit: 2,
    });
    let board = given(log.clone());
    assert_eq!(board.when(create_in(Some(1), None)), full);
    assert_eq!(board.when(move_to(3, 1, None)), full);
    // Reordering inside a full column is always allowed.
    assert_eq!(board.when(move_to(2, 1, Some(0))), moved(2, 1, "U"));
    // Archived items do not count; restoring one counts again.
    let board = given(plus(log.clone(), [archived(1)]));
    assert!(board.when(move_to(3, 1, None)).is_ok());
    assert!(board.when(create_in(Some(1), None)).is_ok());
    let board = given(plus(log, [archived(1), card(5, 1, "X")]));
    assert_eq!(board.when(Command::RestoreItem { item: item(1) }), full);
}

#[test]
fn edit_item() {
    let board = given(with_items());
    let edit = |title: Option<&str>, description: Option<&str>| Command::EditItem {
        item: item(1),
        title: title.map(str::to_owned),
        description: description.map(str::to_owned),
    };
    let edited = |title: Option<&str>, description: Option<&str>| {
        Ok(vec![Event::ItemEdited {
            item: item(1),
            title: title.map(str::to_owned),
            description: description.map(str::to_owned),
        }])
    };
    assert_eq!(
        board.when(edit(Some(" New "), None)),
        edited(Some("New"), None)
    );
    assert_eq!(
        board.when(edit(None, Some("Why"))),
        edited(None, Some("Why"))
    );
    // Unchanged fields are left out; nothing changed at all is refused.
    assert_eq!(
        board.when(edit(Some("Item 1"), Some("Why"))),
        edited(None, Some("Why"))
    );
    assert_eq!(
        board.when(edit(Some("Item 1 "), Some(""))),
        Err(Rejection::NoChange)
    );
    assert_eq!(board.when(edit(None, None)), Err(Rejection::NoChange));
    assert_eq!(
        board.when(edit(Some(""), None)),
        Err(invalid("title", "must be 1–500 characters"))
    );
    let missing = Command::EditItem {
        item: item(9),
        title: Some("x".into()),
        description: None,
    };
    assert_eq!(
        board.when(missing),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
    let archived_board = given(plus(with_items(), [archived(1)]));
    assert_eq!(
        archived_board.when(edit(Some("x"), None)),
        Err(Rejection::ItemArchived { item: item(1) })
    );
}

#[test]
fn move_item_between_and_within_columns() {
    let board = given(plus(with_items(), [card(4, 2, "V")]));
    assert_eq!(board.when(move_to(1, 2, None)), moved(1, 2, "W"));
    assert_eq!(board.when(move_to(1, 2, Some(0))), moved(1, 2, "U"));
    assert_eq!(board.when(move_to(1, 3, Some(4))), moved(1, 3, "V"));
    // Within Todo (1, 2, 3): the index counts the other items.
    assert_eq!(board.when(move_to(1, 1, None)), moved(1, 1, "Y"));
    assert_eq!(board.when(move_to(1, 1, Some(1))), moved(1, 1, "WV"));
    assert_eq!(board.when(move_to(3, 1, Some(0))), moved(3, 1, "U"));
    // Moving to where it already is changes nothing.
    assert_eq!(board.when(move_to(1, 1, Some(0))), Err(Rejection::NoChange));
    assert_eq!(board.when(move_to(3, 1, None)), Err(Rejection::NoChange));
    assert_eq!(board.when(move_to(3, 1, Some(2))), Err(Rejection::NoChange));
    assert_eq!(
        board.when(move_to(1, 9, None)),
        Err(Rejection::ColumnNotFound { column: col(9) })
    );
    assert_eq!(
        board.when(move_to(9, 1, None)),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
    let archived_board = given(plus(with_items(), [archived(1)]));
    assert_eq!(
        archived_board.when(move_to(1, 2, None)),
        Err(Rejection::ItemArchived { item: item(1) })
    );
    // Archived items keep their slot, so indexes count them too.
    assert_eq!(
        archived_board.when(move_to(3, 1, Some(1))),
        moved(3, 1, "VV")
    );
}

#[test]
fn archive_and_restore() {
    let board = given(with_items());
    let archive = |n: u128| Command::ArchiveItem { item: item(n) };
    let restore = |n: u128| Command::RestoreItem { item: item(n) };
    assert_eq!(
        board.when(archive(1)),
        Ok(vec![Event::ItemArchived { item: item(1) }])
    );
    assert_eq!(
        board.when(restore(1)),
        Err(Rejection::ItemNotArchived { item: item(1) })
    );
    assert_eq!(
        board.when(archive(9)),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
    assert_eq!(
        board.when(restore(9)),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
    let board = given(plus(with_items(), [archived(1)]));
    assert_eq!(
        board.when(archive(1)),
        Err(Rejection::ItemArchived { item: item(1) })
    );
    assert_eq!(
        board.when(restore(1)),
        Ok(vec![Event::ItemRestored { item: item(1) }])
    );
}
