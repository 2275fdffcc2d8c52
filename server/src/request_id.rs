//! Request ids: taken from a sane `X-Request-Id` header or generated, put on
//! every log line of the request (through its span), echoed in the response
//! header and in every error body.
//!
//! The request's span, `http`, carries `request_id`, `method`, `route` (the
//! route *pattern*, `/api/v1/boards/{board}`; `unmatched` and the raw
//! `path` for a path that matches no route) and, once the `Auth` extractor
//! knows the caller, `user_id` or `api_key_id`. When the response is ready
//! the middleware logs one line in it: `request` with `status` and
//! `duration_ms`. The span travels on to the actors and the storage actor
//! with every message the request sends, so their lines carry it too.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use actors::Caller;
use tracing::field::Empty;
use tracing::{Instrument, Span};

pub const HEADER: &str = "x-request-id";
const MAX_LEN: usize = 64;

/// The `route` of a request that matched no route.
const UNMATCHED: &str = "unmatched";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or `-` outside a request.
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The request's span, kept in its extensions so [`identify`] finds it
/// whatever span is current where the caller becomes known.
#[derive(Clone)]
struct RequestSpan(Span);

/// Record who is calling on the request's span (and so on every line
/// logged for the request from now on, and its `request` line): the user
/// id, or the API key's id. Never the credential itself.
pub fn identify(req: &HttpRequest, caller: Caller) {
    let extensions = req.extensions();
    let Some(RequestSpan(span)) = extensions.get::<RequestSpan>() else {
        return;
    };
    match caller {
        Caller::User(user) => span.record("user_id", tracing::field::display(user)),
        Caller::ApiKey { id, .. } => span.record("api_key_id", tracing::field::display(id)),
    };
}

/// Middleware: assign the id, run the request inside its span and scope,
/// and log the `request` line when it is answered.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // The pattern comes from the route map and the path, so it is known
    // before routing (see `metrics::record`).
    let route = req.match_pattern();
    let span = tracing::info_span!(
        "http",
        request_id = %id,
        method = %req.method(),
        route = route.as_deref().unwrap_or(UNMATCHED),
        client_ip = %crate::client_addr::ClientAddr::of(req.request()).ip,
        path = Empty,
        user_id = Empty,
        api_key_id = Empty,
    );
    if route.is_none() {
        span.record("path", req.path());
    }
    req.extensions_mut().insert(RequestSpan(span.clone()));
    let res = REQUEST_ID
        .scope(id.clone(), next.call(req))
        .instrument(span.clone())
        .await;
    let status = match &res {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let duration_ms = started.elapsed().as_micros() as f64 / 1000.0;
    span.in_scope(|| tracing::info!(status = status.as_u16(), duration_ms, "request"));
    let mut res = res?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};
    use protocol::UserId;
    use serde_json::Value;

    use super::*;

    /// JSON log lines, as the server writes them in production.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = self.0.lock() {
                lines.extend_from_slice(buf);
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn parsed(&self) -> Vec<Value> {
            let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|line| serde_json::from_str(line).expect("a JSON line"))
                .collect()
        }
    }

    const USER: UserId = UserId(uuid::Uuid::from_u128(7));

    async fn as_user(req: HttpRequest) -> HttpResponse {
        identify(&req, Caller::User(USER));
        tracing::info!("inside the handler");
        HttpResponse::Ok().finish()
    }

    /// Runs `requests` through the middleware, logging JSON as `telemetry`
    /// does, and returns the lines.
    async fn logged(requests: Vec<test::TestRequest>) -> Vec<Value> {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(move || writer.clone())
            .finish();
        // The test runtime is single-threaded: a thread-local subscriber
        // sees every poll.
        let _default = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(middleware))
                .route("/boards/{board}", web::get().to(as_user)),
        )
        .await;
        for req in requests {
            test::call_service(&app, req.to_request()).await;
        }
        lines.parsed()
    }

    #[actix_web::test]
    async fn the_request_line_has_route_pattern_status_duration_caller_and_id() {
        let lines = logged(vec![test::TestRequest::get()
            .uri("/boards/b-123")
            .insert_header((HEADER, "req-1"))])
        .await;
        let request = lines
            .iter()
            .find(|l| l["message"] == "request")
            .expect("a request line");
        assert_eq!(request["level"], "INFO");
        assert_eq!(request["status"], 200);
        assert!(request["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
        let span = &request["span"];
        assert_eq!(span["request_id"], "req-1", "{request}");
        assert_eq!(span["method"], "GET");
        assert_eq!(
            span["route"], "/boards/{board}",
            "the pattern, not the path"
        );
        assert_eq!(span["user_id"], USER.to_string());
        assert!(span.get("path").is_none(), "{request}");
        // Lines logged after the caller is known carry it too.
        let inside = lines
            .iter()
            .find(|l| l["message"] == "inside the handler")
            .expect("the handler's line");
        assert_eq!(inside["span"]["user_id"], USER.to_string());
        assert_eq!(inside["span"]["request_id"], "req-1");
    }

    #[actix_web::test]
    async fn an_unmatched_path_is_logged_with_its_path_and_no_caller() {
        let lines = logged(vec![test::TestRequest::get().uri("/nowhere/42")]).await;
        let request = lines
            .iter()
            .find(|l| l["message"] == "request")
            .expect("a request line");
        assert_eq!(request["status"], 404);
        assert_eq!(request["span"]["route"], "unmatched");
        assert_eq!(request["span"]["path"], "/nowhere/42");
        assert!(request["span"].get("user_id").is_none());
        assert!(request["span"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()));
    }
}
