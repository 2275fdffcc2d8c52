//! Command-line flags shared by every scenario.
//!
//! `loadtest <scenario> [--flag value]...`; every flag takes a value.
//! Flags a scenario does not use are accepted and ignored, so the runner
//! can pass the same set to any scenario. Defaults that depend on the
//! scenario are resolved by the scenario (`Args::or`).

use std::time::Duration;

use anyhow::{bail, Context};
use protocol::Format;

/// The command a writer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `create_item`: the board grows by one item per command.
    Create,
    /// `edit_item` on a seeded item: the board keeps its size.
    Edit,
}

/// Parsed flags. `None` means "the scenario's default".
#[derive(Clone, Debug)]
pub struct Args {
    /// The scenario to run.
    pub scenario: String,
    /// Base URL of the server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Wire encoding of every WebSocket.
    pub format: Format,
    /// How long the measured phase lasts.
    pub duration: Duration,
    /// How long writers run before measuring starts.
    pub warmup: Duration,
    /// Worker threads of the generator's runtime (default: the CPUs it may use).
    pub threads: Option<usize>,
    /// The server's process id: CPU time and RSS are read from `/proc`.
    pub server_pid: Option<u32>,
    /// The PostgreSQL postmaster's process id (its tree's CPU time is read).
    pub pg_pid: Option<u32>,
    /// WebSocket sessions subscribed to the board (`fanout`, `saturate`).
    pub subscribers: Option<usize>,
    /// Sessions sending commands (`fanout`, `saturate`).
    pub writers: Option<usize>,
    /// Commands per second, all writers together (`fanout`).
    pub rate: Option<f64>,
    /// Commands in flight per connection (`saturate`, `commands`, fills).
    pub window: Option<usize>,
    /// Idle sessions to open (`idle`).
    pub sessions: Option<usize>,
    /// Boards to spread over (`commands`, `idle`, `queries`).
    pub boards: Option<usize>,
    /// Connections sending commands (`commands`, `queries` seeding).
    pub connections: Option<usize>,
    /// Commands or events (`rtt`, `resume`).
    pub count: Option<usize>,
    /// Items to seed (`cold`, `queries`).
    pub items: Option<usize>,
    /// Measured repetitions (`resume`, `cold`, `queries`).
    pub rounds: Option<usize>,
    /// Which command writers send.
    pub command: Option<CommandKind>,
}

impl Args {
    /// Parse `std::env::args()`.
    pub fn parse() -> anyhow::Result<Args> {
        Args::parse_from(std::env::args().skip(1))
    }

    /// Parse a scenario name followed by `--flag value` pairs.
    pub fn parse_from(mut it: impl Iterator<Item = String>) -> anyhow::Result<Args> {
        let scenario = it
            .next()
            .context("usage: loadtest <scenario> [--flag value]... (see loadtest/README.md)")?;
        let mut args = Args {
            scenario,
            url: "http://127.0.0.1:8080".into(),
            format: Format::MsgPack,
            duration: Duration::from_secs(30),
            warmup: Duration::from_secs(2),
            threads: None,
            server_pid: None,
            pg_pid: None,
            subscribers: None,
            writers: None,
            rate: None,
            window: None,
            sessions: None,
            boards: None,
            connections: None,
            count: None,
            items: None,
            rounds: None,
            command: None,
        };
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--url" => args.url = value.trim_end_matches('/').to_owned(),
                "--format" => {
                    args.format = match value.as_str() {
                        "json" => Format::Json,
                        "msgpack" => Format::MsgPack,
                        other => bail!("--format must be json or msgpack, not {other:?}"),
                    }
                }
                "--duration" => args.duration = secs(&flag, &value)?,
                "--warmup" => args.warmup = secs(&flag, &value)?,
                "--threads" => args.threads = Some(positive(&flag, &value)?),
                "--server-pid" => args.server_pid = Some(positive(&flag, &value)? as u32),
                "--pg-pid" => args.pg_pid = Some(positive(&flag, &value)? as u32),
                "--subscribers" => args.subscribers = Some(positive(&flag, &value)?),
                "--writers" => args.writers = Some(positive(&flag, &value)?),
                "--rate" => {
                    let rate: f64 = value.parse().context("--rate must be a number")?;
                    if !(rate > 0.0 && rate.is_finite()) {
                        bail!("--rate must be above 0, not {value}");
                    }
                    args.rate = Some(rate);
                }
                "--window" => args.window = Some(positive(&flag, &value)?),
                "--sessions" => args.sessions = Some(positive(&flag, &value)?),
                "--boards" => args.boards = Some(positive(&flag, &value)?),
                "--connections" => args.connections = Some(positive(&flag, &value)?),
                "--count" => args.count = Some(positive(&flag, &value)?),
                "--items" => args.items = Some(positive(&flag, &value)?),
                "--rounds" => args.rounds = Some(positive(&flag, &value)?),
                "--command" => {
                    args.command = Some(match value.as_str() {
                        "create" => CommandKind::Create,
                        "edit" => CommandKind::Edit,
                        other => bail!("--command must be create or edit, not {other:?}"),
                    })
                }
                other => bail!("unknown flag {other:?} (see loadtest/README.md)"),
            }
        }
        if !args.url.starts_with("http://") {
            bail!("--url must start with http:// (got {:?})", args.url);
        }
        Ok(args)
    }

    /// `value` or the scenario's default.
    pub fn or<T: Copy>(value: Option<T>, default: T) -> T {
        value.unwrap_or(default)
    }
}

/// Whole seconds (fractions allowed), above zero.
fn secs(flag: &str, value: &str) -> anyhow::Result<Duration> {
    let s: f64 = value
        .parse()
        .with_context(|| format!("{flag} must be a number of seconds, not {value:?}"))?;
    if !(s >= 0.0 && s.is_finite()) {
        bail!("{flag} must be 0 or more seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(s))
}

/// A whole number of at least 1.
fn positive(flag: &str, value: &str) -> anyhow::Result<usize> {
    match value.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => bail!("{flag} must be a whole number of at least 1, not {value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> anyhow::Result<Args> {
        Args::parse_from(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags_parse_and_bad_values_name_the_flag() {
        let args = parse("fanout --subscribers 10 --rate 2.5 --format json --duration 3")
            .expect("valid flags");
        assert_eq!(args.subscribers, Some(10));
        assert_eq!(args.rate, Some(2.5));
        assert_eq!(args.format, Format::Json);
        assert_eq!(args.duration, Duration::from_secs(3));
        let err = parse("fanout --subscribers 0").expect_err("zero refused");
        assert!(err.to_string().contains("--subscribers"), "{err}");
        let err = parse("fanout --rate").expect_err("missing value");
        assert!(err.to_string().contains("--rate needs a value"), "{err}");
        let err = parse("fanout --bogus 1").expect_err("unknown flag");
        assert!(err.to_string().contains("--bogus"), "{err}");
        let err = parse("fanout --format xml").expect_err("bad format");
        assert!(err.to_string().contains("--format"), "{err}");
    }
}
