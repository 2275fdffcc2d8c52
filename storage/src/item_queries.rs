//! Organization-wide item queries for REST: the filtered, paginated item
//! list. Each page is ONE statement (no per-item follow-up query): the
//! organization's key is joined in, so the row already carries `KEY-123`.
//!
//! Order is `number ASC`. Numbers are unique per organization and never
//! change, so a keyset cursor (`number > last`) never skips or repeats an
//! item, whatever is edited or inserted between two pages: new items get
//! higher numbers and show up on later pages, at most once.

use protocol::{BoardId, ColumnId, Millis, OrgId, UserId};
use serde::Serialize;
use tokio_postgres::types::ToSql;

use crate::db::{to_sql_i64, Db, DbError};
use crate::queries::{ItemRow, ITEM_COLUMNS_OF_I};

/// Which items a list includes with respect to archiving.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchivedFilter {
    /// Live items only (the default).
    #[default]
    Exclude,
    /// Live and archived items.
    Include,
    /// Archived items only.
    Only,
}

/// The filters of [`Db::list_items`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    pub board: Option<BoardId>,
    pub column: Option<ColumnId>,
    /// Items assigned to this user (among others).
    pub assignee: Option<UserId>,
    /// Items carrying this label (exact, case-sensitive).
    pub label: Option<String>,
    pub archived: ArchivedFilter,
    /// Items whose `updated_at` is at or after this time.
    pub updated_since: Option<Millis>,
}

/// An item with its human key (`DS-123`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyedItem {
    /// `KEY-number`.
    pub key: String,
    #[serde(flatten)]
    pub item: ItemRow,
}

/// One page of [`Db::list_items`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPage {
    pub items: Vec<KeyedItem>,
    /// The number to continue after, when more items match.
    pub next_after: Option<u64>,
}

type Param = Box<dyn ToSql + Sync + Send>;

/// A `WHERE` clause under construction: each predicate names its own
/// placeholder, so only the filters in use reach the planner (a prepared
/// `$n IS NULL OR …` would hide them from the indexes).
struct Clauses {
    sql: Vec<String>,
    params: Vec<Param>,
}

impl Clauses {
    fn new() -> Clauses {
        Clauses {
            sql: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter; returns its placeholder (`$n`).
    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// Adds `param` and a predicate; `{}` in `predicate` becomes its `$n`.
    fn add(&mut self, predicate: &str, param: Param) {
        let n = self.param(param);
        self.sql.push(predicate.replace("{}", &n));
    }

    fn add_plain(&mut self, predicate: &str) {
        self.sql.push(predicate.to_owned());
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| &**p as &(dyn ToSql + Sync))
            .collect()
    }
}

impl Db {
    /// A page of `org`'s items matching `filter`, in `number` order, after
    /// item number `after` (from the start when `None`), at most `limit`.
    ///
    /// One statement: it fetches `limit + 1` rows to learn whether another
    /// page follows, and joins `orgs` for the key. A `board` or `column` of
    /// another organization simply matches nothing (every predicate is
    /// ANDed with `org_id`). The SQL text depends on which filters are set
    /// (a bounded number of shapes, each prepared once per connection).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn list_items(
        &self,
        org: OrgId,
        filter: &ItemFilter,
        after: Option<u64>,
        limit: u32,
    ) -> Result<ItemPage, DbError> {
        let (sql, clauses) = page_query(org, filter, after, limit);
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client.query(&stmt, &clauses.refs()).await?;
        let mut items: Vec<KeyedItem> = rows
            .iter()
            .map(|row| {
                let item = ItemRow::from_row(row);
                let key: String = row.get("org_key");
                KeyedItem {
                    key: format!("{key}-{}", item.number),
                    item,
                }
            })
            .collect();
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_after = if more {
            items.last().map(|last| last.item.number)
        } else {
            None
        };
        Ok(ItemPage { items, next_after })
    }
}

/// The statement of one page of [`Db::list_items`] and its parameters.
fn page_query(
    org: OrgId,
    filter: &ItemFilter,
    after: Option<u64>,
    limit: u32,
) -> (String, Clauses) {
    let mut clauses = Clauses::new();
    clauses.add("i.org_id = {}", Box::new(org.0));
    if let Some(board) = filter.board {
        clauses.add("i.board_id = {}", Box::new(board.0));
    }
    if let Some(column) = filter.column {
        clauses.add("i.column_id = {}", Box::new(column.0));
    }
    // `@>` (not `= ANY`) so the GIN indexes apply; they are partial
    // (migration 0020), and `<> '{}'` lets the planner see that the
    // rows these filters match are all in them.
    if let Some(user) = filter.assignee {
        clauses.add("i.assignees @> ARRAY[{}::uuid]", Box::new(user.0));
        clauses.add_plain("i.assignees <> '{}'");
    }
    if let Some(label) = &filter.label {
        clauses.add("i.labels @> ARRAY[{}::text]", Box::new(label.clone()));
        clauses.add_plain("i.labels <> '{}'");
    }
    match filter.archived {
        ArchivedFilter::Exclude => clauses.add_plain("NOT i.archived"),
        ArchivedFilter::Include => {}
        ArchivedFilter::Only => clauses.add_plain("i.archived"),
    }
    if let Some(since) = filter.updated_since {
        clauses.add("i.updated_at >= {}", Box::new(since.0));
    }
    if let Some(after) = after {
        clauses.add("i.number > {}", Box::new(to_sql_i64(after)));
    }
    let limit_param = clauses.param(Box::new(i64::from(limit) + 1));
    let sql = format!(
        "SELECT {ITEM_COLUMNS_OF_I}, o.key AS org_key FROM items i \
         JOIN orgs o ON o.id = i.org_id WHERE {} ORDER BY i.number LIMIT {limit_param}",
        clauses.sql.join(" AND ")
    );
    (sql, clauses)
}

/// One search hit: the item, its key, its rank and a highlighted snippet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchHit {
    /// `KEY-number`.
    pub key: String,
    /// `ts_rank` of the match (higher is better; title matches weigh more).
    pub rank: f32,
    /// Plain text around the matches, each match between `«` and `»`. Not
    /// HTML: a client escapes it like any other text before rendering.
    pub snippet: String,
    #[serde(flatten)]
    pub item: ItemRow,
}

/// Search: rank and cut in the inner query, so `ts_headline` (costly: it
/// re-parses the text) runs only for the rows returned. Ties break by
/// number, so the order is stable.
const SEARCH: &str = "SELECT {ITEM_COLUMNS}, org_key, rank, \
         ts_headline('english', title || E'\\n' || description, tsq, \
             'StartSel=\"«\", StopSel=\"»\", MaxWords=35, MinWords=15, MaxFragments=2, \
              FragmentDelimiter=\" … \"') AS snippet \
     FROM (SELECT {ITEM_COLUMNS_OF_I}, o.key AS org_key, ts_rank(i.search, tsq) AS rank, tsq \
           FROM items i JOIN orgs o ON o.id = i.org_id, \
                websearch_to_tsquery('english', $2) AS tsq \
           WHERE i.org_id = $1 AND i.search @@ tsq AND (NOT i.archived OR $3) \
           ORDER BY rank DESC, i.number LIMIT $4) AS hits \
     ORDER BY rank DESC, number";

impl Db {
    /// Full-text search over `org`'s items (title and description, English
    /// stemming, web-search syntax: `"exact phrase"`, `or`, `-excluded`),
    /// best first, at most `limit`; archived items only when
    /// `include_archived`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn search_items(
        &self,
        org: OrgId,
        query: &str,
        include_archived: bool,
        limit: u32,
    ) -> Result<Vec<SearchHit>, DbError> {
        let sql = SEARCH
            .replace("{ITEM_COLUMNS}", crate::queries::ITEM_COLUMNS)
            .replace("{ITEM_COLUMNS_OF_I}", ITEM_COLUMNS_OF_I);
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client
            .query(
                &stmt,
                &[&org.0, &query, &include_archived, &i64::from(limit)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let item = ItemRow::from_row(row);
                let key: String = row.get("org_key");
                SearchHit {
                    key: format!("{key}-{}", item.number),
                    rank: row.get("rank"),
                    snippet: row.get("snippet"),
                    item,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_db::TestDb;

    /// The plan of the list's statement for `filter`.
    async fn plan_of(db: &Db, org: OrgId, filter: &ItemFilter) -> String {
        let (sql, clauses) = page_query(org, filter, None, 50);
        let client = db.client().await.expect("a connection");
        let rows = client
            .query(&format!("EXPLAIN {sql}"), &clauses.refs())
            .await
            .expect("explained");
        rows.iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The assignee and label indexes leave out items without any (most
    /// of them, and every item just created): the list's filters must
    /// still be able to use them, or a filtered page reads every item.
    #[tokio::test]
    async fn the_assignee_and_label_filters_use_their_partial_indexes() {
        let test_db = TestDb::new().await;
        let db = Db::connect(&test_db.url, 2).await.expect("connected");
        db.migrate().await.expect("migrated");
        let (org, user) = (OrgId(uuid::Uuid::new_v4()), UserId(uuid::Uuid::new_v4()));
        let client = db.client().await.expect("a connection");
        client
            .execute(
                "INSERT INTO orgs (id, name, key) VALUES ($1, 'Data Science', 'DS')",
                &[&org.0],
            )
            .await
            .expect("org inserted");
        // 10,000 items; one in a thousand assigned and labelled.
        client
            .execute(
                "INSERT INTO items (id, board_id, org_id, number, title, description, \
                     column_id, position, assignees, labels, created_by, created_at, updated_at) \
                 SELECT gen_random_uuid(), $1, $2, n, 'Item ' || n, '', $1, 'a', \
                     CASE WHEN n % 1000 = 0 THEN ARRAY[$3::uuid] ELSE '{}' END, \
                     CASE WHEN n % 1000 = 0 THEN ARRAY['urgent'] ELSE '{}' END, $3, 0, 0 \
                 FROM generate_series(1, 10000) AS n",
                &[&uuid::Uuid::new_v4(), &org.0, &user.0],
            )
            .await
            .expect("items inserted");
        client
            .execute("ANALYZE items", &[])
            .await
            .expect("analyzed");

        let by_assignee = ItemFilter {
            assignee: Some(user),
            ..ItemFilter::default()
        };
        let plan = plan_of(&db, org, &by_assignee).await;
        assert!(plan.contains("items_assignees_idx"), "{plan}");
        let by_label = ItemFilter {
            label: Some("urgent".into()),
            ..ItemFilter::default()
        };
        let plan = plan_of(&db, org, &by_label).await;
        assert!(plan.contains("items_labels_idx"), "{plan}");

        // And they find what they should.
        let page = db
            .list_items(org, &by_assignee, None, 50)
            .await
            .expect("the list");
        let numbers: Vec<u64> = page.items.iter().map(|i| i.item.number).collect();
        assert_eq!(numbers, (1..=10).map(|n| n * 1000).collect::<Vec<u64>>());
        assert_eq!(page.items[0].key, "DS-1000");
    }
}
