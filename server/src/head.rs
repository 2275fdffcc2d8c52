//! `HEAD` wherever `GET` works: a `HEAD` request is routed and answered as
//! the `GET` it mirrors (same status, same headers, `Content-Length`
//! included), and actix-http's HTTP/1 encoder, which remembers that the
//! request on the wire was a `HEAD`, leaves the body out. Health probes
//! and caches use `HEAD`.
//!
//! It is the innermost middleware: the outer ones (request id, metrics,
//! logs) still see `HEAD`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware: route `HEAD` requests as `GET`.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Not an upgrade: a WebSocket handshake must be a `GET`, and a `HEAD`
    // one is refused as `HEAD` (405 on `/ws`).
    if req.method() == Method::HEAD && !req.head().upgrade() {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
