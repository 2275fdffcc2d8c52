//! `cold`: fill a board with `--items` items, let the server passivate it
//! (the runner sets `CORKBOARD_IDLE_PASSIVATE_SECS=1`), then time the
//! first `subscribe` → `snapshot` of the cold board, a second subscribe
//! while it is warm, and the first `GET /api/v1/boards/{id}` of the cold
//! board. Passivation is seen in `/metrics` (`corkboard_active_boards`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::SinkExt;
use protocol::{BoardId, ClientMsg, ServerMsg};

use super::{create_item, fill, FILL_WINDOW};
use crate::api::Api;
use crate::args::Args;
use crate::probe::{sum, Probe};
use crate::report::Report;
use crate::stats::Histogram;
use crate::ws::{frame, recv_until, Target};

/// Items when `--items` is not given.
const DEFAULT_ITEMS: usize = 10_000;
/// Cold activations of each kind when `--rounds` is not given.
const DEFAULT_ROUNDS: usize = 5;
/// Longest wait for the server to passivate the board.
const PASSIVATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Wait until no board is active.
async fn passivated(probe: &Probe) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let metrics = probe.metrics().await;
        if metrics.is_empty() {
            bail!("cold needs the server's /metrics (CORKBOARD_METRICS=on)");
        }
        if sum(&metrics, "corkboard_active_boards") == 0.0 {
            return Ok(());
        }
        if started.elapsed() > PASSIVATION_TIMEOUT {
            bail!(
                "the board stayed active for {PASSIVATION_TIMEOUT:?}: run the server with \
                 CORKBOARD_IDLE_PASSIVATE_SECS=1 (loadtest/run does)"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Subscribe on a fresh session; the time to the snapshot.
async fn subscribe(
    target: &Target,
    i: usize,
    board: BoardId,
    items: usize,
) -> anyhow::Result<Duration> {
    let mut ws = target.connect(i).await?;
    let asked = Instant::now();
    ws.send(frame(
        &ClientMsg::Subscribe { board, since: None },
        target.format,
    ))
    .await?;
    let got = recv_until(&mut ws, |m| match m {
        ServerMsg::Snapshot { state, .. } => Some(state.items.len()),
        _ => None,
    })
    .await?;
    let took = asked.elapsed();
    if got != items {
        bail!("snapshot holds {got} items, expected {items}");
    }
    Ok(took)
}

/// Run the scenario (the rounds stop early at `--duration`).
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let items = Args::or(args.items, DEFAULT_ITEMS);
    let rounds = Args::or(args.rounds, DEFAULT_ROUNDS);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let board = api.create_board(org, "cold").await?;
    let target = Target::new(&args.url, args.format, &api.token, 1)?;
    let fill_acks = Histogram::default();
    let started = Instant::now();
    fill(&target, 0, items, FILL_WINDOW, &fill_acks, |i| {
        (
            board,
            create_item(format!("item {i}"), "cold activation".into()),
        )
    })
    .await?;
    let fill_secs = started.elapsed().as_secs_f64();
    let probe = Probe::new(&args.url, args.server_pid, args.pg_pid);

    let (cold_ws, warm_ws, cold_get) = (
        Histogram::default(),
        Histogram::default(),
        Histogram::default(),
    );
    let measuring = Instant::now();
    for round in 0..rounds {
        if round > 0 && measuring.elapsed() > args.duration {
            break;
        }
        passivated(&probe).await?;
        cold_ws.record_duration(subscribe(&target, 1, board, items).await?);
        warm_ws.record_duration(subscribe(&target, 2, board, items).await?);
        passivated(&probe).await?;
        let asked = Instant::now();
        let state = api.get(&format!("/api/v1/boards/{}", board.0)).await?;
        cold_get.record_duration(asked.elapsed());
        let got = state["items"]
            .as_object()
            .context("GET board: no items")?
            .len();
        if got != items {
            bail!("GET board holds {got} items, expected {items}");
        }
    }
    let mut report = Report::new("cold", args.format);
    report.figure("items", items as f64, "");
    report.figure("fill_commands_per_s", items as f64 / fill_secs, "/s");
    report.note("cold = no board actor in memory (its organization's actor passivated too); times exclude the WebSocket connect");
    report.latency("cold_subscribe_to_snapshot", &cold_ws);
    report.latency("warm_subscribe_to_snapshot", &warm_ws);
    report.latency("cold_get_board", &cold_get);
    Ok(report)
}
