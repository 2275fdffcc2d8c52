//! Guarantee 9: when PostgreSQL is down, writes are refused quickly with a
//! retryable error and nothing is acked, live boards stay readable, and the
//! server recovers by itself when the database returns.
//!
//! Runs on a private cluster (`TestCluster::start_new`) so stopping it does
//! not disturb the other tests of the process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use storage::TestCluster;

use crate::helpers::{email, org_key, spawn_app_on, TestApp, Wire, WsClient};

/// Longest a write may wait for its refusal while the database is down.
const REFUSAL_BOUND: Duration = Duration::from_secs(5);
/// Longest the server may take to accept writes again once the database is
/// back (generous: pool timeouts are about 2 s).
const RECOVERY_BOUND: Duration = Duration::from_secs(15);

/// A WebSocket command and its answer (`ack` or `rejected`), timed.
async fn timed_ws_command(
    ws: &mut WsClient,
    id: &str,
    board: &str,
    title: &str,
) -> (Value, Duration) {
    let started = Instant::now();
    let answer = ws
        .command(id, board, json!({ "type": "create_item", "title": title }))
        .await;
    (answer, started.elapsed())
}

/// A REST command with an idempotency key, timed: (status, Retry-After, body, elapsed).
async fn timed_rest_command(
    app: &TestApp,
    token: &str,
    board: &str,
    key: &str,
    title: &str,
) -> (StatusCode, Option<String>, Value, Duration) {
    let started = Instant::now();
    let res = app
        .http
        .post(app.url(&format!("/api/v1/boards/{board}/commands")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "type": "create_item", "title": title }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("request");
    let elapsed = started.elapsed();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        retry_after,
        res.json().await.unwrap_or(Value::Null),
        elapsed,
    )
}

async fn health(app: &TestApp, path: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let res = app
        .http
        .get(app.url(path))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("request");
    let status = res.status();
    (
        status,
        res.json().await.unwrap_or(Value::Null),
        started.elapsed(),
    )
}

/// Ping and expect the pong (skipping anything else that arrives).
async fn assert_pong(ws: &mut WsClient, nonce: u64) {
    ws.send(json!({ "type": "ping", "nonce": nonce })).await;
    let pong = ws.recv_type("pong").await;
    assert_eq!(pong["nonce"], nonce, "{pong}");
}

#[actix_web::test]
async fn a_database_outage_refuses_writes_keeps_live_reads_and_recovers_by_itself() {
    // Blocking calls (initdb, pg_ctl) must not stall the runtime the server
    // shares with the test.
    let cluster = Arc::new(
        tokio::task::spawn_blocking(TestCluster::start_new)
            .await
            .expect("join")
            .expect("a private PostgreSQL cluster"),
    );
    let db = cluster.create_database().await.expect("a database");
    let mut app = spawn_app_on(db).await;

    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board_id = board["id"].as_str().expect("id").to_owned();
    let (status, body) = app
        .command(
            &token,
            &board_id,
            json!({ "type": "create_item", "title": "before the outage" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Two live sessions on the (now loaded) board.
    let mut ws1 = app.ws(&token, Wire::Json).await;
    let mut ws2 = app.ws(&token, Wire::MsgPack).await;
    let snap1 = ws1.subscribe(&board_id).await;
    let snap2 = ws2.subscribe(&board_id).await;
    let seq_before = snap1["seq"].as_u64().expect("seq");
    assert_eq!(snap2["seq"].as_u64(), Some(seq_before));
    let (status, live_before) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live_before["seq"].as_u64(), Some(seq_before));

    // --- The database goes away. ---
    {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .expect("join")
            .expect("the cluster stops");
    }

    // WebSocket writes: a quick, retryable refusal; never an ack.
    let mut refused_ws = Vec::new();
    for i in 0..3 {
        let ws = if i % 2 == 0 { &mut ws1 } else { &mut ws2 };
        let id = format!("outage-ws-{i}");
        let (answer, elapsed) = timed_ws_command(ws, &id, &board_id, &id).await;
        println!("outage: WebSocket command {id} answered in {elapsed:?}: {answer}");
        assert_eq!(
            answer["type"], "rejected",
            "nothing is acked during an outage: {answer}"
        );
        assert_eq!(answer["retryable"], true, "{answer}");
        assert!(
            ["unavailable", "overloaded", "timeout"]
                .contains(&answer["code"].as_str().unwrap_or("")),
            "a server-condition code: {answer}"
        );
        assert!(
            elapsed <= REFUSAL_BOUND,
            "refused in {elapsed:?}, bound {REFUSAL_BOUND:?}"
        );
        refused_ws.push(id);
    }

    // REST writes: 503 with Retry-After and a retryable body.
    let mut refused_rest = Vec::new();
    for i in 0..2 {
        let key = format!("outage-rest-{i}");
        let (status, retry_after, body, elapsed) =
            timed_rest_command(&app, &token, &board_id, &key, &key).await;
        println!("outage: REST command {key} answered {status} in {elapsed:?}: {body}");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let retry_after = retry_after.expect("a Retry-After header");
        assert!(
            retry_after.parse::<u64>().is_ok(),
            "Retry-After in seconds: {retry_after}"
        );
        assert_eq!(body["details"]["retryable"], true, "{body}");
        assert!(
            elapsed <= REFUSAL_BOUND,
            "refused in {elapsed:?}, bound {REFUSAL_BOUND:?}"
        );
        refused_rest.push(key);
    }

    // The sessions are still connected and the live board is readable.
    assert_pong(&mut ws1, 1).await;
    assert_pong(&mut ws2, 2).await;
    let (status, live) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a live board is read from its actor: {live}"
    );
    assert_eq!(live, live_before, "nothing changed during the outage");
    // A new session subscribing to the live board gets its snapshot.
    let mut ws3 = app.ws(&token, Wire::Json).await;
    let snap3 = ws3.subscribe(&board_id).await;
    assert_eq!(snap3["seq"].as_u64(), Some(seq_before), "{snap3}");

    // Readiness reports the outage; liveness does not.
    let (status, body, elapsed) = health(&app, "/health/ready").await;
    println!("outage: /health/ready answered {status} in {elapsed:?}: {body}");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["database"]["status"], "unreachable", "{body}");
    assert_eq!(
        body["code"], "unavailable",
        "in the error shape too: {body}"
    );
    assert!(body["request_id"].is_string(), "{body}");
    let (status, _, _) = health(&app, "/health/live").await;
    assert_eq!(status, StatusCode::OK);

    // --- The database comes back; the same server recovers by itself. ---
    {
        let cluster = cluster.clone();
        tokio::task::spawn_blocking(move || cluster.start())
            .await
            .expect("join")
            .expect("the cluster starts again");
    }
    let back = Instant::now();
    let mut attempts = 0;
    let first_ack = loop {
        attempts += 1;
        let id = format!("recovery-{attempts}");
        let (answer, _) = timed_ws_command(&mut ws1, &id, &board_id, "after the outage").await;
        if answer["type"] == "ack" {
            break answer;
        }
        assert_eq!(
            answer["retryable"], true,
            "only retryable refusals while recovering: {answer}"
        );
        assert!(
            back.elapsed() < RECOVERY_BOUND,
            "no write succeeded within {RECOVERY_BOUND:?} of the database returning; last: {answer}"
        );
        // Client backoff between retries, as a client would.
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let recovery = back.elapsed();
    println!(
        "outage: first acked write {recovery:?} after the database was back ({attempts} attempts)"
    );
    assert!(recovery < RECOVERY_BOUND, "recovered in {recovery:?}");

    // None of the refused commands was applied: the first write after the
    // outage takes the very next seq, and every subscriber sees it as such.
    assert_eq!(
        first_ack["seq"].as_u64(),
        Some(seq_before + 1),
        "refused commands left no events: {first_ack}"
    );
    for ws in [&mut ws2, &mut ws3] {
        let event = ws.recv_type("event").await;
        assert_eq!(event["seq"].as_u64(), Some(seq_before + 1), "{event}");
        assert_eq!(
            event["event"]["title"].as_str(),
            Some("after the outage"),
            "{event}"
        );
    }

    // A refused command retried with its id now applies, exactly once.
    let retry = ws1
        .command(
            &refused_ws[0],
            &board_id,
            json!({ "type": "create_item", "title": refused_ws[0] }),
        )
        .await;
    assert_eq!(retry["type"], "ack", "{retry}");
    assert_eq!(retry["seq"].as_u64(), Some(seq_before + 2), "{retry}");
    let (status, _, body, _) =
        timed_rest_command(&app, &token, &board_id, &refused_rest[0], &refused_rest[0]).await;
    assert_eq!(status, StatusCode::OK, "REST writes work again: {body}");
    assert_eq!(body["seq"].as_u64(), Some(seq_before + 3), "{body}");

    let (status, live) = app.get(&token, &format!("/api/v1/boards/{board_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["seq"].as_u64(), Some(seq_before + 3));
    let titles: Vec<&str> = live["items"]
        .as_object()
        .expect("items")
        .values()
        .filter_map(|i| i["title"].as_str())
        .collect();
    // The other refused commands were never retried: none of them is there.
    for refused in refused_ws.iter().skip(1).chain(refused_rest.iter().skip(1)) {
        assert!(
            !titles.contains(&refused.as_str()),
            "refused command {refused} was applied: {titles:?}"
        );
    }
    // The bus reconnects on its own backoff (at most `bus::RECONNECT_MAX`
    // between attempts): ready once it listens again.
    let deadline = Instant::now() + bus::RECONNECT_MAX * 5;
    let body = loop {
        let (status, body, _) = health(&app, "/health/ready").await;
        if status == StatusCode::OK {
            break body;
        }
        assert!(Instant::now() < deadline, "ready again: {body}");
        tokio::time::sleep(bus::RECONNECT_MIN).await;
    };
    assert_eq!(body["bus"]["status"], "ok", "{body}");

    app.stop().await;
}
