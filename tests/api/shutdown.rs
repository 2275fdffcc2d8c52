//! Guarantee 10: a graceful shutdown (SIGTERM) with live sessions and
//! commands in flight tells every session to reconnect (1001), loses no
//! acked command, and the reconnected clients resume with `since` without
//! a gap. Resending the unanswered commands with their ids applies each
//! once.

use std::collections::{HashMap, HashSet};

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{email, org_key, spawn_app, EventLog, Wire, WsClient};

/// Commands a writer keeps in flight.
const WINDOW: usize = 8;
/// Acks every writer has before the server is stopped.
const ACKED_BEFORE_STOP: usize = 10;
/// A cap, in case the shutdown never comes.
const MAX_COMMANDS: usize = 5_000;

/// Send without panicking: the server may be gone. Whether it was sent.
async fn try_send(client: &mut WsClient, msg: Value) -> bool {
    let frame = match client.format {
        Wire::Json => Message::text(msg.to_string()),
        Wire::MsgPack => Message::binary(rmp_serde::to_vec_named(&msg).expect("encodes")),
    };
    client.stream.send(frame).await.is_ok()
}

/// What one session saw until the server closed it.
struct Session {
    format: Wire,
    log: EventLog,
    /// Command ids sent, in order.
    sent: Vec<String>,
    acks: HashMap<String, u64>,
    /// Retryable refusals (e.g. `unavailable` while stopping).
    refused: HashSet<String>,
    errors: Vec<String>,
    close: u16,
}

/// Run a session until the server closes it: keep `WINDOW` commands in
/// flight (writers), record everything, report once `ACKED_BEFORE_STOP`
/// acks arrived.
async fn run_session(
    mut client: WsClient,
    mut log: EventLog,
    writer: Option<usize>,
    mut ready: Option<oneshot::Sender<()>>,
) -> Session {
    let board = log.board.clone();
    let mut s = Session {
        format: client.format,
        log: EventLog::new("", &board, 0),
        sent: Vec::new(),
        acks: HashMap::new(),
        refused: HashSet::new(),
        errors: Vec::new(),
        close: 0,
    };
    let mut can_send = writer.is_some();
    loop {
        while can_send
            && s.sent.len() < MAX_COMMANDS
            && s.sent.len() - s.acks.len() - s.refused.len() < WINDOW
        {
            let id = format!("w{}-{}", writer.unwrap_or_default(), s.sent.len());
            let msg = json!({ "type": "command", "id": id, "board": board,
                              "command": { "type": "create_item", "title": id } });
            if !try_send(&mut client, msg).await {
                can_send = false;
                break;
            }
            s.sent.push(id);
        }
        match client.next().await {
            Some(Ok(msg)) => match msg["type"].as_str() {
                Some("event") => log.record(&msg),
                Some("ack") => {
                    let id = msg["id"].as_str().expect("id").to_owned();
                    let seq = msg["seq"].as_u64().expect("seq");
                    assert!(s.acks.insert(id, seq).is_none(), "a second ack: {msg}");
                    if s.acks.len() >= ACKED_BEFORE_STOP {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(());
                        }
                    }
                }
                Some("rejected") => {
                    assert_eq!(msg["retryable"], true, "only server conditions: {msg}");
                    s.refused.insert(msg["id"].as_str().expect("id").to_owned());
                }
                Some("error") => s
                    .errors
                    .push(msg["code"].as_str().unwrap_or("?").to_owned()),
                _ => panic!("{}: unexpected {msg}", log.who),
            },
            Some(Err((code, _))) => {
                s.close = code;
                break;
            }
            None => {
                s.close = 1006;
                break;
            }
        }
    }
    if let Some(ready) = ready.take() {
        let _ = ready.send(());
    }
    s.log = log;
    s
}

#[actix_web::test]
async fn a_graceful_shutdown_closes_sessions_1001_keeps_every_acked_command_and_resume_continues() {
    let mut app = spawn_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();

    // Three writers and a pure subscriber, all subscribed before anyone
    // writes.
    let mut subscribed = Vec::new();
    let formats = [Wire::Json, Wire::MsgPack, Wire::Json, Wire::MsgPack];
    for (n, format) in formats.into_iter().enumerate() {
        let writer = (n < 3).then_some(n);
        let who = match writer {
            Some(w) => format!("writer {w}"),
            None => "subscriber".to_owned(),
        };
        let mut client = app.ws(&token, format).await;
        let snapshot = client.subscribe(&board).await;
        let log = EventLog::new(who, &board, snapshot["seq"].as_u64().expect("seq"));
        subscribed.push((client, log, writer));
    }
    let mut tasks = Vec::new();
    let mut readiness = Vec::new();
    for (client, log, writer) in subscribed {
        let (tx, rx) = oneshot::channel();
        if writer.is_some() {
            readiness.push(rx);
        }
        tasks.push(actix_rt::spawn(run_session(
            client,
            log,
            writer,
            writer.map(|_| tx),
        )));
    }
    for rx in readiness {
        let _ = rx.await;
    }

    // SIGTERM, in effect, while the writers keep commands in flight.
    let stopping = std::time::Instant::now();
    app.stop().await;
    let stop_took = stopping.elapsed();
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.expect("session task"));
    }
    let mut unanswered = 0;
    for s in &sessions {
        assert_eq!(s.close, 1001, "{}: closed with {}", s.log.who, s.close);
        assert!(
            s.errors.iter().all(|e| e == "server_shutdown"),
            "{}: {:?}",
            s.log.who,
            s.errors
        );
        unanswered += s.sent.len() - s.acks.len() - s.refused.len();
    }
    let acked: usize = sessions.iter().map(|s| s.acks.len()).sum();
    println!(
        "shutdown: stopped in {stop_took:?}; {} sessions closed 1001 ({} after \
         `server_shutdown`); {acked} commands acked, {unanswered} unanswered, {} refused as \
         retryable at the close",
        sessions.len(),
        sessions.iter().filter(|s| !s.errors.is_empty()).count(),
        sessions.iter().map(|s| s.refused.len()).sum::<usize>()
    );

    app.restart().await;
    let live = app.board(&token, &board).await;
    let seq = live["seq"].as_u64().expect("seq");
    let titles: HashSet<&str> = live["items"]
        .as_object()
        .expect("items")
        .values()
        .map(|i| i["title"].as_str().expect("title"))
        .collect();
    for s in &sessions {
        for id in s.acks.keys() {
            assert!(
                titles.contains(id.as_str()),
                "acked {id} lost in the shutdown"
            );
        }
    }

    // Every client reconnects and resumes where it stopped: exactly the
    // events it missed, no snapshot.
    let mut clients = Vec::new();
    for s in &mut sessions {
        let mut client = app.ws(&token, s.format).await;
        let since = s.log.last();
        client
            .send(json!({ "type": "subscribe", "board": board, "since": since }))
            .await;
        let others = s.log.read_until(&mut client, seq).await;
        assert!(others.is_empty(), "{}: {others:?}", s.log.who);
        assert!(client.until_pong().await.is_empty(), "{}", s.log.who);
        println!("shutdown: {} resumed from seq {since} to {seq}", s.log.who);
        clients.push(client);
    }
    for s in &sessions {
        assert_eq!(s.log.events, sessions[0].log.events, "{}", s.log.who);
    }
    let applied: HashMap<String, u64> = sessions[0]
        .log
        .events
        .iter()
        .map(|(seq, id)| (id.clone().expect("command id"), *seq))
        .collect();
    assert_eq!(
        applied.len(),
        sessions[0].log.events.len(),
        "each command once"
    );
    for s in &sessions {
        for (id, seq) in &s.acks {
            assert_eq!(applied.get(id.as_str()), Some(seq), "acked {id}");
        }
    }

    // Resending what got no ack, with the same ids, applies each exactly
    // once; the ones already applied get their original seq.
    let mut next = seq;
    for (s, client) in sessions.iter_mut().zip(&mut clients) {
        let retry: Vec<String> = s
            .sent
            .iter()
            .filter(|id| !s.acks.contains_key(*id))
            .cloned()
            .collect();
        for id in retry {
            client
                .send(json!({ "type": "command", "id": id, "board": board,
                              "command": { "type": "create_item", "title": id } }))
                .await;
            let ack = loop {
                let msg = client.recv().await;
                match msg["type"].as_str() {
                    Some("event") => s.log.record(&msg),
                    Some("ack") if msg["id"] == id.as_str() => break msg,
                    _ => panic!("{}: unexpected {msg}", s.log.who),
                }
            };
            let got = ack["seq"].as_u64().expect("seq");
            match applied.get(id.as_str()) {
                Some(original) => assert_eq!(got, *original, "{id}: the original outcome"),
                None => {
                    next += 1;
                    assert_eq!(got, next, "{id}: applied now, next in order");
                }
            }
        }
    }
    let total: usize = sessions.iter().map(|s| s.sent.len()).sum();
    let live = app.board(&token, &board).await;
    assert_eq!(live["seq"].as_u64(), Some(next));
    let items = live["items"].as_object().expect("items");
    assert_eq!(
        items.len(),
        total,
        "every command sent applied exactly once"
    );
    for (s, client) in sessions.iter_mut().zip(&mut clients) {
        let others = s.log.read_until(client, next).await;
        assert!(others.is_empty(), "{}: {others:?}", s.log.who);
    }
    for s in &sessions {
        assert_eq!(s.log.events, sessions[0].log.events, "{}", s.log.who);
    }
}
