use protocol::{BoardId, ColumnId, CommentId, Event, ItemId, Millis, UserId};
use storage::{spawn_storage_actor, StorageConfig};
use uuid::Uuid;

use crate::{board_created, column_added, fresh_db, item_created, org_with_owner, rec, ALL};

#[tokio::test]
async fn read_models_follow_the_events() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "PR").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let (todo, doing, gone) = (
        ColumnId(Uuid::new_v4()),
        ColumnId(Uuid::new_v4()),
        ColumnId(Uuid::new_v4()),
    );
    let item = ItemId(Uuid::new_v4());
    let (ann, bob) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));

    let events = [
        board_created(org, "Roadmap"),
        column_added(todo, "To do", "V"),
        column_added(doing, "Doing", "k"),
        column_added(gone, "Gone", "z"),
        Event::ColumnRenamed {
            column: doing,
            name: "In progress".into(),
        },
        Event::ColumnMoved {
            column: doing,
            position: "A".into(),
        },
        Event::WipLimitSet {
            column: doing,
            limit: Some(3),
        },
        Event::ColumnRemoved { column: gone },
        item_created(item, 7, todo, "V"),
        Event::ItemMoved {
            item,
            column: doing,
            position: "h".into(),
        },
        Event::ItemAssigned { item, user: ann },
        Event::ItemAssigned { item, user: bob },
        Event::ItemAssigned { item, user: ann },
        Event::ItemUnassigned { item, user: bob },
        Event::LabelAdded {
            item,
            label: "bug".into(),
        },
        Event::LabelAdded {
            item,
            label: "ui".into(),
        },
        Event::LabelRemoved {
            item,
            label: "ui".into(),
        },
        Event::ItemEdited {
            item,
            title: Some("Fix login".into()),
            description: None,
        },
        Event::BoardRenamed {
            name: "Roadmap 2026".into(),
        },
    ];
    let recorded: Vec<_> = events
        .iter()
        .zip(1..)
        .map(|(e, seq)| rec(board, seq, owner, e.clone()))
        .collect();
    // In two appends, so both the first-insert and the update paths run.
    storage.append(recorded[..9].to_vec()).await.unwrap();
    storage.append(recorded[9..].to_vec()).await.unwrap();

    let row = db.board_row(board).await.unwrap().unwrap();
    assert_eq!(row.org_id, org);
    assert_eq!(row.name, "Roadmap 2026");
    assert_eq!(row.seq, 19);
    assert_eq!(row.created_at, Millis(1_000));
    assert_eq!(row.updated_at, Millis(19_000));
    assert_eq!(db.boards_of_org(org, ALL).await.unwrap().rows, vec![row]);

    let columns = db.columns_of_board(board).await.unwrap();
    let columns: Vec<_> = columns
        .iter()
        .map(|c| (c.id, c.name.as_str(), c.position.as_str(), c.wip_limit))
        .collect();
    assert_eq!(
        columns,
        vec![
            (doing, "In progress", "A", Some(3)),
            (todo, "To do", "V", None)
        ]
    );

    let item_row = db.item_by_number(org, 7).await.unwrap().unwrap();
    assert_eq!(item_row.id, item);
    assert_eq!(item_row.board_id, board);
    assert_eq!(item_row.org_id, org);
    assert_eq!(item_row.title, "Fix login");
    assert_eq!(item_row.description, "");
    assert_eq!(
        (item_row.column_id, item_row.position.as_str()),
        (doing, "h")
    );
    assert_eq!(item_row.assignees, vec![ann]);
    assert_eq!(item_row.labels, vec!["bug".to_owned()]);
    assert!(!item_row.archived);
    assert_eq!(item_row.created_by, owner);
    assert_eq!(item_row.created_at, Millis(9_000));
    assert_eq!(item_row.updated_at, Millis(18_000));
    assert_eq!(db.item_by_number(org, 8).await.unwrap(), None);

    storage
        .append(vec![rec(board, 20, owner, Event::ItemArchived { item })])
        .await
        .unwrap();
    let archived = db.item_by_number(org, 7).await.unwrap().unwrap();
    assert!(archived.archived);
    assert!(db.items_of_board(board, false).await.unwrap().is_empty());
    assert_eq!(
        db.items_of_board(board, true).await.unwrap(),
        vec![archived]
    );

    storage
        .append(vec![rec(board, 21, owner, Event::ItemRestored { item })])
        .await
        .unwrap();
    let restored = db.item_by_number(org, 7).await.unwrap().unwrap();
    assert!(!restored.archived);
    assert_eq!(restored.updated_at, Millis(21_000));
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 21);

    let json = serde_json::to_value(&restored).unwrap();
    assert_eq!(json["number"], 7);
    task.shutdown().await;
}

#[tokio::test]
async fn comments_follow_their_events_in_seq_order() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "CM").await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    let board = BoardId(Uuid::new_v4());
    let todo = ColumnId(Uuid::new_v4());
    let (item, quiet) = (ItemId(Uuid::new_v4()), ItemId(Uuid::new_v4()));
    let (first, second) = (CommentId(Uuid::new_v4()), CommentId(Uuid::new_v4()));
    let bob = UserId(Uuid::new_v4());
    let events = [
        (owner, board_created(org, "Talk")),
        (owner, column_added(todo, "To do", "V")),
        (owner, item_created(item, 1, todo, "V")),
        (owner, item_created(quiet, 2, todo, "W")),
        (
            bob,
            Event::CommentAdded {
                comment: first,
                item,
                body: "First".into(),
            },
        ),
        (
            owner,
            Event::CommentAdded {
                comment: second,
                item,
                body: "Second".into(),
            },
        ),
        (
            bob,
            Event::CommentEdited {
                comment: first,
                body: "First, edited".into(),
            },
        ),
    ];
    let recorded: Vec<_> = events
        .iter()
        .zip(1..)
        .map(|((by, e), seq)| rec(board, seq, *by, e.clone()))
        .collect();
    storage.append(recorded).await.unwrap();

    let comments = db
        .comments_of_item(board, item, 0, 10)
        .await
        .unwrap()
        .unwrap();
    let seen: Vec<_> = comments
        .iter()
        .map(|c| {
            (
                c.id,
                c.author,
                c.body.as_str(),
                c.seq,
                c.created_at,
                c.updated_at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (first, bob, "First, edited", 5, Millis(5_000), Millis(7_000)),
            (second, owner, "Second", 6, Millis(6_000), Millis(6_000)),
        ]
    );
    let after_first = db
        .comments_of_item(board, item, 5, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after_first.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![second]
    );
    let one = db
        .comments_of_item(board, item, 0, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        db.comments_of_item(board, quiet, 0, 10).await.unwrap(),
        Some(vec![])
    );
    let elsewhere = BoardId(Uuid::new_v4());
    assert_eq!(
        db.comments_of_item(elsewhere, item, 0, 10).await.unwrap(),
        None
    );

    storage
        .append(vec![rec(
            board,
            8,
            bob,
            Event::CommentDeleted { comment: first },
        )])
        .await
        .unwrap();
    let left = db
        .comments_of_item(board, item, 0, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.iter().map(|c| c.id).collect::<Vec<_>>(), vec![second]);
    task.shutdown().await;
}
