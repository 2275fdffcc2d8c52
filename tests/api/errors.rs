//! One error shape everywhere: every error answer, whoever makes it (a
//! route, an extractor, routing itself, a middleware, the WebSocket
//! upgrade), is `{"code", "message", "details"?, "request_id"}` with the
//! `X-Request-Id` header naming the same id.

use reqwest::header::{HeaderMap, ALLOW, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, TestApp};

/// Checks the shape of an error answer; returns its body.
fn shaped(status: StatusCode, headers: &HeaderMap, body: &[u8], want: (u16, &str)) -> Value {
    let text = String::from_utf8_lossy(body);
    assert_eq!(status.as_u16(), want.0, "{text}");
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_slice(body).unwrap_or_else(|_| panic!("JSON: {text}"));
    assert_eq!(body["code"], want.1, "{body}");
    assert!(!body["message"].as_str().unwrap_or("").is_empty(), "{body}");
    let id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no X-Request-Id: {body}"));
    assert_eq!(body["request_id"], id, "{body}");
    body
}

/// Sends `req` and checks its answer's shape; returns (headers, body).
async fn expect_error(req: reqwest::RequestBuilder, want: (u16, &str)) -> (HeaderMap, Value) {
    let res = req.send().await.expect("request");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.bytes().await.expect("body");
    let body = shaped(status, &headers, &bytes, want);
    (headers, body)
}

fn allowed(headers: &HeaderMap) -> Vec<String> {
    let mut methods: Vec<String> = headers
        .get_all(ALLOW)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    methods.sort();
    methods
}

async fn owner_with_org(app: &TestApp) -> (String, String) {
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    (token, org)
}

#[actix_web::test]
async fn unknown_paths_are_a_404_in_the_error_shape_inside_and_outside_the_api() {
    let app = spawn_app().await;
    // A dotless path outside the server's own is a page of the app; a
    // dotted one is a missing file.
    for path in [
        "/nope.js",
        "/api/v1/nope",
        "/api/nope",
        "/health/nope",
        "/metrics/nope",
    ] {
        let (_, body) = expect_error(app.http.get(app.url(path)), (404, "not_found")).await;
        assert_eq!(body["message"], "route not found", "{path}");
    }
    // A request id the client sent is the one answered.
    let (_, body) = expect_error(
        app.http
            .post(app.url("/api/nope"))
            .header("x-request-id", "client-chosen-1"),
        (404, "not_found"),
    )
    .await;
    assert_eq!(body["request_id"], "client-chosen-1");
}

#[actix_web::test]
async fn a_method_a_path_lacks_is_a_405_with_allow() {
    let app = spawn_app().await;
    let (token, org) = owner_with_org(&app).await;
    let cases: [(Method, String, &[&str]); 7] = [
        (Method::POST, "/health/live".into(), &["GET", "HEAD"]),
        (Method::POST, "/metrics".into(), &["GET", "HEAD"]),
        (Method::DELETE, "/health/ready".into(), &["GET", "HEAD"]),
        (Method::PUT, "/ws".into(), &["GET", "HEAD"]),
        (
            Method::DELETE,
            "/api/v1/orgs".into(),
            &["GET", "HEAD", "POST"],
        ),
        (
            Method::PUT,
            format!("/api/v1/orgs/{org}/members"),
            &["GET", "HEAD", "POST"],
        ),
        (Method::GET, "/api/v1/auth/login".into(), &["POST"]),
    ];
    for (method, path, allow) in cases {
        let (headers, _) = expect_error(
            app.http
                .request(method.clone(), app.url(&path))
                .bearer_auth(&token),
            (405, "method_not_allowed"),
        )
        .await;
        assert_eq!(allowed(&headers), allow, "{method} {path}");
    }
}

#[actix_web::test]
async fn body_refusals_are_in_the_error_shape() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let (token, _) = owner_with_org(&app).await;
    let big = json!({ "name": "n".repeat(2000), "key": "BIG" }).to_string();

    // Too large, announced by Content-Length...
    expect_error(
        app.http
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(big.clone()),
        (413, "payload_too_large"),
    )
    .await;
    // ...or found while reading a chunked body.
    let (half, rest) = big.split_at(1000);
    let request = format!(
        "POST /api/v1/orgs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         {:x}\r\n{half}\r\n{:x}\r\n{rest}\r\n0\r\n\r\n",
        half.len(),
        rest.len()
    );
    let (status, headers, body) = app.raw_exchange(request.as_bytes()).await;
    shaped(status, &headers, &body, (413, "payload_too_large"));
    // Not JSON by its Content-Type, or none at all.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app
            .http
            .post(app.url("/api/v1/orgs"))
            .bearer_auth(&token)
            .body(r#"{"name": "Org", "key": "CT"}"#);
        if let Some(content_type) = content_type {
            req = req.header(CONTENT_TYPE, content_type);
        }
        expect_error(req, (415, "unsupported_media_type")).await;
    }
    // Malformed JSON, and JSON of the wrong shape.
    for body in ["{\"name\": ", "[1, 2]", "{\"name\": 5, \"key\": \"X\"}"] {
        expect_error(
            app.http
                .post(app.url("/api/v1/orgs"))
                .bearer_auth(&token)
                .header(CONTENT_TYPE, "application/json")
                .body(body),
            (400, "invalid_body"),
        )
        .await;
    }
}

/// Every route with a JSON body, signed in or not, answers a body of
/// another (or a malformed) media type with 415 `unsupported_media_type`
/// in the error shape, never a bare 400.
#[actix_web::test]
async fn a_bad_content_type_is_a_415_in_the_error_shape_on_every_body_route() {
    let app = spawn_app().await;
    let (token, org) = owner_with_org(&app).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id");
    let routes = [
        ("/api/v1/auth/register", false),
        ("/api/v1/auth/login", false),
        ("/api/v1/auth/refresh", false),
        ("/api/v1/orgs", true),
        (&format!("/api/v1/boards/{board}/commands")[..], true),
    ];
    for (path, signed_in) in routes {
        for content_type in [
            "text/plain",
            "",
            "garbage",
            "application/",
            "application/json-seq",
            "multipart/form-data; boundary=x",
        ] {
            let mut req = app
                .http
                .post(app.url(path))
                .header(CONTENT_TYPE, content_type)
                .body("{}");
            if signed_in {
                req = req.bearer_auth(&token);
            }
            println!("{path} with {content_type:?}");
            expect_error(req, (415, "unsupported_media_type")).await;
        }
        // A header value that is not even text.
        let auth = if signed_in {
            format!("Authorization: Bearer {token}\r\n")
        } else {
            String::new()
        };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Length: 2\r\n\
             Connection: close\r\nContent-Type: application/"
        )
        .into_bytes();
        request.extend_from_slice(b"\xff\xfe\r\n\r\n{}");
        let (status, headers, body) = app.raw_exchange(&request).await;
        println!("{path} with a binary content type");
        shaped(status, &headers, &body, (415, "unsupported_media_type"));
    }
}

#[actix_web::test]
async fn bad_path_and_query_parameters_are_in_the_error_shape() {
    let app = spawn_app().await;
    let (token, org) = owner_with_org(&app).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    expect_error(
        app.http
            .get(app.url("/api/v1/boards/not-a-uuid"))
            .bearer_auth(&token),
        (400, "invalid_path"),
    )
    .await;
    expect_error(
        app.http
            .get(app.url(&format!("/api/v1/boards/{board_id}/events?since=minus-one")))
            .bearer_auth(&token),
        (400, "invalid_query"),
    )
    .await;
}

#[actix_web::test]
async fn middleware_refusals_are_in_the_error_shape() {
    let app = spawn_app_with(|s| {
        s.allowed_origins = vec!["https://app.example.com".into()];
        s.rate_limits.ip = server::config::RateLimit {
            per_sec: 1,
            burst: 1,
        };
    })
    .await;
    // A preflight from an origin not on the list.
    expect_error(
        app.http
            .request(Method::OPTIONS, app.url("/api/v1/orgs"))
            .header("origin", "https://evil.example.com")
            .header("access-control-request-method", "POST"),
        (403, "forbidden"),
    )
    .await;
    // Over the per-IP limit: the burst of 1 is spent by the first request.
    let _ = app.http.get(app.url("/api/v1/me")).send().await;
    let (headers, body) =
        expect_error(app.http.get(app.url("/api/v1/me")), (429, "rate_limited")).await;
    assert!(headers.contains_key("retry-after"), "{body}");
}

/// Sends an upgrade request and checks the refusal's shape.
async fn refused_upgrade(
    app: &TestApp,
    path: &str,
    headers: &[(&'static str, &str)],
    want: (u16, &str),
) {
    let mut req = app.ws_request(headers);
    *req.uri_mut() = format!("ws://127.0.0.1:{}{path}", app.port)
        .parse()
        .expect("uri");
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("refused");
    let WsError::Http(res) = err else {
        panic!("expected an HTTP refusal, got {err}");
    };
    let mut headers = HeaderMap::new();
    for (name, value) in res.headers() {
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()).expect("name"),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).expect("value"),
        );
    }
    let status = StatusCode::from_u16(res.status().as_u16()).expect("status");
    shaped(
        status,
        &headers,
        res.body().as_deref().unwrap_or_default(),
        want,
    );
}

#[actix_web::test]
async fn refused_upgrades_are_in_the_error_shape() {
    let app = spawn_app_with(|s| s.allowed_origins = vec!["https://app.example.com".into()]).await;
    refused_upgrade(
        &app,
        "/ws",
        &[("origin", "https://evil.example.com")],
        (403, "forbidden"),
    )
    .await;
    refused_upgrade(
        &app,
        "/ws",
        &[("sec-websocket-protocol", "corkboard.v0.xml")],
        (400, "unsupported_subprotocol"),
    )
    .await;
    refused_upgrade(
        &app,
        "/ws",
        &[("authorization", "Bearer forged")],
        (401, "invalid_token"),
    )
    .await;
    refused_upgrade(&app, "/api/nope", &[], (404, "not_found")).await;
    refused_upgrade(&app, "/api/v1/me", &[], (401, "missing_token")).await;
}
