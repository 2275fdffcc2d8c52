//! A board's event history (the audit log), read from the `events` table:
//! who did what, when, under which command id, in seq order; the whole
//! board's, or one item's (`item=`).

use actix_web::{web, HttpResponse};
use protocol::{BoardId, Event, ItemId, Millis, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::orgs::role_on_board;
use super::page::page_limit;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Events per page when the request names no `limit`.
pub const EVENTS_PAGE_DEFAULT: u32 = 100;
/// The largest `limit` of the history.
pub const EVENTS_PAGE_MAX: u32 = 1000;

/// Where the page of history starts.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this seq (0, the default, is the start of the log).
    #[serde(default)]
    since: u64,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Only the events concerning this item (an item id of this board):
    /// `item_created`, `item_edited`, `item_moved`, `item_assigned`,
    /// `item_unassigned`, `label_added`, `label_removed`, `item_archived`,
    /// `item_restored`, and `comment_added`, `comment_edited`,
    /// `comment_deleted` of comments on it.
    #[param(value_type = Option<Uuid>, format = Uuid)]
    item: Option<String>,
}

/// The `item` filter: an item id, or a 400 naming `item`.
fn item_filter(raw: Option<&str>) -> Result<Option<ItemId>, ApiError> {
    raw.map(|raw| {
        Uuid::parse_str(raw)
            .map(ItemId)
            .map_err(|_| ApiError::validation("item", "must be an item id (a UUID)"))
    })
    .transpose()
}

/// One entry of the history.
#[derive(Serialize, ToSchema)]
pub struct Entry {
    seq: u64,
    /// When the command was decided.
    at: Millis,
    /// Who issued it.
    by: UserId,
    /// The client's command id (`Idempotency-Key`), when it sent one.
    command_id: Option<String>,
    event: Event,
}

/// A page of a board's history, in seq order.
#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    events: Vec<Entry>,
    /// Pass as `since` for the next page: the seq of the last event of
    /// this page, or `since` unchanged when the page is empty.
    next_since: u64,
    /// Whether more events (matching `item`, when given) follow.
    has_more: bool,
}

/// A board's event history: the audit log of who did what when.
///
/// With `item`, only the events concerning that item: the item events
/// (created, edited, moved, assigned, unassigned, label added/removed,
/// archived, restored) and the comment events (added, edited, deleted) of
/// its comments. Paging is unchanged: `seq`s are the board's (so they have
/// gaps), `next_since` is the seq of the last event returned, `has_more`
/// says whether more *matching* events follow; an empty page keeps
/// `next_since` at `since`, which is still right for polling since every
/// later matching event has a greater seq. An item that is not on the
/// board is a 404.
#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/events",
    tag = "items",
    params(("board" = Uuid, Path, description = "The board"), EventsQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of events", body = HistoryPage),
        (status = 404, description = "No such board, or the caller cannot see it; or no such item on it", body = ErrorBody),
    ),
)]
pub async fn events(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let board = BoardId(path.into_inner());
    role_on_board(&state, board, auth).await?;
    let limit = page_limit(query.limit, EVENTS_PAGE_DEFAULT, EVENTS_PAGE_MAX)?;
    let item = item_filter(query.item.as_deref())?;
    // One more than asked tells whether another page follows.
    let fetch = limit.saturating_add(1);
    // The item filter is in SQL, on an index of the events' item
    // (`Db::item_events`): a page costs its own rows, not the board's.
    let mut records = match item {
        None => state.db.board_events(board, query.since, fetch).await?,
        Some(item) => state
            .db
            .item_events(board, item, query.since, fetch)
            .await?
            .ok_or(ApiError::NotFound { what: "item" })?,
    };
    let has_more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next_since = records.last().map_or(query.since, |rec| rec.seq);
    let events: Vec<Entry> = records
        .into_iter()
        .map(|rec| Entry {
            seq: rec.seq,
            at: rec.at,
            by: rec.by,
            command_id: rec.command_id,
            event: rec.event,
        })
        .collect();
    Ok(HttpResponse::Ok().json(HistoryPage {
        events,
        next_since,
        has_more,
    }))
}
