//! Guarantee 1 (per-board total order) and guarantee 4 (gap-free resume),
//! checked end to end against the real server and PostgreSQL.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::helpers::{
    column_ids, email, org_key, spawn_app, spawn_app_with, EventLog, TestApp, Wire, WsClient,
};

const BOARDS: usize = 3;
const WRITERS: usize = 3;
const SUBSCRIBERS: usize = 2;
const COMMANDS: usize = 30;

fn wire(n: usize) -> Wire {
    if n.is_multiple_of(2) {
        Wire::Json
    } else {
        Wire::MsgPack
    }
}

/// Subscribe and start a log at the snapshot's seq.
async fn subscribed(client: &mut WsClient, who: String, board: &str) -> EventLog {
    let snapshot = client.subscribe(board).await;
    assert_ne!(snapshot["reset"], true, "{snapshot}");
    EventLog::new(who, board, snapshot["seq"].as_u64().expect("seq"))
}

/// A writer's outcome: the answers to its commands, by command id.
struct Written {
    client: WsClient,
    log: EventLog,
    acks: HashMap<String, u64>,
    rejected: Vec<Value>,
}

#[actix_web::test]
async fn concurrent_writers_on_three_boards_give_every_subscriber_one_gap_free_order() {
    let app = spawn_app().await;
    let (owner, _) = app.register(&email()).await;
    let member_email = email();
    let (member, _) = app.register(&member_email).await;
    let org = app.create_org(&owner, &org_key()).await;
    app.add_member(&owner, &org, &member_email, "member").await;

    let mut boards = Vec::new();
    for _ in 0..BOARDS {
        let board = app.create_board(&owner, &org).await;
        boards.push((
            board["id"].as_str().expect("id").to_owned(),
            column_ids(&board),
        ));
    }

    // Everyone subscribes before anyone writes.
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for (b, (board, _)) in boards.iter().enumerate() {
        for w in 0..WRITERS {
            let token = if w == 1 { &member } else { &owner };
            let mut client = app.ws(token, wire(b + w)).await;
            let log = subscribed(&mut client, format!("board {b} writer {w}"), board).await;
            writers.push((b, w, client, log));
        }
        for s in 0..SUBSCRIBERS {
            let mut client = app.ws(&member, wire(b + s + 1)).await;
            let log = subscribed(&mut client, format!("board {b} subscriber {s}"), board).await;
            readers.push((b, client, log));
        }
    }
    let start: Vec<u64> = (0..BOARDS)
        .map(|b| readers.iter().find(|r| r.0 == b).expect("reader").2.start)
        .collect();

    // Every writer sends all its commands at once, then collects answers
    // (and the events that arrive meanwhile).
    let mut tasks = Vec::new();
    for (b, w, mut client, mut log) in writers {
        let (board, columns) = boards[b].clone();
        tasks.push(actix_rt::spawn(async move {
            for i in 0..COMMANDS {
                client
                    .send_command(
                        &format!("b{b}-w{w}-{i}"),
                        &board,
                        json!({ "type": "create_item", "title": format!("b{b} w{w} #{i}"),
                                "column": columns[(w + i) % columns.len()] }),
                    )
                    .await;
            }
            let mut acks = HashMap::new();
            let mut rejected = Vec::new();
            while acks.len() + rejected.len() < COMMANDS {
                let msg = client.recv().await;
                match msg["type"].as_str() {
                    Some("event") => log.record(&msg),
                    Some("ack") => {
                        let id = msg["id"].as_str().expect("id").to_owned();
                        let seq = msg["seq"].as_u64().expect("seq");
                        assert!(acks.insert(id, seq).is_none(), "a second ack: {msg}");
                    }
                    Some("rejected") => rejected.push(msg),
                    _ => panic!("unexpected message: {msg}"),
                }
            }
            (
                b,
                Written {
                    client,
                    log,
                    acks,
                    rejected,
                },
            )
        }));
    }
    let mut written: Vec<(usize, Written)> = Vec::new();
    for task in tasks {
        written.push(task.await.expect("writer task"));
    }

    for (b, &start) in start.iter().enumerate() {
        let rejected: Vec<&Value> = written
            .iter()
            .filter(|(wb, _)| *wb == b)
            .flat_map(|(_, w)| &w.rejected)
            .collect();
        assert!(
            rejected.is_empty(),
            "board {b}: unexpected rejections: {rejected:?}"
        );
        let acked: HashMap<String, u64> = written
            .iter()
            .filter(|(wb, _)| *wb == b)
            .flat_map(|(_, w)| w.acks.clone())
            .collect();
        assert_eq!(acked.len(), WRITERS * COMMANDS);
        let target = start + acked.len() as u64;

        // Everyone on the board reads up to the last seq; a ping then
        // proves nothing (a duplicate, a stray event) follows it.
        let mut logs = Vec::new();
        for (_, w) in written.iter_mut().filter(|(wb, _)| *wb == b) {
            let others = w.log.read_until(&mut w.client, target).await;
            assert!(others.is_empty(), "{}: {others:?}", w.log.who);
            let extra = w.client.until_pong().await;
            assert!(
                extra.is_empty(),
                "{}: after the last seq: {extra:?}",
                w.log.who
            );
            logs.push(w.log.clone());
        }
        for (_, client, log) in readers.iter_mut().filter(|r| r.0 == b) {
            let others = log.read_until(client, target).await;
            assert!(others.is_empty(), "{}: {others:?}", log.who);
            let extra = client.until_pong().await;
            assert!(
                extra.is_empty(),
                "{}: after the last seq: {extra:?}",
                log.who
            );
            logs.push(log.clone());
        }

        // Same start, same sequence (same seq → same command) for all.
        let reference = &logs[0];
        for log in &logs {
            assert_eq!(log.start, start, "{}", log.who);
            assert_eq!(
                log.events, reference.events,
                "{} and {} saw different orders",
                log.who, reference.who
            );
        }
        // Every acked command appears exactly once, at its acked seq.
        let mut at: HashMap<&str, Vec<u64>> = HashMap::new();
        for (seq, id) in &reference.events {
            let id = id.as_deref().expect("every event here has a command id");
            at.entry(id).or_default().push(*seq);
        }
        for (id, seq) in &acked {
            assert_eq!(
                at.get(id.as_str()),
                Some(&vec![*seq]),
                "board {b}: command {id}"
            );
        }
        assert_eq!(
            at.len(),
            acked.len(),
            "board {b}: events of unacked commands"
        );
        println!(
            "board {b}: {} subscribers saw seqs {}..={target} identically",
            logs.len(),
            start + 1
        );
    }
}

/// Write `count` items on `board` over one session, keeping a window of
/// commands in flight; every one must be acked. Returns the last seq.
async fn write_items(app: &TestApp, token: &str, board: &str, count: usize) -> u64 {
    const WINDOW: usize = 64;
    let mut ws = app.ws(token, Wire::MsgPack).await;
    let (mut sent, mut acked, mut last) = (0, 0, 0);
    while acked < count {
        while sent < count && sent - acked < WINDOW {
            ws.send_command(
                &format!("fill-{sent}"),
                board,
                json!({ "type": "create_item", "title": format!("fill {sent}") }),
            )
            .await;
            sent += 1;
        }
        let msg = ws.recv().await;
        assert_eq!(msg["type"], "ack", "{msg}");
        last = last.max(msg["seq"].as_u64().expect("seq"));
        acked += 1;
    }
    last
}

/// Guarantee 4 over the real database: `since` older than the in-memory
/// window (1,000 events) is served from PostgreSQL, exactly and in order.
async fn resume_after_1500_missed_events(app: &TestApp) {
    const MISSED: u64 = 1_500;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id");

    let mut client = app.ws(&token, Wire::Json).await;
    let since = subscribed(&mut client, "before".into(), board).await.start;
    client.stream.close(None).await.expect("close");
    drop(client);

    let mut latest = write_items(app, &token, board, MISSED as usize).await;
    assert_eq!(latest, since + MISSED);

    for format in [Wire::Json, Wire::MsgPack] {
        let mut client = app.ws(&token, format).await;
        let mut log = EventLog::new(format!("resume {format:?}"), board, since);
        let started = Instant::now();
        client
            .send(json!({ "type": "subscribe", "board": board, "since": since }))
            .await;
        let others = log.read_until(&mut client, latest).await;
        let took = started.elapsed();
        assert!(
            others.is_empty(),
            "no snapshot, only the events: {others:?}"
        );
        let extra = client.until_pong().await;
        assert!(extra.is_empty(), "nothing after the latest seq: {extra:?}");
        let missed = latest - since;
        assert!(missed >= MISSED);
        assert_eq!(log.events.len() as u64, missed);
        println!(
            "resume ({format:?}): {missed} missed events from PostgreSQL in {:.1} ms ({:.0} events/s)",
            took.as_secs_f64() * 1e3,
            missed as f64 / took.as_secs_f64()
        );
        // The session is live: a new event follows without a gap.
        client
            .send_command(
                &format!("after-{format:?}"),
                board,
                json!({ "type": "create_item", "title": "after resume" }),
            )
            .await;
        let expected = log.last() + 1;
        assert!(log.read_until(&mut client, expected).await.is_empty());
        let ack = client.recv().await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert_eq!(ack["seq"].as_u64(), Some(expected));
        latest = expected;
    }

    // A `since` in the future is not this board's history: a reset.
    let current = app.board(&token, board).await["seq"].as_u64().expect("seq");
    let mut client = app.ws(&token, Wire::MsgPack).await;
    client
        .send(json!({ "type": "subscribe", "board": board, "since": current + 1_000 }))
        .await;
    let reset = client.recv().await;
    assert_eq!(reset["type"], "snapshot", "{reset}");
    assert_eq!(reset["reset"], true, "{reset}");
    assert_eq!(reset["seq"].as_u64(), Some(current));
}

#[actix_web::test]
async fn a_resume_after_1500_missed_events_replays_exactly_them_from_the_database() {
    let app = spawn_app().await;
    resume_after_1500_missed_events(&app).await;
}

/// The same with an outbound queue large enough to hold the whole replay,
/// so the database path itself is checked while the bug above stands.
#[actix_web::test]
async fn a_resume_from_the_database_is_exact_when_the_replay_fits_the_outbound_queue() {
    let app = spawn_app_with(|s| s.ws.outbound_queue = 4_096).await;
    resume_after_1500_missed_events(&app).await;
}
