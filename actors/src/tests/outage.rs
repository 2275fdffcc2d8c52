//! Storage outages: nothing is applied, the error is retryable, and the
//! board carries on once the store is back.

use protocol::Command;

use super::*;

#[actix_rt::test]
async fn an_outage_fails_retryably_and_applies_nothing() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "One").await;
    let (sub, mut rx) = outbox(1, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, None))
        .await
        .unwrap();
    assert_eq!(snapshot_seq(&next_msg(&mut rx).await), 4);
    let before = within(world.board(board.id).read(VIEWER)).await.unwrap();

    world.store.set_unavailable(true);
    let commands = [
        Command::MoveItem {
            item,
            column: board.done,
            index: None,
        },
        Command::RenameBoard {
            name: "Renamed".into(),
        },
    ];
    for command in commands.clone() {
        let by = if command.is_structural() {
            ADMIN
        } else {
            MEMBER
        };
        let failed = within(world.board(board.id).submit(by, command, None)).await;
        let err = failed.expect_err("the store is down");
        assert!(err.retryable(), "{err:?}");
        assert_eq!(err.code(), "unavailable");
    }
    // The live board still answers, unchanged.
    let during = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(during, before);
    assert!(queued(&mut rx).is_empty(), "nothing was broadcast");

    world.store.set_unavailable(false);
    assert_eq!(world.stored_seq(board.id), 4);
    let [move_item, rename] = commands;
    let moved = world.submit(board.id, MEMBER, move_item).await;
    assert_eq!(moved.seq, 5);
    assert_eq!(event_seq(&next_msg(&mut rx).await), 5);
    let renamed = world.submit(board.id, ADMIN, rename).await;
    assert_eq!(renamed.seq, 6);
    let after = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(after.items[&item].column, board.done);
    assert_eq!(after.name, "Renamed");
}

#[actix_rt::test]
async fn an_outage_while_reserving_item_numbers_is_retryable() {
    let world = World::new();
    let board = world.new_board().await;

    // No number block is reserved yet, so the item needs the store.
    world.store.set_unavailable(true);
    let failed = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("One"), None),
    )
    .await;
    let err = failed.expect_err("the store is down");
    assert!(err.retryable(), "{err:?}");
    world.store.set_unavailable(false);

    assert_eq!(world.stored_seq(board.id), 3);
    let (_, number) = world.create_item(board.id, "One").await;
    assert_eq!(number, 1, "the failed reservation took nothing");
}

#[actix_rt::test]
async fn an_outage_at_activation_is_retryable_and_then_recovers() {
    let world = World::new();
    let board = world.new_board().await;
    world.create_item(board.id, "One").await;
    let before = within(world.board(board.id).read(VIEWER)).await.unwrap();
    let world = world.restart();

    world.store.set_unavailable(true);
    let read = within(world.board(board.id).read(VIEWER)).await;
    let err = read.expect_err("the board cannot load");
    assert!(err.retryable(), "{err:?}");
    let (sub, mut rx) = outbox(1, 64);
    let subscribed = within(world.board(board.id).subscribe(VIEWER, sub, None)).await;
    assert!(subscribed.expect_err("still down").retryable());
    assert!(queued(&mut rx).is_empty());

    world.store.set_unavailable(false);
    let after = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(after, before);
    let next = world.submit(board.id, MEMBER, create_item("Two")).await;
    assert_eq!(next.seq, before.seq + 1);
}

#[actix_rt::test]
async fn a_permanent_fault_at_activation_is_final_and_not_reloaded_per_request() {
    let world = World::new();
    let board = world.new_board().await;
    let world = world.restart();

    world.store.set_faulty(true);
    let read = within(world.board(board.id).read(VIEWER)).await;
    let err = read.expect_err("the board cannot be decoded");
    assert_eq!(err.code(), "internal");
    assert!(!err.retryable(), "{err:?}");
    let submitted = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("Two"), None),
    )
    .await;
    let err = submitted.expect_err("still faulty");
    assert_eq!(err.code(), "internal");
    assert!(!err.retryable(), "{err:?}");

    // Repaired, but the failed actor still holds its fault instead of
    // loading the board again for every request.
    world.store.set_faulty(false);
    let held = within(world.board(board.id).read(VIEWER)).await;
    assert_eq!(held.expect_err("held").code(), "internal");
    assert_eq!(world.stored_seq(board.id), 3, "nothing was applied");
}

#[actix_rt::test]
async fn a_permanently_refused_append_is_final_and_the_board_goes_on() {
    let world = World::new();
    let board = world.new_board().await;
    // A block of numbers is reserved now, so the next item needs only the
    // append.
    world.create_item(board.id, "One").await;
    world.store.set_faulty(true);
    let failed = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("Two"), None),
    )
    .await;
    let err = failed.expect_err("refused");
    assert_eq!(err.code(), "internal");
    assert!(!err.retryable(), "{err:?}");
    world.store.set_faulty(false);
    let (_, number) = world.create_item(board.id, "Two").await;
    assert_eq!(number, 2, "the refused append gave its item number back");
}
