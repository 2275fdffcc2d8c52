//! `/api/v1/admin/jobs`: the job queue, for instance operators (granted
//! with `corkboard admin grant EMAIL`, never through this API). List jobs
//! by state and kind, look at one, retry or discard a dead one, or all
//! dead ones (of a kind). See `docs/jobs.md`.

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use protocol::jobs::JobKind;
use protocol::UserId;
use serde::{Deserialize, Serialize};
use storage::audit::{AuditAction, AuditEntry};
use storage::jobs::{JobRow, JobSelector};
use utoipa::{IntoParams, ToSchema};

use super::page::page_limit;
use crate::auth::{Auth, Credential};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Jobs per page when the request names no `limit`, and at most.
const JOBS_PAGE_DEFAULT: u32 = 50;
const JOBS_PAGE_MAX: u32 = 500;

/// The caller, when it is a user's access token and the user is an
/// instance operator; 403 otherwise.
pub(super) async fn operator(state: &AppState, auth: &Auth) -> Result<UserId, ApiError> {
    let refused = || ApiError::Forbidden {
        message:
            "this route is for instance operators (granted with `corkboard admin grant EMAIL`)"
                .into(),
    };
    if !matches!(auth.0.credential, Credential::Access { .. }) {
        return Err(refused());
    }
    let user = auth.user()?;
    if state.db.is_operator(user).await? {
        Ok(user)
    } else {
        Err(refused())
    }
}

/// Which jobs to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued` (waiting, retries included), `running` or `dead`; all
    /// when absent.
    state: Option<String>,
    /// A job kind (`mail`, `notify`, `prune_sessions`, …); all when absent.
    kind: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// Which kind of dead jobs an action applies to.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KindQuery {
    /// Only dead jobs of this kind; every kind when absent.
    kind: Option<String>,
}

/// One job.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    id: i64,
    kind: String,
    /// `queued`, `running` or `dead`.
    state: String,
    attempts: i32,
    max_attempts: i32,
    /// Unix ms when it is (or was last) due.
    run_at: i64,
    unique_key: Option<String>,
    /// Why its last attempt failed.
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
    /// What the job works on (a message to send, an event to notify);
    /// a mailed link's token shows as `<redacted>`.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
}

impl From<JobRow> for JobView {
    fn from(r: JobRow) -> Self {
        JobView {
            id: r.id,
            kind: r.kind,
            state: r.state,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            unique_key: r.unique_key,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            payload: redacted(r.payload),
        }
    }
}

/// A payload without the secrets a mail carries (reset, verification and
/// invitation links): operators see what a job is about, not a token that
/// would let them act as its recipient.
fn redacted(mut payload: serde_json::Value) -> serde_json::Value {
    if let Some(token) = payload.get_mut("token") {
        *token = serde_json::Value::String("<redacted>".into());
    }
    payload
}

/// A page of jobs, oldest first.
#[derive(Serialize, ToSchema)]
pub struct JobsPage {
    jobs: Vec<JobView>,
    next_cursor: Option<String>,
}

/// How many jobs an action changed.
#[derive(Serialize, ToSchema)]
pub struct JobsChanged {
    count: u64,
}

fn state_filter(state: Option<&str>) -> Result<Option<&str>, ApiError> {
    match state {
        None => Ok(None),
        Some(s @ ("queued" | "running" | "dead")) => Ok(Some(s)),
        Some(other) => Err(ApiError::validation(
            "state",
            format!("{other:?} is not queued, running or dead"),
        )),
    }
}

fn kind_filter(kind: Option<&str>) -> Result<Option<&str>, ApiError> {
    match kind {
        None => Ok(None),
        Some(k) => match JobKind::from_name(k) {
            Some(kind) => Ok(Some(kind.name())),
            None => {
                let kinds: Vec<&str> = JobKind::ALL.iter().map(|k| k.name()).collect();
                Err(ApiError::validation(
                    "kind",
                    format!("{k:?} is not a job kind: {}", kinds.join(", ")),
                ))
            }
        },
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/jobs",
    tag = "admin",
    params(JobsQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "A page of jobs, oldest first", body = JobsPage),
        (status = 400, description = "`state`, `kind`, `limit` or `cursor` is not valid", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<JobsQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let filter_state = state_filter(query.state.as_deref())?;
    let kind = kind_filter(query.kind.as_deref())?;
    let limit = page_limit(query.limit, JOBS_PAGE_DEFAULT, JOBS_PAGE_MAX)?;
    let after = match query.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::validation("cursor", "is not a cursor this list gave"))?,
    };
    let rows = state
        .db
        .list_jobs(filter_state, kind, after, i64::from(limit) + 1)
        .await?;
    let more = rows.len() > limit as usize;
    let jobs: Vec<JobView> = rows
        .into_iter()
        .take(limit as usize)
        .map(JobView::from)
        .collect();
    let next_cursor = more
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(JobsPage { jobs, next_cursor }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/jobs/{id}",
    tag = "admin",
    params(("id" = i64, Path, description = "The job")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such job (it succeeded, was discarded, or never was)", body = ErrorBody),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    match state.db.job(path.into_inner()).await? {
        Some(job) => Ok(HttpResponse::Ok().json(JobView::from(job))),
        None => Err(ApiError::NotFound { what: "job" }),
    }
}

/// Apply a dead-job action to job `id`: 404 when there is no such job,
/// 409 when it is not dead.
async fn on_dead_job(
    state: &AppState,
    audit: AuditEntry,
    id: i64,
    retry: bool,
) -> Result<HttpResponse, ApiError> {
    let which = JobSelector::One(id);
    let audit = audit.target("job", id);
    let changed = if retry {
        state.db.retry_dead_jobs(which, Some(&audit)).await?
    } else {
        state.db.discard_dead_jobs(which, Some(&audit)).await?
    };
    if changed == 1 {
        tracing::info!(job_id = id, retry, "dead job handled by an operator");
        return Ok(HttpResponse::Ok().json(JobsChanged { count: 1 }));
    }
    match state.db.job(id).await? {
        None => Err(ApiError::NotFound { what: "job" }),
        Some(job) => Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            message: format!("job {id} is {}, not dead", job.state),
        }),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/jobs/{id}/retry",
    tag = "admin",
    params(("id" = i64, Path, description = "The dead job")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "Queued again, due now, with its attempts reset", body = JobsChanged),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "`conflict`: the job is not dead", body = ErrorBody),
    ),
)]
pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::AdminJobRetried);
    on_dead_job(&state, audit, path.into_inner(), true).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/jobs/{id}",
    tag = "admin",
    params(("id" = i64, Path, description = "The dead job")),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "Discarded: deleted, its work never done", body = JobsChanged),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "`conflict`: the job is not dead", body = ErrorBody),
    ),
)]
pub async fn discard(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::AdminJobDiscarded);
    on_dead_job(&state, audit, path.into_inner(), false).await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/jobs/retry-dead",
    tag = "admin",
    params(KindQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "How many dead jobs were queued again", body = JobsChanged),
        (status = 400, description = "`kind` is not a job kind", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn retry_dead(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let kind = kind_filter(query.kind.as_deref())?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::AdminDeadJobsRetried)
        .details(serde_json::json!({ "kind": kind }));
    let count = state
        .db
        .retry_dead_jobs(JobSelector::AllDead { kind }, Some(&audit))
        .await?;
    tracing::info!(count, kind, "dead jobs queued again by an operator");
    Ok(HttpResponse::Ok().json(JobsChanged { count }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/jobs/discard-dead",
    tag = "admin",
    params(KindQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "How many dead jobs were discarded", body = JobsChanged),
        (status = 400, description = "`kind` is not a job kind", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn discard_dead(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let kind = kind_filter(query.kind.as_deref())?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::AdminDeadJobsDiscarded)
        .details(serde_json::json!({ "kind": kind }));
    let count = state
        .db
        .discard_dead_jobs(JobSelector::AllDead { kind }, Some(&audit))
        .await?;
    tracing::info!(count, kind, "dead jobs discarded by an operator");
    Ok(HttpResponse::Ok().json(JobsChanged { count }))
}
