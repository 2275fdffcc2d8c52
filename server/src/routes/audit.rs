//! The audit log (docs/audit.md): `GET /orgs/{org}/audit` for the admins
//! and owners of an organization (its entries only), and
//! `GET /admin/audit` for instance operators (every entry). Both filter by
//! action, actor and time, newest first, a page at a time.

use actix_web::{web, HttpResponse};
use protocol::{Millis, OrgId, Role};
use serde::{Deserialize, Serialize};
use storage::audit::{AuditAction, AuditQuery, AuditRow};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::admin_jobs::operator;
use super::orgs::caller_role;
use super::page::{cursor, page_limit, LIST_PAGE_DEFAULT, LIST_PAGE_MAX};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The latest time a filter may name: the end of year 9999, PostgreSQL's
/// range comfortably inside.
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// Which entries of an organization to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgAuditQuery {
    /// An action (`member.role_changed`) or a prefix ending in `.`
    /// (`member.`); every action when absent.
    action: Option<String>,
    /// Only what this user or API key did.
    actor: Option<Uuid>,
    /// Entries at or after this time (unix ms).
    since: Option<i64>,
    /// Entries before this time (unix ms).
    until: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// Which entries of the instance to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminAuditQuery {
    /// Only this organization's entries.
    org: Option<Uuid>,
    /// An action (`login.failed`) or a prefix ending in `.` (`login.`).
    action: Option<String>,
    /// Only what this user or API key did.
    actor: Option<Uuid>,
    /// Entries at or after this time (unix ms).
    since: Option<i64>,
    /// Entries before this time (unix ms).
    until: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// Who acted or what was acted on.
#[derive(Serialize, ToSchema)]
pub struct AuditRef {
    /// For an actor: `user`, `api_key`, `system` or `anonymous`; for a
    /// target: `user`, `session`, `api_key`, `invite`, `org`, `job`, ….
    kind: String,
    id: Option<String>,
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    id: i64,
    /// Unix ms.
    at: Millis,
    /// `login.failed`, `member.role_changed`, … (docs/audit.md lists them).
    action: String,
    org_id: Option<Uuid>,
    actor: AuditRef,
    target: Option<AuditRef>,
    /// The client's IP address.
    ip: Option<String>,
    user_agent: Option<String>,
    /// The `X-Request-Id` of the request that did it.
    request_id: Option<String>,
    /// Facts of the action (a role, a reason, the email typed at a failed
    /// login).
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

impl From<AuditRow> for AuditEntryView {
    fn from(r: AuditRow) -> Self {
        AuditEntryView {
            id: r.id,
            at: r.at,
            action: r.action,
            org_id: r.org_id,
            actor: AuditRef {
                kind: r.actor_kind,
                id: r.actor_id.map(|id| id.to_string()),
            },
            target: r.target_kind.map(|kind| AuditRef {
                kind,
                id: r.target_id,
            }),
            ip: r.ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
            details: r.details,
        }
    }
}

/// A page of audit entries, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// `action` when it names an action or a prefix of some (`member.`).
fn action_filter(action: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(action) = action else {
        return Ok(None);
    };
    let known = match action.strip_suffix('.') {
        Some(_) => AuditAction::ALL
            .iter()
            .any(|a| a.as_str().starts_with(&action)),
        None => AuditAction::from_name(&action).is_some(),
    };
    if known {
        Ok(Some(action))
    } else {
        Err(ApiError::validation(
            "action",
            "is not an audit action (e.g. `login.failed`) or a prefix of one ending in `.` (e.g. `member.`)",
        ))
    }
}

/// The query as storage takes it; a 400 naming the field that is wrong.
#[allow(clippy::too_many_arguments)]
fn audit_query(
    org: Option<OrgId>,
    action: Option<String>,
    actor: Option<Uuid>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
    cursor_raw: Option<&str>,
) -> Result<AuditQuery, ApiError> {
    let before_id = cursor::parse(cursor_raw)?
        .map(|n| {
            i64::try_from(n)
                .map_err(|_| ApiError::validation("cursor", "is not a cursor this API handed out"))
        })
        .transpose()?;
    for (field, value) in [("since", since), ("until", until)] {
        if value.is_some_and(|ms| !(0..=MAX_MILLIS).contains(&ms)) {
            return Err(ApiError::validation(
                field,
                format!("must be unix milliseconds between 0 and {MAX_MILLIS}"),
            ));
        }
    }
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(ApiError::validation("until", "must not be before `since`"));
        }
    }
    Ok(AuditQuery {
        org,
        action: action_filter(action)?,
        actor,
        since: since.map(Millis),
        until: until.map(Millis),
        before_id,
        limit: page_limit(limit, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)?,
    })
}

async fn respond(state: &AppState, query: AuditQuery) -> Result<HttpResponse, ApiError> {
    let limit = query.limit as usize;
    let mut rows = state.db.audit_entries(&query).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last().map(|r| cursor::encode(r.id.unsigned_abs())))
        .flatten();
    let entries = rows.into_iter().map(AuditEntryView::from).collect();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_cursor,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/audit",
    tag = "audit",
    params(("org" = Uuid, Path, description = "The organization"), OrgAuditQuery),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "A page of the organization's audit entries, newest first", body = AuditPage),
        (status = 400, description = "`action`, `since`, `until`, `limit` or `cursor` is not valid", body = ErrorBody),
        (status = 403, description = "An API key, or a member who is not an admin or owner", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn org_list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: web::Query<OrgAuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    auth.user()?;
    let role = caller_role(&state, org, auth).await?;
    if role < Role::Admin {
        return Err(ApiError::Forbidden {
            message: format!("a {role} cannot read the audit log; an admin or owner can"),
        });
    }
    let q = query.into_inner();
    let query = audit_query(
        Some(org),
        q.action,
        q.actor,
        q.since,
        q.until,
        q.limit,
        q.cursor.as_deref(),
    )?;
    respond(&state, query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    params(AdminAuditQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "A page of every audit entry, newest first", body = AuditPage),
        (status = 400, description = "`action`, `since`, `until`, `limit` or `cursor` is not valid", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn admin_list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<AdminAuditQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let q = query.into_inner();
    let query = audit_query(
        q.org.map(OrgId),
        q.action,
        q.actor,
        q.since,
        q.until,
        q.limit,
        q.cursor.as_deref(),
    )?;
    respond(&state, query).await
}
