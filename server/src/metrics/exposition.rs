//! The Prometheus text exposition format (version 0.0.4), written by hand:
//! `# HELP` and `# TYPE` once per family, then its samples; histograms as
//! cumulative `_bucket{le}` series plus `_sum` and `_count`. Label values
//! come from bounded sets chosen by the server (route patterns, message
//! types), never from raw paths or ids.

use std::fmt::{Display, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The `Content-Type` of the page.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histograms, in seconds: 1 ms to 10 s.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a family is.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A page being written.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// Start a family: its help and type lines. Its samples follow.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(key);
                self.out.push_str("=\"");
                push_escaped(&mut self.out, value);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// A family of one unlabelled sample.
    pub fn single(&mut self, name: &str, kind: Kind, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    /// The samples of one histogram series. `counts[i]` counts the
    /// observations of at most `bounds[i]` and more than the bound before
    /// (not cumulative); `count` counts all of them, so the ones above the
    /// last bound are `count - sum(counts)`.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        counts: &[u64],
        sum: f64,
        count: u64,
    ) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        for (bound, n) in bounds.iter().zip(counts) {
            cumulative += n;
            let le = bound.to_string();
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, cumulative);
        }
        let mut with_le = labels.to_vec();
        with_le.push(("le", "+Inf"));
        self.sample(&bucket, &with_le, count);
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, count);
    }

    /// The page.
    pub fn finish(self) -> String {
        self.out
    }
}

fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A latency histogram over [`LATENCY_BUCKETS`], lock-free.
#[derive(Debug)]
pub struct Histogram {
    counts: [AtomicU64; LATENCY_BUCKETS.len()],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|bound| secs <= *bound) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Write this histogram's samples.
    pub fn write(&self, page: &mut Exposition, name: &str, labels: &[(&str, &str)]) {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        page.histogram(name, labels, &LATENCY_BUCKETS, &counts, sum, self.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_escape_label_values() {
        let mut page = Exposition::default();
        page.family("x_total", Kind::Counter, "An x.");
        page.sample("x_total", &[("a", "q\"b\\n\nl")], 3);
        page.single("y", Kind::Gauge, "A y.", -1);
        assert_eq!(
            page.finish(),
            "# HELP x_total An x.\n# TYPE x_total counter\nx_total{a=\"q\\\"b\\\\n\\nl\"} 3\n\
             # HELP y A y.\n# TYPE y gauge\ny -1\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_inf_sum_and_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(20));
        h.observe(Duration::from_secs(60));
        let mut page = Exposition::default();
        h.write(&mut page, "lat_seconds", &[("route", "/r")]);
        let text = page.finish();
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"0.001\"} 1\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"0.01\"} 1\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"0.025\"} 2\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"10\"} 2\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("lat_seconds_sum{route=\"/r\"} 60.0205\n"));
        assert!(text.contains("lat_seconds_count{route=\"/r\"} 3\n"));
    }
}
