//! `commands`: `--connections` sessions each keep `--window` commands in
//! flight, spread over `--boards` boards of one organization, for
//! `--duration`: acked commands per second and command → ack latency
//! (every ack means committed in PostgreSQL).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use protocol::{BoardId, ClientMsg, Command, Format, ItemId, ServerMsg};
use tokio::time::{sleep_until, Instant};

use super::{drain, window_readings};
use crate::api::Api;
use crate::args::{Args, CommandKind};
use crate::probe::Probe;
use crate::report::Report;
use crate::stats::{instant_of, now_us, Histogram, Tally};
use crate::ws::{frame, marker_time, recv, timed_id, Target, Ws};

/// Boards when `--boards` is not given.
const DEFAULT_BOARDS: usize = 1000;
/// Sending sessions when `--connections` is not given.
const DEFAULT_CONNECTIONS: usize = 50;
/// Commands in flight per session when `--window` is not given.
const DEFAULT_WINDOW: usize = 64;
/// Longest wait after the measured phase for answers still in flight.
const DRAIN: Duration = Duration::from_secs(10);

struct Shared {
    t0: u64,
    t1: u64,
    format: Format,
    kind: CommandKind,
    boards: Vec<BoardId>,
    items: Vec<ItemId>,
    connections: usize,
    acked: AtomicU64,
    ack: Histogram,
    rejected: Tally,
    errors: Tally,
}

impl Shared {
    /// Command `n` of connection `c`: each connection walks every board,
    /// starting at its own offset.
    fn command(&self, c: usize, n: usize) -> ClientMsg {
        let b = (c * self.boards.len() / self.connections + n) % self.boards.len();
        let id = timed_id(now_us(), &format!("c{c}n{n}"));
        let command = match self.kind {
            CommandKind::Create => super::create_item(id.clone(), String::new()),
            CommandKind::Edit => Command::EditItem {
                item: self.items[b],
                title: Some(id.clone()),
                description: None,
            },
        };
        ClientMsg::Command {
            id,
            board: self.boards[b],
            command,
        }
    }
}

async fn connection(mut ws: Ws, c: usize, window: usize, shared: Arc<Shared>) {
    let stop = Instant::from_std(instant_of(shared.t1));
    let (mut n, mut in_flight) = (0, 0);
    for _ in 0..window {
        let _ = ws.feed(frame(&shared.command(c, n), shared.format)).await;
        (n, in_flight) = (n + 1, in_flight + 1);
    }
    let _ = ws.flush().await;
    let mut sending = true;
    while sending || in_flight > 0 {
        let msg = tokio::select! {
            _ = sleep_until(stop), if sending => { sending = false; continue; }
            msg = recv(&mut ws) => msg,
        };
        let Ok(msg) = msg else {
            shared.errors.add("connection closed");
            return;
        };
        match msg {
            ServerMsg::Ack { id, .. } => {
                let sent = marker_time(id.as_bytes()).unwrap_or(0);
                if (shared.t0..shared.t1).contains(&sent) {
                    shared.acked.fetch_add(1, Relaxed);
                    shared.ack.record(now_us().saturating_sub(sent));
                }
            }
            ServerMsg::Rejected { code, .. } => shared.rejected.add(&code),
            ServerMsg::Error { code, .. } => {
                shared.errors.add(&format!("error {code}"));
                continue;
            }
            _ => continue,
        }
        in_flight -= 1;
        if sending && Instant::now() < stop {
            if ws
                .send(frame(&shared.command(c, n), shared.format))
                .await
                .is_err()
            {
                shared.errors.add("send failed");
                return;
            }
            (n, in_flight) = (n + 1, in_flight + 1);
        }
    }
}

/// Run the scenario.
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let n_boards = Args::or(args.boards, DEFAULT_BOARDS);
    let connections = Args::or(args.connections, DEFAULT_CONNECTIONS);
    let window = Args::or(args.window, DEFAULT_WINDOW);
    let kind = Args::or(args.command, CommandKind::Create);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let setup = std::time::Instant::now();
    let boards = api.create_boards(org, n_boards).await?;
    let items = match kind {
        CommandKind::Edit => api.seed_one_item_each(&boards).await?,
        CommandKind::Create => Vec::new(),
    };
    println!(
        "{n_boards} boards set up in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let target = Target::new(&args.url, args.format, &api.token, connections)?;
    let mut sockets = Vec::with_capacity(connections);
    for c in 0..connections {
        sockets.push(target.connect(c).await?);
    }
    let t0 = now_us() + args.warmup.as_micros() as u64;
    let t1 = t0 + args.duration.as_micros() as u64;
    let shared = Arc::new(Shared {
        t0,
        t1,
        format: args.format,
        kind,
        boards,
        items,
        connections,
        acked: AtomicU64::new(0),
        ack: Histogram::default(),
        rejected: Tally::default(),
        errors: Tally::default(),
    });
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(c, ws)| tokio::spawn(connection(ws, c, window, shared.clone())))
        .collect();
    let probe = Probe::new(&args.url, args.server_pid, args.pg_pid);
    let (before, after) = window_readings(&probe, t0, t1).await;
    drain(
        tasks,
        DRAIN,
        &shared.errors,
        "connection still waiting for answers after the drain",
    )
    .await;

    let secs = args.duration.as_secs_f64();
    let acked = shared.acked.load(Relaxed);
    let mut report = Report::new("commands", args.format);
    report.figure("boards", n_boards as f64, "");
    report.figure("connections", connections as f64, "");
    report.figure("window_per_connection", window as f64, "commands in flight");
    report.value(
        "command",
        serde_json::json!(format!("{kind:?}").to_lowercase()),
    );
    report.figure("measured_s", secs, "s");
    report.figure("acked_commands_per_s", acked as f64 / secs, "/s");
    report.latency("command_to_ack", &shared.ack);
    report.value("rejected", serde_json::json!(shared.rejected.snapshot()));
    report.value("errors", serde_json::json!(shared.errors.snapshot()));
    report.server(&before, &after, secs, None);
    Ok(report)
}
