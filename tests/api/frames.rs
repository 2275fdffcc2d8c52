//! Bad frames get an error naming the problem; the session and every other
//! session keep working. Frames and messages above the hard limit are
//! refused on their header, before any payload is read (close 1009), and
//! invalid UTF-8 in a text message closes with 1007.

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{email, org_key, spawn_app, spawn_app_with, TestApp, Wire, WsClient, WAIT};

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

/// The header of a client frame declaring `len` payload bytes, masked with
/// the all-zero key (so a payload that follows reads as is).
fn header(first_byte: u8, len: u64) -> Vec<u8> {
    let mut bytes = vec![first_byte];
    if len < 126 {
        bytes.push(0x80 | len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        bytes.push(0x80 | 126);
        bytes.extend(short.to_be_bytes());
    } else {
        bytes.push(0x80 | 127);
        bytes.extend(len.to_be_bytes());
    }
    bytes.extend([0; 4]);
    bytes
}

/// A whole client frame: its header and `payload`.
fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = header(first_byte, payload.len() as u64);
    bytes.extend_from_slice(payload);
    bytes
}

/// Write `bytes` on the socket as they are, past the client's framing.
async fn write_raw(ws: &mut WsClient, bytes: &[u8]) {
    let io = ws.stream.get_mut();
    io.write_all(bytes).await.expect("write");
    io.flush().await.expect("flush");
}

/// Messages until the close frame, which must come within `WAIT` (far
/// sooner than the auth or idle timeout); the messages, the close code and
/// the reason.
async fn until_closed(ws: &mut WsClient) -> (Vec<Value>, u16, String) {
    let mut seen = Vec::new();
    let closed = async {
        loop {
            match ws.next().await {
                Some(Ok(msg)) => seen.push(msg),
                Some(Err((code, reason))) => return (code, reason),
                None => return (1006, String::new()),
            }
        }
    };
    let (code, reason) = tokio::time::timeout(WAIT, closed)
        .await
        .expect("closed within the wait");
    (seen, code, reason)
}

/// A session subscribed to a fresh board, to show others keep working.
async fn bystander(app: &TestApp) -> (String, String, WsClient) {
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.subscribe(&board_id).await;
    (token, board_id, ws)
}

async fn still_working(ws: &mut WsClient, board: &str, id: &str) {
    let ack = ws
        .command(id, board, json!({ "type": "create_item", "title": id }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

#[actix_web::test]
async fn a_frame_header_declaring_more_than_the_hard_limit_closes_1009_before_any_payload() {
    let app = spawn_app().await;
    let (token, board_id, mut other) = bystander(&app).await;
    let declared = [
        (false, 64 * 1024 * 1024),
        (false, 1 << 62),
        (true, 1 << 62),
        (false, u64::MAX),
    ];
    for (authenticated, len) in declared {
        let mut ws = if authenticated {
            app.ws(&token, Wire::Json).await
        } else {
            app.ws_unauthenticated(Wire::Json).await
        };
        // Only the header: a server waiting for the payload would hold the
        // socket until the auth or idle timeout (4000, 4001).
        write_raw(&mut ws, &header(0x81, len)).await;
        let (seen, code, reason) = until_closed(&mut ws).await;
        assert_eq!(code, 1009, "declared {len} bytes: {reason} after {seen:?}");
        assert!(reason.contains("limit"), "{reason}");
        assert!(
            seen.iter().any(|m| m["code"] == "message_too_large"),
            "{seen:?}"
        );
    }
    still_working(&mut other, &board_id, "after-headers").await;
}

#[actix_web::test]
async fn a_fragmented_message_passing_the_hard_limit_closes_1009_on_the_fragment_header() {
    // A 1 KiB message limit: the hard limit is the 64 KiB minimum.
    let app = spawn_app_with(|s| s.ws.max_message_bytes = 1024).await;
    let (token, board_id, mut other) = bystander(&app).await;
    let mut ws = app.ws(&token, Wire::Json).await;
    let mut bytes = frame(0x01, &[b' '; 40 * 1024]);
    bytes.extend(frame(0x00, &[b' '; 20 * 1024]));
    // 60 KiB so far; the last fragment's header takes it past 64 KiB, and
    // its payload never comes.
    bytes.extend(header(0x80, 8 * 1024));
    write_raw(&mut ws, &bytes).await;
    let (seen, code, reason) = until_closed(&mut ws).await;
    assert_eq!(code, 1009, "{reason} after {seen:?}");
    assert!(
        seen.iter().any(|m| m["code"] == "message_too_large"),
        "{seen:?}"
    );
    still_working(&mut other, &board_id, "after-fragments").await;
}

#[actix_web::test]
async fn invalid_utf8_in_a_text_message_closes_1007() {
    let app = spawn_app().await;
    let (token, board_id, mut other) = bystander(&app).await;

    let mut whole = app.ws(&token, Wire::Json).await;
    write_raw(&mut whole, &frame(0x81, b"{\"type\":\"ping\xff\"}")).await;
    let (seen, code, reason) = until_closed(&mut whole).await;
    assert_eq!(code, 1007, "{reason} after {seen:?}");

    // A character cut between two fragments is valid once put together.
    let mut split = app.ws(&token, Wire::Json).await;
    let text = json!({ "type": "command", "id": "split", "board": board_id,
                       "command": { "type": "create_item", "title": "café" } })
    .to_string();
    let cut = text.find('é').expect("é") + 1;
    let mut bytes = frame(0x01, &text.as_bytes()[..cut]);
    bytes.extend(frame(0x80, &text.as_bytes()[cut..]));
    write_raw(&mut split, &bytes).await;
    let ack = split.recv_type("ack").await;
    assert_eq!(ack["id"], "split", "{ack}");

    still_working(&mut other, &board_id, "after-utf8").await;
}

/// Until it authenticates, a socket's hard limit is 64 KiB: a frame that
/// an authenticated session may send (and be told is too large) closes an
/// unauthenticated one on its header. After `auth`, the full limit applies.
#[actix_web::test]
async fn an_unauthenticated_socket_has_the_smaller_hard_limit_until_it_authenticates() {
    let app = spawn_app().await;
    let (token, board_id, mut other) = bystander(&app).await;
    let declared = 100 * 1024;

    let mut anonymous = app.ws_unauthenticated(Wire::Json).await;
    write_raw(&mut anonymous, &header(0x81, declared)).await;
    let (seen, code, reason) = until_closed(&mut anonymous).await;
    assert_eq!(code, 1009, "{reason} after {seen:?}");
    assert!(
        reason.contains("65536"),
        "the unauthenticated limit: {reason}"
    );

    // After `auth` on a socket opened without a token, the same frame is
    // within the limits (100 KiB < the 256 KiB message limit): read whole
    // and decoded — and refused as not a message, the session going on.
    let mut late = app.ws_unauthenticated(Wire::Json).await;
    late.send(json!({ "type": "auth", "token": token })).await;
    late.recv_type("welcome").await;
    late.subscribe(&board_id).await;
    let mut bytes = header(0x81, declared);
    bytes.extend(vec![b' '; declared as usize]);
    write_raw(&mut late, &bytes).await;
    let answer = late.recv_type("error").await;
    assert_ne!(answer["code"], "message_too_large", "{answer}");
    still_working(&mut late, &board_id, "after-auth").await;
    still_working(&mut other, &board_id, "bystander").await;
}
