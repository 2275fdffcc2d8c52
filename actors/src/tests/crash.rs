//! A panic while handling one board restarts that board's actor from
//! storage; other boards (even on the same thread) and their subscribers
//! are unaffected.

use super::*;

#[actix_rt::test]
async fn a_panicking_board_restarts_from_storage_and_others_carry_on() {
    // One arbiter: both boards' actors share a thread.
    let world = World::with(ActorConfig {
        arbiters: 1,
        ..ActorConfig::default()
    });
    let crashing = world.new_board().await;
    let healthy = world.new_board().await;
    world.create_item(crashing.id, "Before the crash").await;
    let (watcher, mut watcher_rx) = outbox(2, 64);
    within(world.board(crashing.id).subscribe(VIEWER, watcher, None))
        .await
        .unwrap();
    next_msg(&mut watcher_rx).await; // snapshot
    let (sub, mut rx) = outbox(1, 64);
    within(world.board(healthy.id).subscribe(VIEWER, sub, None))
        .await
        .unwrap();
    next_msg(&mut rx).await; // snapshot

    world.board(crashing.id).crash();
    // The crashed board's own subscribers are told to resubscribe.
    match next_msg(&mut watcher_rx).await {
        ServerMsg::Unsubscribed { board, reason } => {
            assert_eq!(board, crashing.id);
            assert_eq!(reason, "board_restarted");
        }
        other => panic!("expected unsubscribed, got {other:?}"),
    }

    // The healthy board and its subscriber are unaffected.
    let committed = world
        .submit(healthy.id, MEMBER, create_item("Still here"))
        .await;
    assert_eq!(event_seq(&next_msg(&mut rx).await), committed.seq);

    // The crashed board comes back from storage with its state intact and
    // goes on with the next seq.
    let board = within(world.board(crashing.id).read(MEMBER)).await.unwrap();
    assert_eq!(board.items.len(), 1);
    let after = world
        .submit(crashing.id, MEMBER, create_item("After"))
        .await;
    assert_eq!(after.seq, board.seq + 1);
    assert_eq!(world.stored_seq(crashing.id), after.seq);
}
