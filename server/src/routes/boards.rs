//! Boards: list and create within an organization, read the live board,
//! run any board command, and fetch an item by its number.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::wire::COMMAND_ID_MAX;
use protocol::{BoardId, ColumnId, Command, OrgId};
use serde::Deserialize;
use uuid::Uuid;

use super::orgs::role_in;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::startup::AppState;

/// Columns a new board gets when the request names none.
pub const DEFAULT_COLUMNS: [&str; 3] = ["To do", "In progress", "Done"];

/// Header carrying the client's command id (the idempotency key).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBoard {
    name: String,
    #[serde(default)]
    columns: Option<Vec<String>>,
}

pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    role_in(&state, org_id, auth).await?;
    let boards = state.db.boards_of_org(org_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "boards": boards })))
}

pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateBoard>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    role_in(&state, org_id, auth).await?;
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
    Ok(HttpResponse::Created().json(serde_json::json!({
        "board": board,
        "seq": committed.seq,
    })))
}

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

/// The command id: the `Idempotency-Key` header when present.
pub(super) fn command_id(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let id = value
        .to_str()
        .map_err(|_| ApiError::validation("Idempotency-Key", "must be visible ASCII"))?
        .trim();
    if id.is_empty() || id.len() > COMMAND_ID_MAX {
        return Err(ApiError::validation(
            "Idempotency-Key",
            format!("must be 1–{COMMAND_ID_MAX} characters"),
        ));
    }
    Ok(Some(id.to_owned()))
}

pub async fn command(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<Command>,
) -> Result<HttpResponse, ApiError> {
    let id = command_id(&req)?;
    let committed = state
        .registry
        .board(BoardId(path.into_inner()))
        .submit(auth.0.caller, body.into_inner(), id.clone())
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "command_id": id,
        "seq": committed.seq,
        "events": committed.events,
    })))
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

pub async fn item_by_number(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, raw) = path.into_inner();
    let org_id = OrgId(org);
    role_in(&state, org_id, auth).await?;
    let org = state.db.org(org_id).await?.ok_or(ApiError::NotFound {
        what: "organization",
    })?;
    let number = parse_number(&raw, &org.key)?;
    let item = state
        .db
        .item_by_number(org_id, number)
        .await?
        .ok_or(ApiError::NotFound { what: "item" })?;
    let mut json = serde_json::to_value(&item).map_err(ApiError::internal)?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert("key".into(), format!("{}-{}", org.key, number).into());
    }
    Ok(HttpResponse::Ok().json(json))
}
