//! `loadtest`: drives a running Corkboard server over its public API.
//!
//! `loadtest rtt [--url http://127.0.0.1:8080] [--count 2000] [--format json|msgpack]`
//! registers a user, creates an organization and a board, opens one
//! WebSocket and sends `count` commands one after another, measuring the
//! time from sending each command to receiving its ack (every ack means
//! the command is committed in PostgreSQL). Prints p50/p95/p99/max.
//!
//! `loadtest resume [--count 10000]` fills a board with `count` events, then
//! measures 20 times how long `subscribe{since}` takes to deliver all of
//! them to a client that missed them (served from PostgreSQL).
//!
//! Both send far more than the default WebSocket rate limit (50 messages a
//! second per session): run the server with `CORKBOARD_RATE_LIMIT_WS_PER_SEC`
//! and `CORKBOARD_RATE_LIMIT_WS_BURST` raised (see `docs/operations.md`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use protocol::codec::{decode_server, encode};
use protocol::{BoardId, ClientMsg, Command, Format, ServerMsg};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

struct Args {
    url: String,
    count: usize,
    format: Format,
}

fn parse_args() -> anyhow::Result<(String, Args)> {
    let mut it = std::env::args().skip(1);
    let scenario = it.next().unwrap_or_else(|| "rtt".into());
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        count: 2000,
        format: Format::MsgPack,
    };
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => args.url = value.trim_end_matches('/').to_owned(),
            "--count" => args.count = value.parse().context("--count must be a number")?,
            "--format" => {
                args.format = match value.as_str() {
                    "json" => Format::Json,
                    "msgpack" => Format::MsgPack,
                    other => bail!("--format must be json or msgpack, not {other:?}"),
                }
            }
            other => bail!("unknown flag {other:?}"),
        }
    }
    Ok((scenario, args))
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(&url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        bail!("POST {url}: {status}: {body}");
    }
    Ok(body)
}

/// A fresh user, organization and board; returns (token, board).
async fn setup(args: &Args) -> anyhow::Result<(String, BoardId)> {
    let http = reqwest::Client::new();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("load-{tag}@example.com");
    // Registration answers 202 without a token (it must not tell whether
    // the email was taken); log in for one.
    post(
        &http,
        format!("{}/api/v1/auth/register", args.url),
        None,
        json!({ "email": email, "password": "load test password", "name": "Load" }),
    )
    .await?;
    let login = post(
        &http,
        format!("{}/api/v1/auth/login", args.url),
        None,
        json!({ "email": email, "password": "load test password" }),
    )
    .await?;
    let token = login["access_token"].as_str().context("token")?.to_owned();
    let key = format!(
        "L{}",
        &tag[..8]
            .to_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "0")
    );
    let org = post(
        &http,
        format!("{}/api/v1/orgs", args.url),
        Some(&token),
        json!({ "name": "Load", "key": key }),
    )
    .await?;
    let org = org["id"].as_str().context("org id")?;
    let board = post(
        &http,
        format!("{}/api/v1/orgs/{org}/boards", args.url),
        Some(&token),
        json!({ "name": "Load" }),
    )
    .await?;
    let board: BoardId = serde_json::from_value(board["board"]["id"].clone())?;
    Ok((token, board))
}

fn frame(msg: &ClientMsg, format: Format) -> Message {
    let bytes = encode(msg, format);
    match format {
        Format::Json => Message::text(String::from_utf8_lossy(&bytes).into_owned()),
        Format::MsgPack => Message::binary(bytes),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket authenticated with `token` by header.
async fn connect(args: &Args, token: &str) -> anyhow::Result<Ws> {
    let ws_url = args.url.replacen("http", "ws", 1) + "/ws";
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(args.format.subprotocol()),
    );
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .context("websocket")?;
    Ok(ws)
}

/// The next server message (skipping control frames).
async fn recv(ws: &mut Ws) -> anyhow::Result<ServerMsg> {
    loop {
        let msg = ws.next().await.context("socket closed")??;
        let (bytes, format) = match &msg {
            Message::Text(t) => (t.as_bytes(), Format::Json),
            Message::Binary(b) => (&b[..], Format::MsgPack),
            _ => continue,
        };
        return Ok(decode_server(bytes, format)?);
    }
}

fn create_item(i: usize) -> Command {
    Command::CreateItem {
        title: format!("item {i}"),
        description: String::new(),
        column: None,
        index: None,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(label: &str, latencies: &mut [Duration]) {
    latencies.sort();
    println!(
        "{label}: p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n = {})",
        ms(percentile(latencies, 0.50)),
        ms(percentile(latencies, 0.95)),
        ms(percentile(latencies, 0.99)),
        ms(latencies[latencies.len() - 1]),
        latencies.len()
    );
}

async fn rtt(args: Args) -> anyhow::Result<()> {
    let (token, board) = setup(&args).await?;
    let mut ws = connect(&args, &token).await?;
    let mut latencies = Vec::with_capacity(args.count);
    let started = Instant::now();
    for i in 0..args.count {
        let id = format!("c{i}");
        let sent = Instant::now();
        let command = ClientMsg::Command {
            id: id.clone(),
            board,
            command: create_item(i),
        };
        ws.send(frame(&command, args.format)).await?;
        loop {
            match recv(&mut ws).await? {
                ServerMsg::Ack { id: acked, .. } if acked == id => break,
                ServerMsg::Rejected { code, message, .. } => {
                    bail!("command {id} rejected: {code}: {message}")
                }
                _ => {}
            }
        }
        latencies.push(sent.elapsed());
    }
    let rate = args.count as f64 / started.elapsed().as_secs_f64();
    println!(
        "rtt: {} commands over one {:?} WebSocket, each sent after the previous ack ({rate:.0} commands/s)",
        args.count, args.format
    );
    report("command -> ack (committed)", &mut latencies);
    Ok(())
}

/// Commands kept in flight while filling a board.
const FILL_WINDOW: usize = 64;
/// Resubscriptions measured by `resume`.
const RESUME_ROUNDS: usize = 20;

/// Write `count` events to a board, then measure how long a client that
/// missed all of them (they are beyond the 1,000 kept in memory, so they
/// come from PostgreSQL) takes to get them with `subscribe{since}`.
async fn resume(args: Args) -> anyhow::Result<()> {
    let (token, board) = setup(&args).await?;
    let mut ws = connect(&args, &token).await?;
    ws.send(frame(
        &ClientMsg::Subscribe { board, since: None },
        args.format,
    ))
    .await?;
    let since = loop {
        if let ServerMsg::Snapshot { seq, .. } = recv(&mut ws).await? {
            break seq;
        }
    };
    drop(ws);

    // Fill, with a window of commands in flight.
    let mut writer = connect(&args, &token).await?;
    let started = Instant::now();
    let (mut sent, mut acked) = (0, 0);
    while acked < args.count {
        while sent < args.count && sent - acked < FILL_WINDOW {
            let command = ClientMsg::Command {
                id: format!("f{sent}"),
                board,
                command: create_item(sent),
            };
            writer.send(frame(&command, args.format)).await?;
            sent += 1;
        }
        match recv(&mut writer).await? {
            ServerMsg::Ack { .. } => acked += 1,
            ServerMsg::Rejected { code, message, .. } => bail!("fill rejected: {code}: {message}"),
            _ => {}
        }
    }
    println!(
        "filled {} events in {:.2} s ({:.0} commands/s with {FILL_WINDOW} in flight)",
        args.count,
        started.elapsed().as_secs_f64(),
        args.count as f64 / started.elapsed().as_secs_f64()
    );
    let last = since + args.count as u64;

    let mut latencies = Vec::with_capacity(RESUME_ROUNDS);
    for _ in 0..RESUME_ROUNDS {
        let mut ws = connect(&args, &token).await?;
        let asked = Instant::now();
        ws.send(frame(
            &ClientMsg::Subscribe {
                board,
                since: Some(since),
            },
            args.format,
        ))
        .await?;
        let mut expected = since + 1;
        while expected <= last {
            match recv(&mut ws).await? {
                ServerMsg::Event { seq, .. } => {
                    if seq != expected {
                        bail!("resume gap: expected seq {expected}, got {seq}");
                    }
                    expected += 1;
                }
                ServerMsg::Snapshot { .. } => bail!("resume answered with a snapshot"),
                _ => {}
            }
        }
        latencies.push(asked.elapsed());
    }
    report(
        &format!(
            "resume of {} missed events from PostgreSQL (subscribe -> last event)",
            args.count
        ),
        &mut latencies,
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let (scenario, args) = parse_args()?;
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    match scenario.as_str() {
        "rtt" => rtt(args).await,
        "resume" => resume(args).await,
        other => bail!("unknown scenario {other:?}; available: rtt, resume"),
    }
}
