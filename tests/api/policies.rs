//! The server's HTTP policies: rate limits (REST per user and per IP,
//! WebSocket per session), CORS, and response compression. See
//! `docs/operations.md`.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::config::RateLimit;

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, TestApp, Wire};
use crate::operations::scrape;

/// A 429 in the API's error shape, with `Retry-After` and
/// `details.retry_after_ms`; returns the wait in ms.
async fn assert_rate_limited(res: reqwest::Response) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["request_id"].is_string(), "{body}");
    let ms = body["details"]["retry_after_ms"]
        .as_u64()
        .expect("details.retry_after_ms");
    assert!(ms >= 1, "{body}");
    assert_eq!(retry_after, ms.div_ceil(1000), "Retry-After rounds up");
    ms
}

#[actix_web::test]
async fn rest_calls_over_the_per_user_limit_get_429_rate_limited_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limits.principal = RateLimit {
            per_sec: 1,
            burst: 3,
        }
    })
    .await;
    let (ada, _) = app.register(&email()).await;
    let (bob, _) = app.register(&email()).await;
    for _ in 0..3 {
        let (status, body) = app.get(&ada, "/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&ada)
        .send()
        .await
        .expect("request");
    let wait = assert_rate_limited(res).await;
    assert!(wait <= 1000, "one token a second: {wait} ms");
    // Another user has a bucket of their own.
    let (status, _) = app.get(&bob, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    // Health checks need no token and are never limited.
    for _ in 0..5 {
        let res = app
            .http
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
    }
    let m = scrape(&app).await;
    m.positive("corkboard_rate_limited_total", &[("limit", "user")]);
    m.positive(
        "corkboard_http_requests_total",
        &[("route", "/api/v1/me"), ("status", "429")],
    );
}

#[actix_web::test]
async fn rest_calls_over_the_per_ip_limit_get_429_and_health_and_metrics_are_exempt() {
    let origin = "https://app.example.com";
    let app = spawn_app_with(|s| {
        s.rate_limits.ip = RateLimit {
            per_sec: 1,
            burst: 3,
        };
        s.allowed_origins = vec![origin.to_owned()];
    })
    .await;
    // Without a token: refused (401), but counted against the address.
    for _ in 0..3 {
        let res = app
            .http
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("origin", origin)
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(origin),
        "a browser may read the 429"
    );
    assert_rate_limited(res).await;
    for path in ["/health/live", "/health/ready", "/metrics"] {
        for _ in 0..4 {
            let res = app.http.get(app.url(path)).send().await.expect("request");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }
    scrape(&app)
        .await
        .positive("corkboard_rate_limited_total", &[("limit", "ip")]);
}

#[actix_web::test]
async fn ws_messages_over_the_session_limit_are_refused_and_the_session_goes_on() {
    let app = spawn_app_with(|s| {
        s.rate_limits.ws_session = RateLimit {
            per_sec: 10,
            burst: 5,
        }
    })
    .await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    // `auth` and `subscribe` take two of the five tokens.
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.subscribe(board_id).await;

    const SENT: usize = 10;
    for i in 0..SENT {
        ws.send_command(
            &format!("c-{i}"),
            board_id,
            json!({ "type": "create_item", "title": format!("item {i}") }),
        )
        .await;
    }
    ws.send(json!({ "type": "ping", "nonce": 7 })).await;
    let mut acked = 0;
    let mut limited = Vec::new();
    let mut ping_refused = false;
    while acked + limited.len() < SENT || !ping_refused {
        let msg = ws.recv().await;
        match msg["type"].as_str() {
            Some("ack") => acked += 1,
            Some("rejected") => {
                assert_eq!(msg["code"], "rate_limited", "{msg}");
                assert_eq!(msg["retryable"], true, "{msg}");
                let wait = msg["details"]["retry_after_ms"]
                    .as_u64()
                    .expect("details.retry_after_ms");
                assert!((1..=100).contains(&wait), "{msg}");
                limited.push(wait);
            }
            Some("error") => {
                assert_eq!(msg["code"], "rate_limited", "{msg}");
                ping_refused = true;
            }
            Some("pong") => panic!("the ping should have been over the limit"),
            _ => {}
        }
    }
    assert!(acked >= 1, "the first commands fit in the burst");
    assert!(
        limited.len() >= SENT - 4,
        "{} of {SENT} refused",
        limited.len()
    );

    // After the advertised wait, the same session works again.
    let wait = limited.iter().copied().max().unwrap_or(100);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let again = ws
        .command(
            "after",
            board_id,
            json!({ "type": "create_item", "title": "after the window" }),
        )
        .await;
    assert_eq!(again["type"], "ack", "{again}");
    scrape(&app)
        .await
        .positive("corkboard_rate_limited_total", &[("limit", "ws_session")]);
}

const ALLOWED: &str = "https://app.example.com";
const FOREIGN: &str = "https://evil.example.net";

async fn spawn_with_origin() -> TestApp {
    spawn_app_with(|s| s.allowed_origins = vec![ALLOWED.to_owned()]).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

#[actix_web::test]
async fn cors_allowed_origins_get_the_headers_and_foreign_ones_do_not() {
    let app = spawn_with_origin().await;
    let (token, _) = app.register(&email()).await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(ALLOWED));
    let exposed = header(h, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.contains("X-Request-Id") && exposed.contains("Retry-After"),
        "{exposed}"
    );
    assert!(header(h, "vary").unwrap_or_default().contains("Origin"));
    assert!(h.get("access-control-allow-credentials").is_none());

    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("origin", FOREIGN)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "the server still answers");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(res.headers().get("access-control-expose-headers").is_none());

    // Non-browser clients (no Origin) see no CORS headers either.
    let (status, _) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn cors_preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_with_origin().await;
    let path = format!("/api/v1/boards/{}/commands", uuid::Uuid::new_v4());
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, app.url(&path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let res = preflight(ALLOWED).await.expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(header(h, "access-control-allow-origin"), Some(ALLOWED));
    let methods = header(h, "access-control-allow-methods").unwrap_or_default();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let allowed = header(h, "access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in [
        "authorization",
        "content-type",
        "idempotency-key",
        "x-request-id",
    ] {
        assert!(allowed.contains(name), "{name} not in {allowed}");
    }
    assert!(h.get("access-control-max-age").is_some());

    let res = preflight(FOREIGN).await.expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "forbidden", "{body}");
}

#[actix_rt::test]
async fn large_json_responses_are_gzipped_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/openapi.json");
    let gzipped = app
        .http
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(gzipped.status(), reqwest::StatusCode::OK);
    assert_eq!(
        gzipped
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let compressed = gzipped.bytes().await.expect("body").len();
    let plain = app.http.get(&url).send().await.expect("request");
    assert!(plain.headers().get("content-encoding").is_none());
    let uncompressed = plain.bytes().await.expect("body").len();
    assert!(
        compressed * 3 < uncompressed,
        "gzip {compressed} bytes against {uncompressed}"
    );
}
