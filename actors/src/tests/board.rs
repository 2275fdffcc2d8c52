//! The board actor as a writer: seqs, access, rules, activation from the
//! store.

use protocol::{Command, Event, Rejection};
use uuid::Uuid;

use super::*;

#[actix_rt::test]
async fn commands_commit_with_consecutive_seqs() {
    let world = World::new();
    let board = world.new_board().await;

    let created: Vec<(u64, &Event)> = board
        .created
        .events
        .iter()
        .map(|rec| (rec.seq, &rec.event))
        .collect();
    assert_eq!(board.created.seq, 3, "board_created + two columns");
    assert!(matches!(created[0], (1, Event::BoardCreated { org, .. }) if *org == ORG));
    assert!(matches!(created[1], (2, Event::ColumnAdded { column, .. }) if *column == board.todo));
    assert!(matches!(created[2], (3, Event::ColumnAdded { column, .. }) if *column == board.done));

    let (item, _) = world.create_item(board.id, "Write the spec").await;
    let commands = vec![
        create_item("Review the spec"),
        Command::MoveItem {
            item,
            column: board.done,
            index: None,
        },
        Command::EditItem {
            item,
            title: Some("Write the protocol spec".into()),
            description: None,
        },
        Command::AddLabel {
            item,
            label: "docs".into(),
        },
        Command::RenameBoard {
            name: "Roadmap 2026".into(),
        },
    ];
    let mut last = 4;
    for command in commands {
        let by = if command.is_structural() {
            ADMIN
        } else {
            MEMBER
        };
        let committed = world.submit(board.id, by, command).await;
        assert_eq!(committed.seq, last + 1, "exactly one more per event");
        assert_eq!(committed.events.len(), 1);
        assert_eq!(committed.events[0].seq, committed.seq);
        assert_eq!(committed.events[0].by, by);
        last = committed.seq;
    }

    let seqs: Vec<u64> = world.store.events(board.id).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>());
    let live = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(live.seq, last);
    assert_eq!(live.name, "Roadmap 2026");
    assert_eq!(live.items.len(), 2);
    assert_eq!(live.items[&item].column, board.done);
}

#[actix_rt::test]
async fn commands_are_decided_in_submission_order_whatever_order_they_are_awaited() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let first = handle.submit(MEMBER, create_item("First"), None);
    let second = handle.submit(MEMBER, create_item("Second"), None);
    // Awaiting the second first must not queue it first.
    let second = within(second).await.expect("second commits");
    let first = within(first).await.expect("first commits");
    assert_eq!(second.seq, first.seq + 1, "first decided first");
}

#[actix_rt::test]
async fn the_command_id_is_recorded_and_broadcast() {
    let world = World::new();
    let board = world.new_board().await;
    let (sub, mut rx) = outbox(1, 16);
    within(world.board(board.id).subscribe(VIEWER, sub, None))
        .await
        .unwrap();
    let _snapshot = next_msg(&mut rx).await;

    let committed = within(world.board(board.id).submit(
        MEMBER,
        create_item("Tagged"),
        Some("c-17".into()),
    ))
    .await
    .unwrap();

    assert_eq!(committed.events[0].command_id.as_deref(), Some("c-17"));
    let stored = world.store.events(board.id);
    assert_eq!(stored.last(), committed.events.last());
    match next_msg(&mut rx).await {
        ServerMsg::Event {
            seq, command_id, ..
        } => {
            assert_eq!(seq, committed.seq);
            assert_eq!(command_id.as_deref(), Some("c-17"));
        }
        other => panic!("expected the event, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_non_member_gets_not_found() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let before = world.store.events(board.id).len();

    let submitted = within(handle.submit(STRANGER, create_item("Sneaky"), None)).await;
    assert!(is_not_found(&submitted), "{submitted:?}");
    let (sub, mut rx) = outbox(1, 16);
    let subscribed = within(handle.subscribe(STRANGER, sub, None)).await;
    assert!(is_not_found(&subscribed), "{subscribed:?}");
    let read = within(handle.read(STRANGER)).await;
    assert!(is_not_found(&read), "{read:?}");

    assert_eq!(world.store.events(board.id).len(), before);
    assert!(queued(&mut rx).is_empty(), "a non-member sees no snapshot");
}

#[actix_rt::test]
async fn a_viewer_reads_but_may_not_change_items() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Write the spec").await;
    let handle = world.board(board.id);
    let before = world.store.events(board.id).len();

    let refused = rejection(within(handle.submit(VIEWER, create_item("Mine"), None)).await);
    assert_eq!(
        refused,
        Rejection::Forbidden {
            action: "create_item".into()
        }
    );
    let move_item = Command::MoveItem {
        item,
        column: board.done,
        index: None,
    };
    let refused = rejection(within(handle.submit(VIEWER, move_item, None)).await);
    assert_eq!(
        refused,
        Rejection::Forbidden {
            action: "move_item".into()
        }
    );
    // Structure needs an admin: a member is refused too.
    let rename = Command::RenameBoard {
        name: "Mine now".into(),
    };
    let refused = rejection(within(handle.submit(MEMBER, rename, None)).await);
    assert_eq!(
        refused,
        Rejection::Forbidden {
            action: "rename_board".into()
        }
    );

    assert_eq!(world.store.events(board.id).len(), before);
    let seen = within(handle.read(VIEWER)).await.unwrap();
    assert_eq!(seen.seq, before as u64);
    let (sub, mut rx) = outbox(1, 16);
    assert_eq!(
        within(handle.subscribe(VIEWER, sub, None)).await.unwrap(),
        seen.seq
    );
    assert_eq!(snapshot_seq(&next_msg(&mut rx).await), seen.seq);
}

#[actix_rt::test]
async fn an_unknown_board_is_not_found() {
    let world = World::new();
    // A fresh id per request, so each one activates a new actor.
    let unknown = || world.board(BoardId(Uuid::new_v4()));

    let submitted = within(unknown().submit(OWNER, create_item("Anything"), None)).await;
    assert!(is_not_found(&submitted), "{submitted:?}");
    let read = within(unknown().read(OWNER)).await;
    assert!(is_not_found(&read), "{read:?}");
    let (sub, mut rx) = outbox(1, 16);
    let subscribed = within(unknown().subscribe(OWNER, sub, None)).await;
    assert!(is_not_found(&subscribed), "{subscribed:?}");
    let rename = Command::RenameBoard {
        name: "Ghost".into(),
    };
    let handle = unknown();
    let renamed = within(handle.submit(OWNER, rename, None)).await;
    assert!(is_not_found(&renamed), "{renamed:?}");

    assert!(world.store.events(handle.id()).is_empty());
    assert!(queued(&mut rx).is_empty());
}

#[actix_rt::test]
async fn back_to_back_submits_to_an_unknown_board_are_all_not_found() {
    let world = World::new();
    let handle = world.board(BoardId(Uuid::new_v4()));
    for n in 0..100 {
        let submitted = within(handle.submit(OWNER, create_item("Anything"), None)).await;
        assert!(is_not_found(&submitted), "submit {n}: {submitted:?}");
    }
}

#[actix_rt::test]
async fn boards_of_an_unknown_org_cannot_be_created() {
    let world = World::new();
    let id = BoardId(Uuid::new_v4());
    let other_org = OrgId(Uuid::new_v4());
    let created = within(world.registry.org(other_org).create_board(
        id,
        OWNER,
        "Elsewhere".into(),
        vec![],
    ))
    .await;
    assert!(is_not_found(&created), "{created:?}");
    assert!(world.store.events(id).is_empty());
    let viewed = within(world.registry.org(other_org).view()).await;
    assert!(is_not_found(&viewed), "{viewed:?}");
}

#[actix_rt::test]
async fn create_board_rejections_write_nothing() {
    let world = World::new();
    let org = world.registry.org(ORG);
    let id = BoardId(Uuid::new_v4());
    let columns = || vec![(ColumnId(Uuid::new_v4()), "To do".to_owned())];

    let by_member = within(org.create_board(id, MEMBER, "Mine".into(), columns())).await;
    assert_eq!(
        rejection(by_member),
        Rejection::Forbidden {
            action: "create_board".into()
        }
    );
    let by_stranger = within(org.create_board(id, STRANGER, "Mine".into(), columns())).await;
    assert!(is_not_found(&by_stranger), "{by_stranger:?}");
    let unnamed = rejection(within(org.create_board(id, ADMIN, "  ".into(), columns())).await);
    assert!(
        matches!(&unnamed, Rejection::InvalidField { field, .. } if field == "name"),
        "{unnamed:?}"
    );
    let twice = vec![
        (ColumnId(Uuid::new_v4()), "Done".to_owned()),
        (ColumnId(Uuid::new_v4()), "DONE".to_owned()),
    ];
    let duplicate = rejection(within(org.create_board(id, ADMIN, "Mine".into(), twice)).await);
    assert_eq!(
        duplicate,
        Rejection::DuplicateColumnName {
            name: "DONE".into()
        }
    );
    assert!(world.store.events(id).is_empty());

    // The id is still free after all those refusals.
    let created = within(org.create_board(id, ADMIN, "Mine".into(), columns()))
        .await
        .unwrap();
    assert_eq!(created.seq, 2);
    let again = within(org.create_board(id, OWNER, "Again".into(), columns())).await;
    assert_eq!(rejection(again), Rejection::BoardAlreadyExists);
    assert_eq!(world.stored_seq(id), 2);
    let board = within(world.board(id).read(VIEWER)).await.unwrap();
    assert_eq!(board.name, "Mine");
}

#[actix_rt::test]
async fn rule_rejections_append_nothing() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Write the spec").await;
    world
        .submit(
            board.id,
            ADMIN,
            Command::SetWipLimit {
                column: board.todo,
                limit: Some(1),
            },
        )
        .await;
    let handle = world.board(board.id);
    let seq = world.stored_seq(board.id);
    let missing_item = ItemId(Uuid::new_v4());
    let missing_column = ColumnId(Uuid::new_v4());

    let cases: Vec<(UserId, Command, Rejection)> = vec![
        (
            MEMBER,
            create_item("One too many"),
            Rejection::WipLimitReached {
                column: board.todo,
                limit: 1,
            },
        ),
        (
            ADMIN,
            Command::AddColumn {
                name: "to do".into(),
                wip_limit: None,
                index: None,
            },
            Rejection::DuplicateColumnName {
                name: "to do".into(),
            },
        ),
        (
            MEMBER,
            Command::MoveItem {
                item: missing_item,
                column: board.done,
                index: None,
            },
            Rejection::ItemNotFound { item: missing_item },
        ),
        (
            MEMBER,
            Command::MoveItem {
                item,
                column: missing_column,
                index: None,
            },
            Rejection::ColumnNotFound {
                column: missing_column,
            },
        ),
        (
            ADMIN,
            Command::RenameBoard {
                name: BOARD_NAME.into(),
            },
            Rejection::NoChange,
        ),
        (
            MEMBER,
            Command::AssignItem {
                item,
                user: STRANGER,
            },
            Rejection::NotAMember { user: STRANGER },
        ),
    ];
    for (by, command, expected) in cases {
        let name = command.name();
        let refused = rejection(within(handle.submit(by, command, None)).await);
        assert_eq!(refused, expected, "{name}");
        assert_eq!(world.stored_seq(board.id), seq, "{name} appended nothing");
    }
    let untitled = rejection(within(handle.submit(MEMBER, create_item(""), None)).await);
    assert!(
        matches!(&untitled, Rejection::InvalidField { field, .. } if field == "title"),
        "{untitled:?}"
    );

    assert_eq!(world.stored_seq(board.id), seq);
    let live = within(handle.read(MEMBER)).await.unwrap();
    assert_eq!(live.seq, seq, "the live board did not move either");
    assert_eq!(live.items.len(), 1);
    // A rejection does not wedge the board.
    let next = world
        .submit(
            board.id,
            MEMBER,
            Command::MoveItem {
                item,
                column: board.done,
                index: None,
            },
        )
        .await;
    assert_eq!(next.seq, seq + 1);
}
