//! `idle`: open `--sessions` authenticated WebSocket sessions, measure the
//! server's memory per session, subscribe each to one of `--boards` boards,
//! measure again, hold them for `--duration` (answering the server's
//! pings), and measure once more.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use protocol::{BoardId, ClientMsg, ServerMsg};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use super::fanout::CONNECT_CONCURRENCY;
use crate::api::Api;
use crate::args::Args;
use crate::probe::{rss_kib, Probe};
use crate::report::Report;
use crate::stats::Tally;
use crate::ws::{frame, recv_until, Target, Ws};

/// Sessions when `--sessions` is not given.
const DEFAULT_SESSIONS: usize = 15_000;
/// Boards the sessions subscribe to when `--boards` is not given.
const DEFAULT_BOARDS: usize = 500;
/// Pause before reading the RSS, so allocations in flight settle.
const SETTLE: Duration = Duration::from_secs(2);
/// Longest time allowed for opening (or subscribing) every session.
const PHASE_TIMEOUT: Duration = Duration::from_secs(300);

/// Phases the sessions move through.
const CONNECTED: u8 = 0;
const SUBSCRIBE: u8 = 1;
const STOP: u8 = 2;

#[derive(Default)]
struct Counts {
    opened: AtomicU64,
    subscribed: AtomicU64,
    failed: AtomicU64,
    errors: Tally,
}

/// Read (and so answer pings) until the phase reaches `until`.
async fn hold(ws: &mut Ws, phase: &mut watch::Receiver<u8>, until: u8) -> anyhow::Result<()> {
    loop {
        if *phase.borrow() >= until {
            return Ok(());
        }
        tokio::select! {
            changed = phase.changed() => changed?,
            msg = ws.next() => match msg {
                None => bail!("socket ended"),
                Some(Err(e)) => bail!("socket error: {e}"),
                Some(Ok(Message::Close(f))) => {
                    bail!("closed by server ({})", f.map_or(0, |f| u16::from(f.code)))
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn session(
    target: Arc<Target>,
    i: usize,
    board: BoardId,
    gate: Arc<Semaphore>,
    mut phase: watch::Receiver<u8>,
    counts: Arc<Counts>,
) -> anyhow::Result<()> {
    let mut ws = {
        let _permit = gate.acquire().await?;
        let mut ws = target.connect(i).await?;
        recv_until(&mut ws, |m| {
            matches!(m, ServerMsg::Welcome { .. }).then_some(())
        })
        .await?;
        ws
    };
    counts.opened.fetch_add(1, Relaxed);
    hold(&mut ws, &mut phase, SUBSCRIBE).await?;
    {
        let _permit = gate.acquire().await?;
        ws.send(frame(
            &ClientMsg::Subscribe { board, since: None },
            target.format,
        ))
        .await?;
        recv_until(&mut ws, |m| {
            matches!(m, ServerMsg::Snapshot { .. }).then_some(())
        })
        .await?;
    }
    counts.subscribed.fetch_add(1, Relaxed);
    hold(&mut ws, &mut phase, STOP).await
}

/// Wait until `done() + failed` reaches `n`.
async fn wait_for(
    n: u64,
    counts: &Counts,
    done: impl Fn(&Counts) -> u64,
    what: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    while done(counts) + counts.failed.load(Relaxed) < n {
        if started.elapsed() > PHASE_TIMEOUT {
            bail!(
                "{what}: only {} of {n} after {PHASE_TIMEOUT:?}",
                done(counts)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{what}: {} of {n} in {:.1} s",
        done(counts),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Run the scenario.
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let sessions = Args::or(args.sessions, DEFAULT_SESSIONS);
    let n_boards = Args::or(args.boards, DEFAULT_BOARDS);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let boards = api.create_boards(org, n_boards).await?;
    let target = Arc::new(Target::new(&args.url, args.format, &api.token, sessions)?);
    let probe = Probe::new(&args.url, args.server_pid, args.pg_pid);
    tokio::time::sleep(SETTLE).await;
    let rss0 = probe.server_rss_kib();

    let counts = Arc::new(Counts::default());
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let (phase_tx, phase_rx) = watch::channel(CONNECTED);
    let tasks: Vec<_> = (0..sessions)
        .map(|i| {
            let (target, gate, counts) = (target.clone(), gate.clone(), counts.clone());
            let phase = phase_rx.clone();
            let board = boards[i % boards.len()];
            tokio::spawn(async move {
                if let Err(e) = session(target, i, board, gate, phase, counts.clone()).await {
                    counts.failed.fetch_add(1, Relaxed);
                    counts.errors.add(&format!("{e:#}"));
                }
            })
        })
        .collect();
    let n = sessions as u64;
    wait_for(n, &counts, |c| c.opened.load(Relaxed), "sessions open").await?;
    tokio::time::sleep(SETTLE).await;
    let rss1 = probe.server_rss_kib();
    phase_tx.send(SUBSCRIBE)?;
    wait_for(
        n,
        &counts,
        |c| c.subscribed.load(Relaxed),
        "sessions subscribed",
    )
    .await?;
    tokio::time::sleep(SETTLE).await;
    let rss2 = probe.server_rss_kib();
    let before = probe.read().await;
    tokio::time::sleep(args.duration).await;
    let after = probe.read().await;
    let failed_during_hold = counts.failed.load(Relaxed);
    phase_tx.send(STOP)?;
    for task in tasks {
        task.abort();
    }

    let mut report = Report::new("idle", args.format);
    report.figure("sessions", sessions as f64, "");
    report.figure("boards", n_boards as f64, "");
    report.figure("sessions_opened", counts.opened.load(Relaxed) as f64, "");
    report.figure(
        "sessions_subscribed",
        counts.subscribed.load(Relaxed) as f64,
        "",
    );
    report.figure(
        "sessions_failed",
        failed_during_hold as f64,
        "(by the end of the hold)",
    );
    if let (Some(r0), Some(r1), Some(r2)) = (rss0, rss1, rss2) {
        report.figure("server_rss_before_mib", r0 as f64 / 1024.0, "MiB");
        report.figure("server_rss_open_mib", r1 as f64 / 1024.0, "MiB");
        report.figure("server_rss_subscribed_mib", r2 as f64 / 1024.0, "MiB");
        let per = |r: u64| (r as f64 - r0 as f64) * 1024.0 / sessions as f64 / 1000.0;
        report.figure(
            "server_kb_per_session",
            per(r1),
            "kB (authenticated, not subscribed)",
        );
        report.figure(
            "server_kb_per_subscribed_session",
            per(r2),
            "kB (subscribed)",
        );
        if let Some(r3) = after.server_rss_kib {
            report.figure("server_kb_per_session_after_hold", per(r3), "kB");
        }
    } else {
        report.note("no --server-pid: server memory not measured");
    }
    if let Some(own) = rss_kib(std::process::id()) {
        report.figure("generator_rss_mib", own as f64 / 1024.0, "MiB");
    }
    report.value("errors", serde_json::json!(counts.errors.snapshot()));
    report.server(&before, &after, args.duration.as_secs_f64(), None);
    Ok(report)
}
