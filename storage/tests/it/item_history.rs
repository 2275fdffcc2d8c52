//! One item's history (`Db::item_events`) and the `events.item_id` column
//! behind it: written by the append, and backfilled by migration 0011.

use std::collections::BTreeMap;

use protocol::{BoardId, ColumnId, CommentId, Event, ItemId, UserId};
use storage::{spawn_storage_actor, Db, StorageConfig};
use uuid::Uuid;

use crate::{board_created, column_added, fresh_db, item_created, org_with_owner, rec};

/// `item_id` of every event of the database, by (board, seq).
async fn item_ids(db: &Db) -> BTreeMap<(Uuid, i64), Option<Uuid>> {
    let client = db.pool().get().await.unwrap();
    client
        .query("SELECT board_id, seq, item_id FROM events", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| ((row.get(0), row.get(1)), row.get(2)))
        .collect()
}

async fn seqs(db: &Db, board: BoardId, item: ItemId, after: u64, limit: u32) -> Vec<u64> {
    db.item_events(board, item, after, limit)
        .await
        .unwrap()
        .expect("the item is on the board")
        .iter()
        .map(|rec| rec.seq)
        .collect()
}

#[tokio::test]
async fn an_items_history_holds_its_item_and_comment_events_only() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "IH").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let todo = ColumnId(Uuid::new_v4());
    let (a, b) = (ItemId(Uuid::new_v4()), ItemId(Uuid::new_v4()));
    let (on_a, on_b) = (CommentId(Uuid::new_v4()), CommentId(Uuid::new_v4()));
    let ann = UserId(Uuid::new_v4());
    let edited = |comment| Event::CommentEdited {
        comment,
        body: "Edited".into(),
    };
    let added = |comment, item| Event::CommentAdded {
        comment,
        item,
        body: "Said".into(),
    };
    // The first batch adds and edits a comment (its item comes from the
    // batch); the second edits and deletes comments added earlier (their
    // items come from the `comments` rows, deleted by the same batch).
    let first = vec![
        board_created(org, "History"),
        column_added(todo, "To do", "V"),
        item_created(a, 1, todo, "V"),
        item_created(b, 2, todo, "W"),
        Event::ItemMoved {
            item: a,
            column: todo,
            position: "X".into(),
        },
        added(on_a, a),
        edited(on_a),
        Event::ItemAssigned { item: b, user: ann },
        Event::ItemAssigned { item: a, user: ann },
        Event::ItemUnassigned { item: a, user: ann },
        Event::LabelAdded {
            item: a,
            label: "bug".into(),
        },
        Event::LabelRemoved {
            item: a,
            label: "bug".into(),
        },
        Event::ItemEdited {
            item: a,
            title: Some("Renamed".into()),
            description: None,
        },
        Event::ItemArchived { item: a },
        Event::ItemRestored { item: a },
        added(on_b, b),
    ];
    let second = vec![
        edited(on_a),
        Event::CommentDeleted { comment: on_b },
        Event::CommentDeleted { comment: on_a },
        Event::BoardRenamed {
            name: "Renamed".into(),
        },
        Event::ColumnRenamed {
            column: todo,
            name: "Next".into(),
        },
    ];
    let first_len = first.len();
    let recorded: Vec<_> = first
        .into_iter()
        .chain(second)
        .zip(1..)
        .map(|(e, seq)| rec(board, seq, owner, e))
        .collect();
    storage
        .append(recorded[..first_len].to_vec())
        .await
        .unwrap();
    storage
        .append(recorded[first_len..].to_vec())
        .await
        .unwrap();

    let of_a = vec![3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 19];
    let of_b = vec![4, 8, 16, 18];
    assert_eq!(seqs(&db, board, a, 0, 100).await, of_a);
    assert_eq!(seqs(&db, board, b, 0, 100).await, of_b);
    // Pages continue after a seq, which need not be one of the item's.
    assert_eq!(seqs(&db, board, a, 7, 3).await, vec![9, 10, 11]);
    assert_eq!(seqs(&db, board, a, 8, 3).await, vec![9, 10, 11]);
    assert_eq!(seqs(&db, board, a, 19, 10).await, Vec::<u64>::new());
    let page = db.item_events(board, a, 16, 1).await.unwrap().unwrap();
    assert_eq!(page[0].event, edited(on_a));
    assert_eq!(page[0].command_id.as_deref(), Some("cmd-17"));

    // No such item, or not on this board.
    let missing = ItemId(Uuid::new_v4());
    assert_eq!(db.item_events(board, missing, 0, 10).await.unwrap(), None);
    let elsewhere = BoardId(Uuid::new_v4());
    assert_eq!(db.item_events(elsewhere, a, 0, 10).await.unwrap(), None);

    // The migration's backfill, which reads the MessagePack payloads,
    // finds the same items as the append.
    let written = item_ids(&db).await;
    let client = db.pool().get().await.unwrap();
    client
        .execute("UPDATE events SET item_id = NULL", &[])
        .await
        .unwrap();
    client
        .batch_execute(include_str!("../../migrations/0011_event_items.sql"))
        .await
        .unwrap();
    assert_eq!(item_ids(&db).await, written);
    let expected: BTreeMap<_, _> = (1..=21)
        .map(|seq| {
            let item = if of_a.contains(&seq) {
                Some(a.0)
            } else if of_b.contains(&seq) {
                Some(b.0)
            } else {
                None
            };
            ((board.0, i64::try_from(seq).unwrap()), item)
        })
        .collect();
    assert_eq!(written, expected);

    task.shutdown().await;
}
