//! Resource-style routes for every board command: the same commands as
//! `POST /boards/{board}/commands` and the WebSocket, addressed the way a
//! REST client expects (`POST /boards/{b}/items`, `PATCH /boards/{b}/items/{i}`,
//! `DELETE /boards/{b}/columns/{c}`, ...).
//!
//! Each route builds one [`Command`] and submits it through
//! [`super::commands::submit`], the path `POST /boards/{board}/commands`
//! takes too, so it is decided by the same rules, committed before the
//! answer, broadcast to subscribers, idempotent under `Idempotency-Key` and
//! counted in the same metrics. Every
//! route answers with a [`CommandAck`]: 201 when it created something
//! (column, item, comment — its id is in the first event), 200 otherwise.
//! `PUT`/`DELETE` of an assignee or a label are idempotent, as HTTP expects:
//! when the state already holds, they answer 200 with no events.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use actors::ActorError;
use protocol::{BoardId, ColumnId, Command, CommentId, ItemId, PresenceEntry, Rejection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::commands::{command_id, submit};
pub use super::commands::{CommandAck, CommandRefusals, IdempotencyKey};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

mod items;

pub use items::*;

/// Submit `command` for a `PUT`/`DELETE` that sets a state (an assignee,
/// a label): when `already` says the rejection only means the state already
/// holds, answer 200 with the board's seq and no events, so a retried
/// request (HTTP treats PUT and DELETE as idempotent) is not an error.
pub(super) async fn submit_to_set(
    req: &HttpRequest,
    state: &AppState,
    auth: Auth,
    board: Uuid,
    command: Command,
    already: fn(&Rejection) -> bool,
) -> Result<HttpResponse, ApiError> {
    match submit(req, state, auth, board, command, StatusCode::OK).await {
        Err(ApiError::Actor(ActorError::Rejected(r))) if already(&r) => {
            let seq = state
                .registry
                .board(BoardId(board))
                .read(auth.0.caller)
                .await?
                .seq;
            Ok(HttpResponse::Ok().json(CommandAck {
                command_id: command_id(req)?,
                seq,
                events: Vec::new(),
            }))
        }
        other => other,
    }
}

/// `PATCH /boards/{board}`: rename the board.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBoard {
    /// The new name: 1–100 characters after trimming.
    pub name: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        IdempotencyKey,
    ),
    request_body = RenameBoard,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Renamed", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn rename_board(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<RenameBoard>,
) -> Result<HttpResponse, ApiError> {
    let name = body.into_inner().name;
    let command = Command::RenameBoard { name };
    submit(
        &req,
        &state,
        auth,
        path.into_inner(),
        command,
        StatusCode::OK,
    )
    .await
}

/// `POST /boards/{board}/archive`: the board becomes read-only.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/archive",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Archived", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn archive_board(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let command = Command::ArchiveBoard;
    submit(
        &req,
        &state,
        auth,
        path.into_inner(),
        command,
        StatusCode::OK,
    )
    .await
}

/// `POST /boards/{board}/restore`: an archived board becomes writable.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/restore",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Restored", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn restore_board(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let command = Command::RestoreBoard;
    submit(
        &req,
        &state,
        auth,
        path.into_inner(),
        command,
        StatusCode::OK,
    )
    .await
}

/// `POST /boards/{board}/columns`: add a column.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddColumn {
    /// The column's name: 1–50 characters, unique ignoring case.
    pub name: String,
    /// Its WIP limit (at least 1), or none.
    #[serde(default)]
    pub wip_limit: Option<u32>,
    /// Where to put it among the columns; the end when absent.
    #[serde(default)]
    pub index: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/columns",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        IdempotencyKey,
    ),
    request_body = AddColumn,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Added; the column id is in the `column_added` event", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn add_column(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<AddColumn>,
) -> Result<HttpResponse, ApiError> {
    let AddColumn {
        name,
        wip_limit,
        index,
    } = body.into_inner();
    let command = Command::AddColumn {
        name,
        wip_limit,
        index,
    };
    let board = path.into_inner();
    submit(&req, &state, auth, board, command, StatusCode::CREATED).await
}

/// `PATCH /boards/{board}/columns/{column}`: rename a column.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameColumn {
    /// The new name: 1–50 characters, unique ignoring case.
    pub name: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}/columns/{column}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("column" = Uuid, Path, description = "The column"),
        IdempotencyKey,
    ),
    request_body = RenameColumn,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Renamed", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn rename_column(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<RenameColumn>,
) -> Result<HttpResponse, ApiError> {
    let (board, column) = path.into_inner();
    let command = Command::RenameColumn {
        column: ColumnId(column),
        name: body.into_inner().name,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `POST /boards/{board}/columns/{column}/move`: move a column.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveColumn {
    /// The target index among the other columns (out of range = end).
    pub index: u32,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/columns/{column}/move",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("column" = Uuid, Path, description = "The column"),
        IdempotencyKey,
    ),
    request_body = MoveColumn,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Moved", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn move_column(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<MoveColumn>,
) -> Result<HttpResponse, ApiError> {
    let (board, column) = path.into_inner();
    let command = Command::MoveColumn {
        column: ColumnId(column),
        index: body.into_inner().index,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `PUT /boards/{board}/columns/{column}/wip-limit`: set or clear (with
/// `null`) the column's work-in-progress limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWipLimit {
    /// The new limit (at least 1), or `null` to clear it.
    pub limit: Option<u32>,
}

#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/columns/{column}/wip-limit",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("column" = Uuid, Path, description = "The column"),
        IdempotencyKey,
    ),
    request_body = SetWipLimit,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Set or cleared", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn set_wip_limit(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<SetWipLimit>,
) -> Result<HttpResponse, ApiError> {
    let (board, column) = path.into_inner();
    let command = Command::SetWipLimit {
        column: ColumnId(column),
        limit: body.into_inner().limit,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `DELETE /boards/{board}/columns/{column}`: remove an empty column.
#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/columns/{column}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("column" = Uuid, Path, description = "The column"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Removed", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn remove_column(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, column) = path.into_inner();
    let command = Command::RemoveColumn {
        column: ColumnId(column),
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `POST /boards/{board}/items/{item}/comments`: comment on an item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// The text: 1–10,000 characters, not only whitespace.
    pub body: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/items/{item}/comments",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        IdempotencyKey,
    ),
    request_body = CommentBody,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Added; the comment id is in the `comment_added` event", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn add_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let command = Command::AddComment {
        item: ItemId(item),
        body: body.into_inner().body,
    };
    submit(&req, &state, auth, board, command, StatusCode::CREATED).await
}

/// `PATCH /boards/{board}/comments/{comment}`: replace one of your own
/// comments' text.
#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}/comments/{comment}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("comment" = Uuid, Path, description = "The comment"),
        IdempotencyKey,
    ),
    request_body = CommentBody,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Edited", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn edit_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let (board, comment) = path.into_inner();
    let command = Command::EditComment {
        comment: CommentId(comment),
        body: body.into_inner().body,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `DELETE /boards/{board}/comments/{comment}`: delete one of your own
/// comments.
#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/comments/{comment}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("comment" = Uuid, Path, description = "The comment"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn delete_comment(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, comment) = path.into_inner();
    let command = Command::DeleteComment {
        comment: CommentId(comment),
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `GET /boards/{board}/presence`: who is subscribed to the board right
/// now and what each session shows — the REST view of the WebSocket's
/// `presence` message. Setting presence needs a live session, so it is
/// WebSocket-only.
#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/presence",
    tag = "boards",
    params(("board" = Uuid, Path, description = "The board")),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The board's live sessions", body = Presence),
        (status = 404, description = "No such board, or the caller cannot see it", body = ErrorBody),
        (status = 504, description = "`timeout`: the board did not answer in time", body = ErrorBody),
    ),
)]
pub async fn presence(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let board = BoardId(path.into_inner());
    let sessions = state.registry.board(board).presence(auth.0.caller).await?;
    Ok(HttpResponse::Ok().json(Presence { board, sessions }))
}

/// The answer of `GET /boards/{board}/presence`.
#[derive(Serialize, ToSchema)]
pub struct Presence {
    /// The board.
    pub board: BoardId,
    /// One entry per subscribed session.
    pub sessions: Vec<PresenceEntry>,
}
