//! Organizations, boards and items over REST, and tenant isolation.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{column_ids, email, org_key, spawn_app};

#[actix_web::test]
async fn an_owner_creates_boards_and_items_and_reads_them_back() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let key = org_key();
    let org = app.create_org(&token, &key).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let columns = column_ids(&board);
    assert_eq!(columns.len(), 3);

    let (status, body) = app
        .command(
            &token,
            board_id,
            json!({ "type": "create_item", "title": "Write the spec" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = &body["events"][0]["event"];
    assert_eq!(created["type"], "item_created");
    assert_eq!(created["column"], columns[0].as_str());
    let number = created["number"].as_u64().expect("number");

    let (status, list) = app.get(&token, &format!("/api/v1/orgs/{org}/boards")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["boards"][0]["id"], board_id);

    let (status, live) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["seq"], body["seq"]);

    let (status, item) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items/{key}-{number}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["title"], "Write the spec");
    assert_eq!(item["key"], format!("{key}-{number}"));
    let (status, _) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items/{number}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items/99999"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn item_numbers_increase_per_organization_across_boards() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let a = app.create_board(&token, &org).await;
    let b = app.create_board(&token, &org).await;
    let mut numbers = Vec::new();
    for board in [&a, &b, &a] {
        let (_, body) = app
            .command(
                &token,
                board["id"].as_str().expect("id"),
                json!({ "type": "create_item", "title": "x" }),
            )
            .await;
        numbers.push(
            body["events"][0]["event"]["number"]
                .as_u64()
                .expect("number"),
        );
    }
    assert!(numbers.windows(2).all(|w| w[1] > w[0]), "{numbers:?}");
}

#[actix_web::test]
async fn a_non_member_sees_nothing_of_another_organization() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (stranger, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");

    for path in [
        format!("/api/v1/orgs/{org}"),
        format!("/api/v1/orgs/{org}/boards"),
        format!("/api/v1/orgs/{org}/members"),
        format!("/api/v1/orgs/{org}/items/1"),
        format!("/api/v1/boards/{board_id}"),
    ] {
        let (status, body) = app.get(&stranger, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(
            !body.to_string().contains(board_id),
            "{path} leaked the board"
        );
    }
    let (status, _) = app
        .command(
            &stranger,
            board_id,
            json!({ "type": "create_item", "title": "intrusion" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &stranger,
            &format!("/api/v1/orgs/{org}/boards"),
            json!({ "name": "mine now" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_added_member_can_edit_and_a_viewer_cannot() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let viewer_email = email();
    let (member, _) = app.register(&member_email).await;
    let (viewer, _) = app.register(&viewer_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    app.add_member(&owner, &org, &member_email, "member").await;
    app.add_member(&owner, &org, &viewer_email, "viewer").await;

    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "create_item", "title": "ok" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .command(
            &viewer,
            board_id,
            json!({ "type": "create_item", "title": "no" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
    let (status, _) = app
        .get(&viewer, &format!("/api/v1/boards/{board_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "add_column", "name": "Review" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[actix_web::test]
async fn bad_requests_get_clear_errors() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let (status, body) = app.get(&token, "/api/v1/boards/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_path");
    assert!(
        body["message"].as_str().expect("message").contains("board"),
        "{body}"
    );

    let (status, body) = app
        .command(
            &token,
            board_id,
            json!({ "type": "create_item", "title": "x", "colour": "red" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("colour"),
        "{body}"
    );

    let (status, body) = app
        .command(&token, board_id, json!({ "type": "teleport_item" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("teleport_item"),
        "{body}"
    );

    let huge = "x".repeat(300 * 1024);
    let (status, body) = app
        .command(
            &token,
            board_id,
            json!({ "type": "create_item", "title": "t", "description": huge }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    let res = app
        .http
        .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (status, body) = app
        .get(&token, &format!("/api/v1/boards/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}
