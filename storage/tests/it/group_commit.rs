use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use protocol::{BoardId, BoardStore, Event, Recorded, StoreError};
use storage::{spawn_storage_actor, PgStore, StorageConfig};
use uuid::Uuid;

use crate::{board_created, board_start, fresh_db, org_with_owner, rec, ALL};

/// Polls `fut` once, so an append is queued before anything else runs
/// (the test runtime is single-threaded: the actor cannot run meanwhile).
async fn queue<F: Future + Unpin>(fut: &mut F) {
    let pending =
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await;
    assert!(pending, "append finished before the actor ran");
}

#[tokio::test]
async fn concurrent_appends_share_transactions() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "GC").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let boards: Vec<BoardId> = (0..50).map(|_| BoardId(Uuid::new_v4())).collect();

    // 50 boards × 4 appends; each board's appends in order, boards concurrent.
    let mut writers = tokio::task::JoinSet::new();
    for (i, &board) in boards.iter().enumerate() {
        let storage = storage.clone();
        let events = board_start(board, org, user, u64::try_from(i).unwrap() + 1);
        writers.spawn(async move {
            for event in events {
                storage.append(vec![event]).await.unwrap();
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }

    let stats = storage.stats();
    assert_eq!(stats.events_committed, 200);
    assert_eq!(stats.requests_committed, 200);
    assert_eq!(stats.failures, 0);
    assert!(
        stats.batches_committed * 2 <= stats.events_committed,
        "expected group commit, got {stats:?}"
    );
    assert!(stats.largest_batch > 1, "{stats:?}");

    let store = PgStore::new(db.clone(), storage.clone());
    for &board in &boards {
        let loaded = store.load_board(board).await.unwrap().unwrap();
        let seqs: Vec<u64> = loaded.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 4);
    }
    assert_eq!(db.boards_of_org(org, ALL).await.unwrap().rows.len(), 50);
    for number in 1..=50 {
        let item = db.item_by_number(org, number).await.unwrap().unwrap();
        assert_eq!(item.position, "k");
    }
    task.shutdown().await;
}

#[tokio::test]
async fn a_seq_conflict_fails_only_its_own_request() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "CI").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let [a, b, c] = [(); 3].map(|_| BoardId(Uuid::new_v4()));
    for board in [a, b, c] {
        storage
            .append(vec![rec(board, 1, user, board_created(org, "original"))])
            .await
            .unwrap();
    }
    let before = storage.stats();

    let renamed = |board, seq| rec(board, seq, user, Event::BoardRenamed { name: "new".into() });
    let mut ok_a = Box::pin(storage.append(vec![renamed(a, 2), renamed(a, 3)]));
    let mut dup_b = Box::pin(storage.append(vec![renamed(b, 1), renamed(b, 2)]));
    let mut ok_c = Box::pin(storage.append(vec![renamed(c, 2)]));
    queue(&mut ok_a).await;
    queue(&mut dup_b).await;
    queue(&mut ok_c).await;
    assert_eq!(storage.queue_depth(), 3);

    ok_a.await.unwrap();
    let conflict = dup_b.await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict { board, seq: 1 }) if board == b),
        "{conflict:?}"
    );
    ok_c.await.unwrap();

    let after = storage.stats();
    assert_eq!(after.failures - before.failures, 1);
    assert_eq!(after.events_committed - before.events_committed, 3);
    // The two good requests were written together again, not one by one.
    assert_eq!(after.batches_committed - before.batches_committed, 1);

    let store = PgStore::new(db.clone(), storage.clone());
    let b_events = store.events_after(b, 0, 10).await.unwrap();
    assert_eq!(
        b_events.len(),
        1,
        "nothing of the failed request was written"
    );
    assert_eq!(db.board_row(b).await.unwrap().unwrap().name, "original");
    assert_eq!(db.board_row(a).await.unwrap().unwrap().seq, 3);
    assert_eq!(db.board_row(c).await.unwrap().unwrap().name, "new");
    task.shutdown().await;
}

#[tokio::test]
async fn a_reused_command_id_fails_only_its_own_request() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "DU").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let [a, b, c] = [(); 3].map(|_| BoardId(Uuid::new_v4()));
    for board in [a, b, c] {
        storage
            .append(vec![rec(board, 1, user, board_created(org, "original"))])
            .await
            .unwrap();
    }
    let before = storage.stats();

    // `rec` names the command after the seq: b's seq 2 reuses "cmd-1".
    let renamed = |board, seq| rec(board, seq, user, Event::BoardRenamed { name: "new".into() });
    let reused = protocol::Recorded {
        command_id: Some("cmd-1".into()),
        ..renamed(b, 2)
    };
    let mut ok_a = Box::pin(storage.append(vec![renamed(a, 2)]));
    let mut dup_b = Box::pin(storage.append(vec![reused]));
    let mut ok_c = Box::pin(storage.append(vec![renamed(c, 2), renamed(c, 3)]));
    queue(&mut ok_a).await;
    queue(&mut dup_b).await;
    queue(&mut ok_c).await;

    ok_a.await.unwrap();
    let duplicate = dup_b.await;
    assert!(
        matches!(&duplicate, Err(StoreError::Duplicate { board, command_id }) if *board == b && command_id == "cmd-1"),
        "{duplicate:?}"
    );
    ok_c.await.unwrap();

    let after = storage.stats();
    assert_eq!(after.duplicates - before.duplicates, 1);
    assert_eq!(after.failures, before.failures);
    assert_eq!(after.events_committed - before.events_committed, 3);
    assert_eq!(after.batches_committed - before.batches_committed, 1);
    assert_eq!(db.board_row(b).await.unwrap().unwrap().seq, 1);
    assert_eq!(db.board_row(c).await.unwrap().unwrap().seq, 3);
    task.shutdown().await;
}

#[tokio::test]
async fn a_refused_statement_fails_only_its_own_request_in_one_transaction() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "SP").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let [a, b, c, d] = [(); 4].map(|_| BoardId(Uuid::new_v4()));
    for board in [a, b, c, d] {
        storage
            .append(vec![rec(board, 1, user, board_created(org, "original"))])
            .await
            .unwrap();
    }
    let before = storage.stats();

    let renamed =
        |board, seq, name: &str| rec(board, seq, user, Event::BoardRenamed { name: name.into() });
    // PostgreSQL text cannot hold NUL: b's statement fails, and would
    // fail again however often it is sent (neither a taken seq nor a
    // reused command id). d's seq is taken: a conflict in the same batch.
    let mut ok_a = Box::pin(storage.append(vec![renamed(a, 2, "new"), renamed(a, 3, "newer")]));
    let mut bad_b = Box::pin(storage.append(vec![renamed(b, 2, "a\0b")]));
    let mut ok_c = Box::pin(storage.append(vec![renamed(c, 2, "new")]));
    let mut taken_d = Box::pin(storage.append(vec![renamed(d, 1, "new")]));
    queue(&mut ok_a).await;
    queue(&mut bad_b).await;
    queue(&mut ok_c).await;
    queue(&mut taken_d).await;
    assert_eq!(storage.queue_depth(), 4);

    ok_a.await.unwrap();
    let refused = bad_b.await;
    assert!(
        matches!(&refused, Err(StoreError::Internal(message)) if message.contains("22021")),
        "{refused:?}"
    );
    ok_c.await.unwrap();
    let conflict = taken_d.await;
    assert!(
        matches!(conflict, Err(StoreError::Conflict { board, seq: 1 }) if board == d),
        "{conflict:?}"
    );

    let after = storage.stats();
    assert_eq!(after.failures - before.failures, 2);
    assert_eq!(after.requests_committed - before.requests_committed, 2);
    assert_eq!(after.events_committed - before.events_committed, 3);
    // The failed first attempt committed nothing; the second one wrote
    // every request in its own savepoint and committed a and c together.
    assert_eq!(after.batches_committed - before.batches_committed, 1);

    assert_eq!(db.board_row(a).await.unwrap().unwrap().name, "newer");
    assert_eq!(db.board_row(c).await.unwrap().unwrap().name, "new");
    for board in [b, d] {
        let row = db.board_row(board).await.unwrap().unwrap();
        assert_eq!((row.seq, row.name.as_str()), (1, "original"));
    }
    // a's events and outcomes were kept: a retry of its command is a
    // duplicate, not a second write.
    let retried = storage
        .append(vec![Recorded {
            seq: 4,
            ..renamed(a, 2, "new")
        }])
        .await;
    assert!(
        matches!(&retried, Err(StoreError::Duplicate { command_id, .. }) if command_id == "cmd-2"),
        "{retried:?}"
    );
    task.shutdown().await;
}

#[tokio::test]
async fn shutdown_commits_everything_queued_then_refuses() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "SD").await;
    let config = StorageConfig {
        max_in_flight: 1,
        ..StorageConfig::default()
    };
    let (storage, task) = spawn_storage_actor(db.clone(), config);
    let boards: Vec<BoardId> = (0..20).map(|_| BoardId(Uuid::new_v4())).collect();
    let mut appends: Vec<_> = boards
        .iter()
        .map(|&board| Box::pin(storage.append(vec![rec(board, 1, user, board_created(org, "b"))])))
        .collect();
    for append in &mut appends {
        queue(append).await;
    }
    task.shutdown().await;

    for append in appends {
        append.await.unwrap();
    }
    assert_eq!(storage.stats().events_committed, 20);
    assert_eq!(db.boards_of_org(org, ALL).await.unwrap().rows.len(), 20);
    let late = storage
        .append(vec![rec(
            BoardId(Uuid::new_v4()),
            1,
            user,
            board_created(org, "b"),
        )])
        .await;
    assert!(matches!(late, Err(StoreError::Unavailable(_))), "{late:?}");
}
