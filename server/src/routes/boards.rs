//! Boards: list and create within an organization, read the live board,
//! run any board command, and fetch an item by its number.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use protocol::{Board, BoardId, ColumnId, Command, OrgId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::commands::{submit, CommandAck};
use super::orgs::caller_role;
use super::page::{list_page, ListPage, PageQuery};
use super::views::{BoardView, ItemView};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Columns a new board gets when the request names none.
pub const DEFAULT_COLUMNS: [&str; 3] = ["To do", "In progress", "Done"];

/// A new board.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBoard {
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Column names, in order; `To do`, `In progress`, `Done` when absent.
    #[serde(default)]
    columns: Option<Vec<String>>,
}

list_page! {
    /// A page of the boards of an organization, oldest first.
    BoardsPage { boards: BoardView }
}

/// A created board.
#[derive(Serialize, ToSchema)]
pub struct CreatedBoard {
    board: Board,
    /// The seq of its last event.
    seq: u64,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/boards",
    tag = "boards",
    params(("org" = Uuid, Path, description = "The organization"), PageQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of the boards of the organization, oldest first", body = BoardsPage),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    caller_role(&state, org_id, auth).await?;
    let page = BoardsPage::request(&query)?;
    Ok(BoardsPage::respond(
        state.db.boards_of_org(org_id, page).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/boards",
    tag = "boards",
    params(("org" = Uuid, Path, description = "The organization")),
    request_body = CreateBoard,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedBoard),
        (status = 403, description = "The caller's role cannot create boards", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
        (status = 422, description = "A rule refused it (`code`, e.g. `invalid_field`; its fields in `details`)", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateBoard>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    caller_role(&state, org_id, auth).await?;
    let CreateBoard { name, columns } = body.into_inner();
    let columns: Vec<(ColumnId, String)> = columns
        .unwrap_or_else(|| DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect())
        .into_iter()
        .map(|name| (ColumnId(Uuid::new_v4()), name))
        .collect();
    let board_id = BoardId(Uuid::new_v4());
    let committed = state
        .registry
        .org(org_id)
        .create_board(board_id, auth.0.caller, name, columns)
        .await?;
    let board = state.registry.board(board_id).read(auth.0.caller).await?;
    Ok(HttpResponse::Created().json(CreatedBoard {
        board,
        seq: committed.seq,
    }))
}

/// The live board: its columns, items and seq.
#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}",
    tag = "boards",
    params(("board" = Uuid, Path, description = "The board")),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The live board", body = Board),
        (status = 404, description = "No such board, or the caller cannot see it", body = ErrorBody),
        (status = 504, description = "`timeout`: the board did not answer in time", body = ErrorBody),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let board = state
        .registry
        .board(BoardId(path.into_inner()))
        .read(auth.0.caller)
        .await?;
    Ok(HttpResponse::Ok().json(board))
}

/// Run any board command (the same JSON as the WebSocket's `command`);
/// answered once it is committed. With an `Idempotency-Key`, a retry
/// answers the first outcome instead of running the command again.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/commands",
    tag = "boards",
    params(
        ("board" = Uuid, Path, description = "The board"),
        ("Idempotency-Key" = Option<String>, Header, description = "The command id: 1–64 visible ASCII characters"),
    ),
    request_body = Command,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Committed", body = CommandAck),
        (status = 403, description = "The caller's role does not allow the command", body = ErrorBody),
        (status = 404, description = "No such board, or the caller cannot see it", body = ErrorBody),
        (status = 422, description = "A rule refused the command; `code` names it (e.g. `wip_limit_reached`), `details` holds its fields", body = ErrorBody),
        (status = 504, description = "`timeout`: the board did not answer in time", body = ErrorBody),
    ),
)]
pub async fn command(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<Command>,
) -> Result<HttpResponse, ApiError> {
    let board = path.into_inner();
    submit(&req, &state, auth, board, body.into_inner(), StatusCode::OK).await
}

/// `123` or `KEY-123`.
fn parse_number(raw: &str, key: &str) -> Result<u64, ApiError> {
    let digits = match raw.rsplit_once('-') {
        Some((prefix, digits)) if prefix.eq_ignore_ascii_case(key) => digits,
        Some(_) => return Err(ApiError::NotFound { what: "item" }),
        None => raw,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::validation(
                "number",
                format!("must be a positive number or {key}-<number>"),
            )
        })
}

/// An item by its number (`123`) or key (`DS-123`).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/items/{number}",
    tag = "items",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("number" = String, Path, description = "`123` or `KEY-123`"),
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The item", body = ItemView),
        (status = 404, description = "No such organization or item", body = ErrorBody),
    ),
)]
pub async fn item_by_number(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, raw) = path.into_inner();
    let org_id = OrgId(org);
    caller_role(&state, org_id, auth).await?;
    let org = state.db.org(org_id).await?.ok_or(ApiError::NotFound {
        what: "organization",
    })?;
    let number = parse_number(&raw, &org.key)?;
    let item = state
        .db
        .item_by_number(org_id, number)
        .await?
        .ok_or(ApiError::NotFound { what: "item" })?;
    let key = format!("{}-{}", org.key, number);
    Ok(HttpResponse::Ok().json(ItemView::new(key, item)))
}
