//! The query side of the HTTP API: the item list (filters, keyset pages,
//! caps), full-text search, a board's event history, comments, and that
//! none of them shows one organization's data to another.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{column_ids, email, org_key, spawn_app, TestApp, Wire, WsClient};

/// Creates `titles` on `board` (a few requests at a time); returns each
/// item's `(id, number)`, in number order.
async fn create_items(
    app: &TestApp,
    token: &str,
    board: &str,
    titles: &[String],
) -> Vec<(String, u64)> {
    let mut created = Vec::with_capacity(titles.len());
    for chunk in titles.chunks(8) {
        let answers = join_all(chunk.iter().map(|title| {
            app.command(
                token,
                board,
                json!({ "type": "create_item", "title": title }),
            )
        }))
        .await;
        for (status, body) in answers {
            assert_eq!(status, StatusCode::OK, "{body}");
            let event = &body["events"][0]["event"];
            created.push((
                event["item"].as_str().expect("item").to_owned(),
                event["number"].as_u64().expect("number"),
            ));
        }
    }
    created.sort_by_key(|(_, number)| *number);
    created
}

fn titles(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i}")).collect()
}

/// Every page of `path` (which has a query string) with `limit`; returns
/// the pages. Pages are fetched one after the other; `between` runs after
/// each page.
async fn all_pages(
    app: &TestApp,
    token: &str,
    path: &str,
    mut between: impl AsyncFnMut(usize),
) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let (status, body) = app.get(token, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        pages.push(body["items"].as_array().expect("items").clone());
        between(pages.len()).await;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(body["next_cursor"].is_null(), "{body}");
                return pages;
            }
        }
        assert!(pages.len() < 100, "pagination does not end");
    }
}

fn numbers(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|it| it["number"].as_u64().expect("number"))
        .collect()
}

#[actix_web::test]
async fn the_item_list_pages_through_every_item_exactly_once_despite_concurrent_inserts() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let key = org_key();
    let org = app.create_org(&token, &key).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let items = create_items(&app, &token, board_id, &titles(120, "Card")).await;
    let originals: BTreeSet<u64> = items.iter().map(|(_, n)| *n).collect();

    let mut inserted = 0;
    let pages = all_pages(
        &app,
        &token,
        &format!("/api/v1/orgs/{org}/items?limit=50"),
        async |_| {
            // Someone keeps adding cards while the client pages.
            inserted += create_items(&app, &token, board_id, &titles(3, "Late"))
                .await
                .len();
        },
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|n| *n <= 50), "{sizes:?}");
    let seen: Vec<u64> = pages.iter().flat_map(|p| numbers(p)).collect();
    // Strictly increasing: nothing seen twice, the order never goes back.
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let seen_set: BTreeSet<u64> = seen.iter().copied().collect();
    assert!(
        originals.is_subset(&seen_set),
        "an original card was skipped"
    );
    assert!(seen.len() <= originals.len() + inserted);
    let first = &pages[0][0];
    assert_eq!(
        first["key"],
        format!("{key}-{}", first["number"].as_u64().expect("number"))
    );
    assert_eq!(first["board_id"], board_id);
    assert!(
        first["title"].is_string() && first["updated_at"].is_i64(),
        "{first}"
    );
}

#[actix_web::test]
async fn the_item_list_filters_by_board_column_assignee_label_archive_and_time() {
    let app = spawn_app().await;
    let (token, owner) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let a = app.create_board(&token, &org).await;
    let b = app.create_board(&token, &org).await;
    let (a_id, b_id) = (a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
    let columns = column_ids(&a);
    let on_a = create_items(&app, &token, a_id, &titles(12, "A")).await;
    let on_b = create_items(&app, &token, b_id, &titles(3, "B")).await;

    // Items 0..4 move to the second column; 0..3 get the owner; 0, 2, 4
    // get "bug"; 11 is archived.
    for (item, _) in &on_a[..4] {
        let (status, body) = app
            .command(
                &token,
                a_id,
                json!({ "type": "move_item", "item": item, "column": columns[1] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for (item, _) in &on_a[..3] {
        let (status, body) = app
            .command(
                &token,
                a_id,
                json!({ "type": "assign_item", "item": item, "user": owner }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for i in [0, 2, 4] {
        let (status, body) = app
            .command(
                &token,
                a_id,
                json!({ "type": "add_label", "item": on_a[i].0, "label": "bug" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app
        .command(
            &token,
            a_id,
            json!({ "type": "archive_item", "item": on_a[11].0 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let list = |query: String| {
        let app = &app;
        let token = &token;
        let org = &org;
        async move {
            let (status, body) = app
                .get(
                    token,
                    &format!("/api/v1/orgs/{org}/items?limit=200&{query}"),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert!(body["next_cursor"].is_null(), "{body}");
            numbers(body["items"].as_array().expect("items"))
        }
    };
    let nums = |idx: &[usize]| -> Vec<u64> { idx.iter().map(|&i| on_a[i].1).collect() };
    let all_a: Vec<u64> = nums(&(0..11).collect::<Vec<_>>());
    let all_b: Vec<u64> = on_b.iter().map(|(_, n)| *n).collect();

    assert_eq!(list(format!("board={a_id}")).await, all_a);
    assert_eq!(list(format!("board={b_id}")).await, all_b);
    assert_eq!(
        list(format!("column={}", columns[1])).await,
        nums(&[0, 1, 2, 3])
    );
    assert_eq!(
        list(format!("board={a_id}&column={}", columns[0])).await,
        nums(&[4, 5, 6, 7, 8, 9, 10])
    );
    assert_eq!(list(format!("assignee={owner}")).await, nums(&[0, 1, 2]));
    assert_eq!(list("label=bug".into()).await, nums(&[0, 2, 4]));
    assert_eq!(
        list(format!("label=bug&assignee={owner}")).await,
        nums(&[0, 2])
    );
    assert_eq!(list("label=Bug".into()).await, Vec::<u64>::new());
    assert_eq!(list("archived=only".into()).await, nums(&[11]));
    let with_archived = list(format!("board={a_id}&archived=true")).await;
    assert_eq!(with_archived, nums(&(0..12).collect::<Vec<_>>()));

    // updated_since: only what changed at or after the archiving.
    let (_, archived) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items?archived=only"))
        .await;
    let at = archived["items"][0]["updated_at"]
        .as_i64()
        .expect("updated_at");
    assert_eq!(
        list(format!("updated_since={at}&archived=true")).await,
        nums(&[11])
    );
    assert_eq!(
        list(format!("updated_since={}", at + 1)).await,
        Vec::<u64>::new()
    );

    for (query, field) in [
        ("archived=maybe", "archived"),
        ("limit=0", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let (status, body) = app
            .get(&token, &format!("/api/v1/orgs/{org}/items?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert!(body["details"][field].is_string(), "{query}: {body}");
    }
    let (status, body) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items?colour=red"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_query");
}

#[actix_web::test]
async fn the_item_list_caps_the_page_at_200_and_serves_a_full_page() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let (status, body) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items?limit=201"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert!(body["details"]["limit"].is_string(), "{body}");

    let created = create_items(&app, &token, board_id, &titles(230, "Bulk")).await;
    let mut expected: Vec<u64> = created.iter().map(|(_, n)| *n).collect();
    expected.sort_unstable();

    // The whole page comes from one statement (see `Db::list_items`).
    let (status, body) = app
        .get(&token, &format!("/api/v1/orgs/{org}/items?limit=200"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = numbers(body["items"].as_array().expect("items"));
    assert_eq!(first, expected[..200]);
    let cursor = body["next_cursor"].as_str().expect("a second page");
    let (status, body) = app
        .get(
            &token,
            &format!("/api/v1/orgs/{org}/items?limit=200&cursor={cursor}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        numbers(body["items"].as_array().expect("items")),
        expected[200..]
    );
    assert!(body["next_cursor"].is_null());

    // The default page is 50.
    let (_, body) = app.get(&token, &format!("/api/v1/orgs/{org}/items")).await;
    assert_eq!(body["items"].as_array().expect("items").len(), 50);
}

#[actix_web::test]
async fn the_item_list_never_shows_another_organizations_items() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (other, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let column = &column_ids(&board)[0];
    create_items(&app, &owner, board_id, &titles(3, "Secret")).await;
    let other_org = app.create_org(&other, &org_key()).await;

    let (status, body) = app.get(&other, &format!("/api/v1/orgs/{org}/items")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    for query in [
        format!("board={board_id}"),
        format!("column={column}"),
        String::new(),
    ] {
        let (status, body) = app
            .get(&other, &format!("/api/v1/orgs/{other_org}/items?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"], json!([]), "{query}: {body}");
        assert!(!body.to_string().contains("Secret"));
    }
}

#[actix_web::test]
async fn search_ranks_title_matches_first_and_highlights_them() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let key = org_key();
    let org = app.create_org(&token, &key).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let command = |cmd: Value| app.command(&token, board_id, cmd);

    let (_, in_description) = command(json!({
        "type": "create_item", "title": "Quarterly planning",
        "description": "Remember the <b>invoices</b> for the accountants.",
    }))
    .await;
    let (_, in_title) = command(json!({
        "type": "create_item", "title": "Send invoice reminders",
        "description": "Every month.",
    }))
    .await;
    let (_, archived) = command(json!({
        "type": "create_item", "title": "Old invoice template",
    }))
    .await;
    command(json!({ "type": "create_item", "title": "Unrelated" })).await;
    let item = |body: &Value| {
        body["events"][0]["event"]["item"]
            .as_str()
            .expect("item")
            .to_owned()
    };
    let (status, body) = command(json!({ "type": "archive_item", "item": item(&archived) })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app
        .get(&token, &format!("/api/v1/orgs/{org}/search?q=invoices"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body["items"].as_array().expect("items");
    let ids: Vec<&str> = hits.iter().map(|h| h["id"].as_str().expect("id")).collect();
    // Stemming finds "invoice" for "invoices"; the title hit ranks first;
    // the archived one is left out.
    assert_eq!(ids, [item(&in_title), item(&in_description)], "{body}");
    assert!(
        hits[0]["rank"].as_f64() > hits[1]["rank"].as_f64(),
        "{body}"
    );
    assert!(hits[0]["key"]
        .as_str()
        .expect("key")
        .starts_with(&format!("{key}-")));
    assert!(
        hits[0]["snippet"]
            .as_str()
            .expect("snippet")
            .contains("«invoice»"),
        "{body}"
    );
    let snippet = hits[1]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("«invoices»"), "{snippet}");
    // Matches are marked with « and », never with HTML: the snippet is
    // plain text, which a client escapes like any other text.
    assert!(!snippet.contains("<mark>"), "{snippet}");

    let (_, body) = app
        .get(
            &token,
            &format!("/api/v1/orgs/{org}/search?q=invoice&archived=true"),
        )
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 3, "{body}");
    let (_, body) = app
        .get(
            &token,
            &format!("/api/v1/orgs/{org}/search?q=invoice&limit=1"),
        )
        .await;
    assert_eq!(body["items"][0]["id"], item(&in_title).as_str());
    // Web-search syntax: a phrase, and exclusion.
    let (_, body) = app
        .get(
            &token,
            &format!("/api/v1/orgs/{org}/search?q=%22invoice+reminders%22"),
        )
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1, "{body}");
    let (_, body) = app
        .get(
            &token,
            &format!("/api/v1/orgs/{org}/search?q=invoice+-accountants"),
        )
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1, "{body}");

    let long = "x".repeat(257);
    for query in ["", "q=", "q=%20%20", &format!("q={long}")] {
        let (status, body) = app
            .get(&token, &format!("/api/v1/orgs/{org}/search?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert!(body["details"]["q"].is_string(), "{body}");
    }
    let (status, body) = app
        .get(&token, &format!("/api/v1/orgs/{org}/search?q=x&limit=101"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["limit"].is_string(), "{body}");
}

#[actix_web::test]
async fn search_never_finds_another_organizations_items() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (other, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    create_items(&app, &owner, board_id, &["Secret merger plans".to_owned()]).await;
    let other_org = app.create_org(&other, &org_key()).await;

    let (status, _) = app
        .get(&other, &format!("/api/v1/orgs/{org}/search?q=merger"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .get(&other, &format!("/api/v1/orgs/{other_org}/search?q=merger"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([]));
    let (_, body) = app
        .get(&owner, &format!("/api/v1/orgs/{org}/search?q=merger"))
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1, "{body}");
}

#[actix_web::test]
async fn a_boards_event_history_pages_through_its_log() {
    let app = spawn_app().await;
    let (token, owner) = app.register(&email()).await;
    let viewer_email = email();
    let (viewer, _) = app.register(&viewer_email).await;
    let org = app.create_org(&token, &org_key()).await;
    app.add_member(&token, &org, &viewer_email, "viewer").await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    create_items(&app, &token, board_id, &titles(10, "Logged")).await;
    let res = app
        .http
        .post(app.url(&format!("/api/v1/boards/{board_id}/commands")))
        .bearer_auth(&token)
        .header("idempotency-key", "rename-1")
        .json(&json!({ "type": "rename_board", "name": "Audited" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    // board_created + 3 columns + 10 items + the rename.
    let total = 15;

    let mut seen = Vec::new();
    let mut since = 0;
    loop {
        let (status, body) = app
            .get(
                &viewer,
                &format!("/api/v1/boards/{board_id}/events?since={since}&limit=4"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let events = body["events"].as_array().expect("events");
        assert!(events.len() <= 4);
        seen.extend(events.iter().cloned());
        since = body["next_since"].as_u64().expect("next_since");
        if body["has_more"] == false {
            break;
        }
    }
    let seqs: Vec<u64> = seen
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    assert_eq!(since, total);
    let first = &seen[0];
    assert_eq!(first["event"]["type"], "board_created");
    assert_eq!(first["event"]["org"], org.as_str());
    assert_eq!(first["by"], owner.as_str());
    assert!(first["at"].as_i64().expect("at") > 0);
    assert!(first["command_id"].is_null());
    let last = seen.last().expect("last");
    assert_eq!(
        last["event"],
        json!({ "type": "board_renamed", "name": "Audited" })
    );
    assert_eq!(last["command_id"], "rename-1");

    // Past the end: empty, and next_since stays put for polling.
    let (_, body) = app
        .get(
            &token,
            &format!("/api/v1/boards/{board_id}/events?since={total}"),
        )
        .await;
    assert_eq!(body["events"], json!([]));
    assert_eq!(body["next_since"], total);
    assert_eq!(body["has_more"], false);
    let (status, body) = app
        .get(
            &token,
            &format!("/api/v1/boards/{board_id}/events?limit=1000"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["events"].as_array().expect("events").len() as u64,
        total
    );
    let (status, body) = app
        .get(
            &token,
            &format!("/api/v1/boards/{board_id}/events?limit=1001"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"]["limit"].is_string(), "{body}");
}

#[actix_web::test]
async fn a_boards_history_is_hidden_from_other_organizations() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (other, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    app.create_org(&other, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");

    let (status, foreign) = app
        .get(&other, &format!("/api/v1/boards/{board_id}/events"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{foreign}");
    assert!(!foreign.to_string().contains("board_created"));
    let missing = uuid::Uuid::new_v4();
    let (status, absent) = app
        .get(&other, &format!("/api/v1/boards/{missing}/events"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The same answer whether the board exists elsewhere or not at all.
    assert_eq!(foreign["message"], absent["message"]);
}

/// The next `event` message on `ws` (acks and others are skipped).
async fn next_event(ws: &mut WsClient) -> Value {
    ws.recv_type("event").await
}

#[actix_web::test]
async fn comments_are_live_over_the_websocket_listed_over_rest_and_author_only() {
    let app = spawn_app().await;
    let (owner, owner_id) = app.register(&email()).await;
    let member_email = email();
    let (member, member_id) = app.register(&member_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    app.add_member(&owner, &org, &member_email, "member").await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let items = create_items(&app, &owner, board_id, &titles(2, "Discussed")).await;
    let (item, other_item) = (items[0].0.clone(), items[1].0.clone());
    let comments_path = format!("/api/v1/boards/{board_id}/items/{item}/comments");

    let mut watcher = app.ws(&owner, Wire::MsgPack).await;
    watcher.subscribe(board_id).await;
    let mut writer = app.ws(&member, Wire::Json).await;
    writer.subscribe(board_id).await;

    // A comment over the WebSocket reaches every subscriber at once.
    let ack = writer
        .command(
            "c-1",
            board_id,
            json!({ "type": "add_comment", "item": item, "body": "Is this still needed?" }),
        )
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let seen = next_event(&mut watcher).await;
    assert_eq!(seen["by"], member_id.as_str());
    assert_eq!(seen["event"]["type"], "comment_added");
    assert_eq!(seen["event"]["item"], item.as_str());
    assert_eq!(seen["event"]["body"], "Is this still needed?");
    let comment = seen["event"]["comment"]
        .as_str()
        .expect("comment")
        .to_owned();

    // Only the author may change it; the owner is refused.
    for cmd in [
        json!({ "type": "edit_comment", "comment": comment, "body": "Hijacked" }),
        json!({ "type": "delete_comment", "comment": comment }),
    ] {
        let (status, body) = app.command(&owner, board_id, cmd).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "not_comment_author");
    }
    let rejected = watcher
        .command(
            "c-2",
            board_id,
            json!({ "type": "edit_comment", "comment": comment, "body": "Hijacked" }),
        )
        .await;
    assert_eq!(rejected["type"], "rejected", "{rejected}");
    assert_eq!(rejected["code"], "not_comment_author");

    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "edit_comment", "comment": comment, "body": "Is this still needed? (asking for Q3)" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let edited = next_event(&mut watcher).await;
    assert_eq!(edited["event"]["type"], "comment_edited");
    assert_eq!(
        edited["event"]["body"],
        "Is this still needed? (asking for Q3)"
    );

    let (status, body) = app
        .command(
            &owner,
            board_id,
            json!({ "type": "add_comment", "item": item, "body": "Yes." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reply = body["events"][0]["event"]["comment"]
        .as_str()
        .expect("comment")
        .to_owned();

    // Listed oldest first, with authors and the current text.
    let (status, body) = app.get(&member, &comments_path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = body["comments"].as_array().expect("comments");
    let summary: Vec<(&str, &str, &str)> = listed
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id"),
                c["author"].as_str().expect("author"),
                c["body"].as_str().expect("body"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                comment.as_str(),
                member_id.as_str(),
                "Is this still needed? (asking for Q3)"
            ),
            (reply.as_str(), owner_id.as_str(), "Yes."),
        ]
    );
    assert!(listed[0]["updated_at"].as_i64() >= listed[0]["created_at"].as_i64());
    assert!(body["next_cursor"].is_null());
    // Paged one at a time.
    let (_, page) = app.get(&member, &format!("{comments_path}?limit=1")).await;
    assert_eq!(page["comments"][0]["id"], comment.as_str());
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let (_, page) = app
        .get(&member, &format!("{comments_path}?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(page["comments"][0]["id"], reply.as_str());
    assert!(page["next_cursor"].is_null(), "{page}");
    let (_, none) = app
        .get(
            &member,
            &format!("/api/v1/boards/{board_id}/items/{other_item}/comments"),
        )
        .await;
    assert_eq!(none["comments"], json!([]));

    // The author deletes theirs; it is gone from the list.
    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "delete_comment", "comment": comment }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app.get(&owner, &comments_path).await;
    assert_eq!(body["comments"].as_array().expect("comments").len(), 1);
    assert_eq!(body["comments"][0]["id"], reply.as_str());
    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "delete_comment", "comment": comment }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "comment_not_found");

    // Bad bodies, and archived items, are refused.
    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "add_comment", "item": item, "body": "  " }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_field");
    let (status, _) = app
        .command(
            &owner,
            board_id,
            json!({ "type": "archive_item", "item": item }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .command(
            &member,
            board_id,
            json!({ "type": "add_comment", "item": item, "body": "Late" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "item_archived");
}

#[actix_web::test]
async fn comments_are_hidden_from_other_organizations() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let (other, _) = app.register(&email()).await;
    let org = app.create_org(&owner, &org_key()).await;
    let other_org = app.create_org(&other, &org_key()).await;
    let board = app.create_board(&owner, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let second = app.create_board(&owner, &org).await;
    let second_id = second["id"].as_str().expect("id");
    let item = create_items(&app, &owner, board_id, &titles(1, "Private")).await[0]
        .0
        .clone();
    let (status, body) = app
        .command(
            &owner,
            board_id,
            json!({ "type": "add_comment", "item": item, "body": "Confidential" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let comment = body["events"][0]["event"]["comment"]
        .as_str()
        .expect("comment")
        .to_owned();

    let path = format!("/api/v1/boards/{board_id}/items/{item}/comments");
    let (status, body) = app.get(&other, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.to_string().contains("Confidential"));
    for cmd in [
        json!({ "type": "add_comment", "item": item, "body": "Hello" }),
        json!({ "type": "delete_comment", "comment": comment }),
    ] {
        let (status, _) = app.command(&other, board_id, cmd).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // The item through another board of the same org, or an unknown item:
    // not found either.
    for path in [
        format!("/api/v1/boards/{second_id}/items/{item}/comments"),
        format!(
            "/api/v1/boards/{board_id}/items/{}/comments",
            uuid::Uuid::new_v4()
        ),
    ] {
        let (status, body) = app.get(&owner, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["code"], "not_found");
    }
    // Nothing of it in the other organization's list or search.
    let (_, body) = app
        .get(
            &other,
            &format!("/api/v1/orgs/{other_org}/search?q=confidential"),
        )
        .await;
    assert_eq!(body["items"], json!([]));
}
