//! The per-batch projection (one multi-row statement per kind of event):
//! columns renamed alone and mixed with other column events in one batch,
//! concurrent batches over the same boards, and a retried command id.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use protocol::{BoardId, ColumnId, Event, Recorded, StoreError};
use storage::{spawn_storage_actor, Db, StorageConfig};
use uuid::Uuid;

use crate::{board_created, column_added, fresh_db, org_with_owner, rec};

/// Polls `fut` once, so an append is queued before anything else runs
/// (the test runtime is single-threaded: the actor cannot run meanwhile).
async fn queue<F: Future + Unpin>(fut: &mut F) {
    let pending =
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await;
    assert!(pending, "append finished before the actor ran");
}

/// The board's columns as `(id, name, position, wip_limit)`, by position.
async fn columns(db: &Db, board: BoardId) -> Vec<(ColumnId, String, String, Option<u32>)> {
    db.columns_of_board(board)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.name, c.position, c.wip_limit))
        .collect()
}

fn renamed(column: ColumnId, name: &str) -> Event {
    Event::ColumnRenamed {
        column,
        name: name.into(),
    }
}

#[tokio::test]
async fn a_column_renamed_on_its_own_updates_board_columns() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "RN").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let (todo, done) = (ColumnId(Uuid::new_v4()), ColumnId(Uuid::new_v4()));
    storage
        .append(vec![
            rec(board, 1, user, board_created(org, "Board")),
            rec(board, 2, user, column_added(todo, "Backlog", "V")),
            rec(board, 3, user, column_added(done, "Done", "k")),
        ])
        .await
        .unwrap();

    // The schemathesis request: PATCH .../columns/{c} {"name":"To do"}
    // with an Idempotency-Key, a single-event append.
    let rename = Recorded {
        command_id: Some("rename-key".into()),
        ..rec(board, 4, user, renamed(todo, "To do"))
    };
    storage.append(vec![rename.clone()]).await.unwrap();
    // Names with quotes, backslashes, LIKE and array-literal characters.
    let odd = r#"a "b", {c} \d 'e' %_ ✓"#;
    storage
        .append(vec![rec(board, 5, user, renamed(done, odd))])
        .await
        .unwrap();

    assert_eq!(
        columns(&db, board).await,
        vec![
            (todo, "To do".to_owned(), "V".to_owned(), None),
            (done, odd.to_owned(), "k".to_owned(), None),
        ]
    );
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 5);

    // The same request retried: a duplicate, and nothing changes.
    let retried = storage
        .append(vec![Recorded {
            seq: 6,
            ..rename.clone()
        }])
        .await;
    assert!(
        matches!(&retried, Err(StoreError::Duplicate { command_id, .. }) if command_id == "rename-key"),
        "{retried:?}"
    );
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 5);
    assert_eq!(storage.stats().failures, 0);
    task.shutdown().await;
}

#[tokio::test]
async fn add_rename_remove_of_one_column_in_one_batch() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "AR").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let (gone, kept) = (ColumnId(Uuid::new_v4()), ColumnId(Uuid::new_v4()));
    let events = [
        board_created(org, "Board"),
        column_added(gone, "Gone", "V"),
        renamed(gone, "Going"),
        Event::ColumnRemoved { column: gone },
        column_added(kept, "Kept", "k"),
        renamed(kept, "First"),
        Event::WipLimitSet {
            column: kept,
            limit: Some(u32::MAX),
        },
        renamed(kept, "Second"),
        Event::ColumnMoved {
            column: kept,
            position: "a".into(),
        },
        // Removed and added again under the same id: the row comes back.
        Event::ColumnRemoved { column: gone },
        column_added(gone, "Again", "z"),
        renamed(gone, "Again, renamed"),
    ];
    let recorded: Vec<_> = events
        .iter()
        .zip(1..)
        .map(|(e, seq)| rec(board, seq, user, e.clone()))
        .collect();
    storage.append(recorded).await.unwrap();

    assert_eq!(
        columns(&db, board).await,
        vec![
            (
                kept,
                "Second".to_owned(),
                "a".to_owned(),
                Some(u32::try_from(i32::MAX).unwrap())
            ),
            (gone, "Again, renamed".to_owned(), "z".to_owned(), None),
        ]
    );
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 12);
    task.shutdown().await;
}

#[tokio::test]
async fn concurrent_batches_over_the_same_boards_in_opposite_orders() {
    let (test_db, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "OP").await;
    // Two requests per batch, three batches written at once.
    let config = StorageConfig {
        max_batch_events: 2,
        max_in_flight: 3,
        ..StorageConfig::default()
    };
    let (storage, task) = spawn_storage_actor(db.clone(), config);
    let boards: Vec<BoardId> = (0..6).map(|_| BoardId(Uuid::new_v4())).collect();
    for &board in &boards {
        storage
            .append(vec![rec(board, 1, user, board_created(org, "0"))])
            .await
            .unwrap();
    }

    // Round r queues pairs (a, b) then (b, a): consecutive batches touch
    // the same boards, each locking its rows in its own order.
    for round in 0..20u64 {
        let seq = 2 + 2 * round;
        let name = |s: u64| Event::BoardRenamed {
            name: s.to_string(),
        };
        let mut appends = Vec::new();
        for pair in boards.chunks(2) {
            let [a, b] = [pair[0], pair[1]];
            for (first, second, s) in [(a, b, seq), (b, a, seq + 1)] {
                appends.push(Box::pin(storage.append(vec![rec(first, s, user, name(s))])));
                appends.push(Box::pin(storage.append(vec![rec(
                    second,
                    s,
                    user,
                    name(s),
                )])));
            }
        }
        for append in &mut appends {
            queue(append).await;
        }
        for append in appends {
            append.await.unwrap();
        }
    }

    let stats = storage.stats();
    assert_eq!(stats.failures, 0, "{stats:?}");
    for &board in &boards {
        // Two appends of one board in flight at once (never the case with
        // a board actor, which waits for each answer) may commit in either
        // order: the seq still ends at the highest, the name at either.
        let row = db.board_row(board).await.unwrap().unwrap();
        assert_eq!(row.seq, 41);
        assert!(["40", "41"].contains(&row.name.as_str()), "{row:?}");
    }
    task.shutdown().await;
    // No transaction was chosen as a deadlock victim (and retried). A
    // backend reports its statistics when it exits: close the pool first.
    let url = test_db.url.clone();
    drop((storage, db));
    assert_eq!(deadlocks(&url).await, 0);
}

/// Deadlocks PostgreSQL detected in the database at `url`, once every other
/// connection to it has closed.
async fn deadlocks(url: &str) -> i64 {
    let db = Db::connect(url, 1).await.unwrap();
    let client = db.pool().get().await.unwrap();
    for _ in 0..50 {
        let others: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if others == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    client
        .query_one(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_rejected_statement_names_its_cause() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "NC").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    storage
        .append(vec![rec(board, 1, user, board_created(org, "Board"))])
        .await
        .unwrap();
    // PostgreSQL text cannot hold NUL: the statement is rejected.
    let nul = Event::BoardRenamed {
        name: "a\0b".into(),
    };
    let failed = storage.append(vec![rec(board, 2, user, nul)]).await;
    // Refused for good (SQLSTATE class 22): not retryable.
    let Err(StoreError::Internal(message)) = failed else {
        panic!("expected a permanent storage fault, got {failed:?}");
    };
    // Not just "db error": the SQLSTATE and PostgreSQL's message.
    assert!(message.contains("22021"), "{message}");
    assert!(message.contains("invalid byte sequence"), "{message}");
    task.shutdown().await;
}

/// A small deterministic generator (no dependency needed for a test).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Batches that change a few items again and again, with every kind of
/// item event mixed in: the read model equals the board folded from the
/// same events, whatever rows the batch folded together.
#[tokio::test]
async fn repeated_changes_in_one_batch_leave_the_items_as_the_fold() {
    let (_t, db) = fresh_db().await;
    let (org, user) = org_with_owner(&db, "RP").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let columns = [ColumnId(Uuid::new_v4()), ColumnId(Uuid::new_v4())];
    let items: Vec<protocol::ItemId> = (0..4).map(|_| protocol::ItemId(Uuid::new_v4())).collect();
    let people = [
        protocol::UserId(Uuid::new_v4()),
        protocol::UserId(Uuid::new_v4()),
    ];
    let mut events = vec![
        board_created(org, "Board"),
        column_added(columns[0], "To do", "V"),
        column_added(columns[1], "Done", "k"),
    ];
    for (n, item) in items.iter().enumerate() {
        events.push(crate::item_created(
            *item,
            n as u64 + 1,
            columns[0],
            &format!("a{n}"),
        ));
    }
    let mut random = Lcg(19);
    for step in 0..400 {
        let item = items[random.below(items.len() as u64) as usize];
        let text = |what: &str| format!("{what} {step}");
        events.push(match random.below(9) {
            0 | 1 => Event::ItemEdited {
                item,
                title: Some(text("title")),
                description: None,
            },
            2 => Event::ItemEdited {
                item,
                title: None,
                description: Some(text("description")),
            },
            3 | 4 => Event::ItemMoved {
                item,
                column: columns[random.below(2) as usize],
                position: format!("p{}", random.below(1000)),
            },
            5 => {
                if random.below(2) == 0 {
                    Event::ItemArchived { item }
                } else {
                    Event::ItemRestored { item }
                }
            }
            6 => Event::LabelAdded {
                item,
                label: format!("l{}", random.below(3)),
            },
            7 => Event::ItemAssigned {
                item,
                user: people[random.below(2) as usize],
            },
            _ => Event::ItemUnassigned {
                item,
                user: people[random.below(2) as usize],
            },
        });
    }
    let records: Vec<Recorded> = events
        .into_iter()
        .enumerate()
        .map(|(n, event)| rec(board, n as u64 + 1, user, event))
        .collect();
    // The board's creation first, then the rest in batches of 100 events.
    storage.append(records[..3].to_vec()).await.unwrap();
    for batch in records[3..].chunks(100) {
        storage.append(batch.to_vec()).await.unwrap();
    }
    let mut folded = protocol::Board::new(board);
    for record in &records {
        folded.apply(record);
    }
    let stored = db.items_of_board(board, true).await.unwrap();
    assert_eq!(stored.len(), items.len());
    for row in stored {
        let item = &folded.items[&row.id];
        let mut labels = row.labels.clone();
        labels.sort();
        let mut assignees = row.assignees.clone();
        assignees.sort();
        assert_eq!(
            (
                &row.title,
                &row.description,
                row.column_id,
                &row.position,
                row.archived,
                row.updated_at
            ),
            (
                &item.title,
                &item.description,
                item.column,
                &item.position,
                item.archived,
                item.updated_at
            ),
            "item {}",
            row.number
        );
        assert_eq!(labels, item.labels.iter().cloned().collect::<Vec<_>>());
        assert_eq!(
            assignees,
            item.assignees.iter().copied().collect::<Vec<_>>()
        );
    }
    task.shutdown().await;
}
