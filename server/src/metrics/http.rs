//! The outermost middleware: times every HTTP request and records it by
//! route pattern (`/api/v1/boards/{board}`, never the raw path with its
//! ids), method and status. REST board commands also feed the command
//! latency histogram, like WebSocket commands do.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;

use super::{Outcome, Transport};
use crate::startup::AppState;

/// The route pattern of REST board commands.
pub const COMMANDS_ROUTE: &str = "/api/v1/boards/{board}/commands";

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

/// Whether a REST command answered with `status` reached the board. The
/// others were refused before they became commands (bad body, no
/// credential, rate limit...).
fn command_outcome(status: StatusCode) -> Option<Outcome> {
    match status.as_u16() {
        200..=299 => Some(Outcome::Ack),
        400 | 401 | 413 | 415 | 429 => None,
        _ => Some(Outcome::Rejected),
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
    if route == COMMANDS_ROUTE && method == "POST" {
        if let Some(outcome) = command_outcome(status) {
            metrics.command_done(Transport::Rest, outcome, took);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_outcomes_are_bounded() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&custom), "OTHER");
        assert_eq!(command_outcome(StatusCode::OK), Some(Outcome::Ack));
        assert_eq!(
            command_outcome(StatusCode::UNPROCESSABLE_ENTITY),
            Some(Outcome::Rejected)
        );
        assert_eq!(
            command_outcome(StatusCode::SERVICE_UNAVAILABLE),
            Some(Outcome::Rejected)
        );
        assert_eq!(command_outcome(StatusCode::TOO_MANY_REQUESTS), None);
    }
}
