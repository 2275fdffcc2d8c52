//! `rtt`: one session sends commands one after another; each is timed
//! from sending to its ack (the ack means committed in PostgreSQL).

use std::time::Instant;

use anyhow::bail;
use futures_util::SinkExt;
use protocol::{ClientMsg, ServerMsg};

use super::create_item;
use crate::api::Api;
use crate::args::Args;
use crate::report::Report;
use crate::stats::Histogram;
use crate::ws::{frame, recv, Target};

/// Commands sent when `--count` is not given.
const DEFAULT_COUNT: usize = 2000;

/// Run the scenario (stops at `--count` commands or `--duration`).
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let count = Args::or(args.count, DEFAULT_COUNT);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let board = api.create_board(org, "rtt").await?;
    let target = Target::new(&args.url, args.format, &api.token, 1)?;
    let mut ws = target.connect(0).await?;
    let acks = Histogram::default();
    let started = Instant::now();
    for i in 0..count {
        if started.elapsed() > args.duration {
            break;
        }
        let id = format!("c{i}");
        let sent = Instant::now();
        let command = create_item(format!("item {i}"), String::new());
        let msg = ClientMsg::Command {
            id: id.clone(),
            board,
            command,
        };
        ws.send(frame(&msg, args.format)).await?;
        loop {
            match recv(&mut ws).await? {
                ServerMsg::Ack { id: acked, .. } if acked == id => break,
                ServerMsg::Rejected { code, message, .. } => {
                    bail!("command {id} rejected: {code}: {message}")
                }
                _ => {}
            }
        }
        acks.record_duration(sent.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    let mut report = Report::new("rtt", args.format);
    report.note("one session, each create_item sent after the previous ack");
    report.figure("commands", acks.count() as f64, "");
    report.figure("achieved_commands_per_s", acks.count() as f64 / secs, "/s");
    report.latency("command_to_ack", &acks);
    Ok(report)
}
