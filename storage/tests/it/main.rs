//! Storage tests against a real PostgreSQL: each test gets a fresh database
//! from `TestDb` (a throwaway cluster for this process, or DATABASE_URL).
#![allow(clippy::unwrap_used)]

mod accounts;
mod api_keys;
mod batched;
mod group_commit;
mod invites;
mod item_history;
mod local_pg;
mod login_sessions;
mod migrations;
mod org_batches;
mod org_log;
mod outage;
mod pages;
mod projection;
mod store;

use protocol::{BoardId, ColumnId, Event, ItemId, Millis, OrgId, Recorded, UserId};
use storage::{Db, PageRequest, TestDb};
use uuid::Uuid;

/// One page that holds every row a test lists.
pub const ALL: PageRequest = PageRequest::first(200);

/// A fresh, migrated database. Keep the `TestDb` alive as long as the `Db`.
pub async fn fresh_db() -> (TestDb, Db) {
    let test_db = TestDb::new().await;
    let db = Db::connect(&test_db.url, 8).await.unwrap();
    db.migrate().await.unwrap();
    (test_db, db)
}

/// A user who owns a new organization with key `key`.
pub async fn org_with_owner(db: &Db, key: &str) -> (OrgId, UserId) {
    let user = UserId(Uuid::new_v4());
    db.create_user(user, &format!("{user}@example.com"), "Owner", "hash")
        .await
        .unwrap();
    let org = OrgId(Uuid::new_v4());
    db.create_org(org, "Org", key, user).await.unwrap();
    (org, user)
}

/// A recorded event at `seq` by `by`, stamped `1000 * seq` ms.
pub fn rec(board: BoardId, seq: u64, by: UserId, event: Event) -> Recorded {
    Recorded {
        board,
        seq,
        at: Millis(1_000 * i64::try_from(seq).unwrap()),
        by,
        command_id: Some(format!("cmd-{seq}")),
        event,
    }
}

pub fn board_created(org: OrgId, name: &str) -> Event {
    Event::BoardCreated {
        org,
        name: name.into(),
    }
}

pub fn column_added(column: ColumnId, name: &str, position: &str) -> Event {
    Event::ColumnAdded {
        column,
        name: name.into(),
        position: position.into(),
        wip_limit: None,
    }
}

pub fn item_created(item: ItemId, number: u64, column: ColumnId, position: &str) -> Event {
    Event::ItemCreated {
        item,
        number,
        title: format!("Item {number}"),
        description: String::new(),
        column,
        position: position.into(),
    }
}

/// The first four events of a board: created, one column, one item, moved.
pub fn board_start(board: BoardId, org: OrgId, by: UserId, number: u64) -> Vec<Recorded> {
    let column = ColumnId(Uuid::new_v4());
    let item = ItemId(Uuid::new_v4());
    vec![
        rec(board, 1, by, board_created(org, "Board")),
        rec(board, 2, by, column_added(column, "To do", "V")),
        rec(board, 3, by, item_created(item, number, column, "V")),
        rec(
            board,
            4,
            by,
            Event::ItemMoved {
                item,
                column,
                position: "k".into(),
            },
        ),
    ]
}
