//! API keys of an organization: create (the key is shown once), list
//! (never a secret), revoke (reaching live sessions at once).
//!
//! Only users manage keys — an API key gets 403 here, whatever its role —
//! and only admins and owners (`Permission::ManageApiKeys`). A key's role
//! may not exceed its creator's, so an admin cannot mint an owner key.
//! Any admin may revoke any key of the organization: taking access away
//! never needs more rights than the key has.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::{Millis, OrgId, Permission, Role, UserId};
use serde::{Deserialize, Serialize};
use storage::audit::AuditAction;
use storage::{ApiKeyRow, DbError, NewApiKey};
use utoipa::ToSchema;
use uuid::Uuid;

use super::orgs::caller_role;
use super::page::{list_page, ListPage, PageQuery};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::revocation::Revoked;
use crate::state::AppState;

/// Longest key name, in characters.
const NAME_MAX: usize = 100;
/// Longest lifetime a key may be given.
const MAX_EXPIRES_IN_DAYS: i64 = 3650;
/// Fresh prefixes drawn when one is taken (36^12 of them: a second
/// collision in a row means something else is wrong).
const PREFIX_ATTEMPTS: usize = 3;
const MS_PER_DAY: i64 = 86_400_000;

/// An API key to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// At most the creator's own role.
    #[schema(value_type = Role)]
    role: String,
    /// Lifetime in days, 1–3650; no expiry when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<i64>,
}

/// A created key, with its secret: shown this once only.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    id: Uuid,
    name: String,
    role: Role,
    prefix: String,
    /// `cbk_<prefix>_<secret>`: send as `Authorization: Bearer <key>`.
    /// Never shown again.
    key: String,
    created_at: Millis,
    expires_at: Option<Millis>,
}

list_page! {
    /// A page of the API keys of an organization, oldest first.
    KeysPage { api_keys: ListedKey }
}

/// A key as listed: no secret, no hash.
#[derive(Serialize, ToSchema)]
pub struct ListedKey {
    id: Uuid,
    name: String,
    role: Role,
    prefix: String,
    created_by: UserId,
    created_at: Millis,
    expires_at: Option<Millis>,
    last_used_at: Option<Millis>,
    revoked: bool,
}

impl From<ApiKeyRow> for ListedKey {
    fn from(key: ApiKeyRow) -> ListedKey {
        ListedKey {
            id: key.id,
            name: key.name,
            role: key.role,
            prefix: key.prefix,
            created_by: key.created_by,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked: key.revoked_at.is_some(),
        }
    }
}

/// The calling user and their role in `org`, which must allow managing
/// API keys.
async fn manager(state: &AppState, org: OrgId, auth: Auth) -> Result<(UserId, Role), ApiError> {
    let user = auth.user()?;
    let role = caller_role(state, org, auth).await?;
    if !role.allows(Permission::ManageApiKeys) {
        return Err(ApiError::Forbidden {
            message: format!("a {role} cannot manage API keys; an admin or owner can"),
        });
    }
    Ok((user, role))
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    i64::try_from(crate::auth::unix_now())
        .unwrap_or(i64::MAX)
        .saturating_mul(1000)
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/api-keys",
    tag = "api-keys",
    params(("org" = Uuid, Path, description = "The organization")),
    request_body = CreateApiKey,
    security(("access_token" = [])),
    responses(
        (status = 201, description = "Created; the key is shown this once", body = CreatedKey),
        (status = 403, description = "An API key, or a role that cannot manage keys or grant this role", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    let (creator, creator_role) = manager(&state, org, auth).await?;
    let CreateApiKey {
        name,
        role,
        expires_in_days,
    } = body.into_inner();
    super::extract::one_line("name", &name)?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiError::validation(
            "name",
            format!("must be 1–{NAME_MAX} characters"),
        ));
    }
    let role = role
        .parse::<Role>()
        .map_err(|e| ApiError::validation("role", e.to_string()))?;
    let expires_at = match expires_in_days {
        Some(days) if !(1..=MAX_EXPIRES_IN_DAYS).contains(&days) => {
            return Err(ApiError::validation(
                "expires_in_days",
                format!("must be 1–{MAX_EXPIRES_IN_DAYS}"),
            ))
        }
        Some(days) => Some(Millis(now_ms() + days * MS_PER_DAY)),
        None => None,
    };
    if role > creator_role {
        return Err(ApiError::Forbidden {
            message: format!("a {creator_role} cannot create an API key with role {role}"),
        });
    }

    for _ in 0..PREFIX_ATTEMPTS {
        let generated = state
            .api_keys
            .generate()
            .map_err(|_| ApiError::internal("the system random generator failed"))?;
        let new = NewApiKey {
            id: Uuid::new_v4(),
            org,
            name: &name,
            role,
            prefix: &generated.prefix,
            secret_hash: &generated.secret_hash,
            created_by: creator,
            expires_at,
        };
        let audit = crate::audit::entry(&req, &auth, AuditAction::ApiKeyCreated)
            .org(org)
            .target("api_key", new.id)
            .details(serde_json::json!({
                "name": name,
                "role": role.as_str(),
                "prefix": generated.prefix,
                "expires_at": expires_at.map(|m| m.0),
            }));
        match state.db.create_api_key(&new, Some(&audit)).await {
            Ok(key) => {
                tracing::info!(api_key = %key.id, org_id = %org, %role, "API key created");
                return Ok(HttpResponse::Created().json(CreatedKey {
                    id: key.id,
                    name: key.name,
                    role: key.role,
                    prefix: key.prefix,
                    key: generated.token,
                    created_at: key.created_at,
                    expires_at: key.expires_at,
                }));
            }
            Err(DbError::Conflict("api key prefix")) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal("no free API key prefix after retries"))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/api-keys",
    tag = "api-keys",
    params(("org" = Uuid, Path, description = "The organization"), PageQuery),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "A page of the keys of the organization, revoked ones included, oldest first", body = KeysPage),
        (status = 403, description = "An API key, or a role that cannot manage keys", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    manager(&state, org, auth).await?;
    let page = KeysPage::request(&query)?;
    Ok(KeysPage::respond(
        state.db.api_keys_of_org(org, page).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/api-keys/{id}",
    tag = "api-keys",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("id" = Uuid, Path, description = "The key"),
    ),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Revoked; live sessions using it are closed"),
        (status = 403, description = "An API key, or a role that cannot manage keys", body = ErrorBody),
        (status = 404, description = "No such organization or key", body = ErrorBody),
    ),
)]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    let org = OrgId(org);
    manager(&state, org, auth).await?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::ApiKeyRevoked)
        .org(org)
        .target("api_key", id);
    if !state.db.revoke_api_key(org, id, Some(&audit)).await? {
        return Err(ApiError::NotFound { what: "API key" });
    }
    // After the database: a node restarting now still refuses the key.
    state.revocations.revoke(Revoked::ApiKey(id));
    tracing::info!(api_key = %id, org_id = %org, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}
