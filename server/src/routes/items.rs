//! Organization-wide item queries: the filtered, paginated item list.
//!
//! Scoped to the caller's organization (`caller_role`: 404 for outsiders);
//! every filter is ANDed with the organization, so naming another
//! organization's board or column yields an empty page, never its items.

use actix_web::{web, HttpResponse};
use protocol::{BoardId, ColumnId, Millis, OrgId, UserId};
use serde::{Deserialize, Serialize};
use storage::{ArchivedFilter, ItemFilter};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::orgs::caller_role;
use super::page::{cursor, page_limit};
use super::views::{ItemView, SearchHitView};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Items per page when the request names no `limit`.
pub const ITEMS_PAGE_DEFAULT: u32 = 50;
/// The largest `limit` of the item list.
pub const ITEMS_PAGE_MAX: u32 = 200;

/// Filters and page of the item list; every filter is optional and they
/// are ANDed.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items of this board.
    board: Option<Uuid>,
    /// Items in this column.
    column: Option<Uuid>,
    /// Items assigned to this user (among others).
    assignee: Option<Uuid>,
    /// Items carrying this label (exact, case-sensitive).
    label: Option<String>,
    /// `false` (default): live items only; `true`: archived ones too;
    /// `only`: archived ones only.
    #[param(value_type = Option<ArchivedParam>, inline)]
    archived: Option<String>,
    /// Items updated at or after this time (Unix milliseconds).
    updated_since: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// The `archived` filter of the item list.
#[derive(ToSchema)]
#[schema(as = ArchivedFilter)]
#[allow(dead_code)] // Documents the accepted values; parsed by `archived_filter`.
#[serde(rename_all = "lowercase")]
pub enum ArchivedParam {
    False,
    True,
    Only,
}

/// A page of items, in number order.
#[derive(Serialize, ToSchema)]
pub struct ItemsPage {
    items: Vec<ItemView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Search hits, best first.
#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    items: Vec<SearchHitView>,
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

/// The organization's items, filtered, in number order, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/items",
    tag = "items",
    params(("org" = Uuid, Path, description = "The organization"), ListQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of items", body = ItemsPage),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    caller_role(&state, org, auth).await?;
    let query = query.into_inner();
    let limit = page_limit(query.limit, ITEMS_PAGE_DEFAULT, ITEMS_PAGE_MAX)?;
    let after = cursor::parse(query.cursor.as_deref())?;
    if let Some(label) = &query.label {
        super::extract::one_line("label", label)?;
    }
    let filter = ItemFilter {
        board: query.board.map(BoardId),
        column: query.column.map(ColumnId),
        assignee: query.assignee.map(UserId),
        label: query.label,
        archived: archived_filter(query.archived.as_deref())?,
        updated_since: query.updated_since.map(Millis),
    };
    let page = state.db.list_items(org, &filter, after, limit).await?;
    Ok(HttpResponse::Ok().json(ItemsPage {
        items: page.items.into_iter().map(ItemView::from).collect(),
        next_cursor: page.next_after.map(cursor::encode),
    }))
}

/// Hits per search when the request names no `limit`.
pub const SEARCH_DEFAULT: u32 = 20;
/// The largest `limit` of a search.
pub const SEARCH_MAX: u32 = 100;
/// The longest search query, in characters.
pub const SEARCH_QUERY_MAX: usize = 256;

/// A full-text search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in titles and descriptions: 1–256 characters.
    #[param(required = true, min_length = 1, max_length = 256)]
    q: Option<String>,
    /// Hits, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Whether archived items are searched too.
    #[serde(default)]
    archived: bool,
}

/// Full-text search over the organization's item titles and
/// descriptions, ranked, with a highlighted snippet.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/search",
    tag = "items",
    params(("org" = Uuid, Path, description = "The organization"), SearchQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Hits, best first", body = SearchOut),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn search(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    caller_role(&state, org, auth).await?;
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
    Ok(HttpResponse::Ok().json(SearchOut {
        items: hits.into_iter().map(SearchHitView::from).collect(),
    }))
}
