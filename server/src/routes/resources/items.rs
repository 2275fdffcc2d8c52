//! Resource-style routes for item commands: create, edit, move, assign,
//! label, archive and restore.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use protocol::{ColumnId, Command, ItemId, Rejection, UserId};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{submit, submit_to_set, CommandAck, CommandRefusals, IdempotencyKey};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /boards/{board}/items`: create an item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItem {
    /// The title: 1–500 characters after trimming, on one line.
    pub title: String,
    /// The description: up to 64 KiB of text.
    #[serde(default)]
    pub description: String,
    /// The column; the board's first column when absent.
    #[serde(default)]
    pub column: Option<Uuid>,
    /// The index among the column's items; the end when absent.
    #[serde(default)]
    pub index: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/items",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        IdempotencyKey,
    ),
    request_body = CreateItem,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Created; the item id and number are in the `item_created` event", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn create_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateItem>,
) -> Result<HttpResponse, ApiError> {
    let CreateItem {
        title,
        description,
        column,
        index,
    } = body.into_inner();
    let command = Command::CreateItem {
        title,
        description,
        column: column.map(ColumnId),
        index,
    };
    let board = path.into_inner();
    submit(&req, &state, auth, board, command, StatusCode::CREATED).await
}

/// `PATCH /boards/{board}/items/{item}`: change the title and/or the
/// description; at least one of them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditItem {
    /// The new title, if it changes.
    #[serde(default)]
    pub title: Option<String>,
    /// The new description, if it changes.
    #[serde(default)]
    pub description: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}/items/{item}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        IdempotencyKey,
    ),
    request_body = EditItem,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Edited", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn edit_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<EditItem>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let EditItem { title, description } = body.into_inner();
    let command = Command::EditItem {
        item: ItemId(item),
        title,
        description,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `POST /boards/{board}/items/{item}/move`: move an item to a column.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveItem {
    /// The target column (may be the item's own column).
    pub column: Uuid,
    /// The index among the target column's other items; the end when
    /// absent or out of range.
    #[serde(default)]
    pub index: Option<u32>,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/items/{item}/move",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        IdempotencyKey,
    ),
    request_body = MoveItem,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Moved", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn move_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<MoveItem>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let MoveItem { column, index } = body.into_inner();
    let command = Command::MoveItem {
        item: ItemId(item),
        column: ColumnId(column),
        index,
    };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `PUT /boards/{board}/items/{item}/assignees/{user}`: assign a member.
#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/items/{item}/assignees/{user}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        ("user" = Uuid, Path, description = "The member"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Assigned (no events when already assigned)", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn assign_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item, user) = path.into_inner();
    let command = Command::AssignItem {
        item: ItemId(item),
        user: UserId(user),
    };
    submit_to_set(&req, &state, auth, board, command, |r| {
        matches!(r, Rejection::AlreadyAssigned { .. })
    })
    .await
}

/// `DELETE /boards/{board}/items/{item}/assignees/{user}`: remove an
/// assignee.
#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/items/{item}/assignees/{user}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        ("user" = Uuid, Path, description = "The member"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Unassigned (no events when not assigned)", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn unassign_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item, user) = path.into_inner();
    let command = Command::UnassignItem {
        item: ItemId(item),
        user: UserId(user),
    };
    submit_to_set(&req, &state, auth, board, command, |r| {
        matches!(r, Rejection::NotAssigned { .. })
    })
    .await
}

/// `PUT /boards/{board}/items/{item}/labels/{label}`: add a label (the
/// path segment, percent-decoded).
#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/items/{item}/labels/{label}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        ("label" = String, Path, description = "The label (percent-encoded)"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Labelled (no events when it already has the label)", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn add_label(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item, label) = path.into_inner();
    let command = Command::AddLabel {
        item: ItemId(item),
        label,
    };
    submit_to_set(&req, &state, auth, board, command, |r| {
        matches!(r, Rejection::LabelExists { .. })
    })
    .await
}

/// `DELETE /boards/{board}/items/{item}/labels/{label}`: remove a label.
#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/items/{item}/labels/{label}",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        ("label" = String, Path, description = "The label (percent-encoded)"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Label removed (no events when absent)", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn remove_label(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item, label) = path.into_inner();
    let command = Command::RemoveLabel {
        item: ItemId(item),
        label,
    };
    submit_to_set(&req, &state, auth, board, command, |r| {
        matches!(r, Rejection::LabelNotFound { .. })
    })
    .await
}

/// `POST /boards/{board}/items/{item}/archive`: archive an item.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/items/{item}/archive",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Archived", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn archive_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let command = Command::ArchiveItem { item: ItemId(item) };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}

/// `POST /boards/{board}/items/{item}/restore`: restore an archived item.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/items/{item}/restore",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("item" = Uuid, Path, description = "The item"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Restored", body = CommandAck),
        CommandRefusals,
    ),
)]
pub async fn restore_item(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (board, item) = path.into_inner();
    let command = Command::RestoreItem { item: ItemId(item) };
    submit(&req, &state, auth, board, command, StatusCode::OK).await
}
