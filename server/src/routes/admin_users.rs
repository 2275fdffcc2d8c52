//! `/api/v1/admin/users`: the accounts of the instance, for instance
//! operators (docs/operations.md#operator-tier): list and search, disable
//! (no login, no refresh, every session and socket ended on every node),
//! enable again, and end every login session ("force logout"). Each
//! change is written to the audit log in its own transaction.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use protocol::{Millis, UserId};
use serde::{Deserialize, Serialize};
use storage::audit::AuditAction;
use storage::AdminUserRow;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::admin_jobs::operator;
use super::page::{list_page, ListPage};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::revocation::Revoked;
use crate::state::AppState;

/// Which accounts to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Accounts whose email or name contains this, ignoring case.
    search: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// An account, as an operator sees it.
#[derive(Serialize, ToSchema)]
pub struct AdminUserView {
    id: UserId,
    email: String,
    name: String,
    /// An instance operator (`corkboard admin grant`).
    operator: bool,
    email_verified: bool,
    created_at: Millis,
    /// When an operator disabled it; `null` while it is enabled.
    disabled_at: Option<Millis>,
}

impl From<AdminUserRow> for AdminUserView {
    fn from(r: AdminUserRow) -> Self {
        AdminUserView {
            id: r.id,
            email: r.email,
            name: r.name,
            operator: r.operator,
            email_verified: r.email_verified,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        }
    }
}

list_page! {
    /// A page of accounts, newest first.
    AdminUsersPage { users: AdminUserView }
}

/// What an account change did.
#[derive(Serialize, ToSchema)]
pub struct UserChanged {
    id: UserId,
    disabled: bool,
    /// Login sessions ended by this change.
    sessions_ended: usize,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    params(UsersQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "A page of accounts (deleted ones left out), newest first", body = AdminUsersPage),
        (status = 400, description = "`limit` or `cursor` is not valid", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let page = AdminUsersPage::request_of(query.limit, query.cursor.as_deref())?;
    let search = query.search.as_deref().map(str::trim);
    Ok(AdminUsersPage::respond(
        state.db.admin_users(search, page).await?,
    ))
}

/// End `sessions` on every node: their refresh tokens are refused already
/// (the database says revoked); this refuses their access tokens and
/// closes their sockets (1008) within milliseconds. Session by session,
/// not `Revoked::User`: that one refuses tokens by issue second, so a
/// login right after an enable or a forced logout would be refused too.
fn end_sessions(state: &AppState, sessions: &[Uuid]) {
    for session in sessions {
        state.revocations.revoke(Revoked::Session(*session));
    }
}

/// Disable or enable `user`; the operator may not disable themself.
async fn set_disabled(
    req: &HttpRequest,
    state: &AppState,
    auth: &Auth,
    user: UserId,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    let me = operator(state, auth).await?;
    if disabled && me == user {
        return Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            message: "an operator cannot disable their own account".into(),
        });
    }
    let action = if disabled {
        AuditAction::AdminUserDisabled
    } else {
        AuditAction::AdminUserEnabled
    };
    let audit = crate::audit::entry(req, auth, action).target("user", user);
    let ended = state
        .db
        .set_user_disabled(user, disabled, &audit)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    if disabled {
        end_sessions(state, &ended);
    }
    tracing::info!(user_id = %user, disabled, sessions = ended.len(), "account changed by an operator");
    Ok(HttpResponse::Ok().json(UserChanged {
        id: user,
        disabled,
        sessions_ended: ended.len(),
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/disable",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The account")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "Disabled: login and refresh answer `account_disabled`; every session and socket ended", body = UserChanged),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "`conflict`: an operator cannot disable themself", body = ErrorBody),
    ),
)]
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&req, &state, &auth, UserId(path.into_inner()), true).await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/enable",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The account")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "Enabled: the account may log in again", body = UserChanged),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    ),
)]
pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&req, &state, &auth, UserId(path.into_inner()), false).await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/logout",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The account")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "Every login session ended (refresh refused, access tokens refused, sockets closed); the account may log in again", body = UserChanged),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    ),
)]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let user = UserId(path.into_inner());
    let audit =
        crate::audit::entry(&req, &auth, AuditAction::AdminUserLoggedOut).target("user", user);
    let ended = state
        .db
        .force_logout(user, &audit)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    end_sessions(&state, &ended);
    let disabled = state.db.user_disabled(user).await?;
    tracing::info!(user_id = %user, sessions = ended.len(), "every login session ended by an operator");
    Ok(HttpResponse::Ok().json(UserChanged {
        id: user,
        disabled,
        sessions_ended: ended.len(),
    }))
}
