//! The report: human lines as figures come in, and one machine-readable
//! line at the end (`RESULT {json}`) for `docs/benchmarks.md`.

use serde_json::{json, Map, Value};

use crate::probe::{delta, histogram_quantile, Reading};
use crate::stats::Histogram;

/// Figures of one scenario run.
pub struct Report {
    fields: Map<String, Value>,
}

fn ms(us: u64) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

impl Report {
    /// A report for `scenario` with the run's common settings.
    pub fn new(scenario: &str, format: protocol::Format) -> Report {
        let mut fields = Map::new();
        fields.insert("scenario".into(), json!(scenario));
        fields.insert(
            "format".into(),
            json!(match format {
                protocol::Format::Json => "json",
                protocol::Format::MsgPack => "msgpack",
            }),
        );
        println!("== loadtest {scenario} ({format:?})");
        Report { fields }
    }

    /// A figure, printed as `label: value unit`.
    pub fn figure(&mut self, key: &str, value: f64, unit: &str) {
        let rounded = (value * 100.0).round() / 100.0;
        println!("{key:<38} {rounded} {unit}");
        self.fields.insert(key.into(), json!(rounded));
    }

    /// Any JSON value (a tally, a setting), printed as it is.
    pub fn value(&mut self, key: &str, value: Value) {
        println!("{key:<38} {value}");
        self.fields.insert(key.into(), value);
    }

    /// A figure or value given so far (tests read the report back).
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// A free-text note (what exactly was measured).
    pub fn note(&mut self, text: &str) {
        println!("  note: {text}");
    }

    /// p50/p95/p99/max of a histogram, in milliseconds.
    pub fn latency(&mut self, key: &str, h: &Histogram) {
        let figures = json!({
            "p50_ms": ms(h.percentile_us(0.50)),
            "p95_ms": ms(h.percentile_us(0.95)),
            "p99_ms": ms(h.percentile_us(0.99)),
            "max_ms": ms(h.max_us()),
            "n": h.count(),
        });
        println!(
            "{key:<38} p50 {} ms  p95 {} ms  p99 {} ms  max {} ms  (n = {})",
            figures["p50_ms"],
            figures["p95_ms"],
            figures["p99_ms"],
            figures["max_ms"],
            figures["n"]
        );
        self.fields.insert(key.into(), figures);
    }

    /// What the server (and PostgreSQL, and this generator) spent between
    /// two readings over `secs` seconds; `deliveries` divides the server's
    /// CPU time into µs per delivered message when given.
    pub fn server(
        &mut self,
        before: &Reading,
        after: &Reading,
        secs: f64,
        deliveries: Option<f64>,
    ) {
        if let (Some(a), Some(b)) = (after.server_cpu, before.server_cpu) {
            let cpu = a - b;
            self.figure("server_cpu_s", cpu, "s");
            self.figure("server_cpu_cores", cpu / secs, "cores (CPU s per wall s)");
            if let Some(n) = deliveries.filter(|n| *n > 0.0) {
                self.figure("server_cpu_us_per_delivery", cpu * 1e6 / n, "µs");
            }
        }
        if let (Some(a), Some(b)) = (after.pg_cpu, before.pg_cpu) {
            self.figure("postgres_cpu_s", a - b, "s");
        }
        self.figure(
            "generator_cpu_cores",
            (after.own_cpu - before.own_cpu) / secs,
            "cores",
        );
        if let Some(rss) = after.server_rss_kib {
            self.figure("server_rss_mib", rss as f64 / 1024.0, "MiB");
        }
        self.threads(before, after, secs);
        if after.nodes.len() > 1 {
            self.nodes(before, after, secs);
        }
        if after.metrics.is_empty() {
            self.note("no /metrics from the server: storage figures missing");
            return;
        }
        let batches = delta(before, after, "corkboard_storage_batches_total");
        let batch_events = delta(before, after, "corkboard_storage_batch_events_sum");
        let batch_count = delta(before, after, "corkboard_storage_batch_events_count");
        self.figure("storage_batches", batches, "commits");
        if batch_count > 0.0 {
            self.figure(
                "storage_events_per_batch_mean",
                batch_events / batch_count,
                "events",
            );
        }
        let commit_sum = delta(
            before,
            after,
            "corkboard_storage_commit_duration_seconds_sum",
        );
        let commit_n = delta(
            before,
            after,
            "corkboard_storage_commit_duration_seconds_count",
        );
        if commit_n > 0.0 {
            self.figure("storage_commit_mean_ms", commit_sum / commit_n * 1e3, "ms");
            for q in [0.5, 0.99] {
                let name = "corkboard_storage_commit_duration_seconds";
                if let Some(bound) = histogram_quantile(before, after, name, q) {
                    let key = format!("storage_commit_p{}_le_ms", (q * 100.0) as u32);
                    self.figure(&key, bound * 1e3, "ms (bucket upper bound)");
                }
            }
        }
        let errors = json!({
            "commands_rejected": delta(before, after, "corkboard_commands_rejected_total"),
            "storage_append_failures": delta(before, after, "corkboard_storage_append_failures_total"),
            "slow_consumers_cut": delta(before, after, "corkboard_slow_consumers_cut_total"),
            "rate_limited": delta(before, after, "corkboard_rate_limited_total"),
            "boards_crashed": delta(before, after, "corkboard_boards_crashed_total"),
        });
        self.value("server_errors", errors);
        self.figure(
            "server_deliveries_counted",
            delta(before, after, "corkboard_event_deliveries_total"),
            "(server's own count)",
        );
    }

    /// The first node's CPU by thread name over the measurement, in cores
    /// (CPU s per wall s), as `[name, cores]` pairs busiest first: whether
    /// the actor threads (`cb-actors-N`) share the work. Threads of one name
    /// are added up; a thread that ended during the measurement takes its
    /// CPU with it, so a name whose threads come and go (tokio's blocking
    /// pool) can read low. The actor threads live as long as the server.
    fn threads(&mut self, before: &Reading, after: &Reading, secs: f64) {
        let (Some(b), Some(a)) = (before.nodes.first(), after.nodes.first()) else {
            return;
        };
        let mut busy: Vec<(String, f64)> = a
            .threads
            .iter()
            .map(|(name, cpu)| {
                (
                    name.clone(),
                    (cpu - b.threads.get(name).copied().unwrap_or(0.0)) / secs,
                )
            })
            .filter(|(_, cores)| *cores >= 0.005)
            .collect();
        busy.sort_by(|x, y| y.1.total_cmp(&x.1));
        let threads: Vec<Value> = busy
            .into_iter()
            .map(|(name, cores)| json!([name, (cores * 1000.0).round() / 1000.0]))
            .collect();
        self.value("server_thread_cpu_cores", Value::Array(threads));
    }

    /// With several nodes: each node's CPU and RSS, and what the nodes did
    /// for each other (the server figures above are all nodes together).
    fn nodes(&mut self, before: &Reading, after: &Reading, secs: f64) {
        let round = |v: f64| (v * 100.0).round() / 100.0;
        let cores: Vec<Value> = before
            .nodes
            .iter()
            .zip(&after.nodes)
            .map(|(b, a)| match (b.cpu, a.cpu) {
                (Some(b), Some(a)) => json!(round((a - b) / secs)),
                _ => Value::Null,
            })
            .collect();
        self.value("node_cpu_cores", json!(cores));
        let rss: Vec<Value> = after
            .nodes
            .iter()
            .map(|n| {
                n.rss_kib
                    .map_or(Value::Null, |k| json!(round(k as f64 / 1024.0)))
            })
            .collect();
        self.value("node_rss_mib", json!(rss));
        if after.metrics.is_empty() {
            return;
        }
        for (key, metric, unit) in [
            (
                "seq_conflicts",
                "corkboard_seq_conflicts_total",
                "appends that lost their seq to another node (decided again)",
            ),
            (
                "catch_ups",
                "corkboard_catch_ups_total",
                "boards/orgs that caught up with another node's commits",
            ),
            (
                "caught_up_events",
                "corkboard_caught_up_events_total",
                "events applied by those catch-ups",
            ),
            ("bus_published", "corkboard_bus_published_total", "notices"),
            ("bus_received", "corkboard_bus_received_total", "notices"),
            ("bus_dropped", "corkboard_bus_dropped_total", "notices"),
        ] {
            self.figure(key, delta(before, after, metric), unit);
        }
        let name = "corkboard_bus_lag_seconds";
        for q in [0.5, 0.99] {
            if let Some(bound) = histogram_quantile(before, after, name, q) {
                let key = format!("bus_lag_p{}_le_ms", (q * 100.0) as u32);
                self.figure(&key, bound * 1e3, "ms (bucket upper bound)");
            }
        }
    }

    /// Print the machine-readable line.
    pub fn finish(self) {
        println!("RESULT {}", Value::Object(self.fields));
    }
}
