//! Comments on an item, read from the `comments` read model. Writing them
//! is an ordinary board command (`add_comment`, `edit_comment`,
//! `delete_comment`) through `POST /boards/{board}/commands` or the
//! WebSocket, so subscribers see them live.

use actix_web::{web, HttpResponse};
use protocol::{BoardId, ItemId};
use serde::Deserialize;
use uuid::Uuid;

use super::items::{cursor, page_limit};
use super::orgs::role_on_board;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::startup::AppState;

/// Comments per page when the request names no `limit`.
pub const COMMENTS_PAGE_DEFAULT: u32 = 100;
/// The largest `limit` of the comment list.
pub const COMMENTS_PAGE_MAX: u32 = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let (board, item) = (BoardId(board), ItemId(item));
    role_on_board(&state, board, auth).await?;
    let query = query.into_inner();
    let limit = page_limit(query.limit, COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX)?;
    let after = cursor::parse(query.cursor.as_deref())?.unwrap_or(0);
    let mut comments = state
        .db
        .comments_of_item(board, item, after, limit.saturating_add(1))
        .await?
        .ok_or(ApiError::NotFound { what: "item" })?;
    let more = comments.len() > limit as usize;
    comments.truncate(limit as usize);
    let next_cursor = match comments.last() {
        Some(last) if more => Some(cursor::encode(last.seq)),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "comments": comments,
        "next_cursor": next_cursor,
    })))
}
