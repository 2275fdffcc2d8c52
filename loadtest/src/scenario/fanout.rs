//! `fanout` and `saturate`: one board, many subscribed sessions, a few
//! writers. Every command's id (and the item title it sets) carries its
//! send time, so each subscriber times command sent → event received
//! without decoding the frame, and writers time command → ack.
//!
//! `fanout` offers a fixed total rate; `saturate` keeps a window of
//! commands in flight per writer to find the most deliveries per second.
//!
//! With several nodes (`--url a,b,c`), subscriber `i` connects to node
//! `i % nodes` and every writer to node 0, so delivery latency is also
//! reported apart for subscribers on the writers' node ("same-node") and
//! on the others ("cross-node", which goes through the bus).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::{stream, SinkExt, StreamExt, TryStreamExt};
use protocol::codec::decode_server;
use protocol::{BoardId, ClientMsg, Command, Format, ItemId, ServerMsg};
use tokio::time::{sleep_until, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::{drain, window_readings};
use crate::api::Api;
use crate::args::{Args, CommandKind};
use crate::probe::Probe;
use crate::report::Report;
use crate::stats::{instant_of, now_us, Histogram, Tally};
use crate::ws::{frame, is_event, marker_time, payload, recv, recv_until, timed_id, Target, Ws};

/// Subscribers when `--subscribers` is not given.
const DEFAULT_SUBSCRIBERS: usize = 1000;
/// Writers when `--writers` is not given.
const DEFAULT_WRITERS: usize = 4;
/// Total commands per second of `fanout` when `--rate` is not given.
const DEFAULT_RATE: f64 = 100.0;
/// Commands in flight per writer for `saturate` when `--window` is not given.
const DEFAULT_WINDOW: usize = 8;
/// Connections opened at once during setup.
pub const CONNECT_CONCURRENCY: usize = 128;
/// Pause after subscribing, so the presence messages of the joins are over.
const SETTLE: Duration = Duration::from_secs(1);
/// Longest wait after the measured phase for answers still in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// How writers pace themselves.
#[derive(Clone, Copy)]
pub enum Mode {
    /// A total number of commands per second, spread over the writers.
    Rate(f64),
    /// As fast as acks allow, with this many commands in flight per writer.
    Saturate(usize),
}

/// Counters shared by every task. Only commands sent in `[t0, t1)` count.
struct Shared {
    t0: u64,
    t1: u64,
    board: BoardId,
    kind: CommandKind,
    format: Format,
    sent: AtomicU64,
    acked: AtomicU64,
    deliveries: AtomicU64,
    delivery: Histogram,
    /// Deliveries to subscribers on node 0, where the writers are.
    delivery_same: Histogram,
    /// Deliveries to subscribers on the other nodes.
    delivery_cross: Histogram,
    ack: Histogram,
    rejected: Tally,
    errors: Tally,
}

impl Shared {
    fn in_window(&self, us: u64) -> bool {
        (self.t0..self.t1).contains(&us)
    }

    /// The next command of writer `w`: its send time is in the id.
    fn command(&self, w: usize, n: u64, item: ItemId) -> ClientMsg {
        let id = timed_id(now_us(), &format!("w{w}n{n}"));
        let command = match self.kind {
            CommandKind::Edit => Command::EditItem {
                item,
                title: Some(id.clone()),
                description: None,
            },
            CommandKind::Create => super::create_item(id.clone(), String::new()),
        };
        if self.in_window(marker_time(id.as_bytes()).unwrap_or(0)) {
            self.sent.fetch_add(1, Relaxed);
        }
        ClientMsg::Command {
            id,
            board: self.board,
            command,
        }
    }

    /// An answer to a writer; returns whether it ended a command.
    fn answer(&self, msg: ServerMsg) -> bool {
        match msg {
            ServerMsg::Ack { id, .. } => {
                let sent = marker_time(id.as_bytes()).unwrap_or(0);
                if self.in_window(sent) {
                    self.acked.fetch_add(1, Relaxed);
                    self.ack.record(now_us().saturating_sub(sent));
                }
                true
            }
            ServerMsg::Rejected { code, .. } => {
                self.rejected.add(&code);
                true
            }
            ServerMsg::Error { code, .. } => {
                self.errors.add(&format!("writer error {code}"));
                false
            }
            _ => false,
        }
    }
}

/// A subscriber's loop: count and time every event until the socket ends.
/// `cross`: it is on another node than the writers.
async fn subscriber(mut ws: Ws, cross: bool, shared: Arc<Shared>) {
    while let Some(msg) = ws.next().await {
        let msg = match msg {
            Ok(msg) => msg,
            Err(e) => {
                shared.errors.add(&format!("subscriber socket error: {e}"));
                return;
            }
        };
        if let Message::Close(frame) = &msg {
            let code = frame.as_ref().map_or(0, |f| u16::from(f.code));
            shared
                .errors
                .add(&format!("subscriber closed by server ({code})"));
            return;
        }
        let Some((bytes, format)) = payload(&msg) else {
            continue;
        };
        if is_event(bytes) {
            if let Some(sent) = marker_time(bytes).filter(|t| shared.in_window(*t)) {
                let took = now_us().saturating_sub(sent);
                shared.deliveries.fetch_add(1, Relaxed);
                shared.delivery.record(took);
                if cross {
                    shared.delivery_cross.record(took);
                } else {
                    shared.delivery_same.record(took);
                }
            }
            continue;
        }
        match decode_server(bytes, format) {
            Ok(ServerMsg::Error { code, .. }) => {
                shared.errors.add(&format!("subscriber error {code}"))
            }
            Ok(ServerMsg::Unsubscribed { reason, .. }) => {
                shared.errors.add(&format!("unsubscribed {reason}"))
            }
            Ok(_) => {}
            Err(e) => shared.errors.add(&format!("undecodable frame: {e}")),
        }
    }
}

/// A writer's loop: send at its pace until `t1`, then wait for the answers.
async fn writer(
    mut ws: Ws,
    w: usize,
    item: ItemId,
    mode: Mode,
    writers: usize,
    shared: Arc<Shared>,
) {
    let stop = Instant::from_std(instant_of(shared.t1));
    let (mut in_flight, mut n) = (0usize, 0u64);
    let period = match mode {
        Mode::Rate(rate) => Duration::from_secs_f64(writers as f64 / rate),
        Mode::Saturate(_) => Duration::from_secs(3600),
    };
    let first = Instant::now() + period.mul_f64(w as f64 / writers as f64);
    let mut tick = tokio::time::interval_at(first, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sending = true;
    if let Mode::Saturate(window) = mode {
        for _ in 0..window {
            let _ = ws
                .feed(frame(&shared.command(w, n, item), shared.format))
                .await;
            n += 1;
            in_flight += 1;
        }
        let _ = ws.flush().await;
    }
    loop {
        if Instant::now() >= stop {
            sending = false;
        }
        if !sending && in_flight == 0 {
            return;
        }
        tokio::select! {
            _ = tick.tick(), if sending && matches!(mode, Mode::Rate(_)) => {
                let msg = frame(&shared.command(w, n, item), shared.format);
                if ws.send(msg).await.is_err() {
                    shared.errors.add("writer send failed");
                    return;
                }
                n += 1;
                in_flight += 1;
            }
            _ = sleep_until(stop), if sending => sending = false,
            msg = recv(&mut ws) => {
                let Ok(msg) = msg else {
                    shared.errors.add("writer socket closed");
                    return;
                };
                if shared.answer(msg) {
                    in_flight -= 1;
                    if sending && matches!(mode, Mode::Saturate(_)) {
                        let msg = frame(&shared.command(w, n, item), shared.format);
                        if ws.send(msg).await.is_err() {
                            shared.errors.add("writer send failed");
                            return;
                        }
                        n += 1;
                        in_flight += 1;
                    }
                }
            }
        }
    }
}

/// Open `n` sessions subscribed to `board` (connections `first..`), the
/// `i`-th on node `i % targets.len()`; each with whether it is on another
/// node than node 0.
async fn subscribe_all(
    targets: &[Target],
    board: BoardId,
    first: usize,
    n: usize,
) -> anyhow::Result<Vec<(Ws, bool)>> {
    stream::iter(first..first + n)
        .map(|i| async move {
            let node = (i - first) % targets.len();
            let target = &targets[node];
            let mut ws = target.connect(i).await?;
            ws.send(frame(
                &ClientMsg::Subscribe { board, since: None },
                target.format,
            ))
            .await?;
            recv_until(&mut ws, |m| {
                matches!(m, ServerMsg::Snapshot { .. }).then_some(())
            })
            .await
            .with_context(|| format!("subscriber {i} (node {node})"))?;
            Ok::<_, anyhow::Error>((ws, node != 0))
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .try_collect()
        .await
}

/// Run `fanout` (`Mode::Rate`) or `saturate` (`Mode::Saturate`).
pub async fn run(args: &Args, saturate: bool) -> anyhow::Result<Report> {
    let subscribers = Args::or(args.subscribers, DEFAULT_SUBSCRIBERS);
    let writers = Args::or(args.writers, DEFAULT_WRITERS);
    let mode = if saturate {
        Mode::Saturate(Args::or(args.window, DEFAULT_WINDOW))
    } else {
        Mode::Rate(Args::or(args.rate, DEFAULT_RATE))
    };
    let kind = Args::or(args.command, CommandKind::Edit);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let board = api.create_board(org, "fanout").await?;
    let items = api.seed_one_item_each(&vec![board; writers]).await?;
    let nodes = args.urls.len();
    let targets = args
        .urls
        .iter()
        .enumerate()
        .map(|(node, url)| {
            let on_node = subscribers.div_ceil(nodes) + if node == 0 { writers } else { 0 };
            Target::new(url, args.format, &api.token, on_node)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let setup = std::time::Instant::now();
    let subs = subscribe_all(&targets, board, writers, subscribers).await?;
    println!(
        "{subscribers} sessions subscribed in {:.1} s{}",
        setup.elapsed().as_secs_f64(),
        if nodes > 1 {
            format!(" over {nodes} nodes (writers on node 0)")
        } else {
            String::new()
        }
    );
    let mut writer_ws = Vec::with_capacity(writers);
    for w in 0..writers {
        writer_ws.push(targets[0].connect(w).await?);
    }
    tokio::time::sleep(SETTLE).await;

    let t0 = now_us() + args.warmup.as_micros() as u64;
    let t1 = t0 + args.duration.as_micros() as u64;
    let shared = Arc::new(Shared {
        t0,
        t1,
        board,
        kind,
        format: args.format,
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        deliveries: AtomicU64::new(0),
        delivery: Histogram::default(),
        delivery_same: Histogram::default(),
        delivery_cross: Histogram::default(),
        ack: Histogram::default(),
        rejected: Tally::default(),
        errors: Tally::default(),
    });
    let readers: Vec<_> = subs
        .into_iter()
        .map(|(ws, cross)| tokio::spawn(subscriber(ws, cross, shared.clone())))
        .collect();
    let writer_tasks: Vec<_> = writer_ws
        .into_iter()
        .zip(items)
        .enumerate()
        .map(|(w, (ws, item))| tokio::spawn(writer(ws, w, item, mode, writers, shared.clone())))
        .collect();

    let probe = Probe::nodes(&args.urls, &args.server_pids, args.pg_pid);
    let (before, after) = window_readings(&probe, t0, t1).await;
    let drain_end = Instant::now() + DRAIN;
    drain(
        writer_tasks,
        DRAIN,
        &shared.errors,
        "writer still waiting for answers after the drain",
    )
    .await;
    // Events of acked commands may still be on their way to subscribers.
    let expected = || shared.acked.load(Relaxed) * subscribers as u64;
    while Instant::now() < drain_end && shared.deliveries.load(Relaxed) < expected() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for reader in readers {
        reader.abort();
    }

    let secs = args.duration.as_secs_f64();
    let (sent, acked) = (shared.sent.load(Relaxed), shared.acked.load(Relaxed));
    let deliveries = shared.deliveries.load(Relaxed);
    let mut report = Report::new(if saturate { "saturate" } else { "fanout" }, args.format);
    report.figure("subscribers", subscribers as f64, "sessions on one board");
    if nodes > 1 {
        report.figure(
            "nodes",
            nodes as f64,
            "(subscriber i on node i % nodes, writers on node 0)",
        );
    }
    report.figure("writers", writers as f64, "sessions");
    report.value(
        "command",
        serde_json::json!(format!("{kind:?}").to_lowercase()),
    );
    match mode {
        Mode::Rate(rate) => report.figure("offered_commands_per_s", rate, "/s"),
        Mode::Saturate(window) => report.figure("window_per_writer", window as f64, "commands"),
    }
    report.figure("measured_s", secs, "s");
    report.figure("sent_commands_per_s", sent as f64 / secs, "/s");
    report.figure("acked_commands_per_s", acked as f64 / secs, "/s");
    report.figure("deliveries_per_s", deliveries as f64 / secs, "/s");
    let expected = acked * subscribers as u64;
    report.figure(
        "deliveries_missing",
        expected.saturating_sub(deliveries) as f64,
        "(acked × subscribers − received)",
    );
    report.note("latencies: commands sent in the measured window; delivery = command sent -> event received at each subscriber");
    report.latency("command_to_delivery", &shared.delivery);
    if nodes > 1 {
        report.latency("command_to_delivery_same_node", &shared.delivery_same);
        report.latency("command_to_delivery_cross_node", &shared.delivery_cross);
    }
    report.latency("command_to_ack", &shared.ack);
    report.value("rejected", serde_json::json!(shared.rejected.snapshot()));
    report.value("errors", serde_json::json!(shared.errors.snapshot()));
    report.server(&before, &after, secs, Some(deliveries as f64));
    Ok(report)
}
