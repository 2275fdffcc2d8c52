//! `floor`: what the kernel alone charges for `fanout`'s sends on this
//! machine. A bare sender process (no async runtime, no queue, no task to
//! wake) writes one pre-built frame, an `item_edited` event encoded as
//! the server encodes it, straight to each of `--subscribers` loopback
//! sockets, `--rate` times a second, each write a `write(2)` of its own as
//! the server's writer makes when nothing else is queued. The generator
//! reads them as `fanout`'s subscribers do. The sender's CPU per send is
//! the floor under `fanout`'s server CPU per delivery: on loopback a send
//! also runs the receiving socket's TCP processing and wakes its reader,
//! all charged to the sender.
//!
//! `--sender node` has Node.js send instead (`floor-sender.mjs`, one
//! `socket.write` of the same pre-built buffer per socket): what a Node
//! server that does nothing else spends per delivery, the bar the fan-out
//! is held to on the same machine.
//!
//! Under `loadtest/run floor --pin` the generator runs on CPU 1 and the
//! sender on the other CPUs (CPU 0), where `--pin` puts the server. The
//! server `loadtest/run` starts sits idle.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use protocol::codec::encode_msgpack;
use tokio::io::AsyncReadExt;

use crate::args::{Args, FloorSender};
use crate::report::Report;
use crate::stats::now_us;
use crate::ws::marked_event;

/// Subscribers when `--subscribers` is not given (as `fanout`).
const DEFAULT_SUBSCRIBERS: usize = 1000;
/// Sends to every subscriber per second when `--rate` is not given (as
/// `fanout`'s commands per second).
const DEFAULT_RATE: f64 = 100.0;
/// The hidden first argument that makes `loadtest` the sender.
pub const SENDER: &str = "floor-sender";
/// The Node.js sender (`--sender node`), beside this crate's manifest.
const NODE_SENDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/floor-sender.mjs");
/// Longest wait for the last bytes to arrive once the sender is done.
const DRAIN: Duration = Duration::from_secs(10);

/// One WebSocket binary frame holding an `item_edited` event like those
/// `fanout` causes (a timed command id and title).
fn event_frame() -> Vec<u8> {
    let msg = marked_event(1_764_940_000_000, now_us());
    let payload = encode_msgpack(&msg);
    let mut frame = vec![0x82];
    match u16::try_from(payload.len()) {
        Ok(len) if len < 126 => frame.push(len as u8),
        Ok(len) => {
            frame.push(126);
            frame.extend_from_slice(&len.to_be_bytes());
        }
        Err(_) => unreachable!("an event frame is small"),
    }
    frame.extend_from_slice(&payload);
    frame
}

/// `bytes` as lowercase hexadecimal (how the Node sender gets the frame).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sender (`loadtest floor-sender <subscribers> <rate> <warmup ms>
/// <duration ms>`): prints its port, accepts the subscribers, sends, and
/// prints `sent <total> measured <sends> user <s> system <s> frame <bytes>`.
pub fn sender(rest: &[String]) -> anyhow::Result<()> {
    let [n, rate, warmup, duration] = rest else {
        bail!("{SENDER} takes <subscribers> <rate> <warmup ms> <duration ms>");
    };
    let n: usize = n.parse().context("subscribers")?;
    let rate: f64 = rate.parse().context("rate")?;
    let warmup = Duration::from_millis(warmup.parse().context("warmup")?);
    let duration = Duration::from_millis(duration.parse().context("duration")?);
    // The generator holds this process's stdin: when it is gone, however
    // it went, so is the sender (even while waiting in `accept`).
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(1);
    });
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    let mut sockets = Vec::with_capacity(n);
    for _ in 0..n {
        let (socket, _) = listener.accept()?;
        socket.set_nodelay(true)?;
        sockets.push(socket);
    }
    let frame = event_frame();
    let period = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let (t0, t1) = (start + warmup, start + warmup + duration);
    let mut next = start;
    let mut before = None;
    let (mut total, mut measured) = (0u64, 0u64);
    while Instant::now() < t1 {
        if before.is_none() && Instant::now() >= t0 {
            before = Some(crate::sys::own_cpu_secs());
        }
        for socket in &mut sockets {
            socket.write_all(&frame)?;
        }
        total += n as u64;
        if before.is_some() {
            measured += n as u64;
        }
        next += period;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let (user0, system0) = before.unwrap_or_default();
    let (user1, system1) = crate::sys::own_cpu_secs();
    println!(
        "sent {total} measured {measured} user {} system {} frame {}",
        user1 - user0,
        system1 - system0,
        frame.len()
    );
    Ok(())
}

/// What the sender printed last.
struct Sent {
    total: u64,
    measured: u64,
    user_s: f64,
    system_s: f64,
    frame_bytes: u64,
}

fn parse_sent(line: &str) -> anyhow::Result<Sent> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let value = |key: &str| -> anyhow::Result<&str> {
        let at = fields
            .iter()
            .position(|f| *f == key)
            .with_context(|| format!("no {key:?} in the sender's report {line:?}"))?;
        fields
            .get(at + 1)
            .copied()
            .with_context(|| format!("{key:?} has no value in {line:?}"))
    };
    Ok(Sent {
        total: value("sent")?.parse()?,
        measured: value("measured")?.parse()?,
        user_s: value("user")?.parse()?,
        system_s: value("system")?.parse()?,
        frame_bytes: value("frame")?.parse()?,
    })
}

/// The sender, killed if the run ends early (an error before it
/// finished).
struct SenderProcess(Child);

impl Drop for SenderProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let n = args.subscribers.unwrap_or(DEFAULT_SUBSCRIBERS);
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    let times = [
        n.to_string(),
        rate.to_string(),
        args.warmup.as_millis().to_string(),
        args.duration.as_millis().to_string(),
    ];
    let mut command = match args.floor_sender {
        FloorSender::Rust => {
            let mut command = Command::new(std::env::current_exe()?);
            command.arg(SENDER).args(times);
            command
        }
        FloorSender::Node => {
            let mut command = Command::new("node");
            command
                .arg(NODE_SENDER)
                .args(times)
                .arg(hex(&event_frame()));
            command
        }
    };
    let child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("start the sender ({:?})", args.floor_sender))?;
    let mut sender = SenderProcess(child);
    let stdout = sender.0.stdout.take().context("the sender's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let port = tokio::task::block_in_place(|| lines.next());
    let port: u16 = port
        .context("the sender printed no port")??
        .trim()
        .parse()
        .context("the sender's port")?;
    if let Err(e) = crate::sys::pin_threads_to_other_cpus(sender.0.id()) {
        eprintln!("loadtest: could not pin the sender to the other CPUs: {e}");
    }

    let received = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::with_capacity(n);
    for _ in 0..n {
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(read) = socket.read(&mut buf).await {
                if read == 0 {
                    break;
                }
                received.fetch_add(read as u64, Relaxed);
            }
        }));
    }
    let last = tokio::task::spawn_blocking(move || {
        let last = lines.last().transpose();
        let status = sender.0.wait();
        (last, status)
    })
    .await?;
    let (line, status) = last;
    let status = status?;
    if !status.success() {
        bail!("the sender failed: {status}");
    }
    let sent = parse_sent(&line?.context("the sender reported nothing")?)?;
    // The sockets close when the sender exits: every reader ends once it
    // has read what was sent.
    let drained = tokio::time::timeout(DRAIN, futures_util::future::join_all(readers)).await;
    let expected = sent.total * sent.frame_bytes;
    let got = received.load(Relaxed);
    if drained.is_err() || got != expected {
        bail!("the subscribers received {got} bytes of the {expected} sent");
    }

    let mut report = Report::new("floor", args.format);
    report.note(match args.floor_sender {
        FloorSender::Rust => {
            "a bare sender writes one pre-built event frame to each socket per tick; \
             its CPU per send is what fanout's server CPU per delivery cannot go below"
        }
        FloorSender::Node => {
            "Node.js writes one pre-built event frame buffer to each socket per tick \
             (socket.write): the least a Node server spends per delivery"
        }
    });
    let name = match args.floor_sender {
        FloorSender::Rust => "rust",
        FloorSender::Node => "node",
    };
    report.value("sender", name.into());
    let per_send = |secs: f64| secs * 1e6 / sent.measured.max(1) as f64;
    report.figure("subscribers", n as f64, "");
    report.figure(
        "sends_per_s",
        sent.measured as f64 / args.duration.as_secs_f64(),
        "/s",
    );
    report.figure("frame_bytes", sent.frame_bytes as f64, "B");
    report.figure(
        "sender_cpu_us_per_send",
        per_send(sent.user_s + sent.system_s),
        "µs",
    );
    report.figure("sender_user_us_per_send", per_send(sent.user_s), "µs");
    report.figure("sender_system_us_per_send", per_send(sent.system_s), "µs");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_report_reads_back() {
        let sent = parse_sent("sent 2200000 measured 2000000 user 0.52 system 9.8 frame 171")
            .expect("a whole report");
        assert_eq!(
            (sent.total, sent.measured, sent.frame_bytes),
            (2_200_000, 2_000_000, 171)
        );
        assert!((sent.system_s - 9.8).abs() < 1e-9);
        let err = parse_sent("sent 5 measured")
            .err()
            .expect("a cut report is refused")
            .to_string();
        assert!(err.contains("\"measured\" has no value"), "{err}");
    }

    #[test]
    fn the_node_sender_delivers_every_frame_and_reports_its_cpu() {
        if Command::new("node").arg("--version").output().is_err() {
            eprintln!("node is not installed: the Node sender cannot be run here");
            return;
        }
        let flags = "floor --sender node --subscribers 3 --rate 50 --warmup 0.2 --duration 0.5";
        let args = Args::parse_from(flags.split(' ').map(String::from)).expect("flags");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        // `run` fails unless every byte the sender says it sent arrived.
        let report = runtime.block_on(run(&args)).expect("a whole run");
        assert_eq!(report.get("sender"), Some(&"node".into()));
        let figure = |key: &str| report.get(key).and_then(|v| v.as_f64()).unwrap_or(-1.0);
        // An event frame (its size varies with the timestamps in it).
        assert!(
            figure("frame_bytes") > 125.0,
            "{:?}",
            report.get("frame_bytes")
        );
        // 25 ticks to 3 sockets are due in the measured half second (give
        // or take one at either end).
        let sends = figure("sends_per_s") * 0.5;
        assert!((69.0..=81.0).contains(&sends), "{sends} sends measured");
        assert!(figure("sender_cpu_us_per_send") > 0.0);
    }

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[0x82, 0x00, 0x7e, 0xff]), "82007eff");
    }

    #[test]
    fn the_frame_is_one_binary_websocket_frame() {
        let frame = event_frame();
        assert_eq!(frame[0], 0x82);
        let (header, len) = match frame[1] {
            126 => (4, usize::from(u16::from_be_bytes([frame[2], frame[3]]))),
            short => (2, usize::from(short)),
        };
        assert!(len > 125, "an event this size takes the 16-bit length");
        assert_eq!(frame.len(), header + len);
    }
}
