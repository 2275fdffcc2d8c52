//! Organizations: create, list mine, read one, and `role_in`, the one
//! place that resolves a caller's role in an organization (404 for
//! outsiders; `role_on_board` does the same through a board's
//! organization). Members are in `members.rs`.

use actix_web::{web, HttpResponse};
use actors::Caller;
use protocol::{BoardId, OrgId, Role};
use serde::Deserialize;
use storage::BoardRow;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::startup::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    name: String,
    key: String,
}

/// An org key: 2–10 characters, an uppercase letter then letters or digits.
fn valid_key(key: &str) -> Result<String, ApiError> {
    let key = key.trim().to_owned();
    let mut chars = key.chars();
    let ok = (2..=10).contains(&key.len())
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(key)
    } else {
        Err(ApiError::validation(
            "key",
            "must be 2–10 characters: an uppercase letter, then uppercase letters or digits",
        ))
    }
}

/// The caller's role in `org`; a non-member (or an API key of another
/// organization) gets 404, as if the org did not exist.
pub async fn role_in(state: &AppState, org: OrgId, auth: Auth) -> Result<Role, ApiError> {
    let role = match auth.0.caller {
        Caller::User(user) => state.db.membership(org, user).await?,
        Caller::ApiKey {
            org: key_org, role, ..
        } => (key_org == org).then_some(role),
    };
    role.ok_or(ApiError::NotFound {
        what: "organization",
    })
}

/// The caller's role on `board`, through membership of the board's
/// organization (read from the `boards` read model, so the board actor is
/// not woken). A missing board and another organization's board are the
/// same 404, so outsiders cannot probe for board ids.
pub async fn role_on_board(
    state: &AppState,
    board: BoardId,
    auth: Auth,
) -> Result<(BoardRow, Role), ApiError> {
    let not_found = ApiError::NotFound { what: "board" };
    let Some(row) = state.db.board_row(board).await? else {
        return Err(not_found);
    };
    match role_in(state, row.org_id, auth).await {
        Ok(role) => Ok((row, role)),
        Err(ApiError::NotFound { .. }) => Err(not_found),
        Err(other) => Err(other),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateOrg>,
) -> Result<HttpResponse, ApiError> {
    let CreateOrg { name, key } = body.into_inner();
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1–100 characters"));
    }
    let key = valid_key(&key)?;
    let org = state
        .db
        .create_org(OrgId(Uuid::new_v4()), &name, &key, auth.user()?)
        .await
        .map_err(|e| match e {
            storage::DbError::Conflict(_) => ApiError::Conflict {
                code: "org_key_taken",
                message: format!("the organization key {key} is taken"),
            },
            other => other.into(),
        })?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "id": org.id, "name": org.name, "key": org.key, "role": Role::Owner,
    })))
}

pub async fn list_mine(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let orgs = state.db.orgs_of_user(auth.user()?).await?;
    let out: Vec<_> = orgs
        .into_iter()
        .map(|(org, role)| serde_json::json!({ "id": org.id, "name": org.name, "key": org.key, "role": role }))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "orgs": out })))
}

pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    let role = role_in(&state, org_id, auth).await?;
    let org = state.db.org(org_id).await?.ok_or(ApiError::NotFound {
        what: "organization",
    })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "id": org.id, "name": org.name, "key": org.key, "role": role,
    })))
}
