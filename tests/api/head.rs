//! `HEAD` works wherever `GET` does: the same status and headers, and no
//! body on the wire.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::helpers::{email, org_key, spawn_app_with, TestApp};

/// Headers that differ between any two answers.
const VARYING: [&str; 2] = ["date", "x-request-id"];

/// Status and headers (but the varying ones) of `method path`, sent with
/// the same request id so the bodies are alike, and the body.
async fn answer(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let res = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("x-request-id", "head-check")
        .send()
        .await
        .expect("request");
    let status = res.status();
    let headers = comparable(res.headers());
    let body = res.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

fn comparable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !VARYING.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A concrete path for a templated route of the table: the test's own
/// org, board and item where there is one, a fresh UUID elsewhere.
fn concrete(path: &str, org: &str, board: &str, item: &str) -> String {
    path.replace("{org}", org)
        .replace("{board}", board)
        .replace("{item}", item)
        .replace("{number}", "1")
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn every_get_route_answers_head_alike_without_a_body() {
    let app = spawn_app_with(|s| s.metrics = true).await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let (_, created) = app
        .command(
            &token,
            &board_id,
            serde_json::json!({ "type": "create_item", "title": "One" }),
        )
        .await;
    let item = created["events"][0]["event"]["item"]
        .as_str()
        .expect("item")
        .to_owned();

    let mut paths: Vec<String> = server::routes::API_ROUTES
        .iter()
        .filter(|(method, _)| *method == "get")
        .map(|(_, path)| {
            format!(
                "{}{}",
                server::routes::API_PREFIX,
                concrete(path, &org, &board_id, &item)
            )
        })
        .collect();
    paths.extend(["/", "/health/live", "/health/ready", "/metrics", "/nope"].map(str::to_owned));
    let mut successes = 0;
    for path in &paths {
        let (get_status, mut get_headers, get_body) = answer(&app, Method::GET, path, &token).await;
        let (status, mut headers, body) = answer(&app, Method::HEAD, path, &token).await;
        if let Some((_, length)) = get_headers.iter().find(|(n, _)| n == "content-length") {
            assert_eq!(length, &get_body.len().to_string(), "GET {path}");
        }
        if path == "/metrics" || path.starts_with("/health/") {
            // The metrics page counts the requests before it, and health
            // bodies carry the uptime and the database's latency: their
            // length changes between two answers.
            for headers in [&mut get_headers, &mut headers] {
                headers.retain(|(name, _)| name != "content-length");
            }
        }
        assert_eq!(status, get_status, "HEAD {path}");
        assert_eq!(headers, get_headers, "HEAD {path}");
        assert!(body.is_empty(), "HEAD {path} has a body");
        successes += usize::from(get_status.is_success());
    }
    assert!(
        successes >= paths.len() / 2,
        "most routes should be reached, not refused"
    );
}

/// On the wire: the head of a `HEAD` answer announces the `GET` body's
/// length, and no byte of a body follows it.
#[actix_web::test]
async fn a_head_answer_on_the_wire_has_the_length_and_no_body() {
    let app = spawn_app_with(|_| {}).await;
    let get = app
        .http
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("request");
    assert_eq!(get.status(), StatusCode::OK);
    let get_length = get.bytes().await.expect("body").len();
    assert!(get_length > 0);

    let (status, headers, body) = app
        .raw_exchange(b"HEAD /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get("content-length").and_then(|v| v.to_str().ok()),
        Some(get_length.to_string().as_str())
    );
    assert!(body.is_empty(), "a body followed the head");
}

/// A WebSocket handshake must be a `GET`: one sent as `HEAD` is refused,
/// not upgraded.
#[actix_web::test]
async fn a_head_websocket_handshake_is_not_upgraded() {
    let app = spawn_app_with(|_| {}).await;
    let (status, _, _) = app
        .raw_exchange(
            b"HEAD /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n\
              Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
