//! Archiving a board: it becomes read-only, every command but
//! `restore_board` is refused, and restoring it makes it writable again.

use std::collections::BTreeSet;

use super::*;
use crate::codec::COMMAND_TYPES;

/// `with_items`, plus a member assigned to, a label on and the owner's
/// comment 1 on item 2, and item 3 archived: every command of
/// [`one_of_each`] is accepted on it.
fn busy() -> Vec<Event> {
    plus(
        with_items(),
        [
            Event::ItemAssigned {
                item: item(2),
                user: MEMBER,
            },
            Event::LabelAdded {
                item: item(2),
                label: "docs".into(),
            },
            archived(3),
            Event::CommentAdded {
                comment: comment(1),
                item: item(2),
                body: "First!".into(),
            },
        ],
    )
}

/// One command of every kind but `restore_board`, each valid on [`busy`].
fn one_of_each() -> Vec<Command> {
    vec![
        Command::RenameBoard {
            name: "Plans".into(),
        },
        Command::AddColumn {
            name: "Review".into(),
            wip_limit: None,
            index: None,
        },
        Command::RenameColumn {
            column: col(1),
            name: "Backlog".into(),
        },
        Command::MoveColumn {
            column: col(3),
            index: 0,
        },
        Command::RemoveColumn { column: col(3) },
        Command::SetWipLimit {
            column: col(1),
            limit: Some(5),
        },
        Command::CreateItem {
            title: "New".into(),
            description: String::new(),
            column: None,
            index: None,
        },
        Command::EditItem {
            item: item(1),
            title: Some("Renamed".into()),
            description: None,
        },
        Command::MoveItem {
            item: item(1),
            column: col(2),
            index: None,
        },
        Command::AssignItem {
            item: item(1),
            user: MEMBER,
        },
        Command::UnassignItem {
            item: item(2),
            user: MEMBER,
        },
        Command::AddLabel {
            item: item(1),
            label: "docs".into(),
        },
        Command::RemoveLabel {
            item: item(2),
            label: "docs".into(),
        },
        Command::ArchiveItem { item: item(1) },
        Command::RestoreItem { item: item(3) },
        Command::ArchiveBoard,
        Command::AddComment {
            item: item(1),
            body: "Looks good".into(),
        },
        Command::EditComment {
            comment: comment(1),
            body: "Second!".into(),
        },
        Command::DeleteComment {
            comment: comment(1),
        },
    ]
}

#[test]
fn the_command_list_covers_every_kind_but_restore_board() {
    let names: BTreeSet<&str> = one_of_each().iter().map(Command::name).collect();
    let expected: BTreeSet<&str> = COMMAND_TYPES
        .iter()
        .copied()
        .filter(|name| *name != "restore_board")
        .collect();
    assert_eq!(names, expected);
    let board = given(busy());
    for cmd in one_of_each() {
        board.accepts(cmd);
    }
}

#[test]
fn archive_board() {
    let board = given(kanban());
    assert_eq!(
        board.when(Command::ArchiveBoard),
        Ok(vec![Event::BoardArchived])
    );
    let archived = given(plus(kanban(), [Event::BoardArchived])).board;
    assert!(archived.archived);
    // Archiving changes nothing else.
    let mut before = given(kanban()).board;
    before.archived = true;
    before.seq += 1;
    assert_eq!(archived, before);
}

#[test]
fn every_command_but_restore_is_refused_on_an_archived_board() {
    let board = given(plus(busy(), [Event::BoardArchived]));
    for cmd in one_of_each() {
        assert_eq!(
            board.when(cmd.clone()),
            Err(Rejection::BoardArchived),
            "{}",
            cmd.name()
        );
    }
    // Including archiving it again.
    assert_eq!(
        board.when(Command::ArchiveBoard),
        Err(Rejection::BoardArchived)
    );
    // Even commands that would be refused for another reason: the archive
    // check comes before field and target checks.
    assert_eq!(
        board.when(Command::RenameBoard { name: "".into() }),
        Err(Rejection::BoardArchived)
    );
    assert_eq!(
        board.when(Command::MoveItem {
            item: item(99),
            column: col(99),
            index: None
        }),
        Err(Rejection::BoardArchived)
    );
}

#[test]
fn restoring_a_board_that_is_not_archived_is_refused() {
    assert_eq!(
        given(kanban()).when(Command::RestoreBoard),
        Err(Rejection::BoardNotArchived)
    );
    let restored = plus(kanban(), [Event::BoardArchived, Event::BoardRestored]);
    assert_eq!(
        given(restored).when(Command::RestoreBoard),
        Err(Rejection::BoardNotArchived)
    );
}

#[test]
fn a_restored_board_accepts_commands_again() {
    let archived = given(plus(busy(), [Event::BoardArchived]));
    assert_eq!(
        archived.when(Command::RestoreBoard),
        Ok(vec![Event::BoardRestored])
    );
    let restored = given(plus(busy(), [Event::BoardArchived, Event::BoardRestored]));
    assert!(!restored.board.archived);
    for cmd in one_of_each() {
        assert_eq!(restored.accepts(cmd.clone()), given(busy()).accepts(cmd));
    }
}

#[test]
fn archiving_and_restoring_are_structural() {
    assert!(Command::ArchiveBoard.is_structural());
    assert!(Command::RestoreBoard.is_structural());
    assert!(!Command::ArchiveBoard.needs_item_number());
    let live = || given(kanban());
    let archived = || given(plus(kanban(), [Event::BoardArchived]));
    for role in [Role::Owner, Role::Admin] {
        assert!(live().acting_as(role).when(Command::ArchiveBoard).is_ok());
        assert!(archived()
            .acting_as(role)
            .when(Command::RestoreBoard)
            .is_ok());
    }
    for role in [Role::Member, Role::Viewer] {
        assert_eq!(
            live().acting_as(role).when(Command::ArchiveBoard),
            Err(forbidden("archive_board"))
        );
        assert_eq!(
            archived().acting_as(role).when(Command::RestoreBoard),
            Err(forbidden("restore_board"))
        );
    }
}

#[test]
fn the_role_is_checked_before_the_archive() {
    let board = given(plus(busy(), [Event::BoardArchived]));
    let create = Command::CreateItem {
        title: "New".into(),
        description: String::new(),
        column: None,
        index: None,
    };
    // A member may create items, so the archive is what stops them.
    assert_eq!(
        board.acting_as(Role::Member).when(create.clone()),
        Err(Rejection::BoardArchived)
    );
    let board = given(plus(busy(), [Event::BoardArchived]));
    assert_eq!(
        board.acting_as(Role::Viewer).when(create),
        Err(forbidden("create_item"))
    );
    let board = given(plus(busy(), [Event::BoardArchived]));
    assert_eq!(
        board.acting_as(Role::Member).when(Command::RenameBoard {
            name: "Plans".into()
        }),
        Err(forbidden("rename_board"))
    );
}

#[test]
fn apply_sets_and_clears_the_flag() {
    let mut board = given(kanban()).board;
    assert!(!board.archived);
    board.apply(&recorded(5, Event::BoardArchived));
    assert!(board.archived);
    assert_eq!(board.seq, 5);
    board.apply(&recorded(6, Event::BoardRestored));
    assert!(!board.archived);
    assert_eq!(board.seq, 6);
}
