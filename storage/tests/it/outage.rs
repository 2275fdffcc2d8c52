use std::time::{Duration, Instant};

use protocol::{BoardId, StoreError};
use storage::{spawn_storage_actor, Db, StorageConfig, TestCluster};
use uuid::Uuid;

use crate::{board_created, org_with_owner, rec};

#[tokio::test]
async fn appends_fail_fast_while_the_database_is_down_and_recover() {
    // A private cluster: stopping the shared one would disturb other tests.
    let cluster = TestCluster::start_new().unwrap();
    let test_db = cluster.create_database().await.unwrap();
    let db = Db::connect(&test_db.url, 4).await.unwrap();
    db.migrate().await.unwrap();
    let (org, user) = org_with_owner(&db, "OU").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    storage
        .append(vec![rec(board, 1, user, board_created(org, "b"))])
        .await
        .unwrap();

    cluster.stop().unwrap();
    let started = Instant::now();
    let renamed = || {
        rec(
            board,
            2,
            user,
            protocol::Event::BoardRenamed { name: "x".into() },
        )
    };
    let down = storage.append(vec![renamed()]).await;
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(db.ping().await.is_err());

    cluster.start().unwrap();
    db.ping().await.unwrap();
    storage.append(vec![renamed()]).await.unwrap();
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 2);
    task.shutdown().await;
}
