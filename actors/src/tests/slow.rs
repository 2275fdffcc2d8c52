//! Slow consumers, as the actors apply the overflow policy of
//! `fanout.rs`: a full queue cuts the session once, every board and the
//! org channel let it go at their next push, and only board events count
//! as deliveries.

use protocol::{OrgCommand, PresenceChange, PresenceState};

use super::*;

#[actix_rt::test]
async fn a_slow_consumer_is_cut_off_and_the_fast_one_gets_everything() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    // Room for the snapshot, the presence list, the fast session joining
    // and one event.
    let (slow, mut slow_rx) = outbox(1, 4);
    let (fast, mut fast_rx) = outbox(2, 64);
    within(handle.subscribe(VIEWER, slow, None)).await.unwrap();
    within(handle.subscribe(VIEWER, fast, None)).await.unwrap();
    assert_eq!(snapshot_seq(&next_msg(&mut fast_rx).await), 3);

    let mut seqs = Vec::new();
    for n in 0..6 {
        let committed = world
            .submit(board.id, MEMBER, create_item(&format!("Item {n}")))
            .await;
        seqs.push(committed.seq);
        // The fast session drains as it goes.
        assert_eq!(event_seq(&next_msg(&mut fast_rx).await), committed.seq);
    }
    assert_eq!(seqs, [4, 5, 6, 7, 8, 9]);

    assert!(slow_rx.overflowed(), "the slow session was flagged");
    within(slow_rx.wait_overflow()).await;
    assert!(!fast_rx.overflowed());
    // The slow session holds what fit, and the board let go of it.
    assert_eq!(snapshot_seq(&next_msg(&mut slow_rx).await), 3);
    assert_eq!(event_seq(&next_msg(&mut slow_rx).await), 4);
    assert!(
        within(slow_rx.recv()).await.is_none(),
        "the board dropped the slow session's outbox"
    );
}

#[actix_rt::test]
async fn subscribing_into_a_full_outbox_is_overloaded() {
    let world = World::new();
    let board = world.new_board().await;
    let (sub, rx) = outbox(1, 1);
    sub.send(&ServerMsg::Pong { nonce: None }).unwrap();

    let subscribed = within(world.board(board.id).subscribe(VIEWER, sub, None)).await;
    assert!(
        matches!(subscribed, Err(ActorError::Overloaded)),
        "{subscribed:?}"
    );
    assert!(rx.overflowed());
}

/// Waits for the next presence notice of `rx` and returns its change
/// and session.
async fn next_presence(rx: &mut OutboxReceiver) -> (PresenceChange, String) {
    loop {
        if let ServerMsg::PresenceChanged { change, entry, .. } = next_any(rx).await {
            return (change, entry.session);
        }
    }
}

#[actix_rt::test]
async fn a_session_cut_on_one_board_is_let_go_by_every_channel_and_counted_once() {
    let world = World::new();
    let (first, second) = (world.new_board().await, world.new_board().await);
    let (one, two) = (world.board(first.id), world.board(second.id));
    let (watcher, mut watcher_rx) = outbox(2, 64);
    within(two.subscribe(VIEWER, watcher, None)).await.unwrap();
    // Room for the org snapshot, two board snapshots, two presence lists
    // and three events.
    let (slow, _slow_rx) = outbox(1, 8);
    let slow = slow.counting_cuts_in(world.registry.shared_stats());
    let org = world.registry.org(ORG);
    within(org.subscribe(VIEWER, slow.clone())).await.unwrap();
    within(one.subscribe(VIEWER, slow.clone(), None))
        .await
        .unwrap();
    within(two.subscribe(VIEWER, slow.clone(), None))
        .await
        .unwrap();
    assert_eq!(
        next_presence(&mut watcher_rx).await.0,
        PresenceChange::Joined
    );

    for n in 0..4 {
        world.create_item(first.id, &format!("Item {n}")).await;
    }
    assert!(slow.is_cut());
    assert!(
        !slow.held_by(first.id),
        "the board that found it full let go"
    );
    assert!(slow.held_by(second.id) && slow.held_by_org(ORG));

    // The other board lets go at its next event, and says who left.
    world.create_item(second.id, "Elsewhere").await;
    assert!(!slow.held_by(second.id));
    assert_eq!(
        next_presence(&mut watcher_rx).await,
        (PresenceChange::Left, "s1".to_owned())
    );
    // So does the org channel at its next event.
    within(org.submit(
        OWNER,
        OrgCommand::ChangeRole {
            user: MEMBER,
            role: Role::Viewer,
        },
        None,
    ))
    .await
    .unwrap();
    assert!(!slow.held_by_org(ORG));
    assert_eq!(slow.subscriptions_held(), 0);
    assert_eq!(world.registry.stats().snapshot().slow_consumers_cut, 1);
}

#[actix_rt::test]
async fn deliveries_count_board_events_not_presence_notices() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let deliveries = || world.registry.stats().snapshot().deliveries;
    let (a, mut a_rx) = outbox(1, 64);
    let (b, _b_rx) = outbox(2, 64);
    within(handle.subscribe(MEMBER, a, None)).await.unwrap();
    within(handle.subscribe(VIEWER, b, None)).await.unwrap();
    assert_eq!(next_presence(&mut a_rx).await.0, PresenceChange::Joined);
    let before = deliveries();

    handle.set_presence(SessionId(2), PresenceState::default());
    assert_eq!(next_presence(&mut a_rx).await.0, PresenceChange::Updated);
    assert_eq!(deliveries(), before, "a presence notice is no delivery");
    world.create_item(board.id, "One").await;
    assert_eq!(deliveries(), before + 2, "one event × two subscribers");
    handle.unsubscribe(SessionId(2));
    assert_eq!(next_presence(&mut a_rx).await.0, PresenceChange::Left);
    assert_eq!(deliveries(), before + 2);
}
