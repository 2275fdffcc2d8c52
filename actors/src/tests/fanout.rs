//! Subscriptions: snapshot then events, encode-once fan-out, `since`
//! (slow consumers are in `slow.rs`).

use protocol::Format;

use super::*;

#[actix_rt::test]
async fn a_subscriber_gets_the_snapshot_then_every_event_in_order() {
    let world = World::new();
    let board = world.new_board().await;
    let (sub, mut rx) = outbox(1, 64);
    let at = within(world.board(board.id).subscribe(VIEWER, sub, None))
        .await
        .unwrap();
    assert_eq!(at, 3);

    let mut committed = Vec::new();
    for title in ["One", "Two", "Three", "Four"] {
        committed.push(world.submit(board.id, MEMBER, create_item(title)).await);
    }

    match next_msg(&mut rx).await {
        ServerMsg::Snapshot {
            board: b,
            seq,
            state,
            reset,
        } => {
            assert!(!reset, "a plain subscribe is not a reset");
            assert_eq!((b, seq), (board.id, 3));
            assert_eq!(state.name, BOARD_NAME);
            assert_eq!(state.columns.len(), 2);
            assert!(state.items.is_empty());
        }
        other => panic!("expected the snapshot first, got {other:?}"),
    }
    for done in &committed {
        match next_msg(&mut rx).await {
            ServerMsg::Event {
                board: b,
                seq,
                by,
                event,
                ..
            } => {
                assert_eq!(b, board.id);
                assert_eq!(seq, done.seq);
                assert_eq!(by, MEMBER);
                assert_eq!(event, done.events[0].event);
            }
            other => panic!("expected event {}, got {other:?}", done.seq),
        }
    }
    assert!(queued(&mut rx).is_empty(), "nothing more was sent");
}

#[actix_rt::test]
async fn two_subscribers_get_identical_frames_encoded_once() {
    let world = World::new();
    let board = world.new_board().await;
    let (first, mut rx1) = outbox(1, 64);
    let (second, mut rx2) = outbox(2, 64);
    let handle = world.board(board.id);
    within(handle.subscribe(VIEWER, first, None)).await.unwrap();
    within(handle.subscribe(MEMBER, second, None))
        .await
        .unwrap();
    for title in ["One", "Two", "Three"] {
        world.submit(board.id, MEMBER, create_item(title)).await;
    }

    let snapshot1 = next_frame(&mut rx1).await;
    let snapshot2 = next_frame(&mut rx2).await;
    assert_eq!(decode(&snapshot1), decode(&snapshot2));
    for seq in 4..=6 {
        let (OutFrame::Text(a), OutFrame::Text(b)) =
            (next_frame(&mut rx1).await, next_frame(&mut rx2).await)
        else {
            panic!("a JSON session gets text frames");
        };
        assert_eq!(a, b, "identical payloads");
        // Encoded once: both sessions share one buffer.
        assert_eq!(a.as_ptr(), b.as_ptr(), "event {seq} was encoded twice");
        assert_eq!(event_seq(&decode(&OutFrame::Text(a))), seq);
    }
}

#[actix_rt::test]
async fn json_and_msgpack_sessions_get_the_same_messages() {
    let world = World::new();
    let board = world.new_board().await;
    let (json, mut rx_json) = outbox(1, 64);
    let SessionQueue {
        outbox: msgpack,
        receiver: mut rx_msgpack,
    } = SessionQueue::new(SessionId(2), Format::MsgPack, 64);
    let handle = world.board(board.id);
    within(handle.subscribe(VIEWER, json, None)).await.unwrap();
    within(handle.subscribe(VIEWER, msgpack, None))
        .await
        .unwrap();
    world.create_item(board.id, "One").await;

    for _ in 0..2 {
        let text = next_frame(&mut rx_json).await;
        let binary = next_frame(&mut rx_msgpack).await;
        assert!(matches!(text, OutFrame::Text(_)));
        assert!(matches!(binary, OutFrame::Binary(_)));
        assert_eq!(decode(&text), decode(&binary));
    }
}

#[actix_rt::test]
async fn since_with_recent_events_sends_only_the_missed_events() {
    let world = World::new();
    let board = world.new_board().await;
    for title in ["One", "Two", "Three", "Four"] {
        world.create_item(board.id, title).await;
    }
    let (sub, mut rx) = outbox(1, 64);
    let at = within(world.board(board.id).subscribe(VIEWER, sub, Some(5)))
        .await
        .unwrap();
    assert_eq!(at, 7);

    // The catch-up is queued before the subscribe is answered.
    let catch_up: Vec<u64> = queued(&mut rx).iter().map(event_seq).collect();
    assert_eq!(catch_up, [6, 7], "exactly the events after 5, no snapshot");
    world.create_item(board.id, "Five").await;
    assert_eq!(event_seq(&next_msg(&mut rx).await), 8);
}

#[actix_rt::test]
async fn since_zero_replays_the_whole_log_while_it_is_in_memory() {
    let world = World::new();
    let board = world.new_board().await;
    world.create_item(board.id, "One").await;
    let (sub, mut rx) = outbox(1, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, Some(0)))
        .await
        .unwrap();
    let replayed: Vec<u64> = queued(&mut rx).iter().map(event_seq).collect();
    assert_eq!(replayed, [1, 2, 3, 4]);
}

#[actix_rt::test]
async fn since_at_the_current_seq_sends_nothing_until_the_next_event() {
    let world = World::new();
    let board = world.new_board().await;
    world.create_item(board.id, "One").await;
    let (sub, mut rx) = outbox(1, 64);
    let at = within(world.board(board.id).subscribe(VIEWER, sub, Some(4)))
        .await
        .unwrap();
    assert_eq!(at, 4);

    let committed = world.submit(board.id, MEMBER, create_item("Two")).await;
    let first = next_msg(&mut rx).await;
    assert_eq!(
        event_seq(&first),
        committed.seq,
        "the live event comes first"
    );
    assert!(queued(&mut rx).is_empty());
}

#[actix_rt::test]
async fn since_in_the_future_gets_a_reset_snapshot() {
    let world = World::new();
    let board = world.new_board().await;
    let (sub, mut rx) = outbox(1, 64);
    let at = within(world.board(board.id).subscribe(VIEWER, sub, Some(99)))
        .await
        .unwrap();
    assert_eq!(at, 3);
    let snapshot = next_msg(&mut rx).await;
    assert_eq!(snapshot_seq(&snapshot), 3);
    assert!(
        matches!(snapshot, ServerMsg::Snapshot { reset: true, .. }),
        "a snapshot answering a resume is marked reset"
    );
    world.create_item(board.id, "One").await;
    assert_eq!(event_seq(&next_msg(&mut rx).await), 4);
}

#[actix_rt::test]
async fn since_older_than_the_recent_events_is_served_from_the_store() {
    let world = World::with(ActorConfig {
        recent_events: 2,
        ..ActorConfig::default()
    });
    let board = world.new_board().await;
    for title in ["One", "Two", "Three"] {
        world.create_item(board.id, title).await;
    }
    // Events 5 and 6 are in memory: since 4 is still a catch-up...
    let (sub, mut rx) = outbox(1, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, Some(4)))
        .await
        .unwrap();
    let catch_up: Vec<u64> = queued(&mut rx).iter().map(event_seq).collect();
    assert_eq!(catch_up, [5, 6]);
    // ...and event 4 is no longer in memory, so since 3 reads the store:
    // still exactly the missed events, no snapshot.
    let (sub, mut rx) = outbox(2, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, Some(3)))
        .await
        .unwrap();
    let from_store: Vec<u64> = queued(&mut rx).iter().map(event_seq).collect();
    assert_eq!(from_store, [4, 5, 6]);
    // Live events follow the stored ones without a gap.
    world.create_item(board.id, "Four").await;
    assert_eq!(event_seq(&next_msg(&mut rx).await), 7);
}

#[actix_rt::test]
async fn since_after_a_restart_is_served_from_the_store() {
    let world = World::new();
    let board = world.new_board().await;
    world.create_item(board.id, "One").await;
    let world = world.restart();

    // The fresh actor holds no recent events: it reads them from the store.
    let (sub, mut rx) = outbox(1, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, Some(2)))
        .await
        .unwrap();
    let sent: Vec<u64> = queued(&mut rx).iter().map(event_seq).collect();
    assert_eq!(sent, [3, 4]);
    // But it can when nothing was missed.
    let (sub, mut rx) = outbox(2, 64);
    within(world.board(board.id).subscribe(VIEWER, sub, Some(4)))
        .await
        .unwrap();
    assert!(queued(&mut rx).is_empty());
}

#[actix_rt::test]
async fn an_unsubscribed_session_gets_no_more_events() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let (gone, mut gone_rx) = outbox(1, 64);
    let (stays, mut stays_rx) = outbox(2, 64);
    within(handle.subscribe(VIEWER, gone, None)).await.unwrap();
    within(handle.subscribe(VIEWER, stays, None)).await.unwrap();
    world.create_item(board.id, "One").await;

    handle.unsubscribe(SessionId(1));
    let committed = world.submit(board.id, MEMBER, create_item("Two")).await;

    let kept: Vec<ServerMsg> = queued(&mut gone_rx);
    assert_eq!(kept.len(), 2, "snapshot and event 4 only: {kept:?}");
    assert_eq!(event_seq(&kept[1]), 4);
    let all = queued(&mut stays_rx);
    assert_eq!(event_seq(all.last().unwrap()), committed.seq);
}

#[actix_rt::test]
async fn a_session_that_leaves_is_told_once_its_slot_is_free() {
    let world = World::new();
    let (first, second) = (world.new_board().await, world.new_board().await);
    let (a, b) = (world.board(first.id), world.board(second.id));
    let (sub, mut rx) = outbox(1, 64);
    let sub = sub.with_subscription_limit(1);
    within(a.subscribe(VIEWER, sub.clone(), None))
        .await
        .unwrap();
    assert!(a.leave(sub.clone()));
    loop {
        if let ServerMsg::Unsubscribed { board, reason } = next_msg(&mut rx).await {
            assert_eq!((board, reason.as_str()), (first.id, "requested"));
            break;
        }
    }
    // Heard it: the slot is free, so the next board attaches the session.
    assert_eq!(sub.subscriptions_held(), 0);
    within(b.subscribe(VIEWER, sub.clone(), None))
        .await
        .unwrap();
    // A board with no live actor holds nothing and cannot answer.
    let idle = world.board(protocol::BoardId(uuid::Uuid::new_v4()));
    assert!(!idle.leave(sub));
}

#[actix_rt::test]
async fn a_removed_member_loses_the_subscription() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let (member, mut member_rx) = outbox(1, 64);
    let (viewer, mut viewer_rx) = outbox(2, 64);
    within(handle.subscribe(MEMBER, member, None))
        .await
        .unwrap();
    within(handle.subscribe(VIEWER, viewer, None))
        .await
        .unwrap();
    assert_eq!(snapshot_seq(&next_msg(&mut member_rx).await), 3);
    assert_eq!(snapshot_seq(&next_msg(&mut viewer_rx).await), 3);

    within(world.registry.org(ORG).submit(
        OWNER,
        protocol::OrgCommand::RemoveMember { user: MEMBER },
        None,
    ))
    .await
    .unwrap();
    let rename = protocol::Command::RenameBoard {
        name: "Secret plans".into(),
    };
    let committed = world.submit(board.id, ADMIN, rename).await;
    assert_eq!(event_seq(&next_msg(&mut viewer_rx).await), committed.seq);

    match next_msg(&mut member_rx).await {
        ServerMsg::Unsubscribed { board: b, reason } => {
            assert_eq!(b, board.id);
            assert_eq!(reason, "access_lost");
        }
        other => panic!("a removed member got {other:?}"),
    }
    let leaked: Vec<ServerMsg> = queued(&mut member_rx)
        .into_iter()
        .filter(|msg| matches!(msg, ServerMsg::Event { .. }))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
}

#[actix_rt::test]
async fn boards_attach_a_session_up_to_its_limit_and_never_twice() {
    let world = World::new();
    let (first, second) = (world.new_board().await, world.new_board().await);
    let (sub, _rx) = outbox(1, 64);
    let sub = sub.with_subscription_limit(1);
    let (a, b) = (world.board(first.id), world.board(second.id));
    within(a.subscribe(VIEWER, sub.clone(), None))
        .await
        .unwrap();
    assert_eq!(sub.subscriptions_held(), 1);

    let refused = within(b.subscribe(VIEWER, sub.clone(), None)).await;
    assert!(
        matches!(refused, Err(ActorError::TooManySubscriptions { max: 1 })),
        "{refused:?}"
    );
    // Subscribing again holds no second slot: refused without `since`,
    // a catch-up with it.
    let again = within(a.subscribe(VIEWER, sub.clone(), None)).await;
    assert!(
        matches!(again, Err(ActorError::AlreadySubscribed)),
        "{again:?}"
    );
    within(a.subscribe(VIEWER, sub.clone(), Some(3)))
        .await
        .unwrap();
    assert_eq!(sub.subscriptions_held(), 1);
    // A board that is not found takes nothing.
    let missing = world.board(protocol::BoardId(uuid::Uuid::new_v4()));
    assert!(is_not_found(
        &within(missing.subscribe(VIEWER, sub.clone(), None)).await
    ));
    assert_eq!(sub.subscriptions_held(), 1);

    // Unsubscribing gives the slot back (the next subscribe to the same
    // board is handled after it).
    a.unsubscribe(sub.session());
    within(a.subscribe(VIEWER, sub.clone(), None))
        .await
        .unwrap();
    assert_eq!(sub.subscriptions_held(), 1);
}
