//! API keys: created by admins, shown once, scoped to one organization and
//! one role, usable on REST and the WebSocket, and revocable with effect on
//! sessions that are already open.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp, Wire, WsClient, WAIT};

/// An owner with an organization and a board: (owner token, org id, board id).
async fn org_with_board(app: &TestApp) -> (String, String, String) {
    let (owner, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    (owner, org, board_id)
}

/// A WebSocket authenticated by `Authorization: Bearer` on the upgrade.
async fn ws_with_bearer(app: &TestApp, token: &str) -> (WsClient, Value) {
    let req = app.ws_request(&[("authorization", &format!("Bearer {token}"))]);
    let (stream, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    let mut ws = WsClient {
        stream,
        format: Wire::Json,
        with_presence: false,
    };
    let welcome = ws.recv_type("welcome").await;
    (ws, welcome)
}

/// The listed key with `id`.
async fn listed(app: &TestApp, token: &str, org: &str, id: &str) -> Value {
    let (status, body) = app
        .get(token, &format!("/api/v1/orgs/{org}/api-keys"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["api_keys"]
        .as_array()
        .expect("api_keys")
        .iter()
        .find(|k| k["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("key {id} listed in {body}"))
}

#[actix_web::test]
async fn a_key_is_shown_once_and_listed_without_its_secret() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;

    let (status, created) = app
        .post(
            &owner,
            &format!("/api/v1/orgs/{org}/api-keys"),
            json!({ "name": "  CI deploys ", "role": "member", "expires_in_days": 30 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let prefix = created["prefix"].as_str().expect("prefix");
    let key = created["key"].as_str().expect("key");
    assert_eq!(created["name"], "CI deploys");
    assert_eq!(created["role"], "member");
    assert_eq!(prefix.len(), 12);
    let secret = key
        .strip_prefix(&format!("cbk_{prefix}_"))
        .unwrap_or_else(|| panic!("{key} is cbk_<prefix>_<secret>"));
    assert!(secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()));
    let created_at = created["created_at"].as_i64().expect("created_at");
    let expires_at = created["expires_at"].as_i64().expect("expires_at");
    let thirty_days = 30 * 86_400_000;
    assert!(
        (expires_at - created_at - thirty_days).abs() < 60_000,
        "{created}"
    );

    let (status, list) = app
        .get(&owner, &format!("/api/v1/orgs/{org}/api-keys"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(!list.to_string().contains(secret), "no secret in {list}");
    let entry = listed(&app, &owner, &org, id).await;
    let mut fields: Vec<&str> = entry
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_at",
            "created_by",
            "expires_at",
            "id",
            "last_used_at",
            "name",
            "prefix",
            "revoked",
            "role"
        ]
    );
    assert_eq!(entry["prefix"], prefix);
    assert_eq!(entry["created_by"], owner_id.as_str());
    assert_eq!(entry["revoked"], false);
    assert_eq!(entry["last_used_at"], Value::Null);

    // Using the key records its last use (written in the background).
    let (status, _) = app.get(key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);
    let deadline = Instant::now() + WAIT;
    loop {
        let entry = listed(&app, &owner, &org, id).await;
        if entry["last_used_at"].is_i64() {
            break;
        }
        assert!(Instant::now() < deadline, "last_used_at never set: {entry}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_member_key_edits_over_rest_and_events_are_authored_by_the_key() {
    let app = spawn_app().await;
    let (owner, org, board) = org_with_board(&app).await;
    let (key_id, key) = app.create_api_key(&owner, &org, "member").await;

    let (status, body) = app
        .command(
            &key,
            &board,
            json!({ "type": "create_item", "title": "From CI" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = &body["events"][0];
    assert_eq!(event["event"]["type"], "item_created");
    assert_eq!(event["by"], key_id.as_str());

    let number = event["event"]["number"].as_u64().expect("number");
    let (status, item) = app
        .get(&key, &format!("/api/v1/orgs/{org}/items/{number}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["title"], "From CI");
}

#[actix_web::test]
async fn a_viewer_key_reads_but_cannot_edit() {
    let app = spawn_app().await;
    let (owner, org, board) = org_with_board(&app).await;
    let (_, key) = app.create_api_key(&owner, &org, "viewer").await;

    let (status, body) = app.get(&key, &format!("/api/v1/boards/{board}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], board.as_str());
    let (status, body) = app.get(&key, &format!("/api/v1/orgs/{org}/boards")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "viewer");

    let (status, body) = app
        .command(
            &key,
            &board,
            json!({ "type": "create_item", "title": "nope" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let mut ws = app.ws(&key, Wire::Json).await;
    ws.subscribe(&board).await;
    let answer = ws
        .command(
            "v1",
            &board,
            json!({ "type": "create_item", "title": "nope" }),
        )
        .await;
    assert_eq!(answer["type"], "rejected", "{answer}");
    assert_eq!(answer["code"], "forbidden");
}

#[actix_web::test]
async fn a_key_sees_nothing_of_another_organization() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let (other_owner, other_org, other_board) = org_with_board(&app).await;
    let (_, key) = app.create_api_key(&owner, &org, "admin").await;

    for path in [
        format!("/api/v1/orgs/{other_org}"),
        format!("/api/v1/orgs/{other_org}/boards"),
        format!("/api/v1/orgs/{other_org}/members"),
        format!("/api/v1/boards/{other_board}"),
    ] {
        let (status, body) = app.get(&key, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, body) = app
        .command(
            &key,
            &other_board,
            json!({ "type": "create_item", "title": "intrusion" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let mut ws = app.ws(&key, Wire::Json).await;
    ws.send(json!({ "type": "subscribe", "board": other_board }))
        .await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "not_found");

    // Nor can the other org's owner touch this org's keys.
    let (key_id, _) = app.create_api_key(&owner, &org, "viewer").await;
    let (status, _) = app.revoke_api_key(&other_owner, &org, &key_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_key_works_on_the_websocket_by_header_and_by_auth_message() {
    let app = spawn_app().await;
    let (owner, org, board) = org_with_board(&app).await;
    let (key_id, key) = app.create_api_key(&owner, &org, "member").await;

    let (mut by_header, welcome) = ws_with_bearer(&app, &key).await;
    assert_eq!(welcome["user"], key_id.as_str());
    by_header.subscribe(&board).await;
    let mut by_message = app.ws(&key, Wire::MsgPack).await;
    by_message.subscribe(&board).await;

    let ack = by_header
        .command(
            "k1",
            &board,
            json!({ "type": "create_item", "title": "over the header" }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let event = by_message.recv_type("event").await;
    assert_eq!(event["by"], key_id.as_str());
    assert_eq!(event["event"]["title"], "over the header");

    let ack = by_message
        .command(
            "k2",
            &board,
            json!({ "type": "create_item", "title": "over the auth message" }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let event = by_header.recv_type("event").await;
    assert_eq!(event["by"], key_id.as_str());
    assert_eq!(event["command_id"], "k2");
}

#[actix_web::test]
async fn a_revoked_key_is_refused_and_its_live_sockets_close_within_a_second() {
    let app = spawn_app().await;
    let (owner, org, board) = org_with_board(&app).await;
    let (key_id, key) = app.create_api_key(&owner, &org, "member").await;
    let (other_id, other) = app.create_api_key(&owner, &org, "member").await;

    let mut by_message = app.ws(&key, Wire::Json).await;
    by_message.subscribe(&board).await;
    let (mut by_header, _) = ws_with_bearer(&app, &key).await;
    let mut bystander = app.ws(&other, Wire::Json).await;

    let started = Instant::now();
    let (status, body) = app.revoke_api_key(&owner, &org, &key_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(by_message.closed().await, 1008);
    let latency = started.elapsed();
    assert_eq!(by_header.closed().await, 1008);
    println!("API key revocation reached the live WebSocket in {latency:?}");
    assert!(latency < Duration::from_secs(1), "took {latency:?}");

    let (status, body) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_revoked");
    let mut ws = app.ws_unauthenticated(Wire::Json).await;
    ws.send(json!({ "type": "auth", "token": key })).await;
    assert_eq!(ws.recv_type("error").await["code"], "token_revoked");
    assert_eq!(ws.closed().await, 1008);

    assert_eq!(listed(&app, &owner, &org, &key_id).await["revoked"], true);
    assert_eq!(
        listed(&app, &owner, &org, &other_id).await["revoked"],
        false
    );
    // Revoking again is fine; other keys are untouched.
    let (status, _) = app.revoke_api_key(&owner, &org, &key_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    bystander.send(json!({ "type": "ping", "nonce": 1 })).await;
    assert_eq!(bystander.recv_type("pong").await["nonce"], 1);

    // The database remembers the revocation across a restart.
    let mut app = app;
    app.restart().await;
    let (status, body) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_revoked");
    let (status, _) = app.get(&other, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn an_expired_key_is_refused() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let (key_id, key) = app.create_api_key(&owner, &org, "member").await;
    let (status, _) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);

    // Let its expiry pass, as time would.
    let db = app.db().await;
    let id: uuid::Uuid = key_id.parse().expect("uuid");
    let client = db.pool().get().await.expect("connection");
    let updated = client
        .execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1",
            &[&id],
        )
        .await
        .expect("update");
    assert_eq!(updated, 1);

    let (status, body) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_expired");
    let mut ws = app.ws_unauthenticated(Wire::Json).await;
    ws.send(json!({ "type": "auth", "token": key })).await;
    assert_eq!(ws.recv_type("error").await["code"], "token_expired");
    assert_eq!(ws.closed().await, 1008);
}

#[actix_web::test]
async fn wrong_secrets_and_malformed_keys_are_refused() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let (_, key) = app.create_api_key(&owner, &org, "admin").await;
    let (prefix_part, secret) = key.rsplit_once('_').expect("cbk_<prefix>_<secret>");
    let flipped: String = secret
        .chars()
        .map(|c| if c == 'a' { 'b' } else { 'a' })
        .collect();
    let wrong = format!("{prefix_part}_{flipped}");
    let unknown = format!("cbk_000000000000_{secret}");
    let truncated = key[..key.len() - 1].to_owned();

    for token in [
        wrong.as_str(),
        unknown.as_str(),
        truncated.as_str(),
        "cbk_",
        "cbk_garbage",
    ] {
        let (status, body) = app.get(token, &format!("/api/v1/orgs/{org}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
        assert_eq!(body["code"], "invalid_token", "{token}");
    }
    let mut ws = app.ws_unauthenticated(Wire::Json).await;
    ws.send(json!({ "type": "auth", "token": wrong })).await;
    assert_eq!(ws.recv_type("error").await["code"], "invalid_token");
    assert_eq!(ws.closed().await, 1008);

    let (status, _) = app.get(&key, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK, "the real key still works");
}

#[actix_web::test]
async fn only_admins_create_keys_and_never_above_their_own_role() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let (admin_email, member_email) = (email(), email());
    let (admin, _) = app.register(&admin_email).await;
    let (member, _) = app.register(&member_email).await;
    let (stranger, _) = app.register(&email()).await;
    app.add_member(&owner, &org, &admin_email, "admin").await;
    app.add_member(&owner, &org, &member_email, "member").await;
    let path = format!("/api/v1/orgs/{org}/api-keys");
    let body = |role: &str| json!({ "name": "k", "role": role });

    let (status, res) = app.post(&member, &path, body("viewer")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{res}");
    let (status, _) = app.get(&member, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&stranger, &path, body("viewer")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, res) = app.post(&admin, &path, body("owner")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{res}");
    let (status, res) = app.post(&admin, &path, body("admin")).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    let admin_key = res["id"].as_str().expect("id").to_owned();
    let (status, res) = app.post(&owner, &path, body("owner")).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    let owner_key = res["id"].as_str().expect("id").to_owned();

    // Members cannot revoke; admins can revoke any key of the org.
    let (status, _) = app.revoke_api_key(&member, &org, &admin_key).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.revoke_api_key(&admin, &org, &owner_key).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .revoke_api_key(&admin, &org, &uuid::Uuid::new_v4().to_string())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn api_keys_cannot_manage_api_keys() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let (key_id, key) = app.create_api_key(&owner, &org, "owner").await;
    let path = format!("/api/v1/orgs/{org}/api-keys");

    let (status, body) = app
        .post(&key, &path, json!({ "name": "child", "role": "viewer" }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app.get(&key, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.revoke_api_key(&key, &org, &key_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(listed(&app, &owner, &org, &key_id).await["revoked"], false);
}

#[actix_web::test]
async fn invalid_requests_name_the_field() {
    let app = spawn_app().await;
    let (owner, org, _) = org_with_board(&app).await;
    let path = format!("/api/v1/orgs/{org}/api-keys");
    let long = "x".repeat(101);
    for (body, field) in [
        (json!({ "name": "  ", "role": "member" }), "name"),
        (json!({ "name": long, "role": "member" }), "name"),
        (json!({ "name": "k", "role": "superuser" }), "role"),
        (
            json!({ "name": "k", "role": "member", "expires_in_days": 0 }),
            "expires_in_days",
        ),
        (
            json!({ "name": "k", "role": "member", "expires_in_days": 3651 }),
            "expires_in_days",
        ),
    ] {
        let (status, res) = app.post(&owner, &path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {res}");
        assert_eq!(res["code"], "validation_failed", "{res}");
        assert!(res["details"][field].is_string(), "{body}: {res}");
    }
    let (status, res) = app
        .post(
            &owner,
            &path,
            json!({ "name": "k", "role": "member", "scope": "all" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    let (status, res) = app
        .post(
            &owner,
            &path,
            json!({ "name": "k", "role": "member", "expires_in_days": 3650 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
}
