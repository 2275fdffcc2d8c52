//! CORS for browser clients on other origins, from the allow-list
//! `CORKBOARD_ALLOWED_ORIGINS` (the same list that admits WebSocket
//! upgrades).
//!
//! A request whose `Origin` is on the list gets
//! `Access-Control-Allow-Origin: <that origin>` and the exposed headers; a
//! preflight (`OPTIONS` with `Access-Control-Request-Method`) from it is
//! answered here, 204 with the allowed methods and headers. Other origins
//! get no CORS header (so the browser withholds the response), and their
//! preflights a 403. Requests without `Origin` (non-browser clients) are
//! untouched. `Access-Control-Allow-Credentials` is never sent: API calls
//! carry bearer tokens, and the one cookie (`corkboard_refresh`, for the
//! browser app on the server's own origin) is `SameSite=Strict`, so no
//! other origin's script can use it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};

use crate::error::ApiError;
use crate::state::AppState;

/// Methods a cross-origin request may use.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a cross-origin request may send.
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key, X-Request-Id";
/// Response headers a cross-origin script may read.
pub const EXPOSE_HEADERS: &str = "X-Request-Id, Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// Whether `origin` is on the allow-list (`*` allows every origin).
pub fn origin_listed(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.trim_end_matches('/');
    allowed.iter().any(|a| a == "*" || a == origin)
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn preflight(origin: HeaderValue) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((
            header::ACCESS_CONTROL_MAX_AGE,
            PREFLIGHT_MAX_AGE_SECS.to_string(),
        ))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

/// Middleware: answer preflights, add CORS headers for allowed origins.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let allowed = req.app_data::<web::Data<AppState>>().is_some_and(|state| {
        origin
            .to_str()
            .is_ok_and(|o| origin_listed(o, &state.settings.allowed_origins))
    });
    if is_preflight(&req) {
        let res = if allowed {
            preflight(origin)
        } else {
            ApiError::Forbidden {
                message: "this Origin may not call the API; add it to CORKBOARD_ALLOWED_ORIGINS"
                    .into(),
            }
            .error_response()
        };
        return Ok(req.into_response(res).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    // The answer depends on Origin; shared caches must key on it.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_matches_exact_origins_or_everything() {
        let list = vec!["https://app.example.com".to_owned()];
        assert!(origin_listed("https://app.example.com", &list));
        assert!(origin_listed("https://app.example.com/", &list));
        assert!(!origin_listed("https://evil.example.com", &list));
        assert!(!origin_listed("http://app.example.com", &list));
        assert!(!origin_listed("https://app.example.com", &[]));
        assert!(origin_listed("https://any.example", &["*".to_owned()]));
    }
}
