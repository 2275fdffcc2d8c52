//! Reads of the `comments` read model (projected from the comment events
//! in the same transaction as the events).

use protocol::{BoardId, CommentId, ItemId, Millis, UserId};
use serde::Serialize;

use crate::db::{from_sql_i64, to_sql_i64, Db, DbError};

/// A comment as projected from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommentRow {
    pub id: CommentId,
    pub item_id: ItemId,
    pub author: UserId,
    pub body: String,
    /// Seq of the `comment_added` event: the comment's place in the order.
    pub seq: u64,
    pub created_at: Millis,
    /// The time of the last edit (`created_at` when never edited).
    pub updated_at: Millis,
}

/// One statement: the item (which must be on `board`) left-joined to its
/// next comments, so "no such item" (no row) and "no comments" (one row of
/// NULLs) are told apart without a second query.
const COMMENTS_OF_ITEM: &str = "SELECT c.id, c.author, c.body, c.seq, c.created_at, c.updated_at \
     FROM items i LEFT JOIN LATERAL ( \
         SELECT * FROM comments c WHERE c.item_id = i.id AND c.seq > $3 ORDER BY c.seq LIMIT $4 \
     ) c ON true \
     WHERE i.id = $1 AND i.board_id = $2 \
     ORDER BY c.seq";

impl Db {
    /// The comments of `item` on `board`, oldest first: those added after
    /// seq `after`, at most `limit`. `None` when `board` has no such item.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn comments_of_item(
        &self,
        board: BoardId,
        item: ItemId,
        after: u64,
        limit: u32,
    ) -> Result<Option<Vec<CommentRow>>, DbError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(COMMENTS_OF_ITEM).await?;
        let rows = client
            .query(
                &stmt,
                &[&item.0, &board.0, &to_sql_i64(after), &i64::from(limit)],
            )
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.iter()
                .filter_map(|row| {
                    let id: Option<uuid::Uuid> = row.get("id");
                    Some(CommentRow {
                        id: CommentId(id?),
                        item_id: item,
                        author: UserId(row.get("author")),
                        body: row.get("body"),
                        seq: from_sql_i64(row.get("seq")),
                        created_at: Millis(row.get("created_at")),
                        updated_at: Millis(row.get("updated_at")),
                    })
                })
                .collect(),
        ))
    }
}
