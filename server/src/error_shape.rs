//! The last guard of the one error shape. Routes, extractors and our
//! middleware answer errors through `ApiError`; this middleware catches
//! the error answers actix still makes by itself — an empty `405` of a
//! resource, the plain-text `413` of a `Bytes` or `String` body, anything a
//! future extractor or middleware answers on its own — and rewrites them
//! as `ApiError` would have, keeping their status and headers (`Allow`).
//!
//! It sits inside the request id middleware, so the body carries the
//! request's id. Error answers that already are JSON are left alone: they
//! come from `ApiError`, or are a probe's own report (`/health/ready`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::error::ApiError;
use crate::state::AppState;

/// Middleware: rewrite error answers that are not JSON into the error
/// shape.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(res.headers()) {
        return Ok(res.map_into_left_body());
    }
    if let Some(cause) = res.response().error() {
        tracing::debug!(status = status.as_u16(), cause = %cause, "actix answered an error by itself");
    }
    let limit = res
        .request()
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.max_body_bytes);
    let api = bare(status, res.headers(), limit);
    let (req, old) = res.into_parts();
    let mut shaped = api.error_response();
    // Headers of the original answer survive (`Allow`, `Retry-After`...),
    // except those describing its body.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !shaped.headers().contains_key(name)
        {
            shaped.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, shaped).map_into_right_body())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The `ApiError` for an answer known only by its status (and headers).
fn bare(status: StatusCode, headers: &HeaderMap, body_limit: Option<usize>) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound { what: "route" },
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed {
            allow: headers
                .get_all(header::ALLOW)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|m| m.trim().parse::<Method>().ok())
                .collect(),
        },
        StatusCode::PAYLOAD_TOO_LARGE => match body_limit {
            Some(limit) => ApiError::PayloadTooLarge { limit },
            None => ApiError::Status(status),
        },
        other => ApiError::Status(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::middleware::from_fn;
    use actix_web::{test, App, HttpResponse};
    use serde_json::Value;

    use super::*;

    /// Answers of routes that bypass `ApiError`, as the middleware leaves
    /// them: (status, `Allow`, body).
    async fn call(req: test::TestRequest) -> (StatusCode, Option<String>, Value) {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(middleware))
                .app_data(web::PayloadConfig::new(8))
                .route(
                    "/bytes",
                    web::post().to(|body: web::Bytes| async move { body }),
                )
                .route(
                    "/text",
                    web::get().to(|| async { HttpResponse::InternalServerError().body("boom") }),
                )
                .service(web::resource("/only-get").get(HttpResponse::Ok)),
        )
        .await;
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status();
        let allow = res
            .headers()
            .get(header::ALLOW)
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
        (status, allow, body)
    }

    #[actix_web::test]
    async fn answers_actix_makes_by_itself_get_the_error_shape() {
        let (status, _, body) = call(
            test::TestRequest::post()
                .uri("/bytes")
                .set_payload("more than 8 bytes"),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["code"], "payload_too_large");

        let (status, _, body) = call(test::TestRequest::get().uri("/text")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert_eq!(body["message"], "Internal Server Error", "not the cause");

        let (status, allow, body) = call(test::TestRequest::post().uri("/only-get")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(allow.as_deref(), Some("GET"));
        assert!(body["request_id"].is_string());
    }
}
