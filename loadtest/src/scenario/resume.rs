//! `resume`: fill a board with `--count` events, then time how long
//! `subscribe{since}` takes to deliver all of them to a client that missed
//! them. Beyond the 1,000 events a board keeps in memory they come from
//! PostgreSQL.

use std::time::Instant;

use anyhow::bail;
use futures_util::SinkExt;
use protocol::{ClientMsg, ServerMsg};

use super::{create_item, fill, FILL_WINDOW};
use crate::api::Api;
use crate::args::Args;
use crate::report::Report;
use crate::stats::Histogram;
use crate::ws::{frame, recv, recv_until, Target};

/// Missed events when `--count` is not given.
const DEFAULT_COUNT: usize = 10_000;
/// Resubscriptions measured when `--rounds` is not given.
const DEFAULT_ROUNDS: usize = 20;

/// Run the scenario (the rounds stop early at `--duration`).
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let count = Args::or(args.count, DEFAULT_COUNT);
    let rounds = Args::or(args.rounds, DEFAULT_ROUNDS);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let board = api.create_board(org, "resume").await?;
    let target = Target::new(&args.url, args.format, &api.token, 2)?;
    let mut ws = target.connect(0).await?;
    ws.send(frame(
        &ClientMsg::Subscribe { board, since: None },
        args.format,
    ))
    .await?;
    let since = recv_until(&mut ws, |m| match m {
        ServerMsg::Snapshot { seq, .. } => Some(seq),
        _ => None,
    })
    .await?;
    drop(ws);

    let acks = Histogram::default();
    let started = Instant::now();
    let window = Args::or(args.window, FILL_WINDOW);
    fill(&target, 1, count, window, &acks, |i| {
        (board, create_item(format!("item {i}"), String::new()))
    })
    .await?;
    let fill_secs = started.elapsed().as_secs_f64();
    let last = since + count as u64;

    let resumes = Histogram::default();
    let measuring = Instant::now();
    for round in 0..rounds {
        if round > 0 && measuring.elapsed() > args.duration {
            break;
        }
        let mut ws = target.connect(2 + round).await?;
        let asked = Instant::now();
        let resume = ClientMsg::Subscribe {
            board,
            since: Some(since),
        };
        ws.send(frame(&resume, args.format)).await?;
        let mut expected = since + 1;
        while expected <= last {
            match recv(&mut ws).await? {
                ServerMsg::Event { seq, .. } => {
                    if seq != expected {
                        bail!("resume gap: expected seq {expected}, got {seq}");
                    }
                    expected += 1;
                }
                ServerMsg::Snapshot { .. } => bail!("resume answered with a snapshot (reset)"),
                ServerMsg::Error { code, message, .. } => bail!("resume: {code}: {message}"),
                _ => {}
            }
        }
        resumes.record_duration(asked.elapsed());
    }
    let mut report = Report::new("resume", args.format);
    report.figure("events_missed", count as f64, "");
    report.figure("fill_commands_per_s", count as f64 / fill_secs, "/s");
    report.latency("fill_command_to_ack", &acks);
    report.note(
        "resume: subscribe{since} sent -> last missed event received, fresh session each round",
    );
    report.latency("resume", &resumes);
    Ok(report)
}
