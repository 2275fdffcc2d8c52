//! `loadtest`: Corkboard's lean load generator. It drives a running server
//! over its public API (REST for setup, WebSocket through the `protocol`
//! crate's codecs) and prints a report, ending with one `RESULT {json}`
//! line. Scenarios and flags: `loadtest/README.md`; `loadtest/run` starts a
//! server and runs a scenario against it.

mod api;
mod args;
mod probe;
mod report;
mod scenario;
mod stats;
mod sys;
mod ws;

use anyhow::{bail, Context};

use args::Args;

/// The scenarios, in the order the README lists them.
const SCENARIOS: &str = "rtt, fanout, saturate, floor, idle, commands, resume, cold, queries";

async fn run(args: Args) -> anyhow::Result<()> {
    let report = match args.scenario.as_str() {
        "rtt" => scenario::rtt::run(&args).await?,
        "fanout" => scenario::fanout::run(&args, false).await?,
        "saturate" => scenario::fanout::run(&args, true).await?,
        "floor" => scenario::floor::run(&args).await?,
        "idle" => scenario::idle::run(&args).await?,
        "commands" => scenario::commands::run(&args).await?,
        "resume" => scenario::resume::run(&args).await?,
        "cold" => scenario::cold::run(&args).await?,
        "queries" => scenario::queries::run(&args).await?,
        other => bail!("unknown scenario {other:?}; available: {SCENARIOS}"),
    };
    report.finish();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // Built together with the server, reqwest has rustls without a
    // provider: give it aws-lc-rs before any client is made.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Some((first, rest)) = argv.split_first() {
        if first == scenario::floor::SENDER {
            return scenario::floor::sender(rest);
        }
    }
    let args = Args::parse()?;
    match sys::raise_nofile_limit() {
        Ok(limit) => eprintln!("loadtest: open-file limit {limit}"),
        Err(e) => eprintln!("loadtest: could not raise the open-file limit: {e}"),
    }
    let threads = match args.threads {
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("tokio runtime")?
        .block_on(run(args))
}
