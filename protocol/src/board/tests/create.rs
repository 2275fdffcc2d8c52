//! Creating a board, and the checks every command goes through first:
//! the board exists, and the role allows the command.

use super::*;
use crate::board::limits::{BOARD_NAME_MAX, COLUMNS_MAX};
use crate::samples;

fn create(
    given: &Given,
    name: &str,
    columns: &[(ColumnId, &str)],
) -> Result<Vec<Event>, Rejection> {
    let columns: Vec<(ColumnId, String)> = columns
        .iter()
        .map(|(id, name)| (*id, (*name).to_owned()))
        .collect();
    given.board.create(&given.ctx(), ORG, name, &columns)
}

#[test]
fn creates_the_board_and_its_columns_in_order() {
    let events = create(
        &given([]),
        "  Roadmap ",
        &[(col(1), "Todo"), (col(2), " Done ")],
    );
    assert_eq!(
        events,
        Ok(vec![
            Event::BoardCreated {
                org: ORG,
                name: "Roadmap".into()
            },
            column(1, "Todo", "V"),
            column(2, "Done", "W"),
        ])
    );
    assert_eq!(
        create(&given([]), "Empty", &[]),
        Ok(vec![created_named("Empty")])
    );
}

fn created_named(name: &str) -> Event {
    Event::BoardCreated {
        org: ORG,
        name: name.into(),
    }
}

#[test]
fn creating_an_existing_board_is_refused() {
    assert_eq!(
        create(&given([created()]), "Again", &[]),
        Err(Rejection::BoardAlreadyExists)
    );
}

#[test]
fn only_admins_create_boards() {
    assert!(create(&given([]).acting_as(Role::Admin), "Ok", &[]).is_ok());
    for role in [Role::Member, Role::Viewer] {
        assert_eq!(
            create(&given([]).acting_as(role), "No", &[]),
            Err(forbidden("create_board"))
        );
    }
}

#[test]
fn board_and_column_names_are_checked() {
    let length = format!("must be 1–{BOARD_NAME_MAX} characters");
    let long = "x".repeat(BOARD_NAME_MAX + 1);
    for name in ["", "   ", long.as_str()] {
        assert_eq!(create(&given([]), name, &[]), Err(invalid("name", &length)));
    }
    assert_eq!(
        create(&given([]), "tab\there", &[]),
        Err(invalid("name", "must not contain control characters"))
    );
    assert!(create(&given([]), &"é".repeat(BOARD_NAME_MAX), &[]).is_ok());
    assert_eq!(
        create(&given([]), "Ok", &[(col(1), " ")]),
        Err(invalid("name", "must be 1–50 characters"))
    );
}

#[test]
fn column_names_are_unique_ignoring_case() {
    assert_eq!(
        create(&given([]), "B", &[(col(1), "Todo"), (col(2), " TODO")]),
        Err(Rejection::DuplicateColumnName {
            name: "TODO".into()
        })
    );
    assert_eq!(
        create(&given([]), "B", &[(col(1), "Todo"), (col(1), "Done")]),
        Err(invalid("columns", "column ids must be unique"))
    );
}

#[test]
fn at_most_columns_max_columns() {
    let names: Vec<String> = (0..=COLUMNS_MAX).map(|i| format!("c{i}")).collect();
    let columns: Vec<(ColumnId, &str)> = names
        .iter()
        .zip(0..)
        .map(|(name, i)| (col(i), name.as_str()))
        .collect();
    assert_eq!(
        create(&given([]), "B", &columns),
        Err(Rejection::TooManyColumns {
            max: COLUMNS_MAX as u32
        })
    );
    assert!(create(&given([]), "B", &columns[..COLUMNS_MAX]).is_ok());
}

#[test]
fn no_command_runs_before_the_board_exists() {
    for cmd in samples::commands() {
        assert_eq!(given([]).when(cmd), Err(Rejection::BoardNotFound));
    }
}

#[test]
fn structure_needs_admin_and_items_need_member() {
    for cmd in samples::commands() {
        let action = cmd.name();
        let (allowed, refused): (&[Role], &[Role]) = if cmd.is_structural() {
            (&[Role::Owner, Role::Admin], &[Role::Member, Role::Viewer])
        } else {
            (&[Role::Owner, Role::Admin, Role::Member], &[Role::Viewer])
        };
        for role in refused {
            let outcome = given(with_items()).acting_as(*role).when(cmd.clone());
            assert_eq!(outcome, Err(forbidden(action)), "{role} {action}");
        }
        for role in allowed {
            let outcome = given(with_items()).acting_as(*role).when(cmd.clone());
            assert!(
                !matches!(outcome, Err(Rejection::Forbidden { .. })),
                "{role} {action}: {outcome:?}"
            );
        }
    }
}
