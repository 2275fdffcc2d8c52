//! The scenarios, and what several of them share: filling boards with a
//! window of commands in flight, and the measured window of the timed
//! scenarios.

pub mod cold;
pub mod commands;
pub mod fanout;
pub mod floor;
pub mod idle;
pub mod queries;
pub mod resume;
pub mod rtt;

use std::time::{Duration, Instant};

use anyhow::bail;
use futures_util::SinkExt;
use protocol::{BoardId, ClientMsg, Command, ServerMsg};

use crate::probe::{Probe, Reading};
use crate::stats::{instant_of, Histogram, Tally};
use crate::ws::{frame, recv, Target};

/// Commands kept in flight per connection while seeding.
pub const FILL_WINDOW: usize = 64;
/// Retryable rejections (overload) tolerated while seeding before giving up.
const FILL_MAX_RETRIES: usize = 10_000;

/// The probe's readings at the start `t0` and the end `t1` of the
/// measured window (µs on the run's clock, see [`instant_of`]).
pub async fn window_readings(probe: &Probe, t0: u64, t1: u64) -> (Reading, Reading) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_of(t0))).await;
    let before = probe.read().await;
    tokio::time::sleep_until(tokio::time::Instant::from_std(instant_of(t1))).await;
    (before, probe.read().await)
}

/// Wait up to `drain` for `tasks` to finish; each one still running then
/// counts `still_running` in `errors`.
pub async fn drain<T>(
    tasks: Vec<tokio::task::JoinHandle<T>>,
    drain: Duration,
    errors: &Tally,
    still_running: &str,
) {
    let end = tokio::time::Instant::now() + drain;
    for task in tasks {
        if tokio::time::timeout_at(end, task).await.is_err() {
            errors.add(still_running);
        }
    }
}

/// A `create_item` with a plain title.
pub fn create_item(title: String, description: String) -> Command {
    Command::CreateItem {
        title,
        description,
        column: None,
        index: None,
    }
}

/// Send `count` commands over one fresh connection (number `conn`), with
/// `window` in flight; `make(n)` gives the n-th command and its board.
/// Retryable rejections are resent with the same id; any other rejection
/// fails the fill. Ack latencies go to `acks`.
pub async fn fill(
    target: &Target,
    conn: usize,
    count: usize,
    window: usize,
    acks: &Histogram,
    make: impl Fn(usize) -> (BoardId, Command),
) -> anyhow::Result<()> {
    let mut ws = target.connect(conn).await?;
    let mut sent_at = vec![None; count];
    let (mut next, mut done, mut retries) = (0, 0, 0);
    let mut resend = Vec::new();
    while done < count {
        while next < count && next - done < window {
            let (board, command) = make(next);
            let id = format!("s{conn}-{next}");
            sent_at[next] = Some(Instant::now());
            ws.feed(frame(
                &ClientMsg::Command { id, board, command },
                target.format,
            ))
            .await?;
            next += 1;
        }
        for n in resend.drain(..) {
            let (board, command) = make(n);
            let id = format!("s{conn}-{n}");
            ws.feed(frame(
                &ClientMsg::Command { id, board, command },
                target.format,
            ))
            .await?;
        }
        ws.flush().await?;
        match recv(&mut ws).await? {
            ServerMsg::Ack { id, .. } => {
                let n = index_of(&id)?;
                if let Some(at) = sent_at.get_mut(n).and_then(Option::take) {
                    acks.record_duration(at.elapsed());
                    done += 1;
                }
            }
            ServerMsg::Rejected {
                id,
                code,
                message,
                retryable,
                ..
            } => {
                if !retryable {
                    bail!("seeding command {id} rejected: {code}: {message}");
                }
                retries += 1;
                if retries > FILL_MAX_RETRIES {
                    bail!("seeding gave up after {FILL_MAX_RETRIES} retryable rejections ({code})");
                }
                resend.push(index_of(&id)?);
            }
            ServerMsg::Error { code, message, .. } => {
                bail!("seeding: server error {code}: {message}")
            }
            _ => {}
        }
    }
    Ok(())
}

/// `n` of a fill command id `s<conn>-<n>`.
fn index_of(id: &str) -> anyhow::Result<usize> {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("unexpected command id {id:?} in an answer"))
}
