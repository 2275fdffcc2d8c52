//! Raw group-commit throughput of the StorageActor: `--boards` concurrent
//! writers, each like a board actor (one append in flight, one event per
//! command, with a command id), for `--seconds`. Prints commands/s, append
//! latency percentiles and the StorageActor's batch statistics.
//!
//! ```text
//! cargo run --release -p storage --example append_bench -- --boards 1000 --seconds 10 [--in-flight 3] [--pool 16]
//! ```
//!
//! Uses `DATABASE_URL` when set, otherwise a managed local PostgreSQL in a
//! fresh temporary directory (the same configuration `corkboard` runs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use protocol::{BoardId, ColumnId, Event, ItemId, Millis, OrgId, Recorded, UserId};
use storage::{spawn_storage_actor, Db, LocalPostgres, StorageConfig, StorageHandle};
use uuid::Uuid;

struct Args {
    boards: usize,
    seconds: u64,
    pool: usize,
    in_flight: usize,
}

fn args() -> Args {
    let mut args = Args {
        boards: 1000,
        seconds: 10,
        pool: 16,
        in_flight: StorageConfig::default().max_in_flight,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--boards" => args.boards = number() as usize,
            "--seconds" => args.seconds = number(),
            "--pool" => args.pool = number() as usize,
            "--in-flight" => args.in_flight = number() as usize,
            other => {
                panic!("unknown flag {other} (known: --boards, --seconds, --pool, --in-flight)")
            }
        }
    }
    args
}

fn now() -> Millis {
    Millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

/// One simulated board: its next seq and its items.
struct Board {
    id: BoardId,
    seq: u64,
    column: ColumnId,
    items: Vec<ItemId>,
}

impl Board {
    fn record(&mut self, by: UserId, event: Event) -> Recorded {
        self.seq += 1;
        Recorded {
            board: self.id,
            seq: self.seq,
            at: now(),
            by,
            command_id: Some(format!("c{}", self.seq)),
            event,
        }
    }

    /// The next command's event: create, move and edit in turn.
    fn next_event(&mut self, n: u64, number: u64) -> Event {
        match (n % 5, self.items.len()) {
            (0 | 1, _) | (_, 0) => {
                let item = ItemId(Uuid::new_v4());
                self.items.push(item);
                Event::ItemCreated {
                    item,
                    number,
                    title: format!("Item {number} of the benchmark"),
                    description: String::new(),
                    column: self.column,
                    position: format!("a{n:08}"),
                }
            }
            (2 | 3, k) => Event::ItemMoved {
                item: self.items[(n as usize) % k],
                column: self.column,
                position: format!("b{n:08}"),
            },
            (_, k) => Event::ItemEdited {
                item: self.items[(n as usize) % k],
                title: Some(format!("Edited {n}")),
                description: None,
            },
        }
    }
}

async fn writer(
    storage: StorageHandle,
    mut board: Board,
    by: UserId,
    numbers: std::sync::Arc<std::sync::atomic::AtomicU64>,
    until: Instant,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut n = 0;
    while Instant::now() < until {
        let number = numbers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let event = board.next_event(n, number);
        let rec = board.record(by, event);
        let started = Instant::now();
        storage.append(vec![rec]).await.expect("append");
        latencies.push(started.elapsed());
        n += 1;
    }
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let args = args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("append-bench-{}", std::process::id()));
    let (url, _pg) = match std::env::var("DATABASE_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let pg = LocalPostgres::start(&dir).expect("start PostgreSQL");
            (pg.url(), Some(pg))
        }
    };
    rt.block_on(async move {
        let db = Db::connect(&url, args.pool).await.unwrap();
        db.migrate().await.unwrap();
        let user = UserId(Uuid::new_v4());
        db.create_user(user, &format!("{user}@example.com"), "Bench", "hash")
            .await
            .unwrap();
        let org = OrgId(Uuid::new_v4());
        let key = format!("B{}", &Uuid::new_v4().simple().to_string()[..8].to_uppercase());
        let key: String = key.chars().map(|c| if c.is_ascii_digit() || c.is_ascii_uppercase() { c } else { 'X' }).collect();
        db.create_org(org, "Bench", &key, user).await.unwrap();
        let config = StorageConfig {
            max_in_flight: args.in_flight,
            ..StorageConfig::default()
        };
        let (storage, task) = spawn_storage_actor(db.clone(), config);

        let mut boards = Vec::new();
        for i in 0..args.boards {
            let mut board = Board {
                id: BoardId(Uuid::new_v4()),
                seq: 0,
                column: ColumnId(Uuid::new_v4()),
                items: Vec::new(),
            };
            let created = board.record(
                user,
                Event::BoardCreated {
                    org,
                    name: format!("Board {i}"),
                },
            );
            let column = board.record(
                user,
                Event::ColumnAdded {
                    column: board.column,
                    name: "To do".into(),
                    position: "V".into(),
                    wip_limit: None,
                },
            );
            storage.append(vec![created, column]).await.unwrap();
            boards.push(board);
        }
        let before = storage.stats();
        let numbers = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1));
        let started = Instant::now();
        let until = started + Duration::from_secs(args.seconds);
        let mut set = tokio::task::JoinSet::new();
        for board in boards {
            set.spawn(writer(storage.clone(), board, user, numbers.clone(), until));
        }
        let mut latencies = Vec::new();
        while let Some(done) = set.join_next().await {
            latencies.extend(done.unwrap());
        }
        let took = started.elapsed().as_secs_f64();
        latencies.sort();
        let after = storage.stats();
        let batches = after.batches_committed - before.batches_committed;
        let events = after.events_committed - before.events_committed;
        println!(
            "boards={} in_flight={} seconds={:.1} commands={} rate={:.0}/s p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms",
            args.boards,
            args.in_flight,
            took,
            latencies.len(),
            latencies.len() as f64 / took,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        );
        println!(
            "batches={} events/batch={:.1} commit_ms_avg={:.2} failures={}",
            batches,
            events as f64 / batches.max(1) as f64,
            (after.commit_micros_sum - before.commit_micros_sum) as f64 / batches.max(1) as f64 / 1000.0,
            after.failures,
        );
        task.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}
