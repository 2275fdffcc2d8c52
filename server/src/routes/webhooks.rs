//! An organization's webhook endpoints (admins and owners; users, not API
//! keys): register (the signing secret is shown once), list, read, change,
//! delete, rotate the secret, read the delivery log, redeliver an event.
//! Endpoints on internal addresses are refused (`webhooks::guard`).

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::jobs::JobKind;
use protocol::{OrgId, Permission};
use serde::{Deserialize, Serialize};
use storage::audit::AuditAction;
use storage::jobs::NewJob;
use storage::webhooks::{Delivery, EndpointPatch, NewEndpoint, WebhookEndpoint};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::orgs::caller_role;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::webhooks::{deliver, guard, sign};

/// Endpoints one organization may have.
pub const ENDPOINTS_MAX: usize = 20;
/// Longest description, in characters.
const DESCRIPTION_MAX: usize = 500;
/// Delivery log entries per page by default, and at most.
const LOG_PAGE: i64 = 50;
const LOG_PAGE_MAX: i64 = 200;

/// An endpoint to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    /// `http` or `https`; must not resolve to a loopback, private or
    /// link-local address (unless the operator allows it).
    #[schema(max_length = 2000)]
    url: String,
    /// Event types to deliver (`board.item_moved`, `org.member_added`…);
    /// empty or absent: every type.
    #[serde(default)]
    event_types: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: String,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchEndpoint {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    description: Option<String>,
    /// `true` enables a disabled endpoint again: the events since are then
    /// delivered in order.
    enabled: Option<bool>,
}

/// An endpoint, without its secret.
#[derive(Serialize, ToSchema)]
pub struct Endpoint {
    id: Uuid,
    url: String,
    description: String,
    event_types: Vec<String>,
    enabled: bool,
    /// Why it was disabled, when it was by the server.
    disabled_reason: Option<String>,
    /// Unix ms of the first failure since the last success.
    failing_since: Option<i64>,
    /// Whether a rotated-out secret still signs beside the current one.
    rotating: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<WebhookEndpoint> for Endpoint {
    fn from(e: WebhookEndpoint) -> Endpoint {
        Endpoint {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            rotating: e.previous_secret.is_some(),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A registered endpoint with its signing secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    endpoint: Endpoint,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    secret: String,
}

/// The endpoints of an organization, oldest first.
#[derive(Serialize, ToSchema)]
pub struct Endpoints {
    endpoints: Vec<Endpoint>,
}

/// A new secret: shown this once; the old one signs too until
/// `previous_valid_for_secs` have passed.
#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    secret: String,
    previous_valid_for_secs: u64,
}

/// One attempt in the delivery log.
#[derive(Serialize, ToSchema)]
pub struct DeliveryEntry {
    id: i64,
    /// `webhook-id`: the same for every attempt of one event.
    msg_id: String,
    /// `board` or `org`.
    stream: String,
    stream_id: Uuid,
    seq: i64,
    event_type: String,
    attempt: i32,
    /// `scheduled` or `redeliver`.
    trigger: String,
    /// The HTTP status; absent when no answer came.
    status: Option<i32>,
    ok: bool,
    latency_ms: i32,
    /// The first 1 KiB of the answer's body.
    response: Option<String>,
    error: Option<String>,
    at: i64,
}

impl From<Delivery> for DeliveryEntry {
    fn from(d: Delivery) -> DeliveryEntry {
        DeliveryEntry {
            id: d.id,
            msg_id: d.msg_id,
            stream: d.stream,
            stream_id: d.stream_id,
            seq: d.seq,
            event_type: d.event_type,
            attempt: d.attempt,
            trigger: d.trigger,
            status: d.status,
            ok: d.ok,
            latency_ms: d.latency_ms,
            response: d.response,
            error: d.error,
            at: d.at,
        }
    }
}

/// A page of the delivery log, newest first.
#[derive(Serialize, ToSchema)]
pub struct Deliveries {
    deliveries: Vec<DeliveryEntry>,
    /// Pass as `before` for the next (older) page; absent on the last.
    next_before: Option<i64>,
}

/// Which page of the delivery log.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Entries older than this id (the previous page's `next_before`).
    before: Option<i64>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// The caller, who must be a user allowed to manage `org`'s webhooks.
async fn manager(state: &AppState, org: OrgId, auth: Auth) -> Result<(), ApiError> {
    let _user = auth.user()?;
    let role = caller_role(state, org, auth).await?;
    if !role.allows(Permission::ManageWebhooks) {
        return Err(ApiError::Forbidden {
            message: format!("a {role} cannot manage webhooks; an admin or owner can"),
        });
    }
    Ok(())
}

/// The organization and endpoint of a `/orgs/{org}/webhooks/{id}` path,
/// once the caller is known to manage the organization's webhooks.
async fn managed(
    state: &AppState,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<(OrgId, Uuid), ApiError> {
    let (org, id) = path.into_inner();
    let org = OrgId(org);
    manager(state, org, auth).await?;
    Ok((org, id))
}

async fn checked_url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let url =
        guard::parse_url(raw).map_err(|e| ApiError::validation("url", format!("the URL {e}")))?;
    guard::check_destination(&url, state.settings.webhooks.allow_private)
        .await
        .map_err(|e| ApiError::validation("url", e))?;
    Ok(url.to_string())
}

fn checked_types(types: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.trim().to_owned();
        if !protocol::webhooks::is_event_type(&t) {
            return Err(ApiError::validation(
                "event_types",
                format!(
                    "{t:?} is not an event type: use `board.<event>` or `org.<event>`, e.g. \
                     board.item_moved (the list is in docs/webhooks.md)"
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn checked_description(d: String) -> Result<String, ApiError> {
    let d = d.trim().to_owned();
    super::extract::one_line("description", &d)?;
    if d.chars().count() > DESCRIPTION_MAX {
        return Err(ApiError::validation(
            "description",
            format!("is longer than {DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(d)
}

async fn endpoint_of(state: &AppState, org: OrgId, id: Uuid) -> Result<WebhookEndpoint, ApiError> {
    state
        .db
        .webhook_endpoint(Some(org), id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "webhook endpoint",
        })
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/webhooks",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization")),
    request_body = CreateEndpoint,
    security(("access_token" = [])),
    responses(
        (status = 201, description = "Registered; the secret is shown this once", body = CreatedEndpoint),
        (status = 400, description = "`validation_failed`: a bad or internal URL, an unknown event type, too many endpoints", body = ErrorBody),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: web::Json<CreateEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    let user = auth.user()?;
    manager(&state, org, auth).await?;
    let CreateEndpoint {
        url,
        event_types,
        description,
    } = body.into_inner();
    let event_types = checked_types(event_types)?;
    let description = checked_description(description)?;
    let url = checked_url(&state, &url).await?;
    if state.db.webhook_endpoints(org).await?.len() >= ENDPOINTS_MAX {
        return Err(ApiError::validation(
            "url",
            format!(
                "an organization has at most {ENDPOINTS_MAX} webhook endpoints; delete one first"
            ),
        ));
    }
    let secret = sign::new_secret();
    let id = Uuid::new_v4();
    let audit = crate::audit::entry(&req, &auth, AuditAction::WebhookEndpointCreated)
        .org(org)
        .target("webhook_endpoint", id)
        .details(serde_json::json!({ "url": url, "event_types": event_types }));
    let endpoint = state
        .db
        .create_webhook_endpoint(
            &NewEndpoint {
                id,
                org,
                url,
                description,
                event_types,
                secret: secret.clone(),
                created_by: user,
            },
            Some(&audit),
        )
        .await?;
    tracing::info!(org_id = %org, endpoint = %endpoint.id, "webhook endpoint registered");
    Ok(HttpResponse::Created().json(CreatedEndpoint {
        endpoint: endpoint.into(),
        secret,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/webhooks",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization")),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The endpoints, oldest first (never a secret)", body = Endpoints),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such organization, or the caller is not a member", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = OrgId(path.into_inner());
    manager(&state, org, auth).await?;
    let endpoints = state.db.webhook_endpoints(org).await?;
    Ok(HttpResponse::Ok().json(Endpoints {
        endpoints: endpoints.into_iter().map(Endpoint::from).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization"), ("id" = Uuid, Path, description = "The endpoint")),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The endpoint", body = Endpoint),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
    ),
)]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = managed(&state, auth, path).await?;
    Ok(HttpResponse::Ok().json(Endpoint::from(endpoint_of(&state, org, id).await?)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization"), ("id" = Uuid, Path, description = "The endpoint")),
    request_body = PatchEndpoint,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Changed", body = Endpoint),
        (status = 400, description = "`validation_failed`: a bad or internal URL, an unknown event type", body = ErrorBody),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
    ),
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<PatchEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = managed(&state, auth, path).await?;
    let PatchEndpoint {
        url,
        event_types,
        description,
        enabled,
    } = body.into_inner();
    let patch = EndpointPatch {
        url: match url {
            Some(url) => Some(checked_url(&state, &url).await?),
            None => None,
        },
        description: description.map(checked_description).transpose()?,
        event_types: event_types.map(checked_types).transpose()?,
        enabled,
    };
    let audit = crate::audit::entry(&req, &auth, AuditAction::WebhookEndpointUpdated)
        .org(org)
        .target("webhook_endpoint", id)
        .details(serde_json::json!({
            "url": patch.url,
            "event_types": patch.event_types,
            "enabled": patch.enabled,
        }));
    let endpoint = state
        .db
        .update_webhook_endpoint(org, id, &patch, Some(&audit))
        .await?
        .ok_or(ApiError::NotFound {
            what: "webhook endpoint",
        })?;
    Ok(HttpResponse::Ok().json(Endpoint::from(endpoint)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization"), ("id" = Uuid, Path, description = "The endpoint")),
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Deleted, with its delivery log"),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
    ),
)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = managed(&state, auth, path).await?;
    let audit = crate::audit::entry(&req, &auth, AuditAction::WebhookEndpointDeleted)
        .org(org)
        .target("webhook_endpoint", id);
    if !state
        .db
        .delete_webhook_endpoint(org, id, Some(&audit))
        .await?
    {
        return Err(ApiError::NotFound {
            what: "webhook endpoint",
        });
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization"), ("id" = Uuid, Path, description = "The endpoint")),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "A new secret, shown this once; both sign during the overlap", body = RotatedSecret),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
    ),
)]
pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = managed(&state, auth, path).await?;
    let secret = sign::new_secret();
    let overlap = state.settings.webhooks.secret_overlap;
    state
        .db
        .rotate_webhook_secret(
            org,
            id,
            &secret,
            overlap,
            Some(
                &crate::audit::entry(&req, &auth, AuditAction::WebhookSecretRotated)
                    .org(org)
                    .target("webhook_endpoint", id),
            ),
        )
        .await?
        .ok_or(ApiError::NotFound {
            what: "webhook endpoint",
        })?;
    Ok(HttpResponse::Ok().json(RotatedSecret {
        secret,
        previous_valid_for_secs: overlap.as_secs(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("org" = Uuid, Path, description = "The organization"), ("id" = Uuid, Path, description = "The endpoint"), LogQuery),
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Attempts, newest first", body = Deliveries),
        (status = 400, description = "`validation_failed` on `limit`", body = ErrorBody),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint in this organization", body = ErrorBody),
    ),
)]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = managed(&state, auth, path).await?;
    let limit = query.limit.unwrap_or(LOG_PAGE);
    if !(1..=LOG_PAGE_MAX).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be 1–{LOG_PAGE_MAX}"),
        ));
    }
    let endpoint = endpoint_of(&state, org, id).await?;
    let page = state
        .db
        .webhook_deliveries(endpoint.id, query.before, limit + 1)
        .await?;
    let more = page.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let deliveries: Vec<DeliveryEntry> = page
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(DeliveryEntry::from)
        .collect();
    let next_before = more.then(|| deliveries.last().map(|d| d.id)).flatten();
    Ok(HttpResponse::Ok().json(Deliveries {
        deliveries,
        next_before,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver",
    tag = "webhooks",
    params(
        ("org" = Uuid, Path, description = "The organization"),
        ("id" = Uuid, Path, description = "The endpoint"),
        ("delivery" = i64, Path, description = "An attempt of the event to send again"),
    ),
    security(("access_token" = [])),
    responses(
        (status = 202, description = "The event will be sent once more, out of order, with its `webhook-id`"),
        (status = 403, description = "An API key, or a role below admin", body = ErrorBody),
        (status = 404, description = "No such endpoint or attempt in this organization", body = ErrorBody),
    ),
)]
pub async fn redeliver(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id, delivery) = path.into_inner();
    let org = OrgId(org);
    manager(&state, org, auth).await?;
    let endpoint = endpoint_of(&state, org, id).await?;
    let attempt = state
        .db
        .webhook_delivery(endpoint.id, delivery)
        .await?
        .ok_or(ApiError::NotFound { what: "delivery" })?;
    let payload =
        deliver::redeliver_payload(endpoint.id, &attempt.stream, attempt.stream_id, attempt.seq);
    state
        .db
        .enqueue_all(&[NewJob::new(JobKind::WebhookRedeliver, payload)])
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
