//! Assignees and labels.

use super::*;
use crate::board::limits::{ASSIGNEES_PER_ITEM_MAX, LABELS_PER_ITEM_MAX};

fn assign(user: UserId) -> Command {
    Command::AssignItem {
        item: item(1),
        user,
    }
}

fn unassign(user: UserId) -> Command {
    Command::UnassignItem {
        item: item(1),
        user,
    }
}

fn assigned(user: UserId) -> Event {
    Event::ItemAssigned {
        item: item(1),
        user,
    }
}

fn add_label(label: &str) -> Command {
    Command::AddLabel {
        item: item(1),
        label: label.into(),
    }
}

fn remove_label(label: &str) -> Command {
    Command::RemoveLabel {
        item: item(1),
        label: label.into(),
    }
}

fn label_added(label: &str) -> Event {
    Event::LabelAdded {
        item: item(1),
        label: label.into(),
    }
}

#[test]
fn assign_members_only_once() {
    let board = given(with_items());
    assert_eq!(board.when(assign(VIEWER)), Ok(vec![assigned(VIEWER)]));
    assert_eq!(
        board.when(assign(STRANGER)),
        Err(Rejection::NotAMember { user: STRANGER })
    );
    let board = given(plus(with_items(), [assigned(MEMBER)]));
    assert_eq!(
        board.when(assign(MEMBER)),
        Err(Rejection::AlreadyAssigned { user: MEMBER })
    );
    let missing = Command::AssignItem {
        item: item(9),
        user: MEMBER,
    };
    assert_eq!(
        board.when(missing),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
}

#[test]
fn assignees_are_capped() {
    let many: Vec<UserId> = (0..=ASSIGNEES_PER_ITEM_MAX as u128)
        .map(|n| UserId(Uuid::from_u128(0x5500 + n)))
        .collect();
    let mut board = given(plus(
        with_items(),
        many[..ASSIGNEES_PER_ITEM_MAX]
            .iter()
            .map(|user| assigned(*user)),
    ));
    board
        .members
        .extend(many.iter().map(|user| (*user, Role::Member)));
    assert_eq!(
        board.when(assign(many[ASSIGNEES_PER_ITEM_MAX])),
        Err(invalid("assignees", "at most 20 per item"))
    );
}

#[test]
fn unassign_rules() {
    let board = given(plus(with_items(), [assigned(MEMBER)]));
    assert_eq!(
        board.when(unassign(MEMBER)),
        Ok(vec![Event::ItemUnassigned {
            item: item(1),
            user: MEMBER
        }])
    );
    assert_eq!(
        board.when(unassign(ADMIN)),
        Err(Rejection::NotAssigned { user: ADMIN })
    );
    // Someone who left the organization can still be unassigned.
    let mut left = given(plus(with_items(), [assigned(MEMBER)]));
    left.members.remove(&MEMBER);
    assert!(left.when(unassign(MEMBER)).is_ok());
}

#[test]
fn archived_items_cannot_be_assigned_or_labelled() {
    let board = given(plus(
        with_items(),
        [assigned(MEMBER), label_added("bug"), archived(1)],
    ));
    let refused = Err(Rejection::ItemArchived { item: item(1) });
    assert_eq!(board.when(assign(ADMIN)), refused);
    assert_eq!(board.when(unassign(MEMBER)), refused);
    assert_eq!(board.when(add_label("new")), refused);
    assert_eq!(board.when(remove_label("bug")), refused);
}

#[test]
fn labels() {
    let board = given(plus(with_items(), [label_added("bug")]));
    assert_eq!(board.when(add_label(" ui ")), Ok(vec![label_added("ui")]));
    // Labels are case-sensitive: `Bug` is another label.
    assert_eq!(board.when(add_label("Bug")), Ok(vec![label_added("Bug")]));
    assert_eq!(
        board.when(add_label("bug ")),
        Err(Rejection::LabelExists {
            label: "bug".into()
        })
    );
    let rule = invalid("label", "must be 1–50 characters");
    assert_eq!(board.when(add_label(" ")), Err(rule.clone()));
    assert_eq!(board.when(add_label(&"l".repeat(51))), Err(rule));
    assert_eq!(
        board.when(remove_label(" bug")),
        Ok(vec![Event::LabelRemoved {
            item: item(1),
            label: "bug".into()
        }])
    );
    assert_eq!(
        board.when(remove_label("ui")),
        Err(Rejection::LabelNotFound { label: "ui".into() })
    );
    let missing = Command::AddLabel {
        item: item(9),
        label: "x".into(),
    };
    assert_eq!(
        board.when(missing),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
}

#[test]
fn labels_are_capped() {
    let labels: Vec<Event> = (0..LABELS_PER_ITEM_MAX)
        .map(|n| label_added(&format!("l{n}")))
        .collect();
    let board = given(plus(with_items(), labels));
    assert_eq!(
        board.when(add_label("one more")),
        Err(invalid("labels", "at most 20 per item"))
    );
}
