//! [`BoardStore`] on PostgreSQL: reads go straight to the pool, appends
//! (boards' and organizations') go through the StorageActor (group commit).

use protocol::{
    Board, BoardId, BoardStore, LoadedBoard, OrgId, OrgRecord, Recorded, Roster, StoreError,
    StoreFuture, UserId,
};

use crate::db::{from_sql_i64, Db, DbError};
use crate::event_log;
use crate::org_log::OrgCommandKey;
use crate::orgs::parse_role;
use crate::storage_actor::StorageHandle;

/// The PostgreSQL event store.
#[derive(Clone)]
pub struct PgStore {
    db: Db,
    storage: StorageHandle,
}

impl PgStore {
    /// A store reading through `db` and appending through `storage`
    /// (which should write to the same database).
    pub fn new(db: Db, storage: StorageHandle) -> PgStore {
        PgStore { db, storage }
    }

    /// The database handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The StorageActor handle (queue depth, stats).
    pub fn storage(&self) -> &StorageHandle {
        &self.storage
    }

    async fn read_board(&self, board: BoardId) -> Result<Option<LoadedBoard>, DbError> {
        let client = self.db.client().await?;
        let snapshot = event_log::snapshot(&client, board).await?;
        let after = snapshot.as_ref().map_or(0, |s| s.seq);
        let events = event_log::events_after(&client, board, after, i64::MAX).await?;
        if snapshot.is_none() && events.is_empty() {
            return Ok(None);
        }
        Ok(Some(LoadedBoard { snapshot, events }))
    }

    async fn read_events_after(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Recorded>, DbError> {
        let client = self.db.client().await?;
        event_log::events_after(&client, board, after, i64::from(limit)).await
    }

    async fn write_snapshot(&self, board: Board) -> Result<(), DbError> {
        let snapshot = event_log::encode_snapshot(board).await?;
        let client = self.db.client().await?;
        event_log::save_snapshot(&client, &snapshot).await
    }

    async fn read_org(&self, org: OrgId) -> Result<Option<OrgRecord>, DbError> {
        let client = self.db.client().await?;
        let org_stmt = client
            .prepare_cached("SELECT name, key FROM orgs WHERE id = $1")
            .await?;
        let members_stmt = client
            .prepare_cached("SELECT user_id, role FROM memberships WHERE org_id = $1")
            .await?;
        let boards_stmt = client
            .prepare_cached("SELECT id FROM boards WHERE org_id = $1 ORDER BY created_at, id")
            .await?;
        let Some(row) = client.query_opt(&org_stmt, &[&org.0]).await? else {
            return Ok(None);
        };
        let mut members = Roster::new();
        for member in client.query(&members_stmt, &[&org.0]).await? {
            members.insert(UserId(member.get(0)), parse_role(member.get(1))?);
        }
        let boards = client
            .query(&boards_stmt, &[&org.0])
            .await?
            .iter()
            .map(|b| BoardId(b.get(0)))
            .collect();
        Ok(Some(OrgRecord {
            id: org,
            name: row.get("name"),
            key: row.get("key"),
            members,
            boards,
        }))
    }

    async fn reserve_numbers(&self, org: OrgId, count: u32) -> Result<u64, DbError> {
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE orgs SET next_item_number = next_item_number + $2 \
                 WHERE id = $1 RETURNING next_item_number - $2",
            )
            .await?;
        let row = client
            .query_opt(&stmt, &[&org.0, &i64::from(count)])
            .await?
            .ok_or_else(|| DbError::Other(format!("organization {org} does not exist")))?;
        Ok(from_sql_i64(row.get(0)))
    }
}

/// The wall clock in unix milliseconds: when a refusal was recorded (the
/// outcomes are pruned by age).
fn now_millis() -> protocol::Millis {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    protocol::Millis(ms)
}

/// A read or write that failed, as the actors see it: an outage is
/// retryable, anything else (a row that does not decode, a refused
/// statement) is a permanent fault that retrying would only repeat.
fn store_error(e: DbError) -> StoreError {
    match e {
        DbError::Unavailable(_) => StoreError::Unavailable(e.to_string()),
        DbError::Conflict(_) | DbError::Other(_) => {
            tracing::error!(error = %e, "storage fault");
            StoreError::Internal(e.to_string())
        }
    }
}

impl BoardStore for PgStore {
    fn load_board(&self, board: BoardId) -> StoreFuture<'_, Option<LoadedBoard>> {
        Box::pin(async move { self.read_board(board).await.map_err(store_error) })
    }

    fn append(&self, events: Vec<Recorded>) -> StoreFuture<'_, ()> {
        Box::pin(self.storage.append(events))
    }

    fn events_after(
        &self,
        board: BoardId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<Recorded>> {
        Box::pin(async move {
            self.read_events_after(board, after, limit)
                .await
                .map_err(store_error)
        })
    }

    fn save_snapshot(&self, board: Board) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.write_snapshot(board).await.map_err(store_error) })
    }

    fn load_org(&self, org: OrgId) -> StoreFuture<'_, Option<OrgRecord>> {
        Box::pin(async move { self.read_org(org).await.map_err(store_error) })
    }

    fn reserve_item_numbers(&self, org: OrgId, count: u32) -> StoreFuture<'_, u64> {
        Box::pin(async move { self.reserve_numbers(org, count).await.map_err(store_error) })
    }

    fn find_outcome(
        &self,
        board: BoardId,
        actor: protocol::UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<protocol::Outcome>> {
        Box::pin(async move {
            self.db
                .find_outcome(board, actor, &command_id)
                .await
                .map_err(store_error)
        })
    }

    fn record_rejection(
        &self,
        board: BoardId,
        actor: protocol::UserId,
        command_id: String,
        rejection: protocol::Rejection,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .record_rejection(board, actor, &command_id, &rejection)
                .await
                .map_err(store_error)
        })
    }

    fn load_org_log(&self, org: OrgId) -> StoreFuture<'_, Option<protocol::Org>> {
        Box::pin(async move { self.db.load_org(org).await.map_err(store_error) })
    }

    fn append_org(
        &self,
        org: OrgId,
        records: Vec<protocol::OrgRecorded>,
        command: Option<(protocol::UserId, String)>,
        origin: Option<protocol::Origin>,
    ) -> StoreFuture<'_, ()> {
        let key = command.map(|(actor, command_id)| OrgCommandKey { actor, command_id });
        Box::pin(self.storage.append_org_from(org, records, key, origin))
    }

    fn org_events_after(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> StoreFuture<'_, Vec<protocol::OrgRecorded>> {
        Box::pin(async move {
            self.db
                .org_events(org, after, limit)
                .await
                .map_err(store_error)
        })
    }

    fn find_org_outcome(
        &self,
        org: OrgId,
        actor: protocol::UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<protocol::OrgOutcome>> {
        Box::pin(async move {
            let key = OrgCommandKey { actor, command_id };
            self.db.org_outcome(org, &key).await.map_err(store_error)
        })
    }

    fn record_org_rejection(
        &self,
        org: OrgId,
        actor: protocol::UserId,
        command_id: String,
        rejection: protocol::OrgRejection,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let key = OrgCommandKey { actor, command_id };
            self.db
                .record_org_rejection(org, &key, &rejection, now_millis())
                .await
                .map_err(store_error)
        })
    }
}
