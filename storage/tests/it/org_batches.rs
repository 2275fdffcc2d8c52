//! Organizations' appends in the StorageActor's batches: sharing one
//! transaction with boards' appends, and failing alone when their seq or
//! command id is taken.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use protocol::{BoardId, Event, OrgCaller, OrgCommand, Recorded, Role, StoreError};
use storage::OrgCommandKey;
use uuid::Uuid;

use crate::org_log::{decided, founded, fresh_log, run, user};
use crate::{board_created, rec};

/// Polls `fut` once, so an append is queued before anything else runs
/// (the test runtime is single-threaded: the actor cannot run meanwhile).
async fn queue<F: Future + Unpin>(fut: &mut F) {
    let pending =
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await;
    assert!(pending, "append finished before the actor ran");
}

fn renamed(name: &str) -> Event {
    Event::BoardRenamed { name: name.into() }
}

#[tokio::test]
async fn board_and_org_appends_commit_in_one_transaction() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob) = (user(&db, "Ann").await, user(&db, "Bob").await);
    let org = founded(&storage, ann, "Mixed", "MIX").await;
    let board = BoardId(Uuid::new_v4());
    storage
        .append(vec![rec(board, 1, ann, board_created(org.id, "Board"))])
        .await
        .unwrap();
    let before = storage.stats();

    let add = OrgCommand::AddMember {
        user: bob,
        role: Role::Member,
    };
    let records = decided(&org, OrgCaller::User(ann), &add, None);
    let mut first = Box::pin(storage.append(vec![rec(board, 2, ann, renamed("Two"))]));
    let mut member = Box::pin(storage.append_org(org.id, records, None));
    let mut last = Box::pin(storage.append(vec![rec(board, 3, ann, renamed("Three"))]));
    queue(&mut first).await;
    queue(&mut member).await;
    queue(&mut last).await;
    first.await.unwrap();
    member.await.unwrap();
    last.await.unwrap();

    let stats = storage.stats();
    assert_eq!(stats.batches_committed - before.batches_committed, 1);
    assert_eq!(stats.requests_committed - before.requests_committed, 3);
    assert_eq!(stats.events_committed - before.events_committed, 3);
    assert_eq!(db.board_row(board).await.unwrap().unwrap().name, "Three");
    assert_eq!(
        db.membership(org.id, bob).await.unwrap(),
        Some(Role::Member)
    );
    assert_eq!(db.load_org(org.id).await.unwrap().expect("org").seq, 3);
    task.shutdown().await;
}

#[tokio::test]
async fn an_org_request_refused_in_a_mixed_batch_fails_alone() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob, carl) = (
        user(&db, "Ann").await,
        user(&db, "Bob").await,
        user(&db, "Carl").await,
    );
    let mut org = founded(&storage, ann, "Alone", "ALONE").await;
    let stale = org.clone();
    let key = OrgCommandKey {
        actor: ann,
        command_id: "c-1".into(),
    };
    let add = |user| OrgCommand::AddMember {
        user,
        role: Role::Viewer,
    };
    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        add(bob),
        Some(&key),
    )
    .await;
    let board = BoardId(Uuid::new_v4());
    storage
        .append(vec![rec(board, 1, ann, board_created(org.id, "Board"))])
        .await
        .unwrap();
    let before = storage.stats();

    // A board's append, an org append at a taken seq (decided on the stale
    // state), an org append of a used command id (at a free seq), another
    // board append: one batch.
    let taken = decided(&stale, OrgCaller::User(ann), &add(carl), None);
    let reused = decided(&org, OrgCaller::User(ann), &add(carl), Some(&key));
    let mut first = Box::pin(storage.append(vec![rec(board, 2, ann, renamed("Two"))]));
    let mut conflict = Box::pin(storage.append_org(org.id, taken, None));
    let mut duplicate = Box::pin(storage.append_org(org.id, reused, Some(key.clone())));
    let mut last = Box::pin(storage.append(vec![rec(board, 3, ann, renamed("Three"))]));
    queue(&mut first).await;
    queue(&mut conflict).await;
    queue(&mut duplicate).await;
    queue(&mut last).await;

    first.await.unwrap();
    let conflict = conflict.await;
    assert!(
        matches!(conflict, Err(StoreError::OrgConflict { org: at, seq: 3 }) if at == org.id),
        "{conflict:?}"
    );
    let duplicate = duplicate.await;
    assert!(
        matches!(&duplicate, Err(StoreError::OrgDuplicate { command_id, .. }) if command_id == "c-1"),
        "{duplicate:?}"
    );
    last.await.unwrap();

    let stats = storage.stats();
    assert_eq!(stats.requests_committed - before.requests_committed, 2);
    assert_eq!(stats.events_committed - before.events_committed, 2);
    assert_eq!(stats.failures - before.failures, 1, "the conflict");
    assert_eq!(stats.duplicates - before.duplicates, 1);
    assert_eq!(db.board_row(board).await.unwrap().unwrap().seq, 3);
    assert_eq!(db.membership(org.id, carl).await.unwrap(), None);
    assert_eq!(db.load_org(org.id).await.unwrap().expect("org"), org);
    task.shutdown().await;
}

#[tokio::test]
async fn a_board_request_refused_in_a_mixed_batch_leaves_the_org_request_committed() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob) = (user(&db, "Ann").await, user(&db, "Bob").await);
    let mut org = founded(&storage, ann, "Kept", "KEPT").await;
    let board = BoardId(Uuid::new_v4());
    storage
        .append(vec![rec(board, 1, ann, board_created(org.id, "Board"))])
        .await
        .unwrap();

    let add = OrgCommand::AddMember {
        user: bob,
        role: Role::Admin,
    };
    let records = decided(&org, OrgCaller::User(ann), &add, None);
    let again = Recorded {
        command_id: None,
        ..rec(board, 1, ann, renamed("Again"))
    };
    let mut taken = Box::pin(storage.append(vec![again]));
    let mut member = Box::pin(storage.append_org(org.id, records.clone(), None));
    queue(&mut taken).await;
    queue(&mut member).await;
    let taken = taken.await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { seq: 1, .. })),
        "{taken:?}"
    );
    member.await.unwrap();
    for rec in &records {
        org.apply_recorded(rec);
    }
    assert_eq!(db.membership(org.id, bob).await.unwrap(), Some(Role::Admin));
    assert_eq!(db.load_org(org.id).await.unwrap().expect("org"), org);
    assert_eq!(db.board_row(board).await.unwrap().unwrap().name, "Board");
    task.shutdown().await;
}
