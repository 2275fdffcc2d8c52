//! Organizations: create, list mine, read, rename, transfer and delete
//! one, and `caller_role`, how a route learns a caller's role (from the
//! organization's actor; 404 for outsiders; `role_on_board` does the same
//! through a board's organization). Members are in `members.rs`.

use actix_web::{web, HttpResponse};
use actors::ActorError;
use protocol::codes::ErrorCode;
use protocol::{BoardId, OrgId, Role};
use serde::Deserialize;
use storage::BoardRow;
use utoipa::ToSchema;
use uuid::Uuid;

use super::org_commands::refusal;
use super::page::{list_page, ListPage, PageQuery};
use super::views::OrgView;

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A new organization; its creator becomes its owner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// The item-key prefix: 2–10 characters, an uppercase letter then
    /// uppercase letters or digits. Unique.
    #[schema(pattern = "^[A-Z][A-Z0-9]{1,9}$")]
    key: String,
}

list_page! {
    /// A page of my organizations, oldest membership first.
    OrgsPage { orgs: OrgView }
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

/// The caller's role in `org`, as the organization's actor has it (the
/// roster its log folds to: the same answer every board command gets); a
/// non-member, an API key of another organization and a deleted
/// organization get 404, as if the org did not exist.
pub async fn caller_role(state: &AppState, org: OrgId, auth: Auth) -> Result<Role, ApiError> {
    match state.registry.org(org).role(auth.0.caller).await {
        Ok(role) => Ok(role),
        Err(ActorError::NotFound) => Err(ApiError::NotFound {
            what: "organization",
        }),
        Err(e) => Err(ApiError::Actor(e)),
    }
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
    match caller_role(state, row.org_id, auth).await {
        Ok(role) => Ok((row, role)),
        Err(ApiError::NotFound { .. }) => Err(not_found),
        Err(other) => Err(other),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    tag = "orgs",
    request_body = CreateOrg,
    security(("access_token" = [])),
    responses(
        (status = 201, description = "Created; the caller is its owner", body = OrgView),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 409, description = "`org_key_taken`", body = ErrorBody),
    ),
)]
pub async fn create(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<CreateOrg>,
) -> Result<HttpResponse, ApiError> {
    let CreateOrg { name, key } = body.into_inner();
    super::extract::one_line("name", &name)?;
    let key = valid_key(&key)?;
    let owner = auth.user()?;
    let taken = || ApiError::Conflict {
        code: ErrorCode::OrgKeyTaken,
        message: format!("the organization key {key} is taken"),
    };
    // The key is unique across organizations, which no one organization's
    // log can decide: checked here, and by the `orgs` unique index when the
    // creation is appended (a race between two creations fails the second).
    if state.db.org_by_key(&key).await?.is_some() {
        return Err(taken());
    }
    let id = OrgId(Uuid::new_v4());
    state
        .registry
        .org(id)
        .with_origin(crate::audit::origin(&req, &auth))
        .create(owner, name, key.clone())
        .await
        .map_err(refusal)?;
    let org = state.db.org(id).await?.ok_or_else(taken)?;
    Ok(HttpResponse::Created().json(OrgView::new(org, Role::Owner)))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs",
    tag = "orgs",
    params(PageQuery),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "A page of the caller's organizations, oldest membership first", body = OrgsPage),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    ),
)]
pub async fn list_mine(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = auth.user()?;
    let page = OrgsPage::request(&query)?;
    let page = state.db.org_page_of_user(user, page).await?;
    Ok(OrgsPage::respond(
        page.map(|(org, role)| OrgView::new(org, role)),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}",
    tag = "orgs",
    params(("org" = Uuid, Path, description = "The organization")),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The organization and the caller's role", body = OrgView),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    let role = caller_role(&state, org_id, auth).await?;
    let org = state.db.org(org_id).await?.ok_or(ApiError::NotFound {
        what: "organization",
    })?;
    Ok(HttpResponse::Ok().json(OrgView::new(org, role)))
}
