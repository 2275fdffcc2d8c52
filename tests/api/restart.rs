//! Everything survives a restart because it is in PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{column_ids, email, org_key, spawn_app, Wire};

#[actix_web::test]
async fn a_restarted_server_serves_the_same_board_and_continues_the_seq() {
    let mut app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let key = org_key();
    let org = app.create_org(&token, &key).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let cols = column_ids(&board);
    let mut last_number = 0;
    for i in 0..5 {
        let (status, body) = app
            .command(&token, &board_id, json!({ "type": "create_item", "title": format!("item {i}"), "column": cols[i % 3] }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last_number = body["events"][0]["event"]["number"]
            .as_u64()
            .expect("number");
    }
    let (_, before) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;

    app.restart().await;

    let (status, after) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before, after, "the board is identical after a restart");

    let mut ws = app.ws(&token, Wire::Json).await;
    let snapshot = ws.subscribe(&board_id).await;
    assert_eq!(snapshot["seq"], before["seq"]);
    ws.send(
        json!({ "type": "command", "id": "post-restart", "board": board_id,
                    "command": { "type": "create_item", "title": "after" } }),
    )
    .await;
    // A subscribed sender gets its own event first, then the ack.
    let event = ws.recv().await;
    assert_eq!(event["type"], "event", "{event}");
    let ack = ws.recv().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(
        ack["seq"].as_u64(),
        Some(before["seq"].as_u64().expect("seq") + 1)
    );
    assert_eq!(event["seq"], ack["seq"]);
    let number = event["event"]["number"].as_u64().expect("number");
    assert!(
        number > last_number,
        "item numbers are never reused: {number} after {last_number}"
    );

    let (status, boards) = app.get(&token, &format!("/api/v1/orgs/{org}/boards")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(boards["boards"][0]["id"], board_id.as_str());
}
