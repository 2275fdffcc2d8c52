//! The refresh token as an `HttpOnly` cookie for browsers: login and
//! refresh set it, refresh reads it when the body has no token, a refused
//! cookie and logout clear it, and no other origin may use it.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_app, spawn_app_with, TestApp};

const PASSWORD: &str = "correct horse battery";
const COOKIE: &str = "corkboard_refresh";

/// An answer: status, its `Set-Cookie` values, body.
struct Answer {
    status: StatusCode,
    set_cookies: Vec<String>,
    body: Value,
}

impl Answer {
    async fn of(res: reqwest::Response) -> Answer {
        let status = res.status();
        let set_cookies = set_cookies(res.headers());
        let body = res.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            set_cookies,
            body,
        }
    }

    /// The one `corkboard_refresh` cookie set: its value and attributes.
    fn cookie(&self) -> (String, BTreeSet<String>) {
        let ours: Vec<_> = self
            .set_cookies
            .iter()
            .filter(|c| c.starts_with(&format!("{COOKIE}=")))
            .collect();
        assert_eq!(
            ours.len(),
            1,
            "one {COOKIE} cookie in {:?}",
            self.set_cookies
        );
        let mut parts = ours[0].split(';').map(str::trim);
        let value = parts
            .next()
            .and_then(|p| p.strip_prefix(&format!("{COOKIE}=")))
            .expect("name=value")
            .to_owned();
        (value, parts.map(str::to_owned).collect())
    }

    fn token(&self, name: &str) -> String {
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {}", self.body))
            .to_owned()
    }
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// The attributes the cookie must have, `Max-Age` as given.
fn attributes(max_age: u64, secure: bool) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = [
        "HttpOnly".to_owned(),
        "SameSite=Strict".to_owned(),
        "Path=/api/v1/auth".to_owned(),
        format!("Max-Age={max_age}"),
    ]
    .into();
    if secure {
        set.insert("Secure".to_owned());
    }
    set
}

const THIRTY_DAYS: u64 = 30 * 86_400;

/// Register `email` and log in, sending extra `headers`.
async fn login(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> Answer {
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Cookie Eater" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mut req = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let answer = Answer::of(req.send().await.expect("request")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer
}

/// `POST /auth/refresh` with an optional cookie and an optional raw JSON
/// body (no body at all, and no Content-Type, when `None`).
async fn refresh(app: &TestApp, cookie: Option<&str>, body: Option<&str>) -> Answer {
    let mut req = app.http.post(app.url("/api/v1/auth/refresh"));
    if let Some(token) = cookie {
        req = req.header("cookie", format!("theme=dark; {COOKIE}={token}"));
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    Answer::of(req.send().await.expect("request")).await
}

fn body_with(token: &str) -> String {
    json!({ "refresh_token": token }).to_string()
}

#[actix_web::test]
async fn login_sets_an_httponly_strict_cookie_scoped_to_the_auth_routes() {
    let app = spawn_app().await;
    let login = login(&app, &email(), &[]).await;
    let (value, attrs) = login.cookie();
    assert_eq!(value, login.token("refresh_token"), "the body still has it");
    assert_eq!(attrs, attributes(THIRTY_DAYS, false), "no Secure over HTTP");
    // A client that is not a trusted proxy cannot claim HTTPS.
    let spoofed = self::login(&app, &email(), &[("x-forwarded-proto", "https")]).await;
    assert_eq!(spoofed.cookie().1, attributes(THIRTY_DAYS, false));
}

#[actix_web::test]
async fn behind_a_trusted_https_proxy_the_cookie_is_secure() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = server::config::TrustedProxies::parse("127.0.0.1").expect("valid");
        s.auth.refresh_ttl = Duration::from_secs(3_600);
    })
    .await;
    let https = [
        ("x-forwarded-for", "203.0.113.5"),
        ("x-forwarded-proto", "https"),
    ];
    let login = login(&app, &email(), &https).await;
    assert_eq!(login.cookie().1, attributes(3_600, true));
    let plain = self::login(&app, &email(), &[("x-forwarded-proto", "http")]).await;
    assert_eq!(plain.cookie().1, attributes(3_600, false));

    // Refresh behind the same proxy sets a Secure cookie too.
    let res = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .header("x-forwarded-proto", "https")
        .header("cookie", format!("{COOKIE}={}", login.cookie().0))
        .send()
        .await
        .expect("request");
    let refreshed = Answer::of(res).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert_eq!(refreshed.cookie().1, attributes(3_600, true));
}

#[actix_web::test]
async fn refresh_with_only_the_cookie_rotates_and_sets_the_new_cookie() {
    let app = spawn_app().await;
    let login = login(&app, &email(), &[]).await;
    let (first, _) = login.cookie();

    let second = refresh(&app, Some(&first), None).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["session_id"], login.body["session_id"]);
    let (cookie, attrs) = second.cookie();
    assert_ne!(cookie, first, "rotated");
    assert_eq!(cookie, second.token("refresh_token"));
    assert_eq!(attrs, attributes(THIRTY_DAYS, false));
    let (status, me) = app.get(&second.token("access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");

    // `null`, `{}` and an empty JSON body also leave it to the cookie.
    let mut current = cookie;
    for body in [Some("null"), Some("{}"), Some("")] {
        let next = refresh(&app, Some(&current), body).await;
        assert_eq!(next.status, StatusCode::OK, "{body:?}: {}", next.body);
        assert_ne!(next.cookie().0, current);
        current = next.cookie().0;
    }

    // A retry of a used cookie within the grace window rotates again, as
    // with a body token.
    let retried = refresh(&app, Some(&first), None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.body["session_id"], login.body["session_id"]);
}

#[actix_web::test]
async fn a_used_cookie_after_the_grace_window_is_refused_as_reuse_and_cleared() {
    let app = spawn_app_with(|s| s.auth.refresh_reuse_grace = Duration::ZERO).await;
    let login = login(&app, &email(), &[]).await;
    let (first, _) = login.cookie();
    let second = refresh(&app, Some(&first), None).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);

    let replay = refresh(&app, Some(&first), None).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.body["code"], "refresh_token_reused");
    assert_eq!(replay.cookie(), (String::new(), attributes(0, false)));

    // The whole session is revoked, exactly as for a body token.
    let newest = refresh(&app, Some(&second.cookie().0), None).await;
    assert_eq!(newest.status, StatusCode::UNAUTHORIZED);
    assert_eq!(newest.body["code"], "session_revoked");
    assert_eq!(newest.cookie(), (String::new(), attributes(0, false)));
    let (status, body) = app.get(&second.token("access_token"), "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_revoked");

    let unknown = refresh(&app, Some("cbr_0000"), None).await;
    assert_eq!(unknown.body["code"], "invalid_refresh_token");
    assert_eq!(unknown.cookie(), (String::new(), attributes(0, false)));
}

#[actix_web::test]
async fn refresh_with_neither_body_token_nor_cookie_names_what_is_missing() {
    let app = spawn_app().await;
    for body in [None, Some("{}"), Some("null")] {
        let answer = refresh(&app, None, body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{body:?}");
        assert_eq!(answer.body["code"], "missing_refresh_token", "{body:?}");
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("corkboard_refresh")),
            "{}",
            answer.body
        );
        assert!(answer.set_cookies.is_empty(), "nothing to clear");
    }
    // A malformed body is still a 400, even with a cookie to fall back on.
    let login = login(&app, &email(), &[]).await;
    let cookie = login.cookie().0;
    for bad in ["{", r#"{"refresh": "x"}"#, r#"{"refresh_token": 7}"#] {
        let answer = refresh(&app, Some(&cookie), Some(bad)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.body["code"], "invalid_body", "{bad}");
    }
    // The cookie was not used up by those.
    let answer = refresh(&app, Some(&cookie), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[actix_web::test]
async fn a_body_token_wins_over_the_cookie() {
    let app = spawn_app().await;
    let login = login(&app, &email(), &[]).await;
    let token = login.token("refresh_token");

    let answer = refresh(&app, Some("cbr_0000"), Some(&body_with(&token))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (cookie, attrs) = answer.cookie();
    assert_eq!(cookie, answer.token("refresh_token"), "the new cookie");
    assert_eq!(attrs, attributes(THIRTY_DAYS, false));

    // A refused body token is the client's business: the cookie stays.
    let refused = refresh(&app, Some(&cookie), Some(&body_with("cbr_0000"))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["code"], "invalid_refresh_token");
    assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);
    let answer = refresh(&app, Some(&cookie), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[actix_web::test]
async fn logout_clears_the_cookie() {
    let app = spawn_app().await;
    let login = login(&app, &email(), &[]).await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(login.token("access_token"))
        .header("cookie", format!("{COOKIE}={}", login.cookie().0))
        .send()
        .await
        .expect("request");
    let answer = Answer::of(res).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.cookie(), (String::new(), attributes(0, false)));
    let after = refresh(&app, Some(&login.cookie().0), None).await;
    assert_eq!(after.body["code"], "session_revoked");
}

#[actix_web::test]
async fn no_origin_may_send_the_cookie_with_credentials() {
    let app = spawn_app_with(|s| s.allowed_origins = vec!["*".to_owned()]).await;
    let login = login(&app, &email(), &[]).await;
    let origin = "https://elsewhere.example";
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/refresh"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert!(!preflight
        .headers()
        .contains_key("access-control-allow-credentials"));
    let res = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .header("origin", origin)
        .header("cookie", format!("{COOKIE}={}", login.cookie().0))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res
        .headers()
        .contains_key("access-control-allow-credentials"));
}
