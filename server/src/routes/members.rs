//! Members of an organization: list, add by email, change a role, remove
//! (or leave).
//!
//! Every change (add, re-role, remove, leave) is a command to the
//! organization's actor, which decides it with every membership rule
//! (`protocol::Org::decide`: who may change whom, the last owner) and is
//! the only writer of the organization. See docs/organizations.md.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use protocol::{OrgCommand, OrgId, Role, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::commands::{command_id, IdempotencyKey};
use super::org_commands::{refusal, submit};
use super::orgs::caller_role;
use super::page::{list_page, ListPage, PageQuery};
use super::views::MemberView;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A registered user to add, with their role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The email of an existing account.
    email: String,
    #[schema(value_type = Role)]
    role: String,
}

/// A member's new role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schema(value_type = Role)]
    role: String,
}

list_page! {
    /// A page of the members of an organization, oldest membership first.
    MembersPage { members: MemberView }
}

/// A role change.
#[derive(Serialize, ToSchema)]
pub struct RoleChanged {
    user_id: UserId,
    role: Role,
    previous_role: Role,
}

/// A role named in a request body, field `field`.
pub fn parse_role(field: &str, role: &str) -> Result<Role, ApiError> {
    role.parse()
        .map_err(|_| ApiError::validation(field, "must be owner, admin, member or viewer"))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/members",
    tag = "members",
    params(("org" = Uuid, Path, description = "The organization"), PageQuery),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "A page of the members with their roles, oldest membership first", body = MembersPage),
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
    let page = MembersPage::request(&query)?;
    Ok(MembersPage::respond(state.db.members(org_id, page).await?))
}

/// Add a registered user by email (admins and owners; only an owner
/// grants the owner role).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/members",
    tag = "members",
    params(("org" = Uuid, Path, description = "The organization"), IdempotencyKey),
    request_body = AddMember,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "Added", body = MemberView),
        (status = 403, description = "The caller's role may not grant this role", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
        (status = 409, description = "`already_member`", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<AddMember>,
) -> Result<HttpResponse, ApiError> {
    let org_id = OrgId(path.into_inner());
    let AddMember {
        email,
        role: new_role,
    } = body.into_inner();
    let new_role = parse_role("role", &new_role)?;
    super::extract::one_line("email", &email)?;
    let Some(user) = state.db.user_by_email(&email.trim().to_lowercase()).await? else {
        // Whether the caller may add with this role is answered first, as
        // for an account that exists: a refusal does not depend on the email.
        let anyone = OrgCommand::AddMember {
            user: UserId(Uuid::nil()),
            role: new_role,
        };
        let org = state.registry.org(org_id);
        org.check(auth.0.caller, anyone).await.map_err(refusal)?;
        return Err(ApiError::validation("email", "no account has this email"));
    };
    let command = OrgCommand::AddMember {
        user: user.id,
        role: new_role,
    };
    submit(&state, &req, org_id, auth, command, command_id(&req)?).await?;
    Ok(HttpResponse::Created().json(MemberView {
        user_id: user.id,
        email: user.email,
        name: user.name,
        role: new_role,
    }))
}

/// `PATCH /orgs/{org}/members/{user}` `{role}`: change a member's role.
#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org}/members/{user}",
    tag = "members",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("user" = Uuid, Path, description = "The member"),
        IdempotencyKey,
    ),
    request_body = UpdateMember,
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Changed", body = RoleChanged),
        (status = 403, description = "The caller's role may not make this change", body = ErrorBody),
        (status = 404, description = "No such organization or member", body = ErrorBody),
        (status = 409, description = "`last_owner`: the organization must keep an owner", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<UpdateMember>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, target) = path.into_inner();
    let (org_id, target) = (OrgId(org_id), UserId(target));
    let new_role = parse_role("role", &body.into_inner().role)?;
    let id = command_id(&req)?;
    let previous = change_member(&state, &req, auth, org_id, target, Some(new_role), id).await?;
    Ok(HttpResponse::Ok().json(RoleChanged {
        user_id: target,
        role: new_role,
        previous_role: previous,
    }))
}

/// `DELETE /orgs/{org}/members/{user}`: remove a member, or leave (204).
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/members/{user}",
    tag = "members",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("user" = Uuid, Path, description = "The member (the caller's own id: leave)"),
        IdempotencyKey,
    ),
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The caller's role may not remove this member", body = ErrorBody),
        (status = 404, description = "No such organization or member", body = ErrorBody),
        (status = 409, description = "`last_owner`: the organization must keep an owner", body = ErrorBody),
        (status = 504, description = "`timeout`: the organization did not answer in time", body = ErrorBody),
    ),
)]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, target) = path.into_inner();
    let id = command_id(&req)?;
    change_member(&state, &req, auth, OrgId(org_id), UserId(target), None, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Re-roles (`Some`) or removes (`None`) `target` as the caller, through
/// the organization's actor. Returns the target's previous role; setting
/// the role a member already has changes nothing and answers as done.
async fn change_member(
    state: &AppState,
    req: &HttpRequest,
    auth: Auth,
    org: OrgId,
    target: UserId,
    new_role: Option<Role>,
    id: Option<String>,
) -> Result<Role, ApiError> {
    let command = match new_role {
        Some(role) => OrgCommand::ChangeRole { user: target, role },
        None => OrgCommand::RemoveMember { user: target },
    };
    match submit(state, req, org, auth, command, id).await {
        Ok(committed) => committed
            .before
            .and_then(|before| before.members.get(&target).copied())
            .ok_or(ApiError::NotFound { what: "member" }),
        Err(ApiError::Conflict {
            code: ErrorCode::NoChange,
            ..
        }) => new_role.ok_or(ApiError::NotFound { what: "member" }),
        Err(e) => Err(e),
    }
}
