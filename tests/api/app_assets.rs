//! The real binary and the board app's files (`server::app_assets`): the
//! server's own paths keep their answers whatever is embedded; `/` and
//! other pages are the app's when one is embedded, else `/` leads to the
//! API reference and pages are 404. The serving rules themselves are unit
//! tested against a fake build in `server/src/app_assets/tests.rs`.

use reqwest::{Method, StatusCode};
use server::app_assets::Assets;

use crate::helpers::{spawn_app_with, TestApp};

/// `method path`, redirects not followed; the test's client does not
/// decompress, so only the page requests ask for gzip.
async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    send_with(app, method, path, "identity").await
}

async fn send_with(app: &TestApp, method: Method, path: &str, encoding: &str) -> reqwest::Response {
    server::webhooks::guard::install_tls_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    client
        .request(method, app.url(path))
        .header("accept-encoding", encoding)
        .send()
        .await
        .expect("answer")
}

fn content_type(res: &reqwest::Response) -> &str {
    res.headers()
        .get("content-type")
        .map_or("", |v| v.to_str().expect("ascii"))
}

async fn assert_not_found(app: &TestApp, path: &str) {
    let res = send(app, Method::GET, path).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    assert_eq!(content_type(&res), "application/json", "{path}");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "not_found", "{path}");
}

/// The status of `GET path` written byte for byte on a fresh connection.
async fn raw_get_status(app: &TestApp, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.expect("status line");
    let line = std::str::from_utf8(&head).expect("ascii");
    line[9..12].parse().expect("status code")
}

#[actix_web::test]
async fn the_servers_own_paths_keep_their_answers_and_pages_follow_the_embedded_app() {
    let app = spawn_app_with(|settings| settings.metrics = true).await;

    for path in [
        "/api",
        "/api/v1/nope",
        "/ws/x",
        "/health",
        "/health/x",
        "/metrics/x",
    ] {
        assert_not_found(&app, path).await;
    }
    let res = send(&app, Method::GET, "/health/live").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(&app, Method::GET, "/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(content_type(&res).starts_with("text/plain"));
    // A GET without the upgrade is refused by the socket route, not served
    // a page.
    let res = send(&app, Method::GET, "/ws").await;
    assert!(res.status().is_client_error());
    assert_eq!(content_type(&res), "application/json");
    assert_not_found(&app, "/assets/missing-00000000.js").await;
    // Sent as is: an HTTP client library would normalise the dot segments away.
    for path in [
        "/%2e%2e/boards/1",
        "/assets/%2e%2e/index.html",
        "/./boards/1",
    ] {
        assert_eq!(raw_get_status(&app, path).await, 404, "{path}");
    }

    let root = send_with(&app, Method::GET, "/", "gzip").await;
    let page = send_with(&app, Method::GET, "/boards/123", "gzip").await;
    if Assets::embedded().has_app() {
        for res in [&root, &page] {
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(content_type(res), "text/html; charset=utf-8");
            assert_eq!(res.headers()["cache-control"], "no-cache");
            assert_eq!(res.headers()["vary"], "Accept-Encoding");
            assert_eq!(res.headers()["content-encoding"], "gzip");
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .expect("ascii");
            assert!(csp.contains("script-src 'self';"), "{csp}");
            assert!(
                csp.contains(&format!("ws://127.0.0.1:{}", app.port)),
                "{csp}"
            );
        }
    } else {
        assert_eq!(root.status(), StatusCode::SEE_OTHER);
        assert_eq!(root.headers()["location"], "/api/v1/docs");
        assert_not_found(&app, "/boards/123").await;
    }

    // `HEAD` of a page answers as its `GET`, with no body on the wire.
    let head = send_with(&app, Method::HEAD, "/boards/123", "gzip").await;
    assert_eq!(head.status(), page.status());
    assert_eq!(
        head.headers().get("content-type"),
        page.headers().get("content-type")
    );
    assert!(head.bytes().await.expect("body").is_empty());
}
