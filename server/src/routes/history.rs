//! A board's event history (the audit log), read from the `events` table:
//! who did what, when, under which command id, in seq order.

use actix_web::{web, HttpResponse};
use protocol::{BoardId, Event, Millis, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::items::page_limit;
use super::orgs::role_on_board;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::startup::AppState;

/// Events per page when the request names no `limit`.
pub const EVENTS_PAGE_DEFAULT: u32 = 100;
/// The largest `limit` of the history.
pub const EVENTS_PAGE_MAX: u32 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events after this seq (0, the default, is the start of the log).
    #[serde(default)]
    since: u64,
    limit: Option<u32>,
}

/// One entry of the history.
#[derive(Serialize)]
struct Entry {
    seq: u64,
    at: Millis,
    by: UserId,
    command_id: Option<String>,
    event: Event,
}

pub async fn events(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let board = BoardId(path.into_inner());
    role_on_board(&state, board, auth).await?;
    let limit = page_limit(query.limit, EVENTS_PAGE_DEFAULT, EVENTS_PAGE_MAX)?;
    // One more than asked tells whether another page follows.
    let mut records = state
        .db
        .board_events(board, query.since, limit.saturating_add(1))
        .await?;
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
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "events": events,
        "next_since": next_since,
        "has_more": has_more,
    })))
}
