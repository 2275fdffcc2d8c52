//! Bad frames get an error naming the problem; the session and every other
//! session keep working.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{email, org_key, spawn_app, Wire};

#[actix_web::test]
async fn malformed_unknown_and_oversize_frames_are_answered_and_survived() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let mut bystander = app.ws(&token, Wire::Json).await;
    bystander.subscribe(board_id).await;

    for wire in [Wire::Json, Wire::MsgPack] {
        let mut ws = app.ws(&token, wire).await;
        ws.subscribe(board_id).await;

        let garbage = match wire {
            Wire::Json => Message::text("{not json"),
            Wire::MsgPack => Message::binary(vec![0xc1, 0xff, 0x00]),
        };
        ws.send_raw(garbage).await;
        let err = ws.recv_type("error").await;
        assert_eq!(err["code"], "malformed_frame", "{err}");

        ws.send(json!({ "type": "teleport", "board": board_id }))
            .await;
        let err = ws.recv_type("error").await;
        assert_eq!(err["code"], "unknown_type", "{err}");
        assert!(
            err["message"]
                .as_str()
                .expect("message")
                .contains("teleport"),
            "{err}"
        );

        ws.send(json!({ "type": "subscribe" })).await;
        let err = ws.recv_type("error").await;
        assert_eq!(err["code"], "invalid_message", "{err}");
        assert!(
            err["message"].as_str().expect("message").contains("board"),
            "{err}"
        );

        ws.send(json!({ "type": "command", "id": "x", "board": board_id,
                        "command": { "type": "create_item", "title": "t", "description": "d".repeat(300 * 1024) } }))
            .await;
        let err = ws.recv_type("error").await;
        assert_eq!(err["code"], "message_too_large", "{err}");

        // Still working: a command goes through and both sessions see it.
        let ack = ws
            .command(
                &format!("after-{wire:?}"),
                board_id,
                json!({ "type": "create_item", "title": "still alive" }),
            )
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
        let event = bystander.recv_type("event").await;
        assert_eq!(event["event"]["title"], "still alive");
    }
}
