//! An organization's own life: rename it, hand its ownership to another
//! member, delete it. Each parses the request, submits one `OrgCommand`
//! to the organization's actor and maps its refusal; all three take an
//! `Idempotency-Key`, whose retry gets the first answer.
//!
//! Deleting is immediate for everyone: the organization's actor stops
//! answering for it (every member, API key and board route gets 404 from
//! then on), live sockets on its boards and channel are cut off, and the
//! organization drops out of its members' lists. Its rows stay until the
//! retention step removes them, `CORKBOARD_DELETED_ORG_RETENTION_SECS`
//! (30 days by default) later; its key stays taken until then.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::{OrgCommand, OrgId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::commands::{command_id, IdempotencyKey};
use super::org_commands::submit;
use super::orgs::caller_role;
use super::views::OrgView;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A new name for an organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameOrg {
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

/// The member who becomes the owner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferOwnership {
    /// A member of the organization.
    user_id: Uuid,
}

/// The organization as the caller now sees it.
async fn org_view(state: &AppState, org: OrgId, auth: Auth) -> Result<OrgView, ApiError> {
    let role = caller_role(state, org, auth).await?;
    let row = state.db.org(org).await?.ok_or(ApiError::NotFound {
        what: "organization",
    })?;
    Ok(OrgView::new(row, role))
}

#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org}",
    tag = "orgs",
    params(("org" = Uuid, Path, description = "The organization"), IdempotencyKey),
    request_body = RenameOrg,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Renamed", body = OrgView),
        (status = 403, description = "Only an owner renames an organization", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
        (status = 409, description = "`no_change`: it already has this name", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<RenameOrg>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    let name = body.into_inner().name;
    super::extract::one_line("name", &name)?;
    let command = OrgCommand::RenameOrg { name };
    submit(&state, &req, org, auth, command, command_id(&req)?).await?;
    Ok(HttpResponse::Ok().json(org_view(&state, org, auth).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/transfer-ownership",
    tag = "orgs",
    params(("org" = Uuid, Path, description = "The organization"), IdempotencyKey),
    request_body = TransferOwnership,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The member is the owner; the caller is now an admin", body = OrgView),
        (status = 403, description = "Only an owner transfers ownership", body = ErrorBody),
        (status = 404, description = "No such organization or member", body = ErrorBody),
        (status = 409, description = "`no_change`: the member is already an owner", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<TransferOwnership>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    let to = UserId(body.into_inner().user_id);
    submit(
        &state,
        &req,
        org,
        auth,
        OrgCommand::TransferOwnership { to },
        command_id(&req)?,
    )
    .await?;
    Ok(HttpResponse::Ok().json(org_view(&state, org, auth).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}",
    tag = "orgs",
    params(("org" = Uuid, Path, description = "The organization"), IdempotencyKey),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Deleted: its boards and items are unreachable from now on; the data is removed after the retention period"),
        (status = 403, description = "Only an owner deletes an organization", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    submit(
        &state,
        &req,
        org,
        auth,
        OrgCommand::DeleteOrg,
        command_id(&req)?,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
