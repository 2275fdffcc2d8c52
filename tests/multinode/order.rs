//! One total order, whichever node a client is on, and every acked
//! command exactly once, whichever node took it.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::client::{unique, Api, Seen, Ws};
use crate::deployment::Deployment;
use crate::harness::Engine;

/// Follow `board` on `ws` until `seen` reaches `last`, subscribing again
/// from the last seq seen when the server restarts the board (as the
/// protocol asks a client to).
pub async fn follow_until(who: &str, ws: &mut Ws, board: &str, seen: &mut Seen, last: u64) {
    while seen.seq < last {
        let msg = ws
            .next()
            .await
            .unwrap_or_else(|code| panic!("{who}: closed {code} at seq {}", seen.seq));
        match msg["type"].as_str() {
            Some("event") => seen.take(who, &msg),
            Some("unsubscribed") => {
                assert_eq!(msg["reason"], "board_restarted", "{who}: {msg}");
                let (_, missed) = ws.subscribe(board, Some(seen.seq)).await;
                for msg in &missed {
                    seen.take(who, msg);
                }
            }
            _ => {}
        }
    }
}

/// Create an item titled `title` through `api`, with `key` as the
/// Idempotency-Key, until it is acked (a retryable refusal or a node
/// that does not answer is tried again); its seq.
pub async fn create_acked(api: &Api, token: &str, board: &str, title: &str, key: &str) -> u64 {
    for _ in 0..100 {
        let answer = api
            .call(
                reqwest::Method::POST,
                token,
                &format!("/api/v1/boards/{board}/commands"),
                Some(json!({ "type": "create_item", "title": title })),
                Some(key),
            )
            .await;
        match answer {
            Ok((StatusCode::OK, body)) => return body["seq"].as_u64().expect("acked seq"),
            Ok((status, body))
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                let _ = body;
            }
            Ok((status, body)) => panic!("{title}: {status} {body}"),
            Err(_) => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{title} was never acked");
}

/// Titles of the `item_created` events of a log, with their seqs.
pub fn created(log: &[(u64, Value)]) -> HashMap<String, Vec<u64>> {
    let mut titles: HashMap<String, Vec<u64>> = HashMap::new();
    for (seq, event) in log {
        if event["type"] == "item_created" {
            let title = event["title"].as_str().unwrap_or_default().to_owned();
            titles.entry(title).or_default().push(*seq);
        }
    }
    titles
}

/// One client of each node, subscribed to `board`.
pub async fn followers_on_every_node(
    deployment: &Deployment,
    token: &str,
    board: &str,
) -> Vec<(Ws, Seen)> {
    let mut followers = Vec::new();
    for i in 0..deployment.nodes.len() {
        let mut ws = Ws::connect(&deployment.node(i).ws_url(), token)
            .await
            .unwrap();
        let (seq, _) = ws.subscribe(board, None).await;
        followers.push((ws, Seen::starting_at(seq)));
    }
    followers
}

/// The log is contiguous and holds each `acked` title once; its last seq.
pub async fn assert_acked_once(api: &Api, token: &str, board: &str, acked: &[String]) -> u64 {
    let log = api.log(token, board).await;
    assert_contiguous(&log);
    let titles = created(&log);
    for title in acked {
        assert_eq!(
            titles.get(title).map(Vec::len),
            Some(1),
            "acked {title} once in the log"
        );
    }
    log.last().map_or(0, |(seq, _)| *seq)
}

/// Every seq from 1 to the last, once.
pub fn assert_contiguous(log: &[(u64, Value)]) {
    for (i, (seq, _)) in log.iter().enumerate() {
        assert_eq!(
            *seq,
            i as u64 + 1,
            "the log has a gap or a duplicate at {i}"
        );
    }
}

pub async fn clients_on_every_node_see_one_order(engine: Engine) {
    let deployment = Deployment::start(engine).await;
    let api = deployment.node(0);
    let (email, key) = unique("order");
    let (token, _, _) = api.register(&email).await;
    let (_, board) = api.org_with_board(&token, &key).await;

    let mut followers = followers_on_every_node(&deployment, &token, &board).await;
    // Writers on every node at once: appends race for the same seqs.
    let writers: Vec<_> = (0..3)
        .map(|i| {
            let (api, token, board) = (deployment.node(i), token.clone(), board.clone());
            tokio::spawn(async move {
                for n in 0..15 {
                    let title = format!("node{i}-{n}");
                    create_acked(&api, &token, &board, &title, &title).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let acked_all = std::time::Instant::now();
    let log = api.log(&token, &board).await;
    assert_contiguous(&log);
    let last = log.last().unwrap().0;
    for (i, (ws, seen)) in followers.iter_mut().enumerate() {
        follow_until(&format!("node{i}"), ws, &board, seen, last).await;
    }
    // Carried by the bus, not found by the sweep (every 2 s).
    let delivered = acked_all.elapsed();
    assert!(
        delivered < std::time::Duration::from_millis(1500),
        "the last events reached every node after {delivered:?}"
    );
    // The same events, in the same order, as the log, on every node.
    let base = followers[0].1.seq - followers[0].1.events.len() as u64;
    let expected: Vec<(u64, Value)> = log.into_iter().filter(|(s, _)| *s > base).collect();
    for (i, (_, seen)) in followers.iter().enumerate() {
        assert_eq!(seen.events, expected, "node{i}'s client");
    }
    let (mut seq_conflicts, mut heard) = (0, 0);
    for i in 0..3 {
        seq_conflicts += metric(&deployment, i, "corkboard_seq_conflicts_total").await;
        heard += metric(&deployment, i, "corkboard_bus_received_total").await;
    }
    println!("{engine:?}: {last} events, {seq_conflicts} seq conflicts resolved by catching up, {heard} notices heard, last events everywhere {delivered:?} after the last ack");
    assert!(
        seq_conflicts > 0,
        "writers on three nodes never raced for a seq"
    );
    assert!(heard > 0, "no node heard the bus");
}

pub async fn writers_on_three_nodes_each_land_exactly_once(engine: Engine) {
    let deployment = Deployment::start(engine).await;
    let api = deployment.node(0);
    let (email, key) = unique("hammer");
    let (token, _, _) = api.register(&email).await;
    let (_, board) = api.org_with_board(&token, &key).await;
    let writers: Vec<_> = (0..9)
        .map(|w| {
            let (api, other) = (deployment.node(w % 3), deployment.node((w + 1) % 3));
            let (token, board) = (token.clone(), board.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in 0..12 {
                    let title = format!("w{w}-{n}");
                    // The same key again, on another node: the retry lands
                    // nowhere new.
                    let seq = create_acked(&api, &token, &board, &title, &title).await;
                    let again = create_acked(&other, &token, &board, &title, &title).await;
                    assert_eq!(again, seq, "{title}: a retry got another seq");
                    acked.push((title, seq));
                }
                acked
            })
        })
        .collect();
    let mut acked = Vec::new();
    for writer in writers {
        acked.extend(writer.await.unwrap());
    }
    let log = api.log(&token, &board).await;
    assert_contiguous(&log);
    let titles = created(&log);
    for (title, seq) in &acked {
        assert_eq!(
            titles.get(title),
            Some(&vec![*seq]),
            "{title} once, at its acked seq"
        );
    }
    assert_eq!(titles.len(), acked.len(), "nothing but the acked commands");
}

/// A counter's value on node `i`'s `/metrics`.
pub async fn metric(deployment: &Deployment, i: usize, name: &str) -> u64 {
    let text = match reqwest::get(deployment.nodes[i].url("/metrics")).await {
        Ok(res) => res.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}
