//! A command id is applied at most once; retries get the original answer.

use protocol::{Command, Rejection};

use super::*;

fn id(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[actix_rt::test]
async fn a_retried_command_is_applied_once_and_gets_the_original_ack() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let first = within(handle.submit(MEMBER, create_item("Once"), id("c-1")))
        .await
        .unwrap();
    let retry = within(handle.submit(MEMBER, create_item("Once"), id("c-1")))
        .await
        .unwrap();
    assert_eq!(retry.seq, first.seq);
    assert_eq!(
        retry.events, first.events,
        "the retry reports the original events"
    );
    assert_eq!(
        world.stored_seq(board.id),
        first.seq,
        "nothing was applied twice"
    );
    let live = within(handle.read(MEMBER)).await.unwrap();
    assert_eq!(live.items.len(), 1);
}

#[actix_rt::test]
async fn the_same_id_from_another_author_is_another_command() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let a = within(handle.submit(MEMBER, create_item("A"), id("same")))
        .await
        .unwrap();
    let b = within(handle.submit(ADMIN, create_item("B"), id("same")))
        .await
        .unwrap();
    assert_eq!(b.seq, a.seq + 1);
}

#[actix_rt::test]
async fn a_retry_that_would_now_be_refused_still_gets_the_original_ack() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Move me").await;
    let handle = world.board(board.id);
    let move_it = Command::MoveItem {
        item,
        column: board.done,
        index: None,
    };
    let first = within(handle.submit(MEMBER, move_it.clone(), id("move-1")))
        .await
        .unwrap();
    // Applying it again would be `no_change`; the retry is the same command.
    let retry = within(handle.submit(MEMBER, move_it, id("move-1")))
        .await
        .unwrap();
    assert_eq!(retry.seq, first.seq);
}

#[actix_rt::test]
async fn a_retried_refusal_stays_refused_even_when_it_would_now_pass() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let limit = Command::SetWipLimit {
        column: board.todo,
        limit: Some(1),
    };
    world.submit(board.id, ADMIN, limit).await;
    world.create_item(board.id, "Fills the column").await;
    let refused = within(handle.submit(MEMBER, create_item("Too many"), id("c-9"))).await;
    assert!(matches!(
        rejection(refused),
        Rejection::WipLimitReached { .. }
    ));
    // Room appears...
    let unlimited = Command::SetWipLimit {
        column: board.todo,
        limit: None,
    };
    world.submit(board.id, ADMIN, unlimited).await;
    let seq = world.stored_seq(board.id);
    // ...but the retry is the same command and gets the same answer.
    let retry = within(handle.submit(MEMBER, create_item("Too many"), id("c-9"))).await;
    assert!(matches!(
        rejection(retry),
        Rejection::WipLimitReached { .. }
    ));
    assert_eq!(world.stored_seq(board.id), seq);
    // A new id is a new command.
    within(handle.submit(MEMBER, create_item("Too many"), id("c-10")))
        .await
        .unwrap();
}

#[actix_rt::test]
async fn a_retry_after_a_restart_gets_the_original_ack() {
    let world = World::new();
    let board = world.new_board().await;
    let first = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("Durable"), id("r-1")),
    )
    .await
    .unwrap();
    let world = world.restart();
    let retry = within(
        world
            .board(board.id)
            .submit(MEMBER, create_item("Durable"), id("r-1")),
    )
    .await
    .unwrap();
    assert_eq!(retry.seq, first.seq);
    assert_eq!(world.stored_seq(board.id), first.seq);
}
