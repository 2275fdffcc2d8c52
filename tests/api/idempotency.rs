//! Idempotent commands across WebSocket, REST and reconnects, on the real
//! database: a command id is applied once and a retry gets the original
//! outcome.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, org_key, spawn_app, Wire};

#[actix_web::test]
async fn a_command_retried_after_the_connection_dropped_is_applied_once() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let (_, before) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    let before = before["seq"].as_u64().expect("seq");

    // Send, and drop the socket without waiting for the ack.
    let mut ws = app.ws(&token, Wire::MsgPack).await;
    ws.send(
        json!({ "type": "command", "id": "once-1", "board": board_id,
                    "command": { "type": "create_item", "title": "exactly once" } }),
    )
    .await;
    drop(ws);

    // Reconnect and retry until acked (the first attempt may or may not
    // have been committed when the socket went away).
    let mut ws = app.ws(&token, Wire::Json).await;
    let first = ws
        .command(
            "once-1",
            board_id,
            json!({ "type": "create_item", "title": "exactly once" }),
        )
        .await;
    assert_eq!(first["type"], "ack", "{first}");
    let again = ws
        .command(
            "once-1",
            board_id,
            json!({ "type": "create_item", "title": "exactly once" }),
        )
        .await;
    assert_eq!(
        again["seq"], first["seq"],
        "the retry gets the original ack"
    );
    assert_eq!(
        first["seq"].as_u64(),
        Some(before + 1),
        "one event, not two"
    );

    let (_, live) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(live["seq"].as_u64(), Some(before + 1));
    let titles = live["items"]
        .as_object()
        .expect("items")
        .values()
        .filter(|i| i["title"] == "exactly once")
        .count();
    assert_eq!(titles, 1);
}

#[actix_web::test]
async fn the_idempotency_key_works_over_rest_and_survives_a_restart() {
    let mut app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let post = |app: &crate::helpers::TestApp, key: &str, title: &str| {
        app.http
            .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&json!({ "type": "create_item", "title": title }))
            .send()
    };
    let first: serde_json::Value = post(&app, "rest-1", "one")
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let again: serde_json::Value = post(&app, "rest-1", "one")
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(again["seq"], first["seq"]);
    assert_eq!(again["events"], first["events"]);

    app.restart().await;
    let res = post(&app, "rest-1", "one").await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let after_restart: serde_json::Value = res.json().await.expect("json");
    assert_eq!(after_restart["seq"], first["seq"]);
    let (_, live) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(live["seq"], first["seq"], "applied exactly once");

    // A refusal is remembered too.
    let res = app
        .http
        .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
        .bearer_auth(&token)
        .header("idempotency-key", "rest-2")
        .json(&json!({ "type": "create_item", "title": "" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
