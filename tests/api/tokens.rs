//! Login sessions: refresh rotation and reuse detection, logout, the
//! session list, login lockout, and registration that does not tell
//! whether an email is taken. Revocations must reach live WebSockets.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_app, spawn_app_with, TestApp, Wire};

const PASSWORD: &str = "correct horse battery";

/// `POST /auth/login` with a User-Agent; returns status, headers, body.
async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    agent: &str,
) -> (StatusCode, HeaderMap, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request");
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

/// Register `email` (without logging in, unlike `TestApp::register`).
async fn register_only(app: &TestApp, email: &str) {
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Test User" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

/// Register `email` and log in with `agent`; returns the login body.
async fn signed_in(app: &TestApp, email: &str, agent: &str) -> Value {
    register_only(app, email).await;
    let (status, _, body) = login(app, email, PASSWORD, agent).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
}

/// The body without its `request_id`, to compare two answers.
fn without_request_id(mut body: Value) -> Value {
    body.as_object_mut().map(|o| o.remove("request_id"));
    body
}

#[actix_web::test]
async fn login_answers_tokens_of_a_new_session_and_refresh_rotates_them() {
    let app = spawn_app().await;
    let email = email();
    let first = signed_in(&app, &email, "corkboard-tests/1").await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    assert_eq!(first["refresh_expires_in"], 30 * 86_400);
    let refresh_token = field(&first, "refresh_token");
    assert!(refresh_token.starts_with("cbr_") && refresh_token.len() == 68);
    let session = field(&first, "session_id");

    let (status, second) = refresh(&app, refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["session_id"], session, "the same session goes on");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (status, me) = app.get(field(&second, "access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], email.as_str());
    // The first access token of the session stays valid until it expires.
    let (status, _) = app.get(field(&first, "access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);

    let (status, third) = refresh(&app, field(&second, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{third}");

    for garbage in ["cbr_0000", "", &"x".repeat(10_000)] {
        let (status, body) = refresh(&app, garbage).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_refresh_token");
    }
}

#[actix_web::test]
async fn reusing_a_used_refresh_token_after_the_grace_window_revokes_the_session_everywhere() {
    let app = spawn_app_with(|s| s.auth.refresh_reuse_grace = Duration::ZERO).await;
    let email = email();
    let first = signed_in(&app, &email, "victim").await;
    let (status, second) = refresh(&app, field(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let access = field(&second, "access_token");
    let mut live = app.ws(access, Wire::Json).await;
    // Another session of the same user is not part of the family.
    let other = login(&app, &email, PASSWORD, "other device").await.2;

    // An attacker replays the first (already used) refresh token.
    let started = Instant::now();
    let (status, body) = refresh(&app, field(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "refresh_token_reused");
    assert_eq!(live.closed().await, 1008);
    let latency = started.elapsed();
    println!("revocation reached the live socket in {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");

    let (status, body) = app.get(access, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_revoked");
    // The legitimate holder's newest refresh token is dead too.
    let (status, body) = refresh(&app, field(&second, "refresh_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "session_revoked");

    let (status, _) = app.get(field(&other, "access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = refresh(&app, field(&other, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn a_retry_within_the_grace_window_rotates_again() {
    let app = spawn_app().await;
    let first = signed_in(&app, &email(), "flaky network").await;
    let (status, lost) = refresh(&app, field(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    // The response was lost; the client retries with the same token.
    let (status, retried) = refresh(&app, field(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["session_id"], first["session_id"]);
    assert_ne!(retried["refresh_token"], lost["refresh_token"]);

    let (status, _) = app.get(field(&retried, "access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = refresh(&app, field(&retried, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn an_expired_session_cannot_be_refreshed() {
    let app = spawn_app_with(|s| s.auth.refresh_ttl = Duration::ZERO).await;
    let first = signed_in(&app, &email(), "sleepy").await;
    let (status, body) = refresh(&app, field(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "refresh_token_expired");
}

#[actix_web::test]
async fn logout_revokes_the_session_on_rest_and_live_sockets() {
    let app = spawn_app().await;
    let email = email();
    let body = signed_in(&app, &email, "leaving").await;
    let access = field(&body, "access_token");
    let mut live = app.ws(access, Wire::MsgPack).await;
    let other = login(&app, &email, PASSWORD, "staying").await.2;

    let started = Instant::now();
    let (status, _) = app.post(access, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(live.closed().await, 1008);
    println!("logout reached the live socket in {:?}", started.elapsed());

    let (status, body2) = app.get(access, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body2["code"], "token_revoked");
    let (status, body2) = refresh(&app, field(&body, "refresh_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body2["code"], "session_revoked");
    // A new socket with the revoked token is refused too.
    let mut again = app.ws_unauthenticated(Wire::Json).await;
    again.send(json!({ "type": "auth", "token": access })).await;
    assert_eq!(again.closed().await, 1008);

    let (status, _) = app.get(field(&other, "access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "other sessions are untouched");
}

#[actix_web::test]
async fn a_restart_keeps_revoked_access_tokens_revoked() {
    let mut app = spawn_app().await;
    let body = signed_in(&app, &email(), "restart").await;
    let access = field(&body, "access_token").to_owned();
    let (status, _) = app.post(&access, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    app.restart().await;

    let (status, body) = app.get(&access, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_revoked");
}

#[actix_web::test]
async fn the_session_list_shows_my_devices_and_revokes_another_one() {
    let app = spawn_app().await;
    let email = email();
    let phone = signed_in(&app, &email, "Phone/1.0").await;
    let laptop = login(&app, &email, PASSWORD, "Laptop/2.0").await.2;
    let (phone_token, laptop_token) = (
        field(&phone, "access_token"),
        field(&laptop, "access_token"),
    );
    let mut laptop_socket = app.ws(laptop_token, Wire::Json).await;

    let (status, list) = app.get(phone_token, "/api/v1/auth/sessions").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let sessions = list["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2, "{list}");
    for s in sessions {
        let is_phone = s["id"] == phone["session_id"];
        assert!(is_phone || s["id"] == laptop["session_id"], "{s}");
        assert_eq!(s["current"], is_phone, "{s}");
        assert_eq!(
            s["user_agent"],
            if is_phone { "Phone/1.0" } else { "Laptop/2.0" }
        );
        assert_eq!(s["ip"], "127.0.0.1");
        assert!(s["created_at"].as_i64().expect("created_at") > 0);
        assert!(s["last_used_at"].as_i64().expect("last_used_at") > 0);
    }

    // Someone else cannot revoke (or find out about) my sessions.
    let (stranger, _) = app.register(&crate::helpers::email()).await;
    let laptop_path = format!("/api/v1/auth/sessions/{}", field(&laptop, "session_id"));
    let (status, body) = delete(&app, &stranger, &laptop_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app.get(laptop_token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = delete(&app, phone_token, &laptop_path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(laptop_socket.closed().await, 1008);
    let (status, body) = app.get(laptop_token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_revoked");
    let (status, body) = refresh(&app, field(&laptop, "refresh_token")).await;
    assert_eq!(body["code"], "session_revoked", "{status}");

    let (_, list) = app.get(phone_token, "/api/v1/auth/sessions").await;
    let ids: Vec<&Value> = list["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, vec![&phone["session_id"]]);
    let (status, _) = delete(&app, phone_token, "/api/v1/auth/sessions/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Five wrong passwords for `email`; every one answers 401.
async fn fail_five_times(app: &TestApp, email: &str) {
    for _ in 0..5 {
        let (status, _, body) = login(app, email, "wrong password", "guesser").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");
    }
}

#[actix_web::test]
async fn five_failures_lock_an_email_identically_whether_or_not_it_exists() {
    let app = spawn_app().await;
    let known = email();
    app.register(&known).await;
    let unknown = email();

    let mut answers = Vec::new();
    for (address, password) in [(&known, PASSWORD), (&unknown, "anything at all")] {
        fail_five_times(&app, address).await;
        // Locked: refused before the password is checked, even the right one.
        let (status, headers, body) = login(&app, address, password, "guesser").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["code"], "login_locked");
        let retry_after: u64 = headers[RETRY_AFTER]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        let details = body["details"]["retry_after_secs"]
            .as_u64()
            .expect("details");
        assert!(details.abs_diff(retry_after) <= 1);
        let mut body = without_request_id(body);
        body["details"]["retry_after_secs"] = json!("n");
        answers.push(body);
    }
    assert_eq!(
        answers[0], answers[1],
        "a lock does not tell whether the account exists"
    );

    // Other addresses from the same client are not locked (20 per IP).
    let other = email();
    let (_, user) = app.register(&other).await;
    let (status, _, body) = login(&app, &other, PASSWORD, "fine").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["id"], user.as_str());
}

#[actix_web::test]
async fn a_successful_login_resets_the_email_counter() {
    let app = spawn_app().await;
    let email = email();
    app.register(&email).await;
    for _ in 0..2 {
        for _ in 0..4 {
            let (status, _, _) = login(&app, &email, "wrong password", "typo").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _, body) = login(&app, &email, PASSWORD, "typo").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[actix_web::test]
async fn an_ip_is_locked_after_its_limit_across_emails() {
    let app = spawn_app_with(|s| s.auth.max_failures_per_ip = 3).await;
    let victim = email();
    app.register(&victim).await;
    for _ in 0..3 {
        let (status, _, _) = login(&app, &email(), "sprayed password", "sprayer").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Each address failed once, but the client address is now locked.
    let (status, headers, body) = login(&app, &victim, PASSWORD, "sprayer").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "login_locked");
    assert!(headers.contains_key(RETRY_AFTER));
    // Registration is not login: it is not locked (and says nothing anyway).
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "email": email(), "password": PASSWORD, "name": "New" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

#[actix_web::test]
async fn registering_a_taken_email_answers_exactly_like_a_new_one() {
    let app = spawn_app().await;
    let taken = email();
    app.register(&taken).await;

    let mut answers = Vec::new();
    for address in [email(), taken.clone()] {
        let started = Instant::now();
        let res = app
            .http
            .post(app.url("/api/v1/auth/register"))
            .json(&json!({ "email": address, "password": "some other password", "name": "Eve" }))
            .send()
            .await
            .expect("request");
        let status = res.status();
        let content_type = res.headers()["content-type"].clone();
        let body: Value = res.json().await.expect("json");
        println!(
            "register ({}) took {:?}",
            if address == taken { "taken" } else { "new" },
            started.elapsed()
        );
        answers.push((status, content_type, body));
    }
    assert_eq!(answers[0], answers[1]);
    let (status, _, body) = &answers[0];
    assert_eq!(*status, StatusCode::ACCEPTED);
    assert_eq!(body["status"], "accepted");
    assert_eq!(
        body["message"],
        "if this email was not registered, the account now exists; log in to continue"
    );
    assert!(
        body.get("access_token").is_none() && body.get("user").is_none(),
        "{body}"
    );
}

/// The `exp` of an access token (unix seconds), read without checking it.
fn exp_of(token: &str) -> u64 {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).expect("a JWT");
    claims["exp"].as_u64().expect("exp")
}

fn unix_now_ms() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    u64::try_from(now.as_millis()).expect("ms fit")
}

/// An access token for `user` valid until `exp`, signed with the app's key.
fn token_until(app: &TestApp, user: &str, exp: u64) -> String {
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        sub: &'a str,
        exp: u64,
        nbf: u64,
        iat: u64,
        iss: &'a str,
        aud: &'a str,
        jti: String,
        sid: String,
    }
    let now = unix_now_ms() / 1000;
    let claims = Claims {
        sub: user,
        exp,
        nbf: now,
        iat: now,
        iss: &app.settings.jwt.issuer,
        aud: &app.settings.jwt.audience,
        jti: uuid::Uuid::new_v4().to_string(),
        sid: uuid::Uuid::new_v4().to_string(),
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(app.settings.jwt.key_id.clone());
    let secret = app.settings.jwt.secret.clone().expect("tests set a secret");
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .expect("signs")
}

/// Wait for the `token_expired` error and the close 1008 that follows;
/// returns when (unix ms) the error arrived.
async fn told_expired(ws: &mut crate::helpers::WsClient) -> u64 {
    let err = ws.recv_type("error").await;
    let at = unix_now_ms();
    assert_eq!(err["code"], "token_expired", "{err}");
    assert_eq!(ws.closed().await, 1008);
    at
}

/// PROTOCOL.md: a token stops working at `exp`. A live socket is told
/// within a second of it (not before), and from then on the token is
/// refused on REST and by a new socket.
#[actix_web::test]
async fn a_live_socket_is_told_at_exp_and_the_token_is_refused_from_then_on() {
    let app = spawn_app_with(|s| s.jwt.access_ttl = Duration::from_secs(3)).await;
    let (token, _) = app.register(&email()).await;
    let exp = exp_of(&token);
    let mut ws = app.ws(&token, Wire::Json).await;
    let (status, _) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "valid before exp");

    let told = told_expired(&mut ws).await;
    println!(
        "told of the expiry {} ms after exp",
        told as i64 - (exp * 1000) as i64
    );
    assert!(
        told >= exp * 1000,
        "told {} ms before exp",
        exp * 1000 - told
    );
    assert!(
        told < exp * 1000 + 1000,
        "told {} ms after exp",
        told - exp * 1000
    );

    let (status, body) = app.get(&token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_expired");
    let mut again = app.ws_unauthenticated(Wire::Json).await;
    again.send(json!({ "type": "auth", "token": token })).await;
    told_expired(&mut again).await;
}

/// A fresh token sent on a live socket moves its expiry: nothing happens at
/// the old token's `exp`, and the socket is told at the new one's.
#[actix_web::test]
async fn a_fresh_token_on_a_live_socket_moves_its_expiry() {
    let app = spawn_app_with(|s| s.jwt.access_ttl = Duration::from_secs(3)).await;
    let (token, user) = app.register(&email()).await;
    let first = exp_of(&token);
    let mut ws = app.ws(&token, Wire::Json).await;
    let later = first + 2;
    ws.send(json!({ "type": "auth", "token": token_until(&app, &user, later) }))
        .await;
    assert!(
        ws.until_pong().await.is_empty(),
        "a refresh is not answered"
    );

    let told = told_expired(&mut ws).await;
    assert!(
        told >= later * 1000,
        "told at the first token's exp, {} ms before the fresh one's",
        later * 1000 - told
    );
    assert!(
        told < later * 1000 + 1000,
        "told {} ms late",
        told - later * 1000
    );
}
