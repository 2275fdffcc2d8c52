use protocol::{BoardId, Event};
use storage::{spawn_storage_actor, StorageConfig};
use uuid::Uuid;
use crate::{board_created, fresh_db, org_with_owner, rec, column_added, item_created};

#[tokio::test]
async fn perf_big_batch() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "PF").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    for round in 0..3 {
        let board = BoardId(Uuid::new_v4());
        let col = protocol::ColumnId(Uuid::new_v4());
        let mut evs = vec![rec(board, 1, user, board_created(org, "b")), rec(board, 2, user, column_added(col, "c", "V"))];
        for i in 3..=1000u64 {
            let item = protocol::ItemId(Uuid::new_v4());
            evs.push(rec(board, i, user, item_created(item, i + round * 10000, col, "V")));
        }
        let _ = Event::BoardRenamed { name: String::new() };
        let t = std::time::Instant::now();
        storage.append(evs).await.unwrap();
        eprintln!("PERF 1000 events: {:?} (commit {}us)", t.elapsed(), storage.stats().last_commit_micros);
    }
    task.shutdown().await;
}
