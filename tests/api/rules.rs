//! Every rule violation comes back with its code, identically over REST,
//! WebSocket JSON and WebSocket MessagePack.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{column_ids, email, org_key, spawn_app, Wire};

#[actix_web::test]
async fn every_rule_violation_returns_its_code_over_every_transport() {
    let app = spawn_app().await;
    let (token, owner) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let cols = column_ids(&board);

    let run = |command: Value| {
        let app = &app;
        let token = token.clone();
        let board_id = board_id.clone();
        async move {
            let (status, body) = app.command(&token, &board_id, command).await;
            assert_eq!(status, StatusCode::OK, "setup failed: {body}");
            body["events"][0]["event"].clone()
        }
    };
    // Item A in the first column, assigned and labelled; item B fills the
    // second column up to its WIP limit of 1; item C is archived.
    let a = run(json!({ "type": "create_item", "title": "A" })).await["item"].clone();
    run(json!({ "type": "assign_item", "item": a, "user": owner })).await;
    run(json!({ "type": "add_label", "item": a, "label": "bug" })).await;
    run(json!({ "type": "create_item", "title": "B", "column": cols[1] })).await;
    run(json!({ "type": "set_wip_limit", "column": cols[1], "limit": 1 })).await;
    let c = run(json!({ "type": "create_item", "title": "C" })).await["item"].clone();
    run(json!({ "type": "archive_item", "item": c })).await;

    let stranger = uuid::Uuid::new_v4().to_string();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "type": "rename_board", "name": "  " }),
            "invalid_field",
        ),
        (
            json!({ "type": "add_column", "name": "to do" }),
            "duplicate_column_name",
        ),
        (
            json!({ "type": "rename_column", "column": stranger, "name": "X" }),
            "column_not_found",
        ),
        (
            json!({ "type": "remove_column", "column": cols[1] }),
            "column_not_empty",
        ),
        (
            json!({ "type": "set_wip_limit", "column": cols[0], "limit": 0 }),
            "invalid_field",
        ),
        (
            json!({ "type": "create_item", "title": "" }),
            "invalid_field",
        ),
        (
            json!({ "type": "create_item", "title": "t".repeat(501) }),
            "invalid_field",
        ),
        (
            json!({ "type": "create_item", "title": "big", "description": "d".repeat(64 * 1024 + 1) }),
            "invalid_field",
        ),
        (
            json!({ "type": "create_item", "title": "full", "column": cols[1] }),
            "wip_limit_reached",
        ),
        (
            json!({ "type": "edit_item", "item": stranger }),
            "item_not_found",
        ),
        (
            json!({ "type": "edit_item", "item": a, "title": "A" }),
            "no_change",
        ),
        (
            json!({ "type": "move_item", "item": a, "column": cols[1] }),
            "wip_limit_reached",
        ),
        (
            json!({ "type": "move_item", "item": a, "column": stranger }),
            "column_not_found",
        ),
        (
            json!({ "type": "move_item", "item": c, "column": cols[2] }),
            "item_archived",
        ),
        (
            json!({ "type": "assign_item", "item": a, "user": stranger }),
            "not_a_member",
        ),
        (
            json!({ "type": "assign_item", "item": a, "user": owner }),
            "already_assigned",
        ),
        (
            json!({ "type": "unassign_item", "item": a, "user": stranger }),
            "not_assigned",
        ),
        (
            json!({ "type": "add_label", "item": a, "label": "bug" }),
            "label_exists",
        ),
        (
            json!({ "type": "add_label", "item": a, "label": "" }),
            "invalid_field",
        ),
        (
            json!({ "type": "remove_label", "item": a, "label": "nope" }),
            "label_not_found",
        ),
        (
            json!({ "type": "restore_item", "item": a }),
            "item_not_archived",
        ),
        (
            json!({ "type": "archive_item", "item": c }),
            "item_archived",
        ),
    ];

    let mut json_ws = app.ws(&token, Wire::Json).await;
    let mut msgpack_ws = app.ws(&token, Wire::MsgPack).await;
    let before = app
        .get(&token, &format!("/api/v1/boards/{board_id}"))
        .await
        .1["seq"]
        .clone();
    for (i, (command, code)) in cases.into_iter().enumerate() {
        let (status, body) = app.command(&token, &board_id, command.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "REST {command}: {body}"
        );
        assert_eq!(body["code"], code, "REST {command}: {body}");
        assert!(!body["message"].as_str().unwrap_or("").is_empty());
        for ws in [&mut json_ws, &mut msgpack_ws] {
            let answer = ws
                .command(&format!("r{i}"), &board_id, command.clone())
                .await;
            assert_eq!(
                answer["type"], "rejected",
                "{:?} {command}: {answer}",
                ws.format
            );
            assert_eq!(answer["code"], code, "{:?} {command}: {answer}", ws.format);
            assert_eq!(answer["retryable"], false);
            // `details` holds the rejection's fields, as PROTOCOL.md lists
            // them (not its code a second time), the same as REST's.
            assert_eq!(
                detail_fields(&answer),
                protocol_fields(code),
                "{:?} {command}: {answer}",
                ws.format
            );
            assert_eq!(
                answer.get("details"),
                body.get("details"),
                "{:?} {command}: WebSocket {answer}, REST {body}",
                ws.format
            );
            if code == "wip_limit_reached" {
                assert!(answer["details"]["limit"].is_u64(), "{answer}");
            }
        }
    }
    // Nothing was applied by any refused command.
    let after = app
        .get(&token, &format!("/api/v1/boards/{board_id}"))
        .await
        .1["seq"]
        .clone();
    assert_eq!(before, after);
}

/// PROTOCOL.md's table of command rejections: `code` → the `details`
/// fields it lists, sorted.
fn protocol_fields(code: &str) -> Vec<String> {
    const SPEC: &str = include_str!("../../protocol/PROTOCOL.md");
    let table = SPEC
        .split_once("### Command rejections")
        .expect("the rejections section")
        .1;
    let row = table
        .lines()
        .find(|line| line.starts_with(&format!("| `{code}` |")))
        .unwrap_or_else(|| panic!("{code} is not in PROTOCOL.md's table"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let mut fields: Vec<String> = cells[2]
        .split(',')
        .map(|f| f.trim().trim_matches('`').to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    fields.sort();
    fields
}

/// The fields of an answer's `details`, sorted (none when absent).
fn detail_fields(answer: &Value) -> Vec<String> {
    let mut fields: Vec<String> = answer
        .get("details")
        .and_then(Value::as_object)
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

/// The example of PROTOCOL.md's `rejected` section, exactly: a
/// `wip_limit_reached` has `details` `{"column", "limit"}` over WebSocket
/// (both encodings), and REST answers the same code and the same details.
#[actix_web::test]
async fn a_rule_rejection_has_the_details_protocol_md_shows_over_rest_and_websocket() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let column = column_ids(&board)[0].clone();
    let (status, body) = app
        .command(
            &token,
            &board_id,
            json!({ "type": "set_wip_limit", "column": column, "limit": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let create = json!({ "type": "create_item", "title": "one", "column": column });
    let (status, body) = app.command(&token, &board_id, create.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let expected = json!({ "column": column, "limit": 1 });
    let (status, rest) = app.command(&token, &board_id, create.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rest}");
    assert_eq!(rest["code"], "wip_limit_reached", "{rest}");
    assert_eq!(rest["details"], expected, "REST: {rest}");
    for wire in [Wire::Json, Wire::MsgPack] {
        let mut ws = app.ws(&token, wire).await;
        let answer = ws.command("c-18", &board_id, create.clone()).await;
        assert_eq!(answer["type"], "rejected", "{answer}");
        assert_eq!(answer["id"], "c-18", "{answer}");
        assert_eq!(answer["code"], rest["code"], "{answer}");
        assert_eq!(answer["retryable"], false, "{answer}");
        assert_eq!(answer["details"], expected, "{wire:?}: {answer}");
        assert_eq!(answer["details"], rest["details"], "{wire:?}: {answer}");
    }
}

/// Refused creates spend no item number: after the org's item 1 and
/// creates refused for a too long title, a full column and a viewer (by
/// REST, REST with an `Idempotency-Key`, and WebSocket), the next item
/// is number 2.
#[actix_web::test]
async fn a_refused_create_item_does_not_spend_an_item_number() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let cols = column_ids(&board);
    let viewer_email = email();
    let (viewer, _) = app.register(&viewer_email).await;
    app.add_member(&token, &org, &viewer_email, "viewer").await;

    let number = |body: &Value| body["events"][0]["event"]["number"].as_u64();
    let (status, first) = app
        .command(
            &token,
            &board_id,
            json!({ "type": "create_item", "title": "One", "column": cols[1] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(number(&first), Some(1), "{first}");
    let (status, body) = app
        .command(
            &token,
            &board_id,
            json!({ "type": "set_wip_limit", "column": cols[1], "limit": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let too_long = json!({ "type": "create_item", "title": "t".repeat(501) });
    let full = json!({ "type": "create_item", "title": "Two", "column": cols[1] });
    let plain = json!({ "type": "create_item", "title": "Two" });
    for (who, command, code) in [
        (&token, &too_long, "invalid_field"),
        (&token, &full, "wip_limit_reached"),
        (&viewer, &plain, "forbidden"),
    ] {
        let (status, body) = app.command(who, &board_id, command.clone()).await;
        assert_eq!(body["code"], code, "{status} {body}");
        let res = app
            .http
            .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
            .bearer_auth(who)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(command)
            .send()
            .await
            .expect("request");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["code"], code, "{body}");
    }
    let mut ws = app.ws(&token, Wire::Json).await;
    let answer = ws.command("refused-1", &board_id, too_long).await;
    assert_eq!(answer["code"], "invalid_field", "{answer}");

    // A retry of an applied create gets its first answer and spends no
    // number either.
    let key = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        let res = app
            .http
            .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
            .bearer_auth(&token)
            .header("idempotency-key", &key)
            .json(&plain)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let next: Value = res.json().await.expect("json");
        assert_eq!(number(&next), Some(2), "{next}");
    }
    let (status, next) = app.command(&token, &board_id, plain).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(number(&next), Some(3), "{next}");
}
