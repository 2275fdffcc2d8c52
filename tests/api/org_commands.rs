//! Organization commands: the same change over REST and over the
//! WebSocket makes the same events in the organization's log and reaches
//! subscribed sessions within a second; `org_command` answers like a board
//! `command` (ack, rule refusals with details, idempotent ids); and an
//! organization's own life: rename, ownership transfer, deletion (at once
//! unreachable) and the retention step that removes the data.

use std::time::{Duration, Instant};

use protocol::{OrgEvent, OrgId};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, org_key, spawn_app, TestApp, Wire, WsClient};

/// A change must reach a subscribed session within this.
const LIVE: Duration = Duration::from_secs(1);

/// The events of `org`'s log after `after`, decoded.
async fn log_after(app: &TestApp, org: &str, after: i64) -> Vec<OrgEvent> {
    let db = app.db().await;
    let client = db.pool().get().await.expect("connection");
    let org: uuid::Uuid = org.parse().expect("uuid");
    client
        .query(
            "SELECT payload FROM org_events WHERE org_id = $1 AND seq > $2 ORDER BY seq",
            &[&org, &after],
        )
        .await
        .expect("log")
        .iter()
        .map(|row| protocol::codec::decode_org_event(&row.get::<_, Vec<u8>>(0)).expect("decodes"))
        .collect()
}

async fn last_seq(app: &TestApp, org: &str) -> i64 {
    let db = app.db().await;
    let client = db.pool().get().await.expect("connection");
    let org: uuid::Uuid = org.parse().expect("uuid");
    client
        .query_one(
            "SELECT coalesce(max(seq), 0) FROM org_events WHERE org_id = $1",
            &[&org],
        )
        .await
        .expect("seq")
        .get(0)
}

/// Follow `org`'s channel.
async fn follow(ws: &mut WsClient, org: &str) {
    ws.send(json!({ "type": "subscribe_org", "org": org }))
        .await;
    ws.recv_type("org_snapshot").await;
}

/// The next `org_event` of `kind`, and how long it took from `since`.
async fn heard(ws: &mut WsClient, kind: &str, since: Instant) -> (Value, Duration) {
    loop {
        let msg = ws.recv_type("org_event").await;
        if msg["event"]["type"] == kind {
            return (msg, since.elapsed());
        }
    }
}

/// Send an `org_command` and wait for its answer.
async fn org_command(ws: &mut WsClient, id: &str, org: &str, command: Value) -> Value {
    ws.send(json!({ "type": "org_command", "id": id, "org": org, "command": command }))
        .await;
    loop {
        let msg = ws.recv().await;
        if (msg["type"] == "org_ack" || msg["type"] == "rejected") && msg["id"] == id {
            return msg;
        }
    }
}

#[actix_web::test]
async fn a_membership_change_over_rest_and_over_ws_makes_the_same_events_live_within_a_second() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let (_, member) = app.register(&member_email).await;
    // Two organizations alike: one is changed over REST, the other over
    // the WebSocket, by the same owner, for the same member.
    let by_rest = app.create_org(&owner, &org_key()).await;
    let by_ws = app.create_org(&owner, &org_key()).await;
    for org in [&by_rest, &by_ws] {
        app.add_member(&owner, org, &member_email, "member").await;
    }
    let (rest_from, ws_from) = (last_seq(&app, &by_rest).await, last_seq(&app, &by_ws).await);
    let mut watcher = app.ws(&owner, Wire::MsgPack).await;
    follow(&mut watcher, &by_rest).await;
    follow(&mut watcher, &by_ws).await;
    let mut actor = app.ws(&owner, Wire::Json).await;

    // Promote.
    let sent = Instant::now();
    let (status, body) = app
        .patch(
            &owner,
            &format!("/api/v1/orgs/{by_rest}/members/{member}"),
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (event, took) = heard(&mut watcher, "member_role_changed", sent).await;
    assert_eq!(event["org"], by_rest.as_str());
    assert!(took < LIVE, "REST change heard after {took:?}");

    let sent = Instant::now();
    let ack = org_command(
        &mut actor,
        "promote",
        &by_ws,
        json!({ "type": "change_role", "user": member, "role": "admin" }),
    )
    .await;
    assert_eq!(ack["type"], "org_ack", "{ack}");
    assert_eq!(ack["org"], by_ws.as_str());
    let (event, took) = heard(&mut watcher, "member_role_changed", sent).await;
    assert_eq!(event["org"], by_ws.as_str());
    assert!(took < LIVE, "WebSocket change heard after {took:?}");
    assert_eq!(ack["seq"].as_i64(), Some(last_seq(&app, &by_ws).await));

    // Remove.
    let sent = Instant::now();
    let (status, body) = app
        .delete(&owner, &format!("/api/v1/orgs/{by_rest}/members/{member}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, took) = heard(&mut watcher, "member_removed", sent).await;
    assert!(took < LIVE, "REST removal heard after {took:?}");
    let sent = Instant::now();
    let ack = org_command(
        &mut actor,
        "remove",
        &by_ws,
        json!({ "type": "remove_member", "user": member }),
    )
    .await;
    assert_eq!(ack["type"], "org_ack", "{ack}");
    let (_, took) = heard(&mut watcher, "member_removed", sent).await;
    assert!(took < LIVE, "WebSocket removal heard after {took:?}");

    // The two logs recorded the same events.
    let rest_log = log_after(&app, &by_rest, rest_from).await;
    let ws_log = log_after(&app, &by_ws, ws_from).await;
    assert_eq!(rest_log, ws_log);
    let member = protocol::UserId(member.parse().expect("uuid"));
    assert_eq!(
        rest_log,
        vec![
            OrgEvent::MemberRoleChanged {
                user: member,
                role: protocol::Role::Admin
            },
            OrgEvent::MemberRemoved { user: member },
        ]
    );
}

#[actix_web::test]
async fn org_commands_over_the_websocket_are_answered_like_board_commands() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let member_email = email();
    let (member_token, member) = app.register(&member_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    app.add_member(&owner, &org, &member_email, "member").await;
    let mut ws = app.ws(&owner, Wire::MsgPack).await;

    // A rule's refusal names the rule, with its fields as details.
    let refused = org_command(
        &mut ws,
        "leave",
        &org,
        json!({ "type": "remove_member", "user": owner_id }),
    )
    .await;
    assert_eq!(refused["type"], "rejected", "{refused}");
    assert_eq!(refused["code"], "last_owner");
    assert_eq!(refused["retryable"], false);

    // A member may not promote themselves.
    let mut theirs = app.ws(&member_token, Wire::Json).await;
    let refused = org_command(
        &mut theirs,
        "self",
        &org,
        json!({ "type": "change_role", "user": member, "role": "admin" }),
    )
    .await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(refused["details"]["action"], "change_role");

    // The same id twice is applied once and answered alike.
    let before = last_seq(&app, &org).await;
    let rename = json!({ "type": "rename_org", "name": "Renamed" });
    let first = org_command(&mut ws, "rename-1", &org, rename.clone()).await;
    assert_eq!(first["type"], "org_ack", "{first}");
    let again = org_command(&mut ws, "rename-1", &org, rename).await;
    assert_eq!(again, first);
    assert_eq!(last_seq(&app, &org).await, before + 1);
    let (_, body) = app.get(&owner, &format!("/api/v1/orgs/{org}")).await;
    assert_eq!(body["name"], "Renamed");

    // A command a client may not send is refused by its id, named.
    let unknown = org_command(&mut ws, "odd", &org, json!({ "type": "create_org" })).await;
    assert_eq!(unknown["type"], "rejected", "{unknown}");
    assert_eq!(unknown["code"], "invalid_command");
    assert!(
        unknown["message"]
            .as_str()
            .unwrap_or("")
            .contains("create_org"),
        "{unknown}"
    );

    // A user id no account has is refused by name, and nothing is
    // written; the organization goes on.
    let before = last_seq(&app, &org).await;
    let ghost = uuid::Uuid::new_v4();
    let refused = org_command(
        &mut ws,
        "ghost",
        &org,
        json!({ "type": "add_member", "user": ghost, "role": "member" }),
    )
    .await;
    assert_eq!(refused["type"], "rejected", "{refused}");
    assert_eq!(refused["code"], "not_found", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or("")
            .contains("no account"),
        "{refused}"
    );
    assert_eq!(last_seq(&app, &org).await, before);

    // A stranger's command is as for a missing organization.
    let (stranger, _) = app.register(&email()).await;
    let mut outsider = app.ws(&stranger, Wire::Json).await;
    let refused = org_command(&mut outsider, "x", &org, json!({ "type": "leave" })).await;
    assert_eq!(refused["code"], "not_found", "{refused}");
}

#[actix_web::test]
async fn owners_rename_and_hand_over_their_organization() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let admin_email = email();
    let (admin, admin_id) = app.register(&admin_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    app.add_member(&owner, &org, &admin_email, "admin").await;
    let path = format!("/api/v1/orgs/{org}");

    let (status, body) = app.patch(&admin, &path, json!({ "name": "Mine" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.patch(&owner, &path, json!({ "name": "  " })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["name"].is_string(), "{body}");
    let (status, body) = app.patch(&owner, &path, json!({ "name": "Design" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Design");
    assert_eq!(body["role"], "owner");

    let transfer = format!("{path}/transfer-ownership");
    let (status, body) = app
        .post(&admin, &transfer, json!({ "user_id": admin_id }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .post(
            &owner,
            &transfer,
            json!({ "user_id": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .post(&owner, &transfer, json!({ "user_id": admin_id }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "admin", "the former owner is an admin now");
    let (_, body) = app.get(&admin, &path).await;
    assert_eq!(body["role"], "owner");
    // The new owner may now do what only owners do; the old one may not.
    let (status, _) = app.patch(&owner, &path, json!({ "name": "Back" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&admin, &transfer, json!({ "user_id": owner_id }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn a_deleted_organization_is_unreachable_at_once_and_removed_after_its_grace_period() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let admin_email = email();
    let (admin, _) = app.register(&admin_email).await;
    let key = org_key();
    let org = app.create_org(&owner, &key).await;
    app.add_member(&owner, &org, &admin_email, "admin").await;
    let board = app.create_board(&owner, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .command(
            &owner,
            &board,
            json!({ "type": "create_item", "title": "kept?" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, created) = app
        .post(
            &owner,
            &format!("/api/v1/orgs/{org}/api-keys"),
            json!({ "name": "ci", "role": "member" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let api_key = created["key"].as_str().expect("key").to_owned();
    let mut watching = app.ws(&admin, Wire::Json).await;
    watching.subscribe(&board).await;
    follow(&mut watching, &org).await;

    // Only an owner deletes.
    let path = format!("/api/v1/orgs/{org}");
    let (status, body) = app.delete(&admin, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.delete(&owner, &path).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // At once: the live session hears it and is cut off, and nothing
    // answers any more.
    let (mut told, mut channel_ended, mut board_ended) = (false, false, false);
    while !(told && channel_ended && board_ended) {
        let msg = watching.recv().await;
        match msg["type"].as_str() {
            Some("org_event") if msg["event"]["type"] == "org_deleted" => told = true,
            Some("org_unsubscribed") => {
                assert!(told, "org_deleted comes before the channel ends");
                assert_eq!(msg["reason"], "access_lost");
                channel_ended = true;
            }
            Some("unsubscribed") => {
                assert_eq!(msg["reason"], "access_lost");
                board_ended = true;
            }
            _ => {}
        }
    }
    for token in [&owner, &admin, &api_key] {
        for what in [
            path.clone(),
            format!("{path}/boards"),
            format!("{path}/members"),
            format!("{path}/items"),
            format!("/api/v1/boards/{board}"),
        ] {
            let (status, body) = app.get(token, &what).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {body}");
        }
    }
    let (status, body) = app
        .command(
            &owner,
            &board,
            json!({ "type": "create_item", "title": "late" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, mine) = app.get(&owner, "/api/v1/orgs").await;
    assert_eq!(mine["orgs"].as_array().map(Vec::len), Some(0), "{mine}");
    let (_, me) = app.get(&admin, "/api/v1/me").await;
    assert_eq!(me["orgs"].as_array().map(Vec::len), Some(0), "{me}");
    let mut late = app.ws(&admin, Wire::Json).await;
    late.send(json!({ "type": "subscribe", "board": board }))
        .await;
    let refused = late.recv_type("error").await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    // Deleting again is deleting what is not there.
    let (status, _) = app.delete(&owner, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The data stays through the grace period...
    let db = app.db().await;
    let org_id = OrgId(org.parse().expect("uuid"));
    server::jobs::purge_deleted_orgs(&db, Duration::from_secs(3600))
        .await
        .expect("purge");
    assert!(
        rows_of(&db, org_id).await > 0,
        "kept during the grace period"
    );
    // ...and is removed after it, all of it; the key is free again.
    server::jobs::purge_deleted_orgs(&db, Duration::ZERO)
        .await
        .expect("purge");
    assert_eq!(rows_of(&db, org_id).await, 0);
    let (status, body) = app
        .post(
            &owner,
            "/api/v1/orgs",
            json!({ "name": "Again", "key": key }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Every row that belongs to `org`, counted across its tables.
async fn rows_of(db: &storage::Db, org: OrgId) -> i64 {
    let client = db.pool().get().await.expect("connection");
    client
        .query_one(
            "SELECT (SELECT count(*) FROM orgs WHERE id = $1) \
             + (SELECT count(*) FROM memberships WHERE org_id = $1) \
             + (SELECT count(*) FROM api_keys WHERE org_id = $1) \
             + (SELECT count(*) FROM org_events WHERE org_id = $1) \
             + (SELECT count(*) FROM boards WHERE org_id = $1) \
             + (SELECT count(*) FROM items WHERE org_id = $1) \
             + (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM boards b WHERE b.id = e.board_id))",
            &[&org.0],
        )
        .await
        .expect("count")
        .get(0)
}
