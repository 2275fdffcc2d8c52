//! How many notices per second each bus engine carries on this machine:
//! one node publishes "board committed" notices (one small event each, as
//! a single create_item commit sends) at rising rates, another node that
//! watches the board counts what arrives. The ceiling is the highest rate
//! delivered whole; the broker's CPU per notice (PostgreSQL's processes,
//! or nats-server, from /proc) is what the bus costs the database or the
//! NATS server. Figures go to docs/benchmarks.md ("Several nodes").
//!
//!   cargo run --release -p bus --example throughput
//!
//! Needs the PostgreSQL 15 binaries (a throwaway cluster is started) and
//! `nats-server` (Debian package `nats-server`).

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bus::{Bus, BusEvent, BusStats, NodeId, Notice, Topic};
use protocol::{BoardId, Millis, Recorded, UserId};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Rates tried, notices per second.
const RATES: [u64; 7] = [5_000, 20_000, 80_000, 160_000, 320_000, 640_000, 1_280_000];
/// How long each rate is held.
const STEP: Duration = Duration::from_secs(2);

/// CPU time (utime + stime, in clock ticks of 10 ms) of every process
/// whose command is `name`: the broker's share of the work.
fn cpu_ticks(name: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter_map(|stat| {
            // Fields after the command (which may hold spaces) end in `)`.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

type Start = fn(String, NodeId, mpsc::Sender<BusEvent>, Arc<BusStats>) -> Arc<dyn Bus>;

fn pg(
    url: String,
    node: NodeId,
    sink: mpsc::Sender<BusEvent>,
    stats: Arc<BusStats>,
) -> Arc<dyn Bus> {
    bus::pg::PgBus::start(url, node, sink, stats)
}

fn nats(
    url: String,
    node: NodeId,
    sink: mpsc::Sender<BusEvent>,
    stats: Arc<BusStats>,
) -> Arc<dyn Bus> {
    bus::nats::NatsBus::start(url, node, sink, stats)
}

async fn up(events: &mut mpsc::Receiver<BusEvent>) {
    while events.recv().await != Some(BusEvent::Up) {}
}

async fn measure(name: &str, broker: &str, url: String, start: Start) {
    let (tx_a, mut rx_a) = mpsc::channel(bus::DELIVER_QUEUE);
    let (tx_b, mut rx_b) = mpsc::channel(bus::DELIVER_QUEUE);
    let stats_a = Arc::new(BusStats::default());
    let a = start(url.clone(), NodeId(Uuid::new_v4()), tx_a, stats_a.clone());
    let b = start(
        url,
        NodeId(Uuid::new_v4()),
        tx_b,
        Arc::new(BusStats::default()),
    );
    up(&mut rx_a).await;
    up(&mut rx_b).await;
    let board = BoardId(Uuid::new_v4());
    b.watch(Topic::Board(board));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let event = Recorded {
        board,
        seq: 1,
        at: Millis(1_767_225_600_000),
        by: UserId(Uuid::new_v4()),
        command_id: Some("c-1".into()),
        event: protocol::Event::BoardRenamed {
            name: "A card title of ordinary length".into(),
        },
    };
    let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = counted.clone();
    tokio::spawn(async move {
        while let Some(event) = rx_b.recv().await {
            if let BusEvent::Notice(_) = event {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    println!("{name}:");
    let mut ceiling = 0;
    for rate in RATES {
        let before = counted.load(std::sync::atomic::Ordering::Relaxed);
        let dropped_before = BusStats::get(&stats_a.dropped);
        let cpu_before = cpu_ticks(broker);
        let started = Instant::now();
        let total = rate * STEP.as_secs();
        let mut sent = 0;
        while sent < total {
            let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due.min(total) {
                sent += 1;
                let mut e = event.clone();
                e.seq = sent;
                a.publish(Notice::BoardCommitted {
                    board,
                    to: sent,
                    events: vec![e],
                });
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Let the tail arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got = counted.load(std::sync::atomic::Ordering::Relaxed) - before;
        let dropped = BusStats::get(&stats_a.dropped) - dropped_before;
        let whole = got == total;
        // Clock ticks are 10 ms (CLK_TCK 100 on Linux).
        let broker_us = (cpu_ticks(broker) - cpu_before) as f64 * 10_000.0 / got.max(1) as f64;
        println!(
            "  {rate:>7}/s offered: {got:>7} of {total} delivered ({:.0}/s), {dropped} dropped at the sender, {broker} CPU {broker_us:.1} µs per notice{}",
            got as f64 / STEP.as_secs_f64(),
            if whole { "" } else { "  <- past the ceiling" }
        );
        if whole {
            ceiling = rate;
        } else {
            break;
        }
    }
    println!("  ceiling: {ceiling} notices/s delivered whole");
}

#[tokio::main]
async fn main() {
    let db = storage::TestDb::new().await;
    measure("PostgreSQL LISTEN/NOTIFY", "postgres", db.url.clone(), pg).await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .or_else(|_| {
            Command::new("/usr/sbin/nats-server")
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        })
        .expect("nats-server (apt-get install -y nats-server)");
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    measure(
        "NATS",
        "nats-server",
        format!("nats://127.0.0.1:{port}"),
        nats,
    )
    .await;
    let _ = server.kill();
    let _ = server.wait();
}
