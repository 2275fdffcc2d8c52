//! The outermost middleware: times every HTTP request and records it by
//! route pattern (`/api/v1/boards/{board}`, never the raw path with its
//! ids), method and status. (REST board commands feed the command latency
//! histogram where they are submitted, `routes/commands.rs`, whichever
//! route they came by.)

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// Route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// A bounded method label: the standard methods, else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Middleware: record the request once it is answered.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(metrics) = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone())
    else {
        return next.call(req).await;
    };
    // The pattern comes from the application's route map and the path, so
    // it is known before routing (and for errors that skip the handler).
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(req.method());
    let res = next.call(req).await;
    let status = match &res {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let took = started.elapsed();
    metrics.http_request(&route, method, status.as_u16(), took);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&custom), "OTHER");
    }
}
