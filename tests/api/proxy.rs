//! Behind a reverse proxy: the client address and scheme come from the
//! forwarding headers only when the TCP peer (here 127.0.0.1) is a trusted
//! proxy; spoofed headers from any other peer change nothing.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_app_with, TestApp};

const PASSWORD: &str = "correct horse battery";

fn trusting_loopback(s: &mut server::Settings) {
    s.trusted_proxies = server::config::TrustedProxies::parse("127.0.0.1").expect("valid");
}

/// A login from `email` with `password`, sent with extra `headers`.
async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("request");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// The `ip` the caller's newest login session was recorded with.
async fn recorded_ip(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get(token, "/api/v1/auth/sessions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["sessions"][0]["ip"].clone()
}

#[actix_web::test]
async fn an_untrusted_peer_cannot_spoof_its_way_past_the_ip_lockout() {
    let app = spawn_app_with(|s| s.auth.max_failures_per_ip = 3).await;
    let victim = email();
    app.register(&victim).await;
    for n in 0..3 {
        let spoof = format!("203.0.113.{n}");
        let headers = [
            ("x-forwarded-for", spoof.as_str()),
            ("forwarded", "for=198.51.100.7"),
        ];
        let (status, _) = login(&app, &email(), "wrong password", &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Yet another claimed address: the peer itself is locked.
    let (status, body) = login(
        &app,
        &victim,
        PASSWORD,
        &[("x-forwarded-for", "192.0.2.99")],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "login_locked");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_lockout_and_session_record() {
    let app = spawn_app_with(|s| {
        trusting_loopback(s);
        s.auth.max_failures_per_ip = 3;
    })
    .await;
    let guesser = [("x-forwarded-for", "203.0.113.5")];
    for _ in 0..3 {
        let (status, _) = login(&app, &email(), "wrong password", &guesser).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let victim = email();
    app.register(&victim).await;
    let (status, body) = login(&app, &victim, PASSWORD, &guesser).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is locked: {body}"
    );

    // Another client behind the same proxy is not; what it prepends itself
    // is ignored (the right-most untrusted hop is the client).
    let other = [("x-forwarded-for", "203.0.113.5, 198.51.100.23")];
    let (status, body) = login(&app, &victim, PASSWORD, &other).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(recorded_ip(&app, &token).await, "198.51.100.23");

    // Only the header the proxy writes counts: a `Forwarded` the client
    // sent itself, passed on by an X-Forwarded-For proxy, is ignored.
    let both = [
        ("forwarded", r#"for="[2001:db8::17]:4711";proto=https"#),
        ("x-forwarded-for", "192.0.2.1"),
    ];
    let (status, body) = login(&app, &victim, PASSWORD, &both).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(recorded_ip(&app, &token).await, "192.0.2.1");

    // Behind a proxy that writes RFC 7239 `Forwarded`, the other way round.
    let app = spawn_app_with(|s| {
        s.trusted_proxies = server::config::TrustedProxies::parse("127.0.0.1")
            .expect("valid")
            .writing(server::client_addr::ForwardedHeader::Forwarded);
    })
    .await;
    app.register(&victim).await;
    let (status, body) = login(&app, &victim, PASSWORD, &both).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(recorded_ip(&app, &token).await, "2001:db8::17");
}

#[actix_web::test]
async fn the_per_ip_rate_limit_keys_on_the_forwarded_client_only_from_a_trusted_proxy() {
    let tight = server::config::RateLimit {
        per_sec: 1,
        burst: 3,
    };
    let get = |app: &TestApp, client: &'static str| {
        app.http
            .get(app.url("/api/v1/orgs"))
            .header("x-forwarded-for", client)
            .send()
    };
    let trusted = spawn_app_with(|s| {
        trusting_loopback(s);
        s.rate_limits.ip = tight;
    })
    .await;
    let first: Vec<_> = join_all((0..4).map(|_| get(&trusted, "203.0.113.1"))).await;
    let limited = first
        .iter()
        .filter(|r| r.as_ref().expect("answer").status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        limited >= 1,
        "the fourth request in a burst of three is limited"
    );
    let other = get(&trusted, "203.0.113.2").await.expect("answer");
    assert_ne!(
        other.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "another client has its own bucket"
    );

    let untrusted = spawn_app_with(|s| s.rate_limits.ip = tight).await;
    let spoofed: Vec<_> = join_all(
        ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
            .map(|client| get(&untrusted, client)),
    )
    .await;
    assert!(
        spoofed
            .iter()
            .any(|r| r.as_ref().expect("answer").status() == StatusCode::TOO_MANY_REQUESTS),
        "spoofed addresses share the peer's bucket"
    );
}

#[actix_web::test]
async fn hsts_only_for_requests_that_arrived_over_https() {
    let probe = |app: &TestApp, headers: &'static [(&'static str, &'static str)]| {
        let mut req = app.http.get(app.url("/health/live"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send()
    };
    let trusted = spawn_app_with(trusting_loopback).await;
    let res = probe(&trusted, HTTPS).await.expect("answer");
    assert_eq!(
        res.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let res = probe(&trusted, &[("forwarded", "for=192.0.2.1;proto=http")])
        .await
        .expect("answer");
    assert!(!res.headers().contains_key("strict-transport-security"));
    let res = probe(&trusted, &[]).await.expect("answer");
    assert!(!res.headers().contains_key("strict-transport-security"));

    let untrusted = spawn_app_with(|_| {}).await;
    let res = probe(&untrusted, HTTPS).await.expect("answer");
    assert!(
        !res.headers().contains_key("strict-transport-security"),
        "a spoofed X-Forwarded-Proto is ignored"
    );
}

const HTTPS: &[(&str, &str)] = &[("x-forwarded-proto", "https")];

/// Upgrade headers of a page on `origin`, behind a TLS-terminating proxy.
fn behind_tls(origin: &str) -> [(&'static str, &str); 2] {
    [("origin", origin), ("x-forwarded-proto", "https")]
}

/// The status of a WebSocket upgrade carrying `headers`.
async fn upgrade(app: &TestApp, headers: &[(&'static str, &str)]) -> u16 {
    match tokio_tungstenite::connect_async(app.ws_request(headers)).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("unexpected handshake failure: {e}"),
    }
}

#[actix_web::test]
async fn the_websocket_origin_check_uses_the_scheme_the_proxy_reports() {
    let trusted = spawn_app_with(trusting_loopback).await;
    let own_https = format!("https://127.0.0.1:{}", trusted.port);
    let own_http = format!("http://127.0.0.1:{}", trusted.port);
    assert_eq!(upgrade(&trusted, &behind_tls(&own_https)).await, 101);
    assert_eq!(
        upgrade(&trusted, &behind_tls(&own_http)).await,
        403,
        "a plain-http page is another origin than the https site"
    );
    assert_eq!(upgrade(&trusted, &[("origin", &own_http)]).await, 101);

    let untrusted = spawn_app_with(|_| {}).await;
    let own_https = format!("https://127.0.0.1:{}", untrusted.port);
    assert_eq!(
        upgrade(&untrusted, &behind_tls(&own_https)).await,
        403,
        "a spoofed scheme does not make an https page same-origin"
    );
}
