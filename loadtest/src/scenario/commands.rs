//! `commands`: `--connections` sessions each keep `--window` commands in
//! flight, spread over `--boards` boards of one organization, for
//! `--duration`: acked commands per second and command → ack latency
//! (every ack means committed in PostgreSQL).
//!
//! With several nodes (`--url a,b,c`), connection `c` goes to node
//! `c % k`, `k` being `--writer-nodes` (default: every node). A command
//! refused as `unavailable` (retryable: on several nodes, a board whose
//! writes lost their seq to other nodes too many times in a row) is sent
//! again with the same id while the window lasts, and counted apart.
//! With `--affinity board`, the connections of node `i` walk only the
//! boards `b` with `b % k == i`, so no two nodes write the same board.

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
    /// Nodes the connections are spread over (`--writer-nodes`).
    writer_nodes: usize,
    /// Each board written from one node only.
    board_affinity: bool,
    acked: AtomicU64,
    /// Acked in the window, by the node of the connection.
    acked_by_node: Vec<AtomicU64>,
    /// `unavailable` refusals answered by sending the command again.
    unavailable_retries: AtomicU64,
    ack: Histogram,
    rejected: Tally,
    errors: Tally,
}

impl Shared {
    /// Command `n` of connection `c`: each connection walks every board,
    /// starting at its own offset.
    fn command(&self, c: usize, n: usize) -> ClientMsg {
        self.command_sent_at(c, n, now_us())
    }

    /// Command `n` of connection `c` as first sent at `sent_us`: the same
    /// id, board and content every time (a resend is the same command).
    fn command_sent_at(&self, c: usize, n: usize, sent_us: u64) -> ClientMsg {
        let b = if self.board_affinity {
            board_of_node(self.boards.len(), self.connections, self.writer_nodes, c, n)
        } else {
            (c * self.boards.len() / self.connections + n) % self.boards.len()
        };
        let id = timed_id(sent_us, &format!("c{c}n{n}"));
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

/// The board of command `n` of connection `c` when each board is written
/// from one node: connection `c` is on node `c % nodes`, whose boards are
/// `node, node + nodes, …`; the node's connections walk those from their
/// own offsets.
fn board_of_node(boards: usize, connections: usize, nodes: usize, c: usize, n: usize) -> usize {
    let node = c % nodes;
    let mine = (boards - node).div_ceil(nodes);
    let peers = (connections - node).div_ceil(nodes);
    let j = ((c / nodes) * mine / peers + n) % mine;
    j * nodes + node
}

/// The first send time and `n` of a command id `~T<µs>~c<c>n<n>`.
fn sent_and_n(id: &str) -> Option<(u64, usize)> {
    let sent = marker_time(id.as_bytes())?;
    let n = id.rsplit('n').next()?.parse().ok()?;
    Some((sent, n))
}

async fn connection(mut ws: Ws, c: usize, node: usize, window: usize, shared: Arc<Shared>) {
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
                    shared.acked_by_node[node].fetch_add(1, Relaxed);
                    shared.ack.record(now_us().saturating_sub(sent));
                }
            }
            ServerMsg::Rejected {
                id,
                code,
                retryable,
                ..
            } if code == "unavailable" && retryable && sending && Instant::now() < stop => {
                // Still in flight: the same command again, same id.
                let Some((sent, n)) = sent_and_n(&id) else {
                    shared.errors.add("unavailable refusal of an unknown id");
                    in_flight -= 1;
                    continue;
                };
                shared.unavailable_retries.fetch_add(1, Relaxed);
                let again = shared.command_sent_at(c, n, sent);
                if ws.send(frame(&again, shared.format)).await.is_err() {
                    shared.errors.add("send failed");
                    return;
                }
                continue;
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
    let nodes = args.urls.len();
    let writer_nodes = Args::or(args.writer_nodes, nodes);
    if args.board_affinity && (n_boards < writer_nodes || connections < writer_nodes) {
        anyhow::bail!("--affinity board needs at least one board and one connection per node");
    }
    let targets = args.urls[..writer_nodes]
        .iter()
        .map(|url| Target::new(url, args.format, &api.token, connections))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut sockets = Vec::with_capacity(connections);
    for c in 0..connections {
        sockets.push(targets[c % writer_nodes].connect(c).await?);
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
        writer_nodes,
        board_affinity: args.board_affinity,
        acked: AtomicU64::new(0),
        acked_by_node: (0..writer_nodes).map(|_| AtomicU64::new(0)).collect(),
        unavailable_retries: AtomicU64::new(0),
        ack: Histogram::default(),
        rejected: Tally::default(),
        errors: Tally::default(),
    });
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(c, ws)| {
            let node = c % writer_nodes;
            tokio::spawn(connection(ws, c, node, window, shared.clone()))
        })
        .collect();
    let probe = Probe::nodes(&args.urls, &args.server_pids, args.pg_pid);
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
    if nodes > 1 {
        report.figure("nodes", nodes as f64, "");
        report.figure(
            "writer_nodes",
            writer_nodes as f64,
            "(connection c on node c % writer_nodes)",
        );
        report.value(
            "affinity",
            serde_json::json!(if args.board_affinity { "board" } else { "none" }),
        );
    }
    report.figure("window_per_connection", window as f64, "commands in flight");
    report.value(
        "command",
        serde_json::json!(format!("{kind:?}").to_lowercase()),
    );
    report.figure("measured_s", secs, "s");
    report.figure("acked_commands_per_s", acked as f64 / secs, "/s");
    if nodes > 1 {
        let by_node: Vec<f64> = shared
            .acked_by_node
            .iter()
            .map(|n| (n.load(Relaxed) as f64 / secs).round())
            .collect();
        report.value("acked_commands_per_s_by_node", serde_json::json!(by_node));
    }
    report.latency("command_to_ack", &shared.ack);
    report.figure(
        "unavailable_retries",
        shared.unavailable_retries.load(Relaxed) as f64,
        "(refused unavailable, sent again with the same id)",
    );
    report.value("rejected", serde_json::json!(shared.rejected.snapshot()));
    report.value("errors", serde_json::json!(shared.errors.snapshot()));
    report.server(&before, &after, secs, None);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resend_finds_its_first_send_time_and_number() {
        let id = timed_id(1_234, "c7n42");
        assert_eq!(sent_and_n(&id), Some((1_234, 42)));
        assert_eq!(sent_and_n("c7n42"), None);
        assert_eq!(sent_and_n("~T5~c1nx"), None);
    }

    #[test]
    fn with_board_affinity_each_board_has_one_node() {
        let (boards, connections, nodes) = (10, 7, 3);
        let mut seen = vec![None; boards];
        for c in 0..connections {
            for n in 0..50 {
                let b = board_of_node(boards, connections, nodes, c, n);
                assert!(b < boards);
                assert_eq!(b % nodes, c % nodes);
                assert!(*seen[b].get_or_insert(c % nodes) == c % nodes);
            }
        }
        assert!(seen.iter().all(Option::is_some), "every board written");
    }
}
