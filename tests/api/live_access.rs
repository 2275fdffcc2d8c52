//! Changes of rights reach sessions that are already open: the org
//! channel, removal and demotion of members, archived boards.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, Wire};

#[actix_web::test]
async fn the_org_channel_announces_members_and_boards() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let newcomer_email = email();
    let (_, newcomer_id) = app.register(&newcomer_email).await;
    let org = app.create_org(&owner, &org_key()).await;

    let mut ws = app.ws(&owner, Wire::MsgPack).await;
    ws.send(json!({ "type": "subscribe_org", "org": org }))
        .await;
    let snapshot = ws.recv_type("org_snapshot").await;
    assert_eq!(snapshot["org"], org.as_str());
    assert_eq!(snapshot["members"][0]["user"], owner_id.as_str());
    assert_eq!(snapshot["members"][0]["role"], "owner");
    assert_eq!(snapshot["boards"].as_array().map(Vec::len), Some(0));

    app.add_member(&owner, &org, &newcomer_email, "member")
        .await;
    let event = ws.recv_type("org_event").await;
    assert_eq!(event["event"]["type"], "member_added");
    assert_eq!(event["event"]["user"], newcomer_id.as_str());
    assert_eq!(event["event"]["role"], "member");

    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let event = ws.recv_type("org_event").await;
    assert_eq!(event["event"]["type"], "board_created");
    assert_eq!(event["event"]["board"], board_id);
    assert_eq!(event["event"]["name"], "Roadmap");

    let (status, body) = app
        .command(&owner, board_id, json!({ "type": "archive_board" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = ws.recv_type("org_event").await;
    assert_eq!(event["event"]["type"], "board_archived");
    let (status, body) = app
        .command(
            &owner,
            board_id,
            json!({ "type": "create_item", "title": "too late" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "board_archived");
    let (_, boards) = app.get(&owner, &format!("/api/v1/orgs/{org}/boards")).await;
    assert_eq!(boards["boards"][0]["archived"], true);

    ws.send(json!({ "type": "unsubscribe_org", "org": org }))
        .await;
    let bye = ws.recv_type("org_unsubscribed").await;
    assert_eq!(bye["reason"], "requested");
}

#[actix_web::test]
async fn outsiders_cannot_follow_an_org_channel() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (stranger, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let mut ws = app.ws(&stranger, Wire::Json).await;
    ws.send(json!({ "type": "subscribe_org", "org": org }))
        .await;
    let err = ws.recv_type("error").await;
    assert_eq!(err["code"], "not_found");
}

#[actix_web::test]
async fn removing_a_member_ends_their_live_subscriptions_within_a_second() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let (member, member_id) = app.register(&member_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    app.add_member(&owner, &org, &member_email, "member").await;

    let mut ws = app.ws(&member, Wire::Json).await;
    ws.subscribe(board_id).await;
    ws.send(json!({ "type": "subscribe_org", "org": org }))
        .await;
    ws.recv_type("org_snapshot").await;

    let started = Instant::now();
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/orgs/{org}/members/{member_id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let mut board_gone = false;
    let mut org_gone = false;
    while !(board_gone && org_gone) {
        let msg = ws.recv().await;
        match msg["type"].as_str() {
            Some("unsubscribed") => {
                assert_eq!(msg["board"], board_id);
                assert_eq!(msg["reason"], "access_lost");
                board_gone = true;
            }
            Some("org_unsubscribed") => {
                assert_eq!(msg["reason"], "access_lost");
                org_gone = true;
            }
            Some("event") => panic!("a removed member received a board event: {msg}"),
            _ => {}
        }
    }
    let took = started.elapsed();
    println!("member removal reached the live session in {took:?}");
    assert!(took.as_secs_f64() < 1.0, "took {took:?}");

    // Later edits do not reach them, and their commands are refused.
    app.command(
        &owner,
        board_id,
        json!({ "type": "rename_board", "name": "Secret" }),
    )
    .await;
    let answer = ws
        .command(
            "after",
            board_id,
            json!({ "type": "create_item", "title": "x" }),
        )
        .await;
    assert_eq!(answer["type"], "rejected", "{answer}");
    assert_eq!(answer["code"], "not_found");
    ws.send(json!({ "type": "subscribe", "board": board_id }))
        .await;
    assert_eq!(ws.recv_type("error").await["code"], "not_found");
}

#[actix_web::test]
async fn a_demoted_member_keeps_reading_but_can_no_longer_edit() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let (member, member_id) = app.register(&member_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    app.add_member(&owner, &org, &member_email, "member").await;

    let mut ws = app.ws(&member, Wire::MsgPack).await;
    ws.subscribe(board_id).await;
    let ok = ws
        .command(
            "before",
            board_id,
            json!({ "type": "create_item", "title": "mine" }),
        )
        .await;
    assert_eq!(ok["type"], "ack", "{ok}");

    let res = app
        .http
        .patch(app.url(&format!("/api/v1/orgs/{org}/members/{member_id}")))
        .bearer_auth(&owner)
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{}", res.status());

    let refused = ws
        .command(
            "after",
            board_id,
            json!({ "type": "create_item", "title": "no" }),
        )
        .await;
    assert_eq!(refused["type"], "rejected", "{refused}");
    assert_eq!(refused["code"], "forbidden");
    // Still subscribed: the owner's edit arrives.
    app.command(
        &owner,
        board_id,
        json!({ "type": "rename_board", "name": "Renamed" }),
    )
    .await;
    let event = ws.recv_type("event").await;
    assert_eq!(event["event"]["type"], "board_renamed");
}

#[actix_web::test]
async fn presence_shows_who_is_on_a_board_and_a_dead_session_leaves() {
    let app = spawn_app_with(|s| {
        s.ws.heartbeat_interval = std::time::Duration::from_secs(1);
        s.ws.client_timeout = std::time::Duration::from_secs(3);
    })
    .await;
    let (token, user) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let mut alice = app.ws(&token, Wire::Json).await;
    alice.with_presence = true;
    alice.subscribe(board_id).await;
    let list = alice.recv_type("presence").await;
    assert_eq!(list["sessions"].as_array().map(Vec::len), Some(1));

    let mut bob = app.ws(&token, Wire::MsgPack).await;
    bob.subscribe(board_id).await;
    let joined = alice.recv_type("presence_changed").await;
    assert_eq!(joined["change"], "joined");
    assert_eq!(joined["entry"]["user"], user.as_str());
    let bob_session = joined["entry"]["session"].clone();

    bob.send(
        json!({ "type": "presence", "board": board_id, "state": { "cursor": { "x": 3, "y": 4 } } }),
    )
    .await;
    let updated = alice.recv_type("presence_changed").await;
    assert_eq!(updated["change"], "updated");
    assert_eq!(updated["entry"]["state"]["cursor"]["x"], 3);

    // Presence for a board one is not subscribed to is refused.
    bob.send(json!({ "type": "presence", "board": uuid::Uuid::new_v4(), "state": {} }))
        .await;
    assert_eq!(bob.recv_type("error").await["code"], "not_subscribed");

    // Bob's connection goes silent (no pongs, no close): he leaves within
    // the client timeout, not never.
    let started = Instant::now();
    let silent = bob;
    let left = alice.recv_type("presence_changed").await;
    assert_eq!(left["change"], "left");
    assert_eq!(left["entry"]["session"], bob_session);
    assert!(
        started.elapsed().as_secs() < 10,
        "left after {:?}",
        started.elapsed()
    );
    drop(silent);
}
