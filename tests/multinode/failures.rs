//! What the nodes do when one of them, or the bus, goes away under load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{unique, Api, Seen, Ws};
use crate::deployment::Deployment;
use crate::harness::{Engine, NODE_TIMEOUT_SLACK};
use crate::order::{assert_acked_once, create_acked, follow_until, followers_on_every_node};

/// Writers through `api` until `stop`; the titles acked.
fn write_until(
    api: Api,
    token: String,
    board: String,
    stop: Arc<AtomicBool>,
    tag: &'static str,
) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut acked = Vec::new();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let title = format!("{tag}-{n}");
            create_acked(&api, &token, &board, &title, &title).await;
            acked.push(title);
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        acked
    })
}

/// Follow `board` through `api` (nginx), reconnecting and resuming with
/// `since` whenever the socket drops, until `last`.
async fn follow_through(
    who: &str,
    api: &Api,
    token: &str,
    board: &str,
    ws: &mut Ws,
    seen: &mut Seen,
    last: u64,
) -> u32 {
    let mut reconnects = 0;
    while seen.seq < last {
        match ws.next().await {
            Ok(msg) if msg["type"] == "event" => seen.take(who, &msg),
            Ok(msg) if msg["type"] == "unsubscribed" => {
                let (_, missed) = ws.subscribe(board, Some(seen.seq)).await;
                for msg in &missed {
                    seen.take(who, msg);
                }
            }
            Ok(_) => {}
            Err(_) => {
                reconnects += 1;
                *ws = reconnect(api, token).await;
                let (_, missed) = ws.subscribe(board, Some(seen.seq)).await;
                for msg in &missed {
                    seen.take(who, msg);
                }
            }
        }
    }
    reconnects
}

async fn reconnect(api: &Api, token: &str) -> Ws {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match Ws::connect(&api.ws_url(), token).await {
            Ok(ws) => return ws,
            Err(e) => assert!(Instant::now() < deadline, "reconnecting through nginx: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn a_killed_node_s_clients_resume_on_another_gap_free(engine: Engine) {
    let mut deployment = Deployment::start(engine).await;
    let proxy = deployment.proxy();
    let (email, key) = unique("kill");
    let (token, _, _) = proxy.register(&email).await;
    let (_, board) = proxy.org_with_board(&token, &key).await;

    // A watcher on node 0 sees who is on the board, node 1's client too.
    let mut watcher = Ws::connect(&deployment.node(0).ws_url(), &token)
        .await
        .unwrap();
    watcher.subscribe(&board, None).await;
    let mut on_node1 = Ws::connect(&deployment.node(1).ws_url(), &token)
        .await
        .unwrap();
    on_node1.subscribe(&board, None).await;
    let remote_session = loop {
        let msg = watcher.next().await.unwrap();
        if msg["type"] == "presence_changed" && msg["change"] == "joined" {
            let session = msg["entry"]["session"].as_str().unwrap().to_owned();
            if session.contains(':') {
                break session;
            }
        }
    };

    // Followers through nginx (round robin: one per node).
    let mut followers = Vec::new();
    for _ in 0..3 {
        let mut ws = Ws::connect(&proxy.ws_url(), &token).await.unwrap();
        let (seq, _) = ws.subscribe(&board, None).await;
        followers.push((ws, Seen::starting_at(seq)));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = write_until(
        proxy.clone(),
        token.clone(),
        board.clone(),
        stop.clone(),
        "through-nginx",
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    deployment.nodes[1].proc.kill();
    let killed = Instant::now();
    // Node 1's session leaves node 0's presence within the heartbeat timeout.
    loop {
        let msg = watcher
            .next()
            .await
            .unwrap_or_else(|code| panic!("watcher closed {code}"));
        if msg["type"] == "presence_changed"
            && msg["change"] == "left"
            && msg["entry"]["session"] == remote_session.as_str()
        {
            break;
        }
    }
    let left_after = killed.elapsed();
    assert!(
        left_after <= NODE_TIMEOUT_SLACK,
        "presence dropped after {left_after:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let acked = writer.await.unwrap();

    let last = assert_acked_once(&proxy, &token, &board, &acked).await;
    let mut reconnects = 0;
    for (i, (ws, seen)) in followers.iter_mut().enumerate() {
        reconnects += follow_through(
            &format!("follower{i}"),
            &proxy,
            &token,
            &board,
            ws,
            seen,
            last,
        )
        .await;
        let events: Vec<&(u64, Value)> = seen.events.iter().collect();
        assert_eq!(events.last().map(|e| e.0), Some(last));
    }
    println!("{engine:?}: {} acked through nginx, node 1 killed; {reconnects} followers resumed elsewhere; its session left node 0's presence after {left_after:?}", acked.len());
    assert!(reconnects >= 1, "a follower was on the killed node");
}

pub async fn a_bus_outage_loses_no_event(engine: Engine) {
    let mut deployment = Deployment::start(engine).await;
    let api = deployment.node(0);
    let (email, key) = unique("outage");
    let (token, _, _) = api.register(&email).await;
    let (_, board) = api.org_with_board(&token, &key).await;
    let mut followers = followers_on_every_node(&deployment, &token, &board).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|i| {
            write_until(
                deployment.node(i),
                token.clone(),
                board.clone(),
                stop.clone(),
                ["a", "b", "c"][i],
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The bus goes away for 5 s under load.
    let outage = Duration::from_secs(5);
    match engine {
        Engine::Nats => {
            deployment.kill_nats();
            tokio::time::sleep(outage).await;
            deployment.restart_nats().await;
        }
        Engine::Postgres => {
            let (client, connection) =
                tokio_postgres::connect(&deployment.database_url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
            tokio::spawn(connection);
            let until = Instant::now() + outage;
            while Instant::now() < until {
                client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                        &[&bus::pg::APPLICATION_NAME],
                    )
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for writer in writers {
        acked.extend(writer.await.unwrap());
    }
    let last = assert_acked_once(&api, &token, &board, &acked).await;
    for (i, (ws, seen)) in followers.iter_mut().enumerate() {
        follow_until(&format!("node{i}"), ws, &board, seen, last).await;
    }
    for i in 0..3 {
        crate::harness::ready(
            &deployment.nodes[i].url("/health/ready"),
            "a node after the outage",
        )
        .await;
    }
    println!(
        "{engine:?}: {} acked during a 5 s bus outage; every follower has all {last} events once",
        acked.len()
    );
}
