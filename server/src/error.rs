//! The one error shape of the HTTP API:
//! `{"code": "...", "message": "...", "details": {...}, "request_id": "..."}`.
//! `code` is stable for clients; internal causes go to the log only.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use actors::ActorError;
use protocol::codes::ErrorCode;
use serde::Serialize;
use storage::DbError;

use crate::request_id;

/// Seconds a client should wait before retrying a retryable failure.
pub const RETRY_AFTER_SECS: u64 = 1;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field failed validation.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// The request itself is unusable (bad JSON, bad path parameter...).
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The path exists, the method does not: 405 with `Allow`.
    #[error("this route does not accept this method; it accepts {}", method_list(.allow))]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// The thing existed but can no longer be used (an expired invite).
    #[error("{message}")]
    Gone { code: ErrorCode, message: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Refused for now (a locked login): 429 with `Retry-After` and
    /// `details.retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        code: ErrorCode,
        message: String,
        retry_after_secs: u64,
    },
    /// Over a rate limit: 429 `rate_limited` with `Retry-After` (whole
    /// seconds, rounded up) and `details.retry_after_ms`.
    #[error("too many requests; retry after {} ms", retry_after_ms(*.retry_after))]
    RateLimited { retry_after: std::time::Duration },
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    /// An actor refused or failed.
    #[error(transparent)]
    Actor(#[from] ActorError),
    /// The database is unreachable or failed.
    #[error("storage is temporarily unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    /// An error answer actix made by itself, of which only the status is
    /// known (see `error_shape`): the code names the status, e.g.
    /// `uri_too_long`.
    #[error("{}", .0.canonical_reason().unwrap_or("error"))]
    Status(StatusCode),
}

/// The body of every error answer: every 4xx and 5xx, in `/api/v1` and
/// outside (health, metrics, the WebSocket upgrade, unknown paths).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code to match on, e.g. `not_found`,
    /// `validation_failed`, `invalid_body`, `rate_limited`: one of
    /// `ErrorCode` (`protocol::codes`, also listed in PROTOCOL.md).
    #[schema(value_type = ErrorCode, example = "validation_failed")]
    pub code: String,
    /// What went wrong, for humans. Never internal error text.
    pub message: String,
    /// Present for some codes: per-field problems for `validation_failed`
    /// (`{"title": "must be 1–500 characters"}`), the rejection for a
    /// refused command (`{"code": "wip_limit_reached", ...}`),
    /// `retryable`, `retry_after_ms` or `retry_after_secs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// The request's id (the `X-Request-Id` header); quote it when
    /// reporting a problem.
    pub request_id: String,
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => ErrorCode::ValidationFailed.as_str(),
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. }
            | ApiError::TooManyRequests { code, .. } => code.as_str(),
            ApiError::Forbidden { .. } => ErrorCode::Forbidden.as_str(),
            ApiError::NotFound { .. } => ErrorCode::NotFound.as_str(),
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed.as_str(),
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge.as_str(),
            ApiError::RateLimited { .. } => ErrorCode::RateLimited.as_str(),
            ApiError::UnsupportedMediaType { .. } => ErrorCode::UnsupportedMediaType.as_str(),
            ApiError::Actor(e) => e.code(),
            ApiError::Unavailable(_) => ErrorCode::Unavailable.as_str(),
            ApiError::Internal(_) => ErrorCode::Internal.as_str(),
            ApiError::Status(status) => status_code_name(*status).as_str(),
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        match self {
            ApiError::Validation { field, message } => Some(serde_json::json!({ field: message })),
            ApiError::Actor(ActorError::Rejected(r)) => protocol::wire::rejection_details(r),
            ApiError::Actor(e) if e.retryable() => Some(serde_json::json!({ "retryable": true })),
            ApiError::Actor(ActorError::Internal(_)) | ApiError::Internal(_) => {
                Some(serde_json::json!({ "retryable": false }))
            }
            ApiError::Unavailable(_) => Some(serde_json::json!({ "retryable": true })),
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => Some(serde_json::json!({ "retry_after_secs": retry_after_secs })),
            ApiError::RateLimited { retry_after } => {
                Some(serde_json::json!({ "retry_after_ms": retry_after_ms(*retry_after) }))
            }
            _ => None,
        }
    }

    fn client_message(&self) -> String {
        match self {
            ApiError::Actor(e) => e.client_message(),
            ApiError::NotFound { what } => format!("{what} not found"),
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Actor(e) => match e {
                ActorError::NotFound => StatusCode::NOT_FOUND,
                ActorError::Rejected(
                    protocol::Rejection::Forbidden { .. }
                    | protocol::Rejection::NotCommentAuthor { .. },
                ) => StatusCode::FORBIDDEN,
                ActorError::Rejected(protocol::Rejection::BoardNotFound) => StatusCode::NOT_FOUND,
                ActorError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
                // Routes map an organization's refusals themselves
                // (`routes::org_commands::refusal`); this is the fallback.
                ActorError::OrgRejected(protocol::OrgRejection::Forbidden { .. }) => {
                    StatusCode::FORBIDDEN
                }
                ActorError::OrgRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ActorError::Overloaded | ActorError::Unavailable(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                ActorError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                ActorError::Timeout => StatusCode::GATEWAY_TIMEOUT,
                // Subscriptions are WebSocket-only; REST never sees these.
                ActorError::TooManySubscriptions { .. } | ActorError::AlreadySubscribed => {
                    StatusCode::CONFLICT
                }
            },
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Status(status) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(code = self.code(), cause = %cause, "request failed");
            }
            ApiError::Actor(ActorError::Unavailable(cause)) => {
                tracing::warn!(code = self.code(), cause = %cause, "request failed");
            }
            ApiError::Actor(ActorError::Internal(cause)) => {
                tracing::error!(code = self.code(), cause = %cause, "request failed");
            }
            _ => tracing::debug!(code = self.code(), "request refused"),
        }
        let mut res = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
        }
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::RateLimited { retry_after } = self {
            let secs = retry_after_ms(*retry_after).div_ceil(1000);
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, method_list(allow)));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(ErrorBody {
            code: self.code().to_owned(),
            message: self.client_message(),
            details: self.details(),
            request_id: request_id::current(),
        })
    }
}

/// Methods as an `Allow` header lists them: `GET, HEAD`.
fn method_list(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The code of an answer known only by its status: for the statuses actix
/// answers by itself, the reason phrase in snake case (`413 Payload Too
/// Large` is `payload_too_large`); any other is `bad_request` or
/// `internal`.
fn status_code_name(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::GONE => ErrorCode::Gone,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::TooManyRequests,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::NOT_ACCEPTABLE => ErrorCode::NotAcceptable,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::LENGTH_REQUIRED => ErrorCode::LengthRequired,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::URI_TOO_LONG => ErrorCode::UriTooLong,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::EXPECTATION_FAILED => ErrorCode::ExpectationFailed,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ErrorCode::RequestHeaderFieldsTooLarge,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        StatusCode::GATEWAY_TIMEOUT => ErrorCode::Timeout,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    }
}

/// A wait in whole milliseconds, rounded up and at least 1 (a client told
/// to wait 0 ms would retry at once).
pub fn retry_after_ms(wait: std::time::Duration) -> u64 {
    let ms = u64::try_from(wait.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
    ms.max(1)
}

impl From<crate::auth::TokenError> for ApiError {
    fn from(e: crate::auth::TokenError) -> Self {
        match e {
            crate::auth::TokenError::Unavailable => ApiError::Unavailable(e.to_string()),
            other => ApiError::Unauthorized {
                code: other.error_code(),
                message: other.to_string(),
            },
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(cause) => ApiError::Unavailable(cause),
            DbError::Conflict(what) => ApiError::Conflict {
                code: ErrorCode::Conflict,
                message: format!("{what} already exists"),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}
