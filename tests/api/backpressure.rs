//! Guarantee 6 (a slow subscriber never delays the others) and guarantee 7
//! (overload is refused, not absorbed), end to end.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_tungstenite::MaybeTlsStream;

use crate::helpers::{email, org_key, spawn_app_with, EventLog, TestApp, Wire, WsClient};

/// A WebSocket whose TCP receive buffer is tiny (which also turns off
/// receive-window autotuning), so a client that stops reading pushes back
/// on the server early. The server's socket send buffer still takes a few
/// megabytes (its own autotuning: 44 events of 64 KB here), which the
/// client must read through its small window before the close.
async fn ws_small_receive_buffer(app: &TestApp, token: &str, format: Wire) -> WsClient {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let tcp = socket
        .connect(([127, 0, 0, 1], app.port).into())
        .await
        .expect("connects");
    let req = app.ws_request(&[("sec-websocket-protocol", format.subprotocol())]);
    let (stream, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(tcp))
        .await
        .expect("upgrade");
    let mut client = WsClient {
        stream,
        format,
        with_presence: false,
    };
    client.send(json!({ "type": "auth", "token": token })).await;
    client.recv_type("welcome").await;
    client
}

/// How long the server's socket writer waits here for a stalled client
/// to take bytes: these clients only start reading after every command
/// is written, which took over 30 s (the default) on a loaded CI machine,
/// and then read megabytes through a 4 KB window. The stall timeout
/// itself is not what these tests check.
const READ_LATE: Duration = Duration::from_secs(600);

/// Events the writer produces in the slow-consumer test, and their size:
/// 200 × 64 KB is far more than socket buffers and the server's queues
/// hold, so a subscriber that never reads must overflow its queue.
const EVENTS: usize = 200;
const DESCRIPTION_BYTES: usize = 64_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Set up a board with 3 fast subscribers and a stalled one, write
/// `EVENTS` large items one at a time, and return what everyone saw.
struct SlowConsumerRun {
    app: TestApp,
    token: String,
    board: String,
    target: u64,
    stalled: WsClient,
    stalled_log: EventLog,
}

async fn slow_consumer_run() -> SlowConsumerRun {
    let app = spawn_app_with(|s| {
        s.ws.outbound_queue = 16;
        s.ws.write_stall_timeout = READ_LATE;
    })
    .await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();

    // The stalled subscriber takes its snapshot, then is never polled
    // until the writer is done.
    let mut stalled = ws_small_receive_buffer(&app, &token, Wire::MsgPack).await;
    let snapshot = stalled.subscribe(&board).await;
    let start = snapshot["seq"].as_u64().expect("seq");
    let stalled_log = EventLog::new("stalled", &board, start);
    let target = start + EVENTS as u64;

    let mut fast = Vec::new();
    for (i, format) in [Wire::Json, Wire::MsgPack, Wire::Json]
        .into_iter()
        .enumerate()
    {
        let mut client = app.ws(&token, format).await;
        assert_eq!(client.subscribe(&board).await["seq"].as_u64(), Some(start));
        let mut log = EventLog::new(format!("fast {i}"), &board, start);
        fast.push(actix_rt::spawn(async move {
            let mut arrived = Vec::new();
            while log.last() < target {
                let msg = client.recv().await;
                if msg["type"] == "event" {
                    log.record(&msg);
                    let id = msg["command_id"].as_str().expect("command id").to_owned();
                    arrived.push((id, Instant::now()));
                } else {
                    panic!("{}: unexpected {msg}", log.who);
                }
            }
            (log, arrived)
        }));
    }

    // One writer (not subscribed), one command at a time.
    let payload = "slow consumers must not delay the others. ".repeat(DESCRIPTION_BYTES / 42 + 1)
        [..DESCRIPTION_BYTES]
        .to_owned();
    let mut writer = app.ws(&token, Wire::Json).await;
    let mut sent_at = HashMap::new();
    for i in 0..EVENTS {
        let id = format!("big-{i}");
        sent_at.insert(id.clone(), Instant::now());
        let answer = writer
            .command(
                &id,
                &board,
                json!({ "type": "create_item", "title": format!("big {i}"), "description": payload }),
            )
            .await;
        assert_eq!(answer["type"], "ack", "{answer}");
    }

    let mut latencies = Vec::new();
    for task in fast {
        let (log, arrived) = task.await.expect("fast subscriber");
        assert_eq!(log.events.len(), EVENTS, "{} got every event", log.who);
        latencies.extend(arrived.iter().map(|(id, at)| *at - sent_at[id]));
    }
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        *latencies.last().expect("latencies"),
    );
    println!(
        "slow consumer: {} events of {DESCRIPTION_BYTES} B to 3 fast subscribers; \
         command sent → event received: p50 {p50:?}, p99 {p99:?}, max {max:?}",
        latencies.len()
    );
    assert!(
        p99 < Duration::from_millis(500),
        "a stalled subscriber must not delay the others: p99 {p99:?}"
    );

    SlowConsumerRun {
        app,
        token,
        board,
        target,
        stalled,
        stalled_log,
    }
}

/// Read the stalled subscriber's backlog: a gap-free prefix of the events,
/// then its close. Returns the close code (1006: the connection ended
/// without one).
async fn drain_stalled(run: &mut SlowConsumerRun) -> u16 {
    loop {
        match run.stalled.next().await {
            Some(Ok(msg)) if msg["type"] == "event" => {
                run.stalled_log.record(&msg);
                assert!(
                    run.stalled_log.last() < run.target,
                    "the stalled subscriber got every event: it was never cut off"
                );
            }
            Some(Ok(msg)) => panic!("stalled: unexpected {msg}"),
            Some(Err((code, _))) => return code,
            None => return 1006,
        }
    }
}

#[actix_web::test]
async fn a_stalled_subscriber_is_closed_4008_and_the_fast_ones_get_every_event_promptly() {
    let mut run = slow_consumer_run().await;
    let code = drain_stalled(&mut run).await;
    println!(
        "slow consumer: the stalled subscriber got {} of {EVENTS} events, then close {code}",
        run.stalled_log.events.len()
    );
    assert!(
        code == 4008 || code == 1006,
        "the stalled subscriber is closed as a slow consumer, got {code}"
    );
    assert_eq!(code, 4008, "the close frame says why (slow consumer)");
}

#[actix_web::test]
async fn a_subscriber_cut_off_as_slow_resumes_with_since_and_misses_nothing() {
    let mut run = slow_consumer_run().await;
    assert_eq!(drain_stalled(&mut run).await, 4008);

    // Reconnect and resume where it stopped: exactly the rest.
    let mut client = run.app.ws(&run.token, Wire::MsgPack).await;
    client
        .send(json!({ "type": "subscribe", "board": run.board, "since": run.stalled_log.last() }))
        .await;
    let others = run.stalled_log.read_until(&mut client, run.target).await;
    assert!(
        others.is_empty(),
        "no snapshot, only the events: {others:?}"
    );
    assert!(client.until_pong().await.is_empty());
    assert_eq!(run.stalled_log.events.len(), EVENTS);
}

/// Stalled subscribers in the counter test, and the events written: 80 ×
/// 64 KB on two boards is far more than a stalled socket and its queue of
/// 16 take.
const STALLED: usize = 5;
const CUT_EVENTS: usize = 80;

/// The value of an unlabelled series on `/metrics`.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let page = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} on /metrics"))
        .parse()
        .expect("a number")
}

#[actix_web::test]
async fn every_stalled_subscriber_cut_is_counted_once() {
    let app = spawn_app_with(|s| {
        s.ws.outbound_queue = 16;
        s.ws.write_stall_timeout = READ_LATE;
        s.metrics = true;
    })
    .await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let mut boards = Vec::new();
    for _ in 0..2 {
        let board = app.create_board(&token, &org).await;
        boards.push(board["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        metric(&app, "corkboard_slow_consumers_cut_total").await,
        0.0
    );

    // Several sessions stall at once, each subscribed to both busy boards:
    // whichever board (or presence notice) finds a queue full first, each
    // session is cut once and counted once.
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        let mut client = ws_small_receive_buffer(&app, &token, Wire::MsgPack).await;
        for board in &boards {
            client.subscribe(board).await;
        }
        stalled.push(client);
    }
    let payload = "x".repeat(DESCRIPTION_BYTES);
    let mut writer = app.ws(&token, Wire::Json).await;
    for i in 0..CUT_EVENTS {
        let board = &boards[i % boards.len()];
        let answer = writer
            .command(
                &format!("big-{i}"),
                board,
                json!({ "type": "create_item", "title": format!("big {i}"), "description": payload }),
            )
            .await;
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    // Read every stalled session at once: each has megabytes to take
    // through its small window before its close.
    let drains: Vec<_> = stalled
        .into_iter()
        .map(|mut client| {
            actix_rt::spawn(async move {
                let mut events = 0;
                let code = loop {
                    match client.next().await {
                        Some(Ok(msg)) if msg["type"] == "event" => {
                            events += 1;
                            assert!(events < CUT_EVENTS, "a stalled session was never cut off");
                        }
                        Some(Ok(msg)) => panic!("stalled: unexpected {msg}"),
                        Some(Err((code, _))) => break code,
                        None => break 1006,
                    }
                };
                (events, code)
            })
        })
        .collect();
    for drain in drains {
        let (events, code) = drain.await.expect("stalled session read");
        println!("stalled: {events} of {CUT_EVENTS} events, then close {code}");
        assert_eq!(code, 4008);
    }
    assert_eq!(
        metric(&app, "corkboard_slow_consumers_cut_total").await,
        STALLED as f64,
        "one count per session cut"
    );
}

#[actix_web::test]
async fn a_peer_that_takes_no_bytes_is_reset_after_the_write_stall_timeout() {
    // A queue long enough that the session is never cut as slow: only
    // the socket writer's stall timeout can end it.
    let app = spawn_app_with(|s| {
        s.ws.outbound_queue = 10_000;
        s.ws.outbound_queue_bytes = 1024 * 1024 * 1024;
        s.ws.write_stall_timeout = Duration::from_secs(1);
        s.metrics = true;
    })
    .await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let mut stalled = ws_small_receive_buffer(&app, &token, Wire::MsgPack).await;
    stalled.subscribe(&board).await;

    // More than the socket buffers on both sides hold, then wait without
    // reading until the server gives up on the socket.
    let payload = "x".repeat(DESCRIPTION_BYTES);
    let mut writer = app.ws(&token, Wire::Json).await;
    for i in 0..CUT_EVENTS {
        let answer = writer
            .command(
                &format!("stall-{i}"),
                &board,
                json!({ "type": "create_item", "title": format!("stall {i}"), "description": payload }),
            )
            .await;
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&app, "corkboard_ws_write_stalls_total").await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the stalled socket was never reset"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // What the client already holds arrives, then the reset: no close
    // frame, and far from every event.
    let mut events = 0;
    let code = loop {
        match stalled.next().await {
            Some(Ok(msg)) if msg["type"] == "event" => events += 1,
            Some(Ok(msg)) => panic!("stalled: unexpected {msg}"),
            Some(Err((code, _))) => break code,
            None => break 1006,
        }
    };
    println!("write stall: {events} of {CUT_EVENTS} events, then close {code}");
    assert_eq!(code, 1006, "reset, not closed");
    assert!(events < CUT_EVENTS, "the reset discarded the rest");
    assert_eq!(
        metric(&app, "corkboard_slow_consumers_cut_total").await,
        0.0,
        "not cut as a slow consumer"
    );
}

/// Commands per session, and sessions, in the overload test.
const FLOOD_SESSIONS: usize = 4;
const FLOOD_COMMANDS: usize = 75;

/// Flood one board (mailbox of 2) from several sessions without waiting,
/// check every command got exactly one answer and exactly the acked ones
/// were applied, then resend the refused ones with their ids. Returns how
/// many were refused as `overloaded`.
async fn flood_a_tiny_mailbox() -> usize {
    let app = spawn_app_with(|s| s.actors.board_mailbox = 2).await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let before = app.board(&token, &board).await["seq"]
        .as_u64()
        .expect("seq");

    // Several sessions send all their commands without waiting.
    let mut sessions = Vec::new();
    for s in 0..FLOOD_SESSIONS {
        let format = if s.is_multiple_of(2) {
            Wire::Json
        } else {
            Wire::MsgPack
        };
        sessions.push(app.ws(&token, format).await);
    }
    let mut tasks = Vec::new();
    for (s, mut ws) in sessions.into_iter().enumerate() {
        let board = board.clone();
        tasks.push(actix_rt::spawn(async move {
            for i in 0..FLOOD_COMMANDS {
                let id = format!("s{s}-{i}");
                ws.send_command(&id, &board, json!({ "type": "create_item", "title": id }))
                    .await;
            }
            let mut answers: HashMap<String, Value> = HashMap::new();
            while answers.len() < FLOOD_COMMANDS {
                let msg = ws.recv().await;
                assert!(msg["type"] == "ack" || msg["type"] == "rejected", "{msg}");
                let id = msg["id"].as_str().expect("id").to_owned();
                assert!(
                    id.starts_with(&format!("s{s}-")),
                    "another session's answer: {msg}"
                );
                if let Some(first) = answers.insert(id, msg.clone()) {
                    panic!("two answers to one command: {first} and {msg}");
                }
            }
            // Nothing else is owed: no late second answer.
            let extra = ws.until_pong().await;
            assert!(extra.is_empty(), "answers after the last one: {extra:?}");
            (ws, answers)
        }));
    }
    let mut answers = HashMap::new();
    let mut clients = Vec::new();
    for task in tasks {
        let (ws, a) = task.await.expect("flooding session");
        clients.push(ws);
        answers.extend(a);
    }
    assert_eq!(answers.len(), FLOOD_SESSIONS * FLOOD_COMMANDS);

    let mut acked_seqs = Vec::new();
    let mut overloaded = Vec::new();
    for (id, answer) in &answers {
        if answer["type"] == "ack" {
            acked_seqs.push(answer["seq"].as_u64().expect("seq"));
            continue;
        }
        assert_eq!(answer["code"], "overloaded", "{answer}");
        assert_eq!(answer["retryable"], true, "{answer}");
        let retry_after = answer["details"]["retry_after_ms"].as_u64();
        assert!(
            retry_after.is_some_and(|ms| ms > 0),
            "a retry hint: {answer}"
        );
        overloaded.push(id.clone());
    }
    println!(
        "overload: {} commands from {FLOOD_SESSIONS} sessions, board mailbox 2: \
         {} acked, {} rejected `overloaded`",
        answers.len(),
        acked_seqs.len(),
        overloaded.len()
    );
    assert!(!acked_seqs.is_empty(), "a flooded board still serves");

    // The acked commands are all there, once each; the refused ones not.
    acked_seqs.sort_unstable();
    let acks = acked_seqs.len() as u64;
    assert_eq!(acked_seqs, (before + 1..=before + acks).collect::<Vec<_>>());
    let live = app.board(&token, &board).await;
    assert_eq!(
        live["seq"].as_u64(),
        Some(before + acks),
        "exactly the acked commands"
    );
    let titles = |live: &Value| -> Vec<String> {
        live["items"]
            .as_object()
            .expect("items")
            .values()
            .map(|i| i["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let present: HashSet<String> = titles(&live).into_iter().collect();
    let acked_ids: HashSet<String> = answers
        .iter()
        .filter(|(_, a)| a["type"] == "ack")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(present, acked_ids);

    // Still healthy: every refused command, resent with its id, is applied.
    let ws = &mut clients[0];
    for id in &overloaded {
        let answer = ws
            .command(id, &board, json!({ "type": "create_item", "title": id }))
            .await;
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    let fresh = ws
        .command(
            "fresh",
            &board,
            json!({ "type": "create_item", "title": "fresh" }),
        )
        .await;
    assert_eq!(fresh["type"], "ack", "{fresh}");
    let live = app.board(&token, &board).await;
    let total = (answers.len() + 1) as u64;
    assert_eq!(live["seq"].as_u64(), Some(before + total));
    let all = titles(&live);
    assert_eq!(all.len() as u64, total);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len() as u64,
        total,
        "no duplicate"
    );
    overloaded.len()
}

#[actix_web::test]
async fn a_flood_gets_exactly_one_answer_per_command_and_loses_no_acked_one() {
    flood_a_tiny_mailbox().await;
}

#[actix_web::test]
async fn a_flooded_board_refuses_the_excess_as_retryable_overload() {
    let refused = flood_a_tiny_mailbox().await;
    assert!(
        refused > 0,
        "a flood of a tiny mailbox must be refused in part"
    );
}
