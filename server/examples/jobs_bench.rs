//! The job queue's figures on this machine: enqueue → start latency
//! (p50/p99, from each job's own wait as the worker claims it) and jobs/s
//! with every worker busy. Starts a throwaway PostgreSQL and the real
//! server in-process:
//!
//! ```text
//! cargo run --release -p server --example jobs_bench
//! ```
//!
//! The jobs are `notify` jobs about a card that does not exist: each run
//! is a claim, one lookup and a delete — the queue's own cost.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use protocol::jobs::JobKind;
use serde_json::json;
use server::{Application, Settings};
use storage::jobs::NewJob;
use storage::TestDb;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Jobs enqueued one at a time for the latency figure, and their pace.
const LATENCY_JOBS: usize = 2_000;
const LATENCY_PACE: Duration = Duration::from_millis(5);
/// Jobs enqueued at once for the throughput figure.
const BULK_JOBS: usize = 20_000;

/// Collects `waited_us` of every "job started" event.
#[derive(Clone, Default)]
struct Waits(Arc<Mutex<Vec<u64>>>);

impl<S: tracing::Subscriber> Layer<S> for Waits {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Find(Option<u64>);
        impl Visit for Find {
            fn record_u64(&mut self, field: &Field, value: u64) {
                if field.name() == "waited_us" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
        }
        let mut find = Find(None);
        event.record(&mut find);
        if let Some(us) = find.0 {
            if let Ok(mut waits) = self.0.lock() {
                waits.push(us);
            }
        }
    }
}

fn notice() -> NewJob {
    NewJob::new(
        JobKind::Notify,
        json!({ "event": "assigned", "board": uuid::Uuid::nil(), "item": uuid::Uuid::nil(),
                "user": uuid::Uuid::nil(), "by": uuid::Uuid::nil() }),
    )
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

async fn queued(db: &storage::Db) -> i64 {
    db.job_counts()
        .await
        .expect("counts")
        .iter()
        .map(|(_, _, n)| n)
        .sum()
}

fn main() {
    let waits = Waits::default();
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("server::jobs", tracing::Level::DEBUG);
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(waits.clone().with_filter(filter)),
    )
    .expect("subscriber");
    actix_rt::System::new().block_on(async move {
        let test_db = TestDb::new().await;
        let mut settings = Settings::from_lookup(|_| None).expect("settings");
        settings.bind = "127.0.0.1:0".parse().expect("address");
        settings.database = server::config::DatabaseSettings::Url(test_db.url.clone());
        settings.jwt.secret = Some(vec![7; 32]);
        settings.data_dir = std::env::temp_dir().join("corkboard-jobs-bench");
        let app = Application::build(settings).await.expect("builds");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = actix_rt::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        let db = storage::Db::connect(&test_db.url, 4).await.expect("db");
        // Let the start-up retention jobs run first.
        tokio::time::sleep(Duration::from_millis(500)).await;
        waits.0.lock().expect("waits").clear();

        for _ in 0..LATENCY_JOBS {
            db.enqueue(&notice()).await.expect("enqueue");
            tokio::time::sleep(LATENCY_PACE).await;
        }
        while queued(&db).await > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut latency = std::mem::take(&mut *waits.0.lock().expect("waits"));
        latency.sort_unstable();
        println!(
            "enqueue → start, {} jobs one at a time every {:?}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            latency.len(),
            LATENCY_PACE,
            percentile(&latency, 0.50),
            percentile(&latency, 0.99),
            percentile(&latency, 1.0),
        );

        let bulk: Vec<NewJob> = (0..BULK_JOBS).map(|_| notice()).collect();
        db.enqueue_all(&bulk).await.expect("enqueue");
        let began = Instant::now();
        while queued(&db).await > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let took = began.elapsed();
        println!(
            "throughput, {BULK_JOBS} jobs queued at once, {} workers of the kind on one node: {:.0} jobs/s ({:.1} s)",
            JobKind::Notify.concurrency(),
            BULK_JOBS as f64 / took.as_secs_f64(),
            took.as_secs_f64()
        );
        let _ = stop.send(());
        let _ = served.await;
    });
}
