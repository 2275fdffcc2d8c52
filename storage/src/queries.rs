//! Reads of the board read models (`boards`, `board_columns`, `items`) for
//! REST. These rows trail the live `BoardActor` state only by the time a
//! commit takes: they are written in the same transaction as the events.

use protocol::{BoardId, ColumnId, ItemId, Millis, OrgId, UserId};
use serde::Serialize;
use tokio_postgres::Row;

use crate::db::{from_sql_i64, to_sql_i64, Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};

/// A board as projected from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoardRow {
    pub id: BoardId,
    pub org_id: OrgId,
    pub name: String,
    /// Seq of the last event projected into this row.
    pub seq: u64,
    /// Whether the board is archived (read-only).
    pub archived: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl BoardRow {
    fn from_row(row: &Row) -> BoardRow {
        BoardRow {
            id: BoardId(row.get("id")),
            org_id: OrgId(row.get("org_id")),
            name: row.get("name"),
            seq: from_sql_i64(row.get("seq")),
            archived: row.get("archived"),
            created_at: Millis(row.get("created_at")),
            updated_at: Millis(row.get("updated_at")),
        }
    }
}

/// A column of a board. Columns sort by `(position, id)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnRow {
    pub board_id: BoardId,
    pub id: ColumnId,
    pub name: String,
    pub position: String,
    pub wip_limit: Option<u32>,
}

/// A work item as projected from its events. Items of a column sort by
/// `(position, id)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    pub id: ItemId,
    pub board_id: BoardId,
    pub org_id: OrgId,
    pub number: u64,
    pub title: String,
    pub description: String,
    pub column_id: ColumnId,
    pub position: String,
    pub assignees: Vec<UserId>,
    pub labels: Vec<String>,
    pub archived: bool,
    pub created_by: UserId,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl ItemRow {
    /// Reads the columns of [`ITEM_COLUMNS`] (or [`ITEM_COLUMNS_OF_I`]).
    pub(crate) fn from_row(row: &Row) -> ItemRow {
        let assignees: Vec<uuid::Uuid> = row.get("assignees");
        ItemRow {
            id: ItemId(row.get("id")),
            board_id: BoardId(row.get("board_id")),
            org_id: OrgId(row.get("org_id")),
            number: from_sql_i64(row.get("number")),
            title: row.get("title"),
            description: row.get("description"),
            column_id: ColumnId(row.get("column_id")),
            position: row.get("position"),
            assignees: assignees.into_iter().map(UserId).collect(),
            labels: row.get("labels"),
            archived: row.get("archived"),
            created_by: UserId(row.get("created_by")),
            created_at: Millis(row.get("created_at")),
            updated_at: Millis(row.get("updated_at")),
        }
    }
}

const BOARD_COLUMNS: &str = "id, org_id, name, seq, archived, created_at, updated_at";
pub(crate) const ITEM_COLUMNS: &str =
    "id, board_id, org_id, number, title, description, column_id, \
     position, assignees, labels, archived, created_by, created_at, updated_at";
/// [`ITEM_COLUMNS`] of a query that names the table `i`.
pub(crate) const ITEM_COLUMNS_OF_I: &str = "i.id, i.board_id, i.org_id, i.number, i.title, \
     i.description, i.column_id, i.position, i.assignees, i.labels, i.archived, i.created_by, \
     i.created_at, i.updated_at";

/// The boards of an organization, oldest first.
const BOARDS_OF_ORG: Keyset = Keyset {
    columns: &[BOARD_COLUMNS],
    from: "boards",
    scope: "org_id = $1",
    key: "created_at",
    key_type: KeyType::Bigint,
    id: "id",
    order: Order::OldestFirst,
};

impl Db {
    /// A page of the boards of `org`, oldest first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn boards_of_org(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<BoardRow>, DbError> {
        BOARDS_OF_ORG
            .fetch(self, &org.0, page, |row| Ok(BoardRow::from_row(row)))
            .await
    }

    /// One board.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn board_row(&self, board: BoardId) -> Result<Option<BoardRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {BOARD_COLUMNS} FROM boards WHERE id = $1"))
            .await?;
        let row = client.query_opt(&stmt, &[&board.0]).await?;
        Ok(row.as_ref().map(BoardRow::from_row))
    }

    /// The columns of `board`, in board order.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn columns_of_board(&self, board: BoardId) -> Result<Vec<ColumnRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, name, position, wip_limit FROM board_columns \
                 WHERE board_id = $1 ORDER BY position COLLATE \"C\", id",
            )
            .await?;
        let rows = client.query(&stmt, &[&board.0]).await?;
        Ok(rows
            .iter()
            .map(|row| ColumnRow {
                board_id: board,
                id: ColumnId(row.get("id")),
                name: row.get("name"),
                position: row.get("position"),
                wip_limit: row
                    .get::<_, Option<i32>>("wip_limit")
                    .map(|l| u32::try_from(l).unwrap_or(0)),
            })
            .collect())
    }

    /// The items of `board` in board order (column, then position), archived
    /// ones only when `include_archived`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn items_of_board(
        &self,
        board: BoardId,
        include_archived: bool,
    ) -> Result<Vec<ItemRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE board_id = $1 AND (NOT archived OR $2) \
                 ORDER BY column_id, position COLLATE \"C\", id"
            ))
            .await?;
        let rows = client.query(&stmt, &[&board.0, &include_archived]).await?;
        Ok(rows.iter().map(ItemRow::from_row).collect())
    }

    /// An item by its per-organization number (`DS-123` is number 123 of
    /// the org whose key is `DS`).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn item_by_number(
        &self,
        org: OrgId,
        number: u64,
    ) -> Result<Option<ItemRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE org_id = $1 AND number = $2"
            ))
            .await?;
        let row = client
            .query_opt(&stmt, &[&org.0, &to_sql_i64(number)])
            .await?;
        Ok(row.as_ref().map(ItemRow::from_row))
    }
}
