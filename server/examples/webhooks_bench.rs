//! Webhook figures on this machine: commit → first webhook attempt
//! (p50/p99), and what one endpoint costs an organization's acked
//! commands/s. Starts a throwaway PostgreSQL, the real server in-process
//! (webhooks may reach 127.0.0.1) and a receiver answering 204:
//!
//! ```text
//! cargo run --release -p server --example webhooks_bench
//! ```
//!
//! Commands go over REST: an answer is an ack, which means committed. The
//! latency of one event is from its ack reaching the client to its
//! request reaching the receiver (0 when the webhook came first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::{Application, Settings};
use storage::TestDb;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Commands for the latency figure, one at a time, and their pace.
const LATENCY_COMMANDS: usize = 1_000;
const PACE: Duration = Duration::from_millis(5);
/// Writers (one board each) and how long each throughput run lasts.
const WRITERS: usize = 16;
const RUN: Duration = Duration::from_secs(8);

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// A receiver: records when each item title arrived.
async fn receiver(arrivals: Arrivals) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    actix_rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let arrivals = Arc::clone(&arrivals);
            actix_rt::spawn(async move {
                let mut stream = BufReader::new(stream);
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let at = Instant::now();
                    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                        if let Some(title) = v["data"]["event"]["title"].as_str() {
                            arrivals.lock().expect("lock").insert(title.to_owned(), at);
                        }
                    }
                    let reply = b"HTTP/1.1 204 No Content\r\n\r\n";
                    if stream.get_mut().write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    path: &str,
    body: Value,
) -> Value {
    let mut req = http.post(format!("{base}{path}")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Acked commands/s of `WRITERS` writers, one per board, for `RUN`.
async fn throughput(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    boards: &[String],
    tag: &str,
) -> f64 {
    let began = Instant::now();
    let writers = boards.iter().map(|board| {
        let (http, base, token, board) = (
            http.clone(),
            base.to_owned(),
            token.to_owned(),
            board.clone(),
        );
        let tag = tag.to_owned();
        async move {
            let mut acked = 0u64;
            while began.elapsed() < RUN {
                let title = format!("{tag} {board} {acked}");
                call(
                    &http,
                    &base,
                    Some(&token),
                    &format!("/api/v1/boards/{board}/commands"),
                    json!({ "type": "create_item", "title": title }),
                )
                .await;
                acked += 1;
            }
            acked
        }
    });
    let acked: u64 = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .sum();
    acked as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    actix_rt::System::new().block_on(async move {
        let test_db = TestDb::new().await;
        let mut settings = Settings::from_lookup(|_| None).expect("settings");
        settings.bind = "127.0.0.1:0".parse().expect("address");
        settings.database = server::config::DatabaseSettings::Url(test_db.url.clone());
        settings.jwt.secret = Some(vec![7; 32]);
        settings.data_dir = std::env::temp_dir().join("corkboard-webhooks-bench");
        settings.webhooks.allow_private = true;
        let generous = server::config::RateLimit { per_sec: 1_000_000, burst: 10_000_000 };
        settings.rate_limits.principal = generous;
        settings.rate_limits.ip = generous;
        let app = Application::build(settings).await.expect("builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = actix_rt::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let arrivals: Arrivals = Arc::default();
        let hook = receiver(Arc::clone(&arrivals)).await;

        call(&http, &base, None, "/api/v1/auth/register",
             json!({ "email": "bench@example.com", "password": "correct horse battery", "name": "Bench" })).await;
        let login = call(&http, &base, None, "/api/v1/auth/login",
                         json!({ "email": "bench@example.com", "password": "correct horse battery" })).await;
        let token = login["access_token"].as_str().expect("token").to_owned();
        let org = call(&http, &base, Some(&token), "/api/v1/orgs", json!({ "name": "Bench", "key": "BN" })).await;
        let org = org["id"].as_str().expect("org").to_owned();
        let mut boards = Vec::new();
        for i in 0..WRITERS {
            let b = call(&http, &base, Some(&token), &format!("/api/v1/orgs/{org}/boards"),
                         json!({ "name": format!("Board {i}") })).await;
            boards.push(b["board"]["id"].as_str().expect("board").to_owned());
        }

        let without = throughput(&http, &base, &token, &boards, "warm-up").await;
        let without2 = throughput(&http, &base, &token, &boards, "none").await;
        call(&http, &base, Some(&token), &format!("/api/v1/orgs/{org}/webhooks"),
             json!({ "url": hook, "event_types": ["board.item_created"] })).await;

        // Latency: one command at a time.
        let mut acks = Vec::with_capacity(LATENCY_COMMANDS);
        for i in 0..LATENCY_COMMANDS {
            let title = format!("latency {i}");
            call(&http, &base, Some(&token), &format!("/api/v1/boards/{}/commands", boards[0]),
                 json!({ "type": "create_item", "title": title })).await;
            acks.push((title, Instant::now()));
            tokio::time::sleep(PACE).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut latency: Vec<f64> = {
            let arrivals = arrivals.lock().expect("lock");
            acks.iter()
                .map(|(title, acked)| {
                    let at = arrivals.get(title).expect("every event arrived");
                    at.saturating_duration_since(*acked).as_secs_f64() * 1000.0
                })
                .collect()
        };
        latency.sort_by(f64::total_cmp);
        println!(
            "ack → webhook received, {} commands one at a time every {PACE:?}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            latency.len(),
            percentile(&latency, 0.5),
            percentile(&latency, 0.99),
            percentile(&latency, 1.0)
        );

        let with = throughput(&http, &base, &token, &boards, "one endpoint").await;
        println!(
            "acked commands/s, {WRITERS} REST writers on {WRITERS} boards of one org, {RUN:?} each: \
             no endpoint {without2:.0} (warm-up run {without:.0}), one endpoint {with:.0} ({:+.1} %)",
            (with / without2 - 1.0) * 100.0
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        let delivered = arrivals.lock().expect("lock").keys().filter(|t| t.starts_with("one endpoint")).count();
        println!("events of the endpoint run delivered within 3 s of its end: {delivered}");
        let _ = stop.send(());
        let _ = served.await;
    });
}
