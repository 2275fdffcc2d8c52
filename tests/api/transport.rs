//! The WebSocket transport once the server has taken the socket over from
//! the HTTP layer: control frames, fragmented messages, and upgrade
//! refusals written whole.

use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};

use crate::helpers::{email, org_key, spawn_app, Wire, WsClient};

/// Frames until a pong arrives; the pong's payload and the messages seen
/// before it.
async fn until_pong_frame(ws: &mut WsClient) -> (Bytes, Vec<String>) {
    let mut seen = Vec::new();
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), ws.stream.next())
            .await
            .expect("a frame within the wait")
            .expect("socket open")
            .expect("frame");
        match frame {
            Message::Pong(payload) => return (payload, seen),
            Message::Text(text) => seen.push(text.to_string()),
            Message::Close(c) => panic!("closed instead of answering the ping: {c:?}"),
            _ => {}
        }
    }
}

#[actix_web::test]
async fn a_client_ping_is_answered_with_a_pong_echoing_its_payload() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.send_raw(Message::Ping(Bytes::from_static(b"are you there?")))
        .await;
    let (payload, _) = until_pong_frame(&mut ws).await;
    assert_eq!(&payload[..], b"are you there?");
}

#[actix_web::test]
async fn a_fragmented_message_is_put_back_together_around_a_ping() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let mut ws = app.ws(&token, Wire::Json).await;

    let text = json!({ "type": "subscribe", "board": board_id }).to_string();
    let (first, rest) = text.as_bytes().split_at(text.len() / 2);
    ws.send_raw(Message::Frame(Frame::message(
        first.to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await;
    // Control frames may come between the fragments of a message.
    ws.send_raw(Message::Ping(Bytes::from_static(b"mid"))).await;
    ws.send_raw(Message::Frame(Frame::message(
        rest.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await;
    let (payload, before) = until_pong_frame(&mut ws).await;
    assert_eq!(&payload[..], b"mid");
    assert!(
        before.is_empty(),
        "nothing answered half a message: {before:?}"
    );
    let snapshot = ws.recv_type("snapshot").await;
    assert_eq!(snapshot["board"], board_id);
}

#[actix_web::test]
async fn a_data_frame_inside_a_fragmented_message_closes_with_a_protocol_error() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.send_raw(Message::Frame(Frame::message(
        b"{\"type\":".to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await;
    ws.send_raw(Message::text("{\"type\":\"ping\"}")).await;
    assert_eq!(ws.closed().await, 1002);
}

#[actix_web::test]
async fn a_plain_get_of_the_socket_path_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(format!("http://127.0.0.1:{}/ws", app.port))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "not_a_websocket", "{body}");
}

#[actix_web::test]
async fn a_refused_upgrade_gets_the_whole_error_response() {
    let app = spawn_app().await;
    let req = app.ws_request(&[("authorization", "Bearer forged")]);
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("refused");
    let WsError::Http(res) = err else {
        panic!("expected an HTTP refusal, got {err}");
    };
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("x-request-id"), "middleware ran");
    let body: serde_json::Value =
        serde_json::from_slice(res.body().as_deref().expect("a body")).expect("json");
    assert_eq!(body["code"], "invalid_token", "{body}");
}

#[actix_web::test]
async fn upgrades_beyond_the_socket_limit_are_refused_as_overloaded() {
    let app = crate::helpers::spawn_app_with(|s| s.ws.max_sockets = 1).await;
    let (token, _) = app.register(&email()).await;
    let mut first = app.ws(&token, Wire::Json).await;
    let req = app.ws_request(&[("authorization", &format!("Bearer {token}"))]);
    let err = tokio_tungstenite::connect_async(req.clone())
        .await
        .expect_err("refused");
    let WsError::Http(res) = err else {
        panic!("expected an HTTP refusal, got {err}");
    };
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value =
        serde_json::from_slice(res.body().as_deref().expect("a body")).expect("json");
    assert_eq!(body["code"], "overloaded", "{body}");

    // Once the first socket is closed, its place is free again.
    first.stream.close(None).await.expect("close");
    assert_eq!(first.closed().await, 1000);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok((stream, _)) = tokio_tungstenite::connect_async(req.clone()).await {
            reopened = Some(stream);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a socket opens after the first closed");
}
