//! Comments on an item, read from the `comments` read model. Writing them
//! is an ordinary board command (`add_comment`, `edit_comment`,
//! `delete_comment`) through `POST /boards/{board}/commands` or the
//! WebSocket, so subscribers see them live.

use actix_web::{web, HttpResponse};
use protocol::{BoardId, ItemId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::orgs::role_on_board;
use super::page::{cursor, page_limit};
use super::views::CommentView;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Comments per page when the request names no `limit`.
pub const COMMENTS_PAGE_DEFAULT: u32 = 100;
/// The largest `limit` of the comment list.
pub const COMMENTS_PAGE_MAX: u32 = 500;

/// A page of comments.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// A page of comments, oldest first.
#[derive(Serialize, ToSchema)]
pub struct CommentsPage {
    comments: Vec<CommentView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// The comments on an item, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/items/{item}/comments",
    tag = "items",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        ListQuery,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of comments", body = CommentsPage),
        (status = 404, description = "No such board or item, or the caller cannot see it", body = ErrorBody),
    ),
)]
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
    Ok(HttpResponse::Ok().json(CommentsPage {
        comments: comments.into_iter().map(CommentView::from).collect(),
        next_cursor,
    }))
}
