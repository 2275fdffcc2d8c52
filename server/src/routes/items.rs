//! Organization-wide item queries: the filtered, paginated item list.
//!
//! Scoped to the caller's organization (`role_in`: 404 for outsiders);
//! every filter is ANDed with the organization, so naming another
//! organization's board or column yields an empty page, never its items.

use actix_web::{web, HttpResponse};
use protocol::{BoardId, ColumnId, Millis, OrgId, UserId};
use serde::Deserialize;
use storage::{ArchivedFilter, ItemFilter};
use uuid::Uuid;

use super::orgs::role_in;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::startup::AppState;

/// Items per page when the request names no `limit`.
pub const ITEMS_PAGE_DEFAULT: u32 = 50;
/// The largest `limit` of the item list.
pub const ITEMS_PAGE_MAX: u32 = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    board: Option<Uuid>,
    column: Option<Uuid>,
    assignee: Option<Uuid>,
    label: Option<String>,
    archived: Option<String>,
    updated_since: Option<i64>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `limit` within `1..=max`, `default` when absent; a 400 naming `limit`
/// otherwise.
pub(super) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// `archived`: `false` (default: live items only), `true` (archived ones
/// too) or `only`.
fn archived_filter(raw: Option<&str>) -> Result<ArchivedFilter, ApiError> {
    match raw {
        None | Some("false") => Ok(ArchivedFilter::Exclude),
        Some("true") => Ok(ArchivedFilter::Include),
        Some("only") => Ok(ArchivedFilter::Only),
        Some(_) => Err(ApiError::validation(
            "archived",
            "must be false, true or only",
        )),
    }
}

/// Opaque page cursors: the hex of `n:<last key>` (an item number, a
/// comment's seq). Clients must pass them back unchanged; the format may
/// change.
pub(super) mod cursor {
    use crate::error::ApiError;

    const PREFIX: &str = "n:";

    /// The key of a `cursor` query parameter, if given; a 400 naming
    /// `cursor` when it is not one this API handed out.
    pub fn parse(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
        raw.map(|raw| {
            decode(raw).ok_or_else(|| {
                ApiError::validation("cursor", "is not a cursor this API handed out")
            })
        })
        .transpose()
    }

    pub fn encode(number: u64) -> String {
        format!("{PREFIX}{number}")
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn decode(raw: &str) -> Option<u64> {
        if raw.len() > 64 {
            return None;
        }
        let bytes: Option<Vec<u8>> = raw
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let hex = std::str::from_utf8(pair).ok().filter(|h| h.len() == 2)?;
                u8::from_str_radix(hex, 16).ok()
            })
            .collect();
        let text = String::from_utf8(bytes?).ok()?;
        text.strip_prefix(PREFIX)?.parse().ok()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn cursors_round_trip_and_garbage_is_refused() {
            for n in [0, 1, 123, u64::MAX] {
                assert_eq!(super::decode(&super::encode(n)), Some(n));
            }
            for bad in ["", "zz", "6e3", "6e3a", "313233", "6e3a2d31"] {
                assert_eq!(super::decode(bad), None, "{bad}");
            }
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    role_in(&state, org, auth).await?;
    let query = query.into_inner();
    let limit = page_limit(query.limit, ITEMS_PAGE_DEFAULT, ITEMS_PAGE_MAX)?;
    let after = cursor::parse(query.cursor.as_deref())?;
    let filter = ItemFilter {
        board: query.board.map(BoardId),
        column: query.column.map(ColumnId),
        assignee: query.assignee.map(UserId),
        label: query.label,
        archived: archived_filter(query.archived.as_deref())?,
        updated_since: query.updated_since.map(Millis),
    };
    let page = state.db.list_items(org, &filter, after, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": page.items,
        "next_cursor": page.next_after.map(cursor::encode),
    })))
}

/// Hits per search when the request names no `limit`.
pub const SEARCH_DEFAULT: u32 = 20;
/// The largest `limit` of a search.
pub const SEARCH_MAX: u32 = 100;
/// The longest search query, in characters.
pub const SEARCH_QUERY_MAX: usize = 256;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
    limit: Option<u32>,
    #[serde(default)]
    archived: bool,
}

pub async fn search(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    role_in(&state, org, auth).await?;
    let query = query.into_inner();
    let q = query.q.as_deref().unwrap_or_default().trim();
    if q.is_empty() || q.chars().count() > SEARCH_QUERY_MAX {
        return Err(ApiError::validation(
            "q",
            format!("must be 1–{SEARCH_QUERY_MAX} characters"),
        ));
    }
    if q.contains('\0') {
        return Err(ApiError::validation("q", "must not contain NUL characters"));
    }
    let limit = page_limit(query.limit, SEARCH_DEFAULT, SEARCH_MAX)?;
    let hits = state.db.search_items(org, q, query.archived, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": hits })))
}
