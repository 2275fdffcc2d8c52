//! Activation from the store: a restarted registry (or a second node)
//! finds the board exactly as it was committed.

use super::*;

#[actix_rt::test]
async fn a_restart_reloads_the_identical_board_and_numbers_continue() {
    let world = World::new();
    let board = world.new_board().await;
    let mut old_numbers = Vec::new();
    for title in ["One", "Two", "Three"] {
        old_numbers.push(world.create_item(board.id, title).await.1);
    }
    let before = within(world.board(board.id).read(OWNER)).await.unwrap();

    let world = world.restart();
    assert_eq!(world.registry.active_boards(), 0);
    let after = within(world.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(world.registry.active_boards(), 1);

    let (_, number) = world.create_item(board.id, "Four").await;
    let max_old = old_numbers.iter().max().copied().unwrap();
    assert!(
        number > max_old,
        "{number} reuses or precedes {old_numbers:?}"
    );
    assert_eq!(world.stored_seq(board.id), before.seq + 1);
}

#[actix_rt::test]
async fn a_restart_uses_the_snapshot_and_the_events_after_it() {
    let world = World::with(ActorConfig {
        snapshot_every: 4,
        ..ActorConfig::default()
    });
    let board = world.new_board().await;
    for title in ["One", "Two", "Three", "Four", "Five", "Six"] {
        world.create_item(board.id, title).await;
    }
    let before = within(world.board(board.id).read(OWNER)).await.unwrap();
    assert_eq!(before.seq, 9);
    // Snapshots are saved in the background (best effort); wait for the one
    // taken at seq 8 so activation has both a snapshot and a tail.
    within(async {
        while world.store.snapshot(board.id).is_none_or(|s| s.seq < 8) {
            tokio::task::yield_now().await;
        }
    })
    .await;

    let world = world.restart();
    let after = within(world.board(board.id).read(OWNER)).await.unwrap();
    assert_eq!(after, before);
    let next = world.submit(board.id, MEMBER, create_item("Seven")).await;
    assert_eq!(next.seq, 10);
}

#[actix_rt::test]
async fn a_snapshot_due_while_every_slot_is_taken_is_written_after_a_later_commit() {
    let world = World::with(ActorConfig {
        snapshot_every: 4,
        snapshot_writers: 1,
        ..ActorConfig::default()
    });
    let board = world.new_board().await;
    let slot = world
        .registry
        .snapshot_slot()
        .expect("the one slot is free");
    assert!(world.registry.snapshot_slot().is_none(), "one slot only");
    for title in ["One", "Two", "Three", "Four", "Five", "Six"] {
        world.create_item(board.id, title).await;
    }
    // No slot, so no write was started: with the slot ignored, the write
    // started at seq 4 would be seen here or by the wait below at seq < 10.
    within(world.board(board.id).read(OWNER)).await.unwrap();
    assert_eq!(world.store.snapshot(board.id).map(|s| s.seq), None);

    drop(slot);
    world.create_item(board.id, "Seven").await;
    within(async {
        while world.store.snapshot(board.id).is_none() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(
        world.store.snapshot(board.id).map(|s| s.seq),
        Some(10),
        "the first snapshot is the one taken after the slot was free"
    );
    // The slot is given back once the write is done.
    within(async {
        while world.registry.snapshot_slot().is_none() {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[actix_rt::test]
async fn a_stale_actor_catches_up_and_decides_again_after_a_seq_conflict() {
    let node_a = World::new();
    let board = node_a.new_board().await;
    let (sub, mut rx) = outbox(1, 16);
    within(node_a.board(board.id).subscribe(VIEWER, sub, None))
        .await
        .unwrap();
    assert_eq!(snapshot_seq(&next_msg(&mut rx).await), 3);

    // Another node writes seq 4 behind node A's back (no bus tells A).
    let node_b = node_a.second_node();
    node_b.create_item(board.id, "From B").await;
    assert_eq!(node_b.stored_seq(board.id), 4);

    // A's append at 4 loses; A reads 4 from the log and decides again.
    let committed = within(
        node_a
            .board(board.id)
            .submit(MEMBER, create_item("From A"), None),
    )
    .await
    .unwrap();
    assert_eq!(committed.seq, 5);
    assert_eq!(node_a.stored_seq(board.id), 5);
    // A's subscriber hears B's event, then A's, in the log's order.
    assert_eq!(event_seq(&next_msg(&mut rx).await), 4);
    assert_eq!(event_seq(&next_msg(&mut rx).await), 5);
    let seen = within(node_a.board(board.id).read(VIEWER)).await.unwrap();
    assert_eq!(seen.items.len(), 2);
    assert_eq!(node_a.registry.stats().snapshot().seq_conflicts, 1);
}
