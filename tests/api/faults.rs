//! Permanent storage faults are final: a board whose stored events no
//! longer decode answers `internal`, not retryable (REST 500), instead of
//! the retryable `unavailable` that would have clients retry forever.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, org_key, spawn_app, TestApp, Wire};

/// Overwrites every stored event of `board` with a byte that decodes as
/// no event, and drops its snapshot, straight in the database.
async fn corrupt_board(app: &TestApp, board: &str) {
    let db = app.db().await;
    let client = db.pool().get().await.expect("connection");
    let board: uuid::Uuid = board.parse().expect("uuid");
    let n = client
        .execute(
            "UPDATE events SET payload = '\\x00' WHERE board_id = $1",
            &[&board],
        )
        .await
        .expect("update");
    assert!(n > 0, "the board has events");
    client
        .execute("DELETE FROM snapshots WHERE board_id = $1", &[&board])
        .await
        .expect("delete");
}

#[actix_web::test]
async fn an_undecodable_stored_event_is_internal_and_not_retryable() {
    let mut app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    corrupt_board(&app, &board).await;
    // A fresh server loads the board from storage on first use.
    app.restart().await;

    let (status, body) = app
        .command(
            &token,
            &board,
            json!({ "type": "create_item", "title": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["code"], "internal", "{body}");
    assert_eq!(body["details"]["retryable"], false, "{body}");
    let message = body["message"].as_str().expect("message");
    assert!(
        !message.contains("undecodable"),
        "no internal text: {message}"
    );

    let mut ws = app.ws(&token, Wire::Json).await;
    let rejected = ws
        .command(
            "after-fault",
            &board,
            json!({ "type": "create_item", "title": "y" }),
        )
        .await;
    assert_eq!(rejected["type"], "rejected", "{rejected}");
    assert_eq!(rejected["code"], "internal", "{rejected}");
    assert_eq!(rejected["retryable"], false, "{rejected}");

    ws.send(json!({ "type": "subscribe", "board": board }))
        .await;
    let error = ws.recv_type("error").await;
    assert_eq!(error["code"], "internal", "{error}");
}
