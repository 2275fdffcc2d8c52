//! The operator tier (docs/operations.md#operator-tier): disabling an
//! account ends its sessions and sockets and refuses login and refresh
//! with `account_disabled` until it is enabled again; a forced logout
//! ends every session; users and organizations are listed; everyone but
//! an operator gets 403 on every `/admin` route.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp, Wire};
use crate::jobs::operator;

const PASSWORD: &str = "correct horse battery";

async fn login(app: &TestApp, address: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": address, "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn refresh(app: &TestApp, session: &Value) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await
        .expect("request");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().expect("access token")
}

#[actix_web::test]
async fn a_disabled_account_is_cut_off_everywhere_until_enabled_again() {
    let app = spawn_app().await;
    let op = operator(&app).await;
    let address = email();
    let (_, user) = app.register(&address).await;
    let (_, session) = login(&app, &address).await;
    let mut socket = app.ws(token(&session), Wire::Json).await;

    let started = Instant::now();
    let (status, body) = app
        .post(
            &op,
            &format!("/api/v1/admin/users/{user}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    assert_eq!(body["sessions_ended"], 2, "register's login and this one");
    assert_eq!(socket.closed().await, 1008);
    assert!(started.elapsed() < Duration::from_secs(1));

    let (status, body) = app.get(token(&session), "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_revoked");
    let (status, body) = refresh(&app, &session).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "account_disabled");
    let (status, body) = login(&app, &address).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "account_disabled");
    // A wrong password says nothing more than for anyone else.
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": address, "password": "not it at all" }))
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "invalid_credentials");
    let (_, listed) = app.get(&op, "/api/v1/admin/users?search=").await;
    let row = listed["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == user.as_str())
        .cloned()
        .expect("listed");
    assert!(row["disabled_at"].as_i64().is_some(), "{row}");

    let (status, body) = app
        .post(
            &op,
            &format!("/api/v1/admin/users/{user}/enable"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, again) = login(&app, &address).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (status, _) = app.get(token(&again), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);

    // Recorded, with the operator as the actor.
    let (_, page) = app.get(&op, "/api/v1/admin/audit?action=admin.").await;
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["admin.user_enabled", "admin.user_disabled"]);
    assert_eq!(page["entries"][0]["target"]["id"], user.as_str());
    // An operator cannot lock themself out; an unknown account is 404.
    let (_, me) = app.get(&op, "/api/v1/me").await;
    let me = me["id"].as_str().expect("id");
    let (status, _) = app
        .post(&op, &format!("/api/v1/admin/users/{me}/disable"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let nobody = uuid::Uuid::new_v4();
    let (status, _) = app
        .post(
            &op,
            &format!("/api/v1/admin/users/{nobody}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_forced_logout_ends_every_session_and_the_user_may_log_in_again() {
    let app = spawn_app().await;
    let op = operator(&app).await;
    let address = email();
    let (first, user) = app.register(&address).await;
    let (_, second) = login(&app, &address).await;
    let mut socket = app.ws(token(&second), Wire::Json).await;
    let (status, body) = app
        .post(
            &op,
            &format!("/api/v1/admin/users/{user}/logout"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_ended"], 2);
    assert_eq!(body["disabled"], false);
    assert_eq!(socket.closed().await, 1008);
    for access in [first.as_str(), token(&second)] {
        let (status, _) = app.get(access, "/api/v1/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = refresh(&app, &second).await;
    assert_eq!(body["code"], "session_revoked", "{status} {body}");
    let (status, again) = login(&app, &address).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (status, _) = app.get(token(&again), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn operators_list_users_and_orgs_with_their_counts() {
    let app = spawn_app().await;
    let op = operator(&app).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, id) = app.register(&format!("u{i}-{tag}@example.com")).await;
        ids.push(id);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/admin/users?search={tag}&limit=2{cursor}");
        let (status, page) = app.get(&op, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for u in page["users"].as_array().expect("users") {
            seen.push(u["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");

    let (owner, _) = app.register(&email()).await;
    let key = org_key();
    let org = app.create_org(&owner, &key).await;
    for _ in 0..2 {
        app.create_board(&owner, &org).await;
    }
    let member = email();
    app.register(&member).await;
    app.add_member(&owner, &org, &member, "member").await;
    let (status, page) = app
        .get(&op, &format!("/api/v1/admin/orgs?search={key}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["orgs"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["orgs"][0]["id"], org.as_str());
    assert_eq!(page["orgs"][0]["members"], 2);
    assert_eq!(page["orgs"][0]["boards"], 2);
}

#[actix_web::test]
async fn everyone_but_an_operator_gets_403_on_every_admin_route() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let (_, key) = app.create_api_key(&owner, &org, "owner").await;
    let id = uuid::Uuid::new_v4().to_string();
    let admin_routes: Vec<_> = server::routes::API_ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/admin/"))
        .collect();
    assert!(admin_routes.len() >= 12, "{admin_routes:?}");
    for (method, path) in admin_routes {
        let value = if path.starts_with("/admin/jobs") {
            "1"
        } else {
            &id
        };
        let path = format!("/api/v1{}", path.replace("{id}", value));
        for token in [&owner, &key] {
            let req = match *method {
                "get" => app.http.get(app.url(&path)),
                "post" => app.http.post(app.url(&path)).json(&json!({})),
                "delete" => app.http.delete(app.url(&path)),
                other => panic!("no admin route uses {other}"),
            };
            let res = req.bearer_auth(token).send().await.expect("request");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
}
