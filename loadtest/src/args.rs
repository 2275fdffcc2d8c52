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

/// Who sends `floor`'s frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloorSender {
    /// A bare Rust process, one `write(2)` per socket: the kernel's floor.
    Rust,
    /// Node.js (`floor-sender.mjs`), one `socket.write` of a pre-built
    /// buffer per socket: the best a Node server does per delivery.
    Node,
}

/// Parsed flags. `None` means "the scenario's default".
#[derive(Clone, Debug)]
pub struct Args {
    /// The scenario to run.
    pub scenario: String,
    /// Base URL of the server, e.g. `http://127.0.0.1:8080` (the first
    /// node's when there are several).
    pub url: String,
    /// Base URLs of every node (`--url a,b,c`); `urls[0] == url`. Nodes
    /// share one database and one JWT secret, so a token from one is good
    /// on all.
    pub urls: Vec<String>,
    /// Wire encoding of every WebSocket.
    pub format: Format,
    /// How long the measured phase lasts.
    pub duration: Duration,
    /// How long writers run before measuring starts.
    pub warmup: Duration,
    /// Worker threads of the generator's runtime (default: the CPUs it may use).
    pub threads: Option<usize>,
    /// The server's process id: CPU time and RSS are read from `/proc`
    /// (the first node's when there are several).
    pub server_pid: Option<u32>,
    /// Every node's process id (`--server-pid a,b,c`), in `urls` order.
    pub server_pids: Vec<u32>,
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
    /// Writers go round-robin over the first this many nodes (`commands`;
    /// default: all of them).
    pub writer_nodes: Option<usize>,
    /// `--affinity board`: each board is written from one node only
    /// (`commands`), as behind a load balancer that routes by board.
    pub board_affinity: bool,
    /// `--sender rust|node`: who sends `floor`'s frames.
    pub floor_sender: FloorSender,
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
            urls: Vec::new(),
            format: Format::MsgPack,
            duration: Duration::from_secs(30),
            warmup: Duration::from_secs(2),
            threads: None,
            server_pid: None,
            server_pids: Vec::new(),
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
            writer_nodes: None,
            board_affinity: false,
            floor_sender: FloorSender::Rust,
        };
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--url" => {
                    args.urls = value
                        .split(',')
                        .map(|u| u.trim().trim_end_matches('/').to_owned())
                        .collect();
                    if args.urls.iter().any(String::is_empty) {
                        bail!("--url has an empty entry: {value:?}");
                    }
                }
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
                "--server-pid" => {
                    args.server_pids = value
                        .split(',')
                        .map(|p| positive(&flag, p.trim()).map(|p| p as u32))
                        .collect::<anyhow::Result<_>>()?;
                }
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
                "--writer-nodes" => args.writer_nodes = Some(positive(&flag, &value)?),
                "--affinity" => {
                    args.board_affinity = match value.as_str() {
                        "none" => false,
                        "board" => true,
                        other => bail!("--affinity must be none or board, not {other:?}"),
                    }
                }
                "--command" => {
                    args.command = Some(match value.as_str() {
                        "create" => CommandKind::Create,
                        "edit" => CommandKind::Edit,
                        other => bail!("--command must be create or edit, not {other:?}"),
                    })
                }
                "--sender" => {
                    args.floor_sender = match value.as_str() {
                        "rust" => FloorSender::Rust,
                        "node" => FloorSender::Node,
                        other => bail!("--sender must be rust or node, not {other:?}"),
                    }
                }
                other => bail!("unknown flag {other:?} (see loadtest/README.md)"),
            }
        }
        if args.urls.is_empty() {
            args.urls.push(args.url.clone());
        }
        if let Some(bad) = args.urls.iter().find(|u| !u.starts_with("http://")) {
            bail!("--url must start with http:// (got {bad:?})");
        }
        args.url = args.urls[0].clone();
        if !args.server_pids.is_empty() && args.server_pids.len() != args.urls.len() {
            bail!(
                "--server-pid names {} processes but --url {} nodes",
                args.server_pids.len(),
                args.urls.len()
            );
        }
        args.server_pid = args.server_pids.first().copied();
        if args.writer_nodes.is_some_and(|k| k > args.urls.len()) {
            bail!(
                "--writer-nodes is above the {} nodes of --url",
                args.urls.len()
            );
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

    #[test]
    fn one_url_or_several_nodes() {
        let one = parse("fanout --url http://127.0.0.1:9/ --server-pid 7").expect("one node");
        assert_eq!(one.url, "http://127.0.0.1:9");
        assert_eq!(one.urls, vec!["http://127.0.0.1:9".to_owned()]);
        assert_eq!(
            (one.server_pid, one.server_pids.clone()),
            (Some(7), vec![7])
        );
        let default = parse("fanout").expect("no url");
        assert_eq!(default.urls, vec![default.url.clone()]);
        let three = parse(
            "commands --url http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3 \
             --server-pid 11,12,13 --writer-nodes 1",
        )
        .expect("three nodes");
        assert_eq!(three.url, "http://127.0.0.1:1");
        assert_eq!(three.urls.len(), 3);
        assert_eq!(three.server_pids, vec![11, 12, 13]);
        assert_eq!(three.server_pid, Some(11));
        assert_eq!(three.writer_nodes, Some(1));
        assert!(!three.board_affinity);
        assert!(
            parse("commands --affinity board")
                .expect("affinity")
                .board_affinity
        );
        let err = parse("commands --affinity node").expect_err("bad affinity");
        assert!(err.to_string().contains("--affinity"), "{err}");
        let err = parse("fanout --url http://127.0.0.1:1,http://127.0.0.1:2 --server-pid 1")
            .expect_err("pids and urls differ");
        assert!(err.to_string().contains("--server-pid"), "{err}");
        let err = parse("fanout --url http://127.0.0.1:1,ws://x").expect_err("bad scheme");
        assert!(err.to_string().contains("http://"), "{err}");
        let err = parse("commands --url http://127.0.0.1:1 --writer-nodes 2")
            .expect_err("more writer nodes than nodes");
        assert!(err.to_string().contains("--writer-nodes"), "{err}");
    }

    #[test]
    fn the_floor_sender_is_rust_unless_node_is_asked() {
        assert_eq!(
            parse("floor").expect("default").floor_sender,
            FloorSender::Rust
        );
        let node = parse("floor --sender node").expect("node");
        assert_eq!(node.floor_sender, FloorSender::Node);
        let err = parse("floor --sender go").expect_err("unknown sender");
        assert!(
            err.to_string().contains("--sender must be rust or node"),
            "{err}"
        );
    }
}
