//! Presence: joins, throttled updates, leaves; never persisted.

use protocol::{Cursor, PresenceChange, PresenceState};

use super::*;

fn presence_change(msg: &ServerMsg) -> (PresenceChange, String, PresenceState) {
    match msg {
        ServerMsg::PresenceChanged { change, entry, .. } => {
            (*change, entry.session.clone(), entry.state.clone())
        }
        other => panic!("expected presence_changed, got {other:?}"),
    }
}

#[actix_rt::test]
async fn subscribers_see_who_joins_updates_and_leaves() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let (a, mut a_rx) = outbox(1, 64);
    within(handle.subscribe(MEMBER, a, None)).await.unwrap();
    assert!(matches!(
        next_any(&mut a_rx).await,
        ServerMsg::Snapshot { .. }
    ));
    match next_any(&mut a_rx).await {
        ServerMsg::Presence { sessions, .. } => {
            assert_eq!(sessions.len(), 1);
            assert_eq!(sessions[0].session, "s1");
            assert_eq!(sessions[0].user, MEMBER);
        }
        other => panic!("expected the presence list, got {other:?}"),
    }

    let (b, mut b_rx) = outbox(2, 64);
    within(handle.subscribe(VIEWER, b, None)).await.unwrap();
    let (change, session, _) = presence_change(&next_any(&mut a_rx).await);
    assert_eq!((change, session.as_str()), (PresenceChange::Joined, "s2"));
    assert!(matches!(
        next_any(&mut b_rx).await,
        ServerMsg::Snapshot { .. }
    ));
    match next_any(&mut b_rx).await {
        ServerMsg::Presence { sessions, .. } => assert_eq!(sessions.len(), 2),
        other => panic!("expected the presence list, got {other:?}"),
    }

    let looking = PresenceState {
        item: None,
        cursor: Some(Cursor { x: 10, y: 20 }),
    };
    handle.set_presence(SessionId(2), looking.clone());
    let (change, session, state) = presence_change(&next_any(&mut a_rx).await);
    assert_eq!((change, session.as_str()), (PresenceChange::Updated, "s2"));
    assert_eq!(state, looking);

    handle.unsubscribe(SessionId(2));
    let (change, session, state) = presence_change(&next_any(&mut a_rx).await);
    assert_eq!((change, session.as_str()), (PresenceChange::Left, "s2"));
    assert_eq!(state, looking, "a leave carries the last state");
}

#[actix_rt::test]
async fn bursts_of_updates_are_coalesced_to_the_latest() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let (a, mut a_rx) = outbox(1, 256);
    let (b, _b_rx) = outbox(2, 256);
    within(handle.subscribe(MEMBER, a, None)).await.unwrap();
    within(handle.subscribe(VIEWER, b, None)).await.unwrap();
    // Snapshot, list, b joined.
    for _ in 0..3 {
        next_any(&mut a_rx).await;
    }
    for x in 0..100 {
        handle.set_presence(
            SessionId(2),
            PresenceState {
                item: None,
                cursor: Some(Cursor { x, y: 0 }),
            },
        );
    }
    // The first update goes out at once, the rest collapse into one.
    let mut seen = Vec::new();
    while seen.last() != Some(&99) {
        let (change, _, state) = presence_change(&next_any(&mut a_rx).await);
        assert_eq!(change, PresenceChange::Updated);
        seen.push(state.cursor.map(|c| c.x).unwrap_or(-1));
    }
    assert!(
        seen.len() <= 3,
        "100 updates were sent as {} messages: {seen:?}",
        seen.len()
    );
}

#[actix_rt::test]
async fn a_session_that_goes_away_leaves() {
    let world = World::new();
    let board = world.new_board().await;
    let handle = world.board(board.id);
    let (a, mut a_rx) = outbox(1, 64);
    let (b, b_rx) = outbox(2, 64);
    within(handle.subscribe(MEMBER, a, None)).await.unwrap();
    within(handle.subscribe(VIEWER, b, None)).await.unwrap();
    for _ in 0..3 {
        next_any(&mut a_rx).await;
    }
    // The session's writer is gone (socket died): the next broadcast finds
    // its outbox closed and everyone else hears it left.
    drop(b_rx);
    world.create_item(board.id, "ping").await;
    assert!(matches!(next_any(&mut a_rx).await, ServerMsg::Event { .. }));
    let (change, session, _) = presence_change(&next_any(&mut a_rx).await);
    assert_eq!((change, session.as_str()), (PresenceChange::Left, "s2"));
}
