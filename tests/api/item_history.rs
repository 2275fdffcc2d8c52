//! One item's history: `GET /boards/{board}/events?item=` returns the
//! events concerning that item (its item events and the events of its
//! comments), in seq order, page by page, and refuses what is not an item
//! of the board.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{column_ids, email, org_key, spawn_app, TestApp};

/// Submits `command` on `board`; returns the `(seq, type)` of each event.
async fn run(app: &TestApp, token: &str, board: &str, command: Value) -> Vec<(u64, String)> {
    let (status, body) = app.command(token, board, command).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|rec| {
            (
                rec["seq"].as_u64().expect("seq"),
                rec["event"]["type"].as_str().expect("type").to_owned(),
            )
        })
        .collect()
}

/// Every page of `item`'s history after `since`, `limit` at a time:
/// the entries, and the `next_since` of the last page.
async fn item_history(
    app: &TestApp,
    token: &str,
    board: &str,
    item: &str,
    since: u64,
    limit: u32,
) -> (Vec<Value>, u64) {
    let mut seen = Vec::new();
    let mut since = since;
    loop {
        let (status, body) = app
            .get(
                token,
                &format!("/api/v1/boards/{board}/events?item={item}&since={since}&limit={limit}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let events = body["events"].as_array().expect("events");
        assert!(events.len() <= limit as usize, "{body}");
        let next = body["next_since"].as_u64().expect("next_since");
        match events.last() {
            Some(last) => assert_eq!(last["seq"].as_u64(), Some(next), "{body}"),
            None => assert_eq!(next, since, "an empty page keeps next_since"),
        }
        seen.extend(events.iter().cloned());
        since = next;
        if body["has_more"] == false {
            return (seen, since);
        }
        assert_eq!(
            events.len(),
            limit as usize,
            "a page short of limit is the last"
        );
    }
}

/// Whose history an event belongs to.
#[derive(Clone, Copy)]
enum Of {
    A,
    B,
    Neither,
}

/// The expected histories of the two items, as commands run.
struct Histories<'h> {
    a: &'h mut Vec<(u64, String)>,
    b: &'h mut Vec<(u64, String)>,
}

impl Histories<'_> {
    /// Runs each command in order, adding its events to the history named.
    async fn run<const N: usize>(
        &mut self,
        app: &TestApp,
        token: &str,
        board: &str,
        steps: [(Of, Value); N],
    ) {
        for (of, command) in steps {
            let events = run(app, token, board, command).await;
            match of {
                Of::A => self.a.extend(events),
                Of::B => self.b.extend(events),
                Of::Neither => {}
            }
        }
    }
}

/// Submits a command of `kind` with `fields` that creates something:
/// the new `id_field` of its first event, and the command's seq.
async fn created(
    app: &TestApp,
    token: &str,
    board: &str,
    kind: &str,
    id_field: &str,
    mut fields: Value,
) -> (String, u64) {
    fields["type"] = json!(kind);
    let (status, body) = app.command(token, board, fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["events"][0]["event"][id_field]
        .as_str()
        .expect("id")
        .to_owned();
    (id, body["seq"].as_u64().expect("seq"))
}

fn seq_and_type(entries: &[Value]) -> Vec<(u64, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().expect("seq"),
                e["event"]["type"].as_str().expect("type").to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn an_items_history_holds_only_its_events_in_seq_order_across_pages() {
    let app = spawn_app().await;
    let (token, owner) = app.register(&email()).await;
    let viewer_email = email();
    let (viewer, _) = app.register(&viewer_email).await;
    let org = app.create_org(&token, &org_key()).await;
    app.add_member(&token, &org, &viewer_email, "viewer").await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let columns = column_ids(&board);

    let mut of_a = Vec::new();
    let mut of_b = Vec::new();
    let (a, seq) = created(
        &app,
        &token,
        board_id,
        "create_item",
        "item",
        json!({ "title": "A" }),
    )
    .await;
    of_a.push((seq, "item_created".to_owned()));
    let (b, seq) = created(
        &app,
        &token,
        board_id,
        "create_item",
        "item",
        json!({ "title": "B" }),
    )
    .await;
    of_b.push((seq, "item_created".to_owned()));

    // A's and B's events interleaved with board and column events.
    let mut histories = Histories {
        a: &mut of_a,
        b: &mut of_b,
    };
    histories
        .run(
            &app,
            &token,
            board_id,
            [
                (
                    Of::A,
                    json!({ "type": "move_item", "item": a, "column": columns[1] }),
                ),
                (
                    Of::B,
                    json!({ "type": "move_item", "item": b, "column": columns[2] }),
                ),
                (
                    Of::Neither,
                    json!({ "type": "rename_board", "name": "Audited" }),
                ),
                (
                    Of::A,
                    json!({ "type": "assign_item", "item": a, "user": owner }),
                ),
                (
                    Of::A,
                    json!({ "type": "add_label", "item": a, "label": "bug" }),
                ),
            ],
        )
        .await;
    let (comment, seq) = created(
        &app,
        &token,
        board_id,
        "add_comment",
        "comment",
        json!({ "item": a, "body": "Why?" }),
    )
    .await;
    histories.a.push((seq, "comment_added".to_owned()));
    histories
        .run(
            &app,
            &token,
            board_id,
            [
                (
                    Of::B,
                    json!({ "type": "add_comment", "item": b, "body": "Not A" }),
                ),
                (
                    Of::Neither,
                    json!({ "type": "rename_column", "column": columns[0], "name": "Later" }),
                ),
                (
                    Of::A,
                    json!({ "type": "edit_comment", "comment": comment, "body": "Why not?" }),
                ),
                (
                    Of::A,
                    json!({ "type": "remove_label", "item": a, "label": "bug" }),
                ),
                (
                    Of::A,
                    json!({ "type": "unassign_item", "item": a, "user": owner }),
                ),
                (
                    Of::A,
                    json!({ "type": "edit_item", "item": a, "title": "A, renamed" }),
                ),
                (Of::B, json!({ "type": "archive_item", "item": b })),
                (Of::A, json!({ "type": "archive_item", "item": a })),
                (Of::A, json!({ "type": "restore_item", "item": a })),
                (
                    Of::A,
                    json!({ "type": "delete_comment", "comment": comment }),
                ),
            ],
        )
        .await;
    let last_seq = run(
        &app,
        &token,
        board_id,
        json!({ "type": "rename_board", "name": "Done" }),
    )
    .await[0]
        .0;

    // Page by page (3 at a time, as a viewer): exactly A's events, in seq
    // order, comment edits and deletions included.
    let (seen, next) = item_history(&app, &viewer, board_id, &a, 0, 3).await;
    assert_eq!(seq_and_type(&seen), of_a);
    assert_eq!(next, of_a.last().expect("last").0);
    assert!(next < last_seq, "the board's later events are not A's");
    for entry in &seen {
        let event = &entry["event"];
        assert!(
            event["item"] == a.as_str() || event["comment"] == comment.as_str(),
            "{entry}"
        );
    }
    let types: Vec<&str> = of_a.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "item_created",
            "item_moved",
            "item_assigned",
            "label_added",
            "comment_added",
            "comment_edited",
            "label_removed",
            "item_unassigned",
            "item_edited",
            "item_archived",
            "item_restored",
            "comment_deleted",
        ]
    );
    // One page of everything agrees with the pages.
    let (one, _) = item_history(&app, &token, board_id, &a, 0, 1000).await;
    assert_eq!(seq_and_type(&one), of_a);

    // B's history holds none of A's events.
    let (seen_b, _) = item_history(&app, &token, board_id, &b, 0, 2).await;
    assert_eq!(seq_and_type(&seen_b), of_b);

    // Resuming from any seq, one of A's or not, continues with A's later
    // events; past A's last event the page is empty and next_since stays.
    let middle = of_a[4].0 + 1;
    let (rest, _) = item_history(&app, &token, board_id, &a, middle, 2).await;
    let later: Vec<_> = of_a.iter().filter(|(s, _)| *s > middle).cloned().collect();
    assert_eq!(seq_and_type(&rest), later);
    let (status, body) = app
        .get(
            &token,
            &format!("/api/v1/boards/{board_id}/events?item={a}&since={next}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "events": [], "next_since": next, "has_more": false })
    );
    // A new event of A is found from there, skipping the board's others.
    let moved = run(
        &app,
        &token,
        board_id,
        json!({ "type": "move_item", "item": a, "column": columns[0] }),
    )
    .await;
    let (after, _) = item_history(&app, &token, board_id, &a, next, 10).await;
    assert_eq!(seq_and_type(&after), moved);
}

#[actix_web::test]
async fn the_item_filter_refuses_what_is_not_an_item_of_the_board() {
    let app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id");
    let other = app.create_board(&token, &org).await;
    let other_id = other["id"].as_str().expect("id");
    let (status, body) = app
        .command(
            &token,
            other_id,
            json!({ "type": "create_item", "title": "Elsewhere" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let elsewhere = body["events"][0]["event"]["item"]
        .as_str()
        .expect("item")
        .to_owned();
    let events = format!("/api/v1/boards/{board_id}/events");

    // Not an item id: a 400 naming `item`.
    for bad in ["not-a-uuid", "", "42"] {
        let (status, body) = app.get(&token, &format!("{events}?item={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["code"], "validation_failed", "{body}");
        assert!(body["details"]["item"].is_string(), "{body}");
        assert!(body["request_id"].is_string(), "{body}");
    }
    // A misspelt parameter is not silently ignored.
    let (status, body) = app
        .get(&token, &format!("{events}?items={elsewhere}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_query", "{body}");

    // No such item, or an item of another board: 404, the same answer.
    let (status, missing) = app
        .get(&token, &format!("{events}?item={}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(missing["code"], "not_found");
    let (status, foreign) = app.get(&token, &format!("{events}?item={elsewhere}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{foreign}");
    assert_eq!(foreign["message"], missing["message"]);
    // On its own board the item's history is there.
    let (status, body) = app
        .get(
            &token,
            &format!("/api/v1/boards/{other_id}/events?item={elsewhere}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["events"][0]["event"]["type"], "item_created");
}
