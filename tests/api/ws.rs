//! Live sessions: ordering across encodings, REST edits reaching sockets,
//! authentication of the upgrade, and membership checks.

use serde_json::json;

use crate::helpers::{column_ids, email, org_key, spawn_app, spawn_app_with, Wire};

#[actix_web::test]
async fn json_and_msgpack_clients_see_each_others_edits_in_the_same_order() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let mut alice = app.ws(&token, Wire::Json).await;
    let mut bob = app.ws(&token, Wire::MsgPack).await;
    let start = alice.subscribe(board_id).await["seq"]
        .as_u64()
        .expect("seq");
    assert_eq!(bob.subscribe(board_id).await["seq"].as_u64(), Some(start));

    // Both write concurrently: ten commands each, without waiting for acks.
    for i in 0..10 {
        alice
            .send(
                json!({ "type": "command", "id": format!("a{i}"), "board": board_id,
                          "command": { "type": "create_item", "title": format!("alice {i}") } }),
            )
            .await;
        bob.send(
            json!({ "type": "command", "id": format!("b{i}"), "board": board_id,
                         "command": { "type": "create_item", "title": format!("bob {i}") } }),
        )
        .await;
    }

    let mut seen = Vec::new();
    for client in [&mut alice, &mut bob] {
        let mut events = Vec::new();
        let mut acks = 0;
        while events.len() < 20 || acks < 10 {
            let msg = client.recv().await;
            match msg["type"].as_str() {
                Some("event") => events.push((
                    msg["seq"].as_u64().expect("seq"),
                    msg["command_id"].as_str().expect("command id").to_owned(),
                    msg["event"]["title"].as_str().expect("title").to_owned(),
                )),
                Some("ack") => acks += 1,
                other => panic!("unexpected {other:?}: {msg}"),
            }
        }
        seen.push(events);
    }
    assert_eq!(
        seen[0], seen[1],
        "both clients see the same events in the same order"
    );
    let seqs: Vec<u64> = seen[0].iter().map(|e| e.0).collect();
    assert_eq!(
        seqs,
        (start + 1..=start + 20).collect::<Vec<_>>(),
        "seq increases by exactly one"
    );
    // Each client's own commands keep their send order.
    let alice_titles: Vec<&str> = seen[0]
        .iter()
        .filter(|e| e.1.starts_with('a'))
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(
        alice_titles,
        (0..10).map(|i| format!("alice {i}")).collect::<Vec<_>>()
    );
}

#[actix_web::test]
async fn a_rest_edit_reaches_websocket_subscribers() {
    let app = spawn_app().await;
    let (token, user) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let columns = column_ids(&board);
    let mut ws = app.ws(&token, Wire::MsgPack).await;
    let snapshot = ws.subscribe(board_id).await;

    let res = app
        .http
        .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
        .bearer_auth(&token)
        .header("idempotency-key", "rest-1")
        .json(&json!({ "type": "rename_column", "column": columns[1], "name": "Doing" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);

    let event = ws.recv_type("event").await;
    assert_eq!(
        event["seq"].as_u64(),
        Some(snapshot["seq"].as_u64().expect("seq") + 1)
    );
    assert_eq!(event["by"], user.as_str());
    assert_eq!(event["command_id"], "rest-1");
    assert_eq!(event["event"]["type"], "column_renamed");
    assert_eq!(event["event"]["name"], "Doing");
}

#[actix_web::test]
async fn a_non_member_cannot_subscribe_or_edit_over_websocket() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (stranger, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let mut ws = app.ws(&stranger, Wire::Json).await;
    ws.send(json!({ "type": "subscribe", "board": board_id }))
        .await;
    let err = ws.recv().await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["code"], "not_found");
    assert_eq!(err["board"], board_id);

    let answer = ws
        .command(
            "c1",
            board_id,
            json!({ "type": "create_item", "title": "intrusion" }),
        )
        .await;
    assert_eq!(answer["type"], "rejected");
    assert_eq!(answer["code"], "not_found");

    // The session is still usable.
    ws.send(json!({ "type": "ping", "nonce": 7 })).await;
    assert_eq!(ws.recv_type("pong").await["nonce"], 7);
}

#[actix_web::test]
async fn the_upgrade_accepts_a_bearer_header_and_refuses_bad_tokens() {
    let app = spawn_app().await;
    let (token, user) = app.register(&email()).await;

    let req = app.ws_request(&[("authorization", &format!("Bearer {token}"))]);
    let (mut stream, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    use futures_util::StreamExt;
    let first = stream.next().await.expect("frame").expect("ok");
    let welcome: serde_json::Value =
        serde_json::from_str(first.to_text().expect("text")).expect("json");
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["user"], user.as_str());

    let req = app.ws_request(&[("authorization", "Bearer nope")]);
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");

    let mut ws = app.ws_unauthenticated(Wire::Json).await;
    ws.send(json!({ "type": "auth", "token": "forged" })).await;
    let err = ws.recv().await;
    assert_eq!(err["code"], "invalid_token");
    assert_eq!(ws.closed().await, 1008);
}

#[actix_web::test]
async fn an_unauthenticated_socket_is_closed_after_the_deadline() {
    let app = spawn_app_with(|s| s.ws.auth_timeout = std::time::Duration::from_secs(1)).await;
    let mut ws = app.ws_unauthenticated(Wire::Json).await;
    ws.send(json!({ "type": "subscribe", "board": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(ws.recv().await["code"], "unauthenticated");
    assert_eq!(ws.closed().await, 4000);
}

#[actix_web::test]
async fn foreign_origins_and_unknown_subprotocols_are_refused() {
    let app = spawn_app().await;
    let req = app.ws_request(&[("origin", "https://evil.example")]);
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");

    let req = app.ws_request(&[("sec-websocket-protocol", "mqtt")]);
    let err = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("400"), "{err}");
}

/// PROTOCOL.md promises exactly one `ack` or `rejected` per command id: a
/// `command` that cannot be decoded but whose id can be read is answered
/// `rejected{id, code: "invalid_command"}`, in both encodings; a frame
/// without a readable id gets an `error` as before.
#[actix_web::test]
async fn a_command_that_cannot_be_decoded_is_rejected_under_its_id() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id");
    for format in [Wire::Json, Wire::MsgPack] {
        let mut ws = app.ws(&token, format).await;
        let undecodable = [
            ("unknown", json!({ "type": "explode" }), "explode"),
            (
                "missing",
                json!({ "type": "archive_item" }),
                "missing field `item`",
            ),
            ("not-a-map", json!("create_item"), ""),
            (
                "extra",
                json!({ "type": "create_item", "title": "t", "colour": 1 }),
                "colour",
            ),
        ];
        for (id, command, needle) in undecodable {
            ws.send(json!({ "type": "command", "id": id, "board": board, "command": command }))
                .await;
            let answer = ws.recv().await;
            assert_eq!(answer["type"], "rejected", "{answer}");
            assert_eq!(answer["id"], id, "{answer}");
            assert_eq!(answer["code"], "invalid_command", "{answer}");
            assert_eq!(answer["retryable"], false, "{answer}");
            let message = answer["message"].as_str().expect("message");
            assert!(message.contains(needle), "{answer}");
        }
        // A bad board id still leaves the command id readable.
        ws.send(
            json!({ "type": "command", "id": "bad-board", "board": "nope",
            "command": { "type": "create_item", "title": "t" } }),
        )
        .await;
        let answer = ws.recv().await;
        assert_eq!(
            (&answer["type"], &answer["id"], &answer["code"]),
            (
                &json!("rejected"),
                &json!("bad-board"),
                &json!("invalid_command")
            ),
            "{answer}"
        );
        // Without a readable id there is nobody to answer but the session.
        for frame in [
            json!({ "type": "command", "board": board, "command": { "type": "explode" } }),
            json!({ "type": "command", "id": 5, "board": board, "command": {} }),
        ] {
            ws.send(frame).await;
            let answer = ws.recv().await;
            assert_eq!(answer["type"], "error", "{answer}");
        }
        // Nothing else was sent, and nothing was applied.
        assert!(ws.until_pong().await.is_empty());
    }
    let live = app.board(&token, board).await;
    assert_eq!(
        live["items"].as_object().map(|i| i.len()),
        Some(0),
        "{live}"
    );
}

/// `max_subscriptions` counts the boards a session holds: pipelined
/// subscribes to boards that do not exist hold nothing, and a burst to real
/// boards attaches exactly the limit.
#[actix_web::test]
async fn the_subscription_limit_counts_boards_held_not_subscribes_in_flight() {
    const MAX: usize = 3;
    let app = spawn_app_with(|s| s.ws.max_subscriptions = MAX).await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let mut boards = Vec::new();
    for _ in 0..MAX + 2 {
        let board = app.create_board(&token, &org).await;
        boards.push(board["id"].as_str().expect("id").to_owned());
    }
    let mut ws = app.ws(&token, Wire::Json).await;

    let missing = 30;
    for _ in 0..missing {
        ws.send(json!({ "type": "subscribe", "board": uuid::Uuid::new_v4() }))
            .await;
    }
    for _ in 0..missing {
        let answer = ws.recv().await;
        assert_eq!(answer["code"], "not_found", "{answer}");
    }

    // All at once: exactly MAX attach, the others are refused.
    for board in &boards {
        ws.send(json!({ "type": "subscribe", "board": board }))
            .await;
    }
    let (mut attached, mut refused) = (Vec::new(), Vec::new());
    while attached.len() + refused.len() < boards.len() {
        let answer = ws.recv().await;
        match answer["type"].as_str() {
            Some("snapshot") => attached.push(answer["board"].clone()),
            Some("error") if answer["code"] == "too_many_subscriptions" => {
                refused.push(answer["board"].clone());
            }
            _ => panic!("unexpected {answer}"),
        }
    }
    assert_eq!(attached.len(), MAX, "{attached:?} {refused:?}");

    // Letting one go makes room for one more.
    ws.send(json!({ "type": "unsubscribe", "board": attached[0] }))
        .await;
    assert_eq!(ws.recv_type("unsubscribed").await["board"], attached[0]);
    ws.send(json!({ "type": "subscribe", "board": refused[0] }))
        .await;
    assert_eq!(ws.recv_type("snapshot").await["board"], refused[0]);
    ws.send(json!({ "type": "subscribe", "board": refused[1] }))
        .await;
    let answer = ws.recv().await;
    assert_eq!(answer["code"], "too_many_subscriptions", "{answer}");
}

/// Subscribing again to a board the session holds sends no second
/// snapshot: without `since` it is refused `already_subscribed` (the
/// subscription goes on); with `since` it catches up from the live
/// subscription.
#[actix_web::test]
async fn subscribing_again_sends_no_second_snapshot() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id");
    let mut ws = app.ws(&token, Wire::MsgPack).await;
    let seq = ws.subscribe(board).await["seq"].as_u64().expect("seq");

    for _ in 0..200 {
        ws.send(json!({ "type": "subscribe", "board": board }))
            .await;
    }
    for _ in 0..200 {
        let answer = ws.recv().await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["code"], "already_subscribed", "{answer}");
        assert_eq!(answer["board"], board, "{answer}");
    }
    assert!(ws.until_pong().await.is_empty());

    // Still subscribed: an edit arrives once.
    let (status, _) = app
        .command(
            &token,
            board,
            json!({ "type": "create_item", "title": "after" }),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let event = ws.recv().await;
    assert_eq!(event["type"], "event", "{event}");
    assert_eq!(event["seq"].as_u64(), Some(seq + 1));
    assert!(ws.until_pong().await.is_empty(), "the event came once");

    // With `since`: the events after it, from the live subscription.
    ws.send(json!({ "type": "subscribe", "board": board, "since": seq }))
        .await;
    let again = ws.recv().await;
    assert_eq!(again["type"], "event", "{again}");
    assert_eq!(again["seq"].as_u64(), Some(seq + 1));
    ws.send(json!({ "type": "subscribe", "board": board, "since": seq + 1 }))
        .await;
    assert!(
        ws.until_pong().await.is_empty(),
        "nothing after the last seq"
    );
}

/// Subscriptions the server ends by itself (`unsubscribed` with
/// `access_lost` or `board_restarted`) no longer count toward
/// `max_subscriptions`, and the session forgets them: presence for such a
/// board is `not_subscribed`.
#[actix_web::test]
async fn subscriptions_the_server_ended_no_longer_count_toward_the_limit() {
    const MAX: usize = 2;
    let app = spawn_app_with(|s| s.ws.max_subscriptions = MAX).await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let (member, member_id) = app.register(&member_email).await;
    // The member is in two orgs; removal from the first ends only its board.
    let first = app.create_org(&owner, &org_key()).await;
    let second = app.create_org(&owner, &org_key()).await;
    app.add_member(&owner, &first, &member_email, "member")
        .await;
    app.add_member(&owner, &second, &member_email, "member")
        .await;
    let lost = app.create_board(&owner, &first).await;
    let lost = lost["id"].as_str().expect("id").to_owned();
    let mut others = Vec::new();
    for _ in 0..3 {
        let board = app.create_board(&owner, &second).await;
        others.push(board["id"].as_str().expect("id").to_owned());
    }

    let mut ws = app.ws(&member, Wire::Json).await;
    ws.subscribe(&lost).await;
    ws.subscribe(&others[0]).await;
    ws.send(json!({ "type": "subscribe_org", "org": first }))
        .await;
    ws.recv_type("org_snapshot").await;
    ws.send(json!({ "type": "subscribe", "board": others[1] }))
        .await;
    let full = ws.recv_type("error").await;
    assert_eq!(full["code"], "too_many_subscriptions", "{full}");

    // access_lost: the member leaves the first org.
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/orgs/{first}/members/{member_id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    let (mut board_gone, mut org_gone) = (false, false);
    while !(board_gone && org_gone) {
        let msg = ws.recv().await;
        match msg["type"].as_str() {
            Some("unsubscribed") => {
                assert_eq!(
                    (&msg["board"], &msg["reason"]),
                    (&json!(lost), &json!("access_lost"))
                );
                board_gone = true;
            }
            Some("org_unsubscribed") => {
                assert_eq!(msg["reason"], "access_lost", "{msg}");
                org_gone = true;
            }
            _ => {}
        }
    }
    assert_forgotten(&mut ws, &lost).await;
    assert_eq!(ws.subscribe(&others[1]).await["board"], others[1]);

    // board_restarted: a row written behind the board actor's back makes
    // its next append conflict; the actor cannot read that row while
    // catching up, so it restarts from storage.
    let seq = app.board(&owner, &others[0]).await["seq"]
        .as_u64()
        .expect("seq");
    insert_undecodable_event(&app, &others[0], seq + 1).await;
    let (status, body) = app
        .command(
            &owner,
            &others[0],
            json!({ "type": "rename_board", "name": "conflicted" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let ended = ws.recv_type("unsubscribed").await;
    assert_eq!(ended["board"], others[0], "{ended}");
    assert_eq!(ended["reason"], "board_restarted", "{ended}");
    assert_forgotten(&mut ws, &others[0]).await;
    assert_eq!(ws.subscribe(&others[2]).await["board"], others[2]);
    // Both slots are taken again.
    ws.send(json!({ "type": "subscribe", "board": others[0] }))
        .await;
    let full = ws.recv_type("error").await;
    assert_eq!(full["code"], "too_many_subscriptions", "{full}");
}

/// The session answers presence for `board` with `not_subscribed`: it
/// no longer holds an entry for it.
async fn assert_forgotten(ws: &mut crate::helpers::WsClient, board: &str) {
    ws.send(json!({ "type": "presence", "board": board, "state": {} }))
        .await;
    let answers = ws.until_pong().await;
    assert!(
        answers
            .iter()
            .any(|a| a["type"] == "error" && a["code"] == "not_subscribed" && a["board"] == board),
        "{answers:?}"
    );
}

/// Append an event to `board` at `seq` directly in the database, as another
/// writer would.
async fn insert_undecodable_event(app: &crate::helpers::TestApp, board: &str, seq: u64) {
    let db = app.db().await;
    let client = db.pool().get().await.expect("connection");
    // Not an event this server can decode (another node would have
    // written a valid one, which the actor would read and go on).
    let payload: Vec<u8> = b"\xc1 not msgpack".to_vec();
    let board: uuid::Uuid = board.parse().expect("uuid");
    let seq = i64::try_from(seq).expect("seq fits");
    client
        .execute(
            "INSERT INTO events (board_id, seq, at, actor, payload) VALUES ($1, $2, 0, $1, $3)",
            &[&board, &seq, &payload],
        )
        .await
        .expect("insert");
}
