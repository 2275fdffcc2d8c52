//! Keyset pagination of the account lists: members, boards, invites, API
//! keys, a user's organizations and login sessions.
//!
//! Each list is ordered by a sort key that never changes (a creation time)
//! with the row's id as the unique tiebreaker, and a page continues after
//! the `(key, id)` of the previous page's last row: `(key, id) > ($2, $3)`
//! (`<` for lists read newest first). So a row that exists when a listing
//! starts is returned exactly once, whatever is added or removed between
//! two pages, and no page costs more than its own rows (no OFFSET). Each
//! page is one statement that fetches `limit + 1` rows to learn whether
//! another page follows; the migration `0010_list_pages` indexes every
//! `(scope, key, id)`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{Db, DbError};

/// Where a page starts: strictly after the row with this sort key and id
/// (the last row of the previous page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After {
    /// The sort key: microseconds since the Unix epoch for a time, the
    /// stored value for a `bigint` key (`boards.created_at`, unix ms).
    pub key: i64,
    pub id: Uuid,
}

/// Which page of a list to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// `None`: the first page.
    pub after: Option<After>,
    /// At most this many rows.
    pub limit: u32,
}

impl PageRequest {
    /// The first `limit` rows.
    pub const fn first(limit: u32) -> PageRequest {
        PageRequest { after: None, limit }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<After>,
}

impl<T> Page<T> {
    /// The same page with every row converted by `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// The SQL type of a sort key.
#[derive(Clone, Copy, Debug)]
pub(crate) enum KeyType {
    Timestamptz,
    Bigint,
}

/// Which way a list runs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    OldestFirst,
    NewestFirst,
}

/// One paginated list: `SELECT columns FROM from WHERE scope`, where
/// `scope` uses `$1` (the organization or user) and nothing else.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keyset {
    pub columns: &'static [&'static str],
    pub from: &'static str,
    pub scope: &'static str,
    /// The sort key, an expression over `from` that never changes.
    pub key: &'static str,
    pub key_type: KeyType,
    /// The unique tiebreaker (a `uuid`).
    pub id: &'static str,
    pub order: Order,
}

/// The latest time a key may name (9999-12-31, within PostgreSQL's
/// range): cursors come from clients, so a forged one is clamped rather
/// than sent to the database as an out-of-range time.
const MAX_MICROS: i64 = 253_402_300_799_999_999;

impl Keyset {
    fn sql(&self, after: bool) -> String {
        let Keyset { key, id, scope, .. } = self;
        let (cmp, dir) = match self.order {
            Order::OldestFirst => (">", "ASC"),
            Order::NewestFirst => ("<", "DESC"),
        };
        let key_type = match self.key_type {
            KeyType::Timestamptz => "timestamptz",
            KeyType::Bigint => "bigint",
        };
        let (after, limit) = if after {
            (
                format!(" AND ({key}, {id}) {cmp} ($2::{key_type}, $3::uuid)"),
                "$4",
            )
        } else {
            (String::new(), "$2")
        };
        format!(
            "SELECT {}, {key} AS page_key, {id} AS page_id FROM {} WHERE {scope}{after} \
             ORDER BY {key} {dir}, {id} {dir} LIMIT {limit}",
            self.columns.join(", "),
            self.from,
        )
    }

    fn position(&self, row: &Row) -> After {
        let key = match self.key_type {
            KeyType::Timestamptz => to_micros(row.get("page_key")),
            KeyType::Bigint => row.get("page_key"),
        };
        After {
            key,
            id: row.get("page_id"),
        }
    }

    /// The page `request` of the list scoped to `scope`, each row read by
    /// `read`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached; what
    /// `read` returns for a row it cannot read.
    pub(crate) async fn fetch<T>(
        &self,
        db: &Db,
        scope: &(dyn ToSql + Sync),
        request: PageRequest,
        read: impl Fn(&Row) -> Result<T, DbError>,
    ) -> Result<Page<T>, DbError> {
        let client = db.client().await?;
        let fetch = i64::from(request.limit) + 1;
        let rows = match request.after {
            None => {
                let stmt = client.prepare_cached(&self.sql(false)).await?;
                client.query(&stmt, &[scope, &fetch]).await?
            }
            Some(after) => {
                let stmt = client.prepare_cached(&self.sql(true)).await?;
                match self.key_type {
                    KeyType::Timestamptz => {
                        let key = from_micros(after.key);
                        client
                            .query(&stmt, &[scope, &key, &after.id, &fetch])
                            .await?
                    }
                    KeyType::Bigint => {
                        client
                            .query(&stmt, &[scope, &after.key, &after.id, &fetch])
                            .await?
                    }
                }
            }
        };
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let page = &rows[..rows.len().min(limit)];
        let next = match page.last() {
            Some(last) if rows.len() > limit => Some(self.position(last)),
            _ => None,
        };
        Ok(Page {
            rows: page.iter().map(read).collect::<Result<_, _>>()?,
            next,
        })
    }
}

fn to_micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(MAX_MICROS),
        Err(_) => 0,
    }
}

fn from_micros(micros: i64) -> SystemTime {
    let micros = u64::try_from(micros.clamp(0, MAX_MICROS)).unwrap_or(0);
    UNIX_EPOCH + Duration::from_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::{from_micros, to_micros, MAX_MICROS};

    #[test]
    fn keys_round_trip_and_forged_ones_are_clamped() {
        for micros in [0, 1, 1_767_225_600_123_456, MAX_MICROS] {
            assert_eq!(to_micros(from_micros(micros)), micros);
        }
        assert_eq!(to_micros(from_micros(-5)), 0);
        assert_eq!(to_micros(from_micros(i64::MAX)), MAX_MICROS);
    }
}
