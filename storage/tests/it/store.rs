use std::collections::BTreeSet;

use protocol::{Board, BoardId, BoardStore, Event, OrgId, Role, StoreError, UserId};
use storage::{spawn_storage_actor, PgStore, StorageConfig};
use uuid::Uuid;

use crate::{board_start, fresh_db, org_with_owner, rec};

fn replay(board: BoardId, events: &[protocol::Recorded]) -> Board {
    let mut state = Board::new(board);
    for e in events {
        state.apply(e);
    }
    state
}

#[tokio::test]
async fn append_and_load_round_trip_with_snapshots() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "RT").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let store = PgStore::new(db.clone(), storage);
    let board = BoardId(Uuid::new_v4());

    assert!(store.load_board(board).await.unwrap().is_none());

    let first = board_start(board, org, user, 1);
    store.append(first.clone()).await.unwrap();
    let loaded = store.load_board(board).await.unwrap().unwrap();
    assert!(loaded.snapshot.is_none());
    assert_eq!(loaded.events, first);

    let snapshot = replay(board, &first);
    assert_eq!(snapshot.seq, 4);
    store.save_snapshot(snapshot.clone()).await.unwrap();

    let more = vec![
        rec(
            board,
            5,
            user,
            Event::BoardRenamed {
                name: "Renamed".into(),
            },
        ),
        rec(
            board,
            6,
            user,
            Event::BoardRenamed {
                name: "Again".into(),
            },
        ),
    ];
    store.append(more.clone()).await.unwrap();

    // An older snapshot never replaces a newer one.
    store
        .save_snapshot(replay(board, &first[..2]))
        .await
        .unwrap();

    let loaded = store.load_board(board).await.unwrap().unwrap();
    assert_eq!(loaded.snapshot.as_ref(), Some(&snapshot));
    assert_eq!(loaded.events, more);
    let mut rebuilt = loaded.snapshot.unwrap();
    for e in &loaded.events {
        rebuilt.apply(e);
    }
    let all: Vec<_> = first.iter().chain(&more).cloned().collect();
    assert_eq!(rebuilt, replay(board, &all));

    let page = store.events_after(board, 2, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    assert!(store.events_after(board, 6, 10).await.unwrap().is_empty());

    // Appending a taken seq is a conflict naming it.
    let dup = store
        .append(vec![rec(
            board,
            6,
            user,
            Event::BoardRenamed { name: "x".into() },
        )])
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict { board: b, seq: 6 }) if b == board),
        "{dup:?}"
    );
    task.shutdown().await;
}

#[tokio::test]
async fn load_org_has_roster_and_boards_oldest_first() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "LO").await;
    let viewer = UserId(Uuid::new_v4());
    db.create_user(viewer, "viewer@example.com", "V", "h")
        .await
        .unwrap();
    db.add_member(org, viewer, Role::Viewer).await.unwrap();
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let store = PgStore::new(db.clone(), storage);

    let boards: Vec<BoardId> = (0..3).map(|_| BoardId(Uuid::new_v4())).collect();
    for (i, &board) in boards.iter().enumerate() {
        let mut created = rec(board, 1, owner, crate::board_created(org, "B"));
        created.at = protocol::Millis(100 + i64::try_from(i).unwrap());
        store.append(vec![created]).await.unwrap();
    }

    let record = store.load_org(org).await.unwrap().unwrap();
    assert_eq!(record.id, org);
    assert_eq!(record.key, "LO");
    assert_eq!(record.members.get(&owner), Some(&Role::Owner));
    assert_eq!(record.members.get(&viewer), Some(&Role::Viewer));
    assert_eq!(record.boards, boards);
    assert!(store
        .load_org(OrgId(Uuid::new_v4()))
        .await
        .unwrap()
        .is_none());
    task.shutdown().await;
}

#[tokio::test]
async fn reserved_item_numbers_never_repeat() {
    let (_t, db) = fresh_db().await;
    let (org, _) = org_with_owner(&db, "RN").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let store = std::sync::Arc::new(PgStore::new(db.clone(), storage));

    assert_eq!(store.reserve_item_numbers(org, 10).await.unwrap(), 1);
    assert_eq!(store.reserve_item_numbers(org, 1).await.unwrap(), 11);

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.spawn(async move { store.reserve_item_numbers(org, 5).await.unwrap() });
    }
    let mut seen = BTreeSet::from_iter(1..=11);
    while let Some(first) = tasks.join_next().await {
        let first = first.unwrap();
        for n in first..first + 5 {
            assert!(seen.insert(n), "number {n} handed out twice");
        }
    }
    assert_eq!(seen.len(), 11 + 20 * 5);
    assert_eq!(seen.last(), Some(&111));

    // No such organization: retrying cannot help.
    let missing = store.reserve_item_numbers(OrgId(Uuid::new_v4()), 1).await;
    assert!(
        matches!(missing, Err(StoreError::Internal(_))),
        "{missing:?}"
    );
    task.shutdown().await;
}
