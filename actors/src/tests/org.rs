//! The organization actor: item numbers, roster, board directory.

use futures_util::future::join_all;
use protocol::{Command, OrgCommand, Rejection};

use super::*;

fn small_blocks() -> ActorConfig {
    ActorConfig {
        number_block: 3,
        ..ActorConfig::default()
    }
}

#[actix_rt::test]
async fn item_numbers_increase_across_two_boards_of_one_org() {
    // Blocks of 3 so the sequence crosses several reservations.
    let world = World::with(small_blocks());
    let a = world.new_board().await;
    let b = world.new_board().await;

    let mut numbers = Vec::new();
    for n in 0..10 {
        let board = if n % 2 == 0 { a.id } else { b.id };
        numbers.push(world.create_item(board, &format!("Item {n}")).await.1);
    }
    assert_eq!(numbers, (1..=10).collect::<Vec<u64>>());

    let on_a = within(world.board(a.id).read(VIEWER)).await.unwrap();
    let mut on_a: Vec<u64> = on_a.items.values().map(|item| item.number).collect();
    on_a.sort_unstable();
    assert_eq!(on_a, [1, 3, 5, 7, 9]);
}

#[actix_rt::test]
async fn concurrent_items_on_two_boards_never_share_a_number() {
    let world = World::with(small_blocks());
    let a = world.new_board().await;
    let b = world.new_board().await;

    let calls = (0..20).map(|n| {
        let board = if n % 2 == 0 { a.id } else { b.id };
        let handle = world.board(board);
        async move {
            handle
                .submit(MEMBER, create_item(&format!("Item {n}")), None)
                .await
        }
    });
    let results = within(join_all(calls)).await;

    let mut numbers: Vec<u64> = results
        .iter()
        .map(|r| created_item(r.as_ref().expect("every create commits")).1)
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<u64>>());
    // Within one board, numbers follow the board's own order.
    for board in [a.id, b.id] {
        let by_seq: Vec<u64> = world
            .store
            .events(board)
            .iter()
            .filter_map(|rec| match rec.event {
                protocol::Event::ItemCreated { number, .. } => Some(number),
                _ => None,
            })
            .collect();
        assert!(by_seq.windows(2).all(|w| w[0] < w[1]), "{by_seq:?}");
    }
}

/// Boards take item numbers from the stock the org actor published with
/// its view, without a message to it, and give unused ones back there; a
/// board that finds the stock half spent has the actor reserve the next
/// block. Never while an org command sent on this node is unanswered.
#[actix_rt::test]
async fn boards_take_numbers_from_the_published_stock() {
    let world = World::with(small_blocks());
    let board = world.new_board().await;
    // The first create finds the stock empty and waits for a block (1..=3).
    assert_eq!(world.create_item(board.id, "One").await.1, 1);

    // Taken as a board takes it, and given back: the next create's.
    let taken = world.registry.take_org_number(ORG);
    assert_eq!(taken, Some(2), "the rest of the block is at hand");
    assert!(world.registry.give_back_org_number(ORG, 2));
    // Across the blocks the boards had reserved when they ran low.
    for expected in 2..=12 {
        assert_eq!(world.create_item(board.id, "Next").await.1, expected);
    }

    let pending = world.registry.org_command_pending(ORG);
    assert_eq!(world.registry.take_org_number(ORG), None);
    assert_eq!(world.create_item(board.id, "Asked").await.1, 13);
    drop(pending);
    assert_eq!(world.registry.take_org_number(ORG), Some(14));
}

#[actix_rt::test]
async fn a_refused_create_item_spends_no_number() {
    let world = World::new();
    let board = world.new_board().await;
    assert_eq!(world.create_item(board.id, "One").await.1, 1);

    let refused = within(
        world
            .board(board.id)
            .submit(VIEWER, create_item("No"), None),
    )
    .await;
    assert_eq!(
        rejection(refused),
        Rejection::Forbidden {
            action: "create_item".into()
        }
    );
    let stranger = within(
        world
            .board(board.id)
            .submit(STRANGER, create_item("No"), None),
    )
    .await;
    assert!(is_not_found(&stranger), "{stranger:?}");

    assert_eq!(world.create_item(board.id, "Two").await.1, 2);
}

/// Numbers are taken only for a `create_item` that `decide` accepts: a
/// refusal by any rule, with or without a command id, and its retry,
/// leave no gap.
#[actix_rt::test]
async fn a_create_item_refused_by_a_rule_spends_no_number() {
    let world = World::new();
    let board = world.new_board().await;
    assert_eq!(world.create_item(board.id, "One").await.1, 1);
    world
        .submit(
            board.id,
            OWNER,
            Command::SetWipLimit {
                column: board.done,
                limit: Some(1),
            },
        )
        .await;
    let mut full = create_item("Two");
    if let Command::CreateItem { column, .. } = &mut full {
        *column = Some(board.done);
    }
    assert_eq!(
        world
            .submit(board.id, MEMBER, full.clone())
            .await
            .events
            .len(),
        1
    );

    let handle = world.board(board.id);
    let too_long = create_item(&"t".repeat(501));
    let refusals = [
        (too_long.clone(), None),
        (too_long, Some("c-long".to_owned())),
        (full.clone(), None),
        (full.clone(), Some("c-full".to_owned())),
        // A retry of a refused command id gets the same refusal.
        (full, Some("c-full".to_owned())),
    ];
    for (command, id) in refusals {
        let refused = within(handle.submit(MEMBER, command, id.clone())).await;
        let code = rejection(refused).code();
        assert!(
            code == "invalid_field" || code == "wip_limit_reached",
            "{id:?}: {code}"
        );
    }
    assert_eq!(world.create_item(board.id, "Three").await.1, 3);
}

/// A retried `create_item` gets its first answer, and the number its
/// retry took goes back: no gap after a retry of an applied create, nor
/// after a retry of a refused one that the board would now accept.
#[actix_rt::test]
async fn a_retried_create_item_leaves_no_gap() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let id = |s: &str| Some(s.to_owned());

    let first = within(handle.submit(MEMBER, create_item("One"), id("c-one")))
        .await
        .unwrap();
    let retried = within(handle.submit(MEMBER, create_item("One"), id("c-one")))
        .await
        .unwrap();
    assert_eq!(created_item(&first), created_item(&retried));
    assert_eq!(created_item(&first).1, 1);
    assert_eq!(world.create_item(board.id, "Two").await.1, 2);

    let limit = |limit| Command::SetWipLimit {
        column: board.todo,
        limit,
    };
    world.submit(board.id, OWNER, limit(Some(2))).await;
    let refused = within(handle.submit(MEMBER, create_item("Three"), id("c-three"))).await;
    assert_eq!(rejection(refused).code(), "wip_limit_reached");
    world.submit(board.id, OWNER, limit(None)).await;
    let retried = within(handle.submit(MEMBER, create_item("Three"), id("c-three"))).await;
    assert_eq!(
        rejection(retried).code(),
        "wip_limit_reached",
        "the first answer"
    );

    assert_eq!(world.create_item(board.id, "Three").await.1, 3);
}

#[actix_rt::test]
async fn the_org_view_has_the_roster_and_new_boards() {
    let world = World::new();
    let board = world.new_board().await;
    let view = within(world.registry.org(ORG).view()).await.unwrap();
    assert_eq!(view.id, ORG);
    assert_eq!(view.key, "DS");
    assert_eq!(*view.members, org_record().members);
    assert_eq!(view.boards, [board.id]);
    assert_eq!(world.registry.active_orgs(), 1);

    let second = world.new_board().await;
    let view = within(world.registry.org(ORG).view()).await.unwrap();
    assert_eq!(view.boards, [board.id, second.id]);
}

#[actix_rt::test]
async fn membership_changes_reach_the_live_org() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "One").await;
    let org = world.registry.org(ORG);

    // A newcomer may read once the organization has added them.
    within(org.submit(
        OWNER,
        OrgCommand::AddMember {
            user: STRANGER,
            role: Role::Viewer,
        },
        None,
    ))
    .await
    .unwrap();
    let seen = within(world.board(board.id).read(STRANGER)).await.unwrap();
    assert_eq!(seen.items.len(), 1);
    // ...and be assigned once promoted.
    within(org.submit(
        OWNER,
        OrgCommand::ChangeRole {
            user: STRANGER,
            role: Role::Member,
        },
        None,
    ))
    .await
    .unwrap();
    let assign = Command::AssignItem {
        item,
        user: STRANGER,
    };
    world.submit(board.id, MEMBER, assign).await;

    // A removed member loses access at once.
    within(org.submit(OWNER, OrgCommand::RemoveMember { user: MEMBER }, None))
        .await
        .unwrap();
    let submitted = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("Two"), None),
    )
    .await;
    assert!(is_not_found(&submitted), "{submitted:?}");
    let read = within(world.board(board.id).read(MEMBER)).await;
    assert!(is_not_found(&read), "{read:?}");
}
