//! Registration, login, tokens on REST.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, spawn_app};

#[actix_web::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let email = email();
    let (token, user) = app.register(&email).await;

    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email.to_uppercase(), "password": "correct horse battery" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().expect("ttl") <= 900);

    let (status, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], user.as_str());
    assert_eq!(me["email"], email.as_str());
}

#[actix_web::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let app = spawn_app().await;
    let email = email();
    app.register(&email).await;
    for (who, password) in [
        (email.as_str(), "wrong password!"),
        ("nobody@example.com", "whatever123"),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": who, "password": password }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["code"], "invalid_credentials");
        assert!(body["request_id"].is_string());
    }
}

#[actix_web::test]
async fn registration_validates_and_keeps_the_first_account_of_an_email() {
    let app = spawn_app().await;
    let email = email();
    let (_, user) = app.register(&email).await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": "another password", "name": "Again" }))
        .send()
        .await
        .expect("request");
    // Accepted like any registration (see tokens.rs), but nothing changed:
    // the first password still logs in as the first user, the second not.
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let login = |password: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    let res = login("another password").await.expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = login("correct horse battery").await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["user"]["id"], user.as_str());

    for (body, field) in [
        (
            json!({ "email": "not-an-email", "password": "long enough pw", "name": "A" }),
            "email",
        ),
        (
            json!({ "email": "a@b.co", "password": "short", "name": "A" }),
            "password",
        ),
        (
            json!({ "email": "a@b.co", "password": "long enough pw", "name": "" }),
            "name",
        ),
        (
            json!({ "email": "a@b.co", "password": "long enough pw", "name": "Ada\u{2028}L" }),
            "name",
        ),
        (
            json!({ "email": "a@b.co", "password": "long enough pw", "name": "Ada\u{2029}" }),
            "name",
        ),
    ] {
        let res = app
            .http
            .post(app.url("/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let err: serde_json::Value = res.json().await.expect("json");
        assert_eq!(err["code"], "validation_failed");
        assert!(err["details"][field].is_string(), "{err}");
    }
}

/// RFC 5321 caps an address at 254 octets: as sent, whatever trimming or
/// case folding would make of it.
#[actix_web::test]
async fn registration_refuses_an_email_longer_than_254_bytes() {
    let app = spawn_app().await;
    let register = |email: String| {
        app.http
            .post(app.url("/api/v1/auth/register"))
            .json(&json!({ "email": email, "password": "long enough pw", "name": "A" }))
            .send()
    };
    let address = |len: usize| format!("{}@example.com", "a".repeat(len - 12));
    let res = register(address(254)).await.expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED, "254 bytes is the limit");
    for email in [
        address(255),
        address(300),
        format!(" {}", address(254)),
        format!("{} ", address(254)),
        // The Kelvin sign (3 bytes) folds to `k` (1 byte): 256 bytes as
        // sent, 254 once lowercased.
        format!("\u{212A}{}", address(253)),
    ] {
        let res = register(email.clone()).await.expect("request");
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{} bytes: {email:?}",
            email.len()
        );
        let err: serde_json::Value = res.json().await.expect("json");
        assert_eq!(err["code"], "validation_failed");
        assert!(err["details"]["email"].is_string(), "{err}");
    }
}

#[actix_web::test]
async fn routes_require_a_valid_token() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "missing_token");

    let (status, body) = app.get("not-a-jwt", "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_token");
}

#[actix_web::test]
async fn request_ids_are_echoed_in_header_and_errors() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/me"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .expect("request");
    assert_eq!(res.headers()["x-request-id"], "trace-123");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["request_id"], "trace-123");
}

#[actix_web::test]
async fn health_endpoints_answer() {
    let app = spawn_app().await;
    let live = app
        .http
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("request");
    assert_eq!(live.status(), StatusCode::OK);
    let ready = app
        .http
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("request");
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["database"]["status"], "ok");
}
