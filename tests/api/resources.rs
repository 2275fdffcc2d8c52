//! Resource-style REST routes for every board command: each one goes
//! through the board actor like a WebSocket command (decided by the same
//! rules, committed before the answer, broadcast to subscribers,
//! idempotent under `Idempotency-Key`), and answers bad input with the
//! API's error shape.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{column_ids, email, org_key, spawn_app, TestApp, Wire, WsClient};

/// Send `method path` with an optional JSON body; returns status and body.
async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The next `event` on `ws`, checking it is of `kind`.
async fn next_event(ws: &mut WsClient, kind: &str) -> Value {
    let msg = ws.recv_type("event").await;
    assert_eq!(msg["event"]["type"], kind, "{msg}");
    msg
}

struct Setup {
    app: TestApp,
    token: String,
    user: String,
    board: String,
    columns: Vec<String>,
    ws: WsClient,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let (token, user) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board_json = app.create_board(&token, &org).await;
    let board = board_json["id"].as_str().expect("board id").to_owned();
    let columns = column_ids(&board_json);
    let mut ws = app.ws(&token, Wire::Json).await;
    ws.subscribe(&board).await;
    Setup {
        app,
        token,
        user,
        board,
        columns,
        ws,
    }
}

#[actix_rt::test]
async fn every_board_command_has_a_rest_route_that_is_committed_and_broadcast() {
    let Setup {
        app,
        token,
        user,
        board,
        columns,
        mut ws,
    } = setup().await;
    let b = format!("/boards/{board}");

    // Each step: method, path, body, expected status, event it broadcasts.
    let (status, body) = call(&app, &token, Method::PATCH, &b, Some(json!({"name": "Q3"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let live = next_event(&mut ws, "board_renamed").await;
    assert_eq!(
        live["seq"], body["seq"],
        "the answer's seq is the broadcast's"
    );
    assert_eq!(body["events"][0]["event"]["name"], "Q3");

    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{b}/columns"),
        Some(json!({"name": "Review", "wip_limit": 3, "index": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let review = body["events"][0]["event"]["column"]
        .as_str()
        .expect("column id")
        .to_owned();
    next_event(&mut ws, "column_added").await;

    let col = format!("{b}/columns/{review}");
    let steps: Vec<(Method, String, Option<Value>, &str)> = vec![
        (
            Method::PATCH,
            col.clone(),
            Some(json!({"name": "QA"})),
            "column_renamed",
        ),
        (
            Method::POST,
            format!("{col}/move"),
            Some(json!({"index": 0})),
            "column_moved",
        ),
        (
            Method::PUT,
            format!("{col}/wip-limit"),
            Some(json!({"limit": null})),
            "wip_limit_set",
        ),
        (Method::DELETE, col.clone(), None, "column_removed"),
    ];
    for (method, path, body, kind) in steps {
        let (status, answer) = call(&app, &token, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
        assert_eq!(answer["events"][0]["event"]["type"], kind, "{answer}");
        next_event(&mut ws, kind).await;
    }

    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{b}/items"),
        Some(json!({"title": "Ship it", "column": columns[1]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created = &body["events"][0]["event"];
    assert_eq!(created["column"], columns[1].as_str());
    let item = created["item"].as_str().expect("item id").to_owned();
    next_event(&mut ws, "item_created").await;

    let it = format!("{b}/items/{item}");
    let steps: Vec<(Method, String, Option<Value>, &str)> = vec![
        (
            Method::PATCH,
            it.clone(),
            Some(json!({"description": "now"})),
            "item_edited",
        ),
        (
            Method::POST,
            format!("{it}/move"),
            Some(json!({"column": columns[2], "index": 0})),
            "item_moved",
        ),
        (
            Method::PUT,
            format!("{it}/assignees/{user}"),
            None,
            "item_assigned",
        ),
        (
            Method::DELETE,
            format!("{it}/assignees/{user}"),
            None,
            "item_unassigned",
        ),
        (
            Method::PUT,
            format!("{it}/labels/needs%20review"),
            None,
            "label_added",
        ),
        (
            Method::DELETE,
            format!("{it}/labels/needs%20review"),
            None,
            "label_removed",
        ),
        (Method::POST, format!("{it}/archive"), None, "item_archived"),
        (Method::POST, format!("{it}/restore"), None, "item_restored"),
    ];
    for (method, path, body, kind) in steps {
        let (status, answer) = call(&app, &token, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
        assert_eq!(answer["events"][0]["event"]["type"], kind, "{answer}");
        let live = next_event(&mut ws, kind).await;
        if kind == "label_added" {
            assert_eq!(live["event"]["label"], "needs review", "percent-decoded");
        }
    }

    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{it}/comments"),
        Some(json!({"body": "Looks good"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let comment = body["events"][0]["event"]["comment"]
        .as_str()
        .expect("comment id")
        .to_owned();
    next_event(&mut ws, "comment_added").await;
    let com = format!("{b}/comments/{comment}");
    let (status, body) = call(
        &app,
        &token,
        Method::PATCH,
        &com,
        Some(json!({"body": "LGTM"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    next_event(&mut ws, "comment_edited").await;
    let (status, body) = call(&app, &token, Method::DELETE, &com, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    next_event(&mut ws, "comment_deleted").await;

    for (path, kind) in [("archive", "board_archived"), ("restore", "board_restored")] {
        let (status, body) = call(&app, &token, Method::POST, &format!("{b}/{path}"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        next_event(&mut ws, kind).await;
    }

    // The live board reflects all of it.
    let live = app.board(&token, &board).await;
    assert_eq!(live["name"], "Q3");
    assert_eq!(live["columns"].as_array().map(Vec::len), Some(3));
}

#[actix_rt::test]
async fn resource_routes_apply_the_board_rules_and_answer_bad_input_by_name() {
    let Setup {
        app, token, board, ..
    } = setup().await;
    let b = format!("/boards/{board}");

    // A rule violation: an empty title is refused with the rejection code.
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{b}/items"),
        Some(json!({"title": "  "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["code"].is_string(), "{body}");
    assert!(body["request_id"].is_string(), "{body}");

    // An unknown field is named.
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{b}/items"),
        Some(json!({"title": "x", "colour": "red"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("colour"),
        "{body}"
    );

    // A bad id in the path is a 400 that names the parameter.
    let (status, body) = call(
        &app,
        &token,
        Method::PATCH,
        &format!("{b}/items/not-a-uuid"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_path", "{body}");
    assert!(
        body["message"].as_str().expect("message").contains("item"),
        "{body}"
    );

    // An unknown item of a real board: the command's own rejection.
    let missing = uuid::Uuid::new_v4();
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("{b}/items/{missing}/archive"),
        None,
    )
    .await;
    assert_eq!(status.as_u16() / 100, 4, "{body}");
    assert!(body["code"].is_string(), "{body}");

    // An unknown board: 404.
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        &format!("/boards/{missing}/items"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Wrong content type: 415.
    let res = app
        .http
        .post(app.url(&format!("/api/v1{b}/items")))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("title=x")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_rt::test]
async fn resource_routes_respect_roles_tenants_and_idempotency_keys() {
    let Setup {
        app,
        token,
        board,
        ws: _subscribed,
        ..
    } = setup().await;
    let b = format!("/boards/{board}");

    // A viewer of the org may read but not edit; an outsider sees 404.
    let viewer_email = email();
    let (viewer, _) = app.register(&viewer_email).await;
    let org = app.board(&token, &board).await["org"]
        .as_str()
        .expect("org")
        .to_owned();
    app.add_member(&token, &org, &viewer_email, "viewer").await;
    let (status, body) = call(
        &app,
        &viewer,
        Method::POST,
        &format!("{b}/items"),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (outsider, _) = app.register(&email()).await;
    let (status, body) = call(
        &app,
        &outsider,
        Method::PATCH,
        &b,
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // The same Idempotency-Key twice: one item, the same answer.
    let send = || {
        app.http
            .post(app.url(&format!("/api/v1{b}/items")))
            .bearer_auth(&token)
            .header("Idempotency-Key", "create-once")
            .json(&json!({"title": "Once"}))
            .send()
    };
    let first = send().await.expect("request");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let again: Value = send().await.expect("request").json().await.expect("json");
    assert_eq!(first["seq"], again["seq"], "{first} {again}");
    assert_eq!(first["command_id"], "create-once");
    let items = app.board(&token, &board).await["items"].clone();
    let count = items
        .as_object()
        .map(|m| m.len())
        .or_else(|| items.as_array().map(Vec::len));
    assert_eq!(count, Some(1), "{items}");

    // PUT and DELETE of a label or an assignee are idempotent: repeating
    // one answers 200 with no events, as HTTP lets clients expect.
    let item = first["events"][0]["event"]["item"]
        .as_str()
        .expect("item id")
        .to_owned();
    let label = format!("{b}/items/{item}/labels/urgent");
    for (method, events) in [
        (Method::PUT, 1),
        (Method::PUT, 0),
        (Method::DELETE, 1),
        (Method::DELETE, 0),
    ] {
        let (status, body) = call(&app, &token, method.clone(), &label, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {body}");
        assert_eq!(
            body["events"].as_array().map(Vec::len),
            Some(events),
            "{method} {body}"
        );
    }
    let (_, me) = app.get(&token, "/api/v1/me").await;
    let assignee = format!(
        "{b}/items/{item}/assignees/{}",
        me["id"].as_str().expect("my id")
    );
    for (method, events) in [
        (Method::PUT, 1),
        (Method::PUT, 0),
        (Method::DELETE, 1),
        (Method::DELETE, 0),
    ] {
        let (status, body) = call(&app, &token, method.clone(), &assignee, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {body}");
        assert_eq!(
            body["events"].as_array().map(Vec::len),
            Some(events),
            "{method} {body}"
        );
    }

    // Presence over REST: the subscribed session is listed.
    let (status, body) = call(&app, &viewer, Method::GET, &format!("{b}/presence"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions"].as_array().map(Vec::len), Some(1), "{body}");
    let (status, _) = call(&app, &outsider, Method::GET, &format!("{b}/presence"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
