//! Latency histograms shared by many tasks, and the generator's clock.
//!
//! Values are microseconds in log-linear buckets (64 per power of two, so
//! a percentile is within 1.6% of the true value); recording is one
//! relaxed atomic add, so thousands of tasks share one histogram.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Sub-buckets per power of two.
const SUB: u64 = 64;
/// Powers of two covered above the linear range (2^40 µs is 12 days).
const OCTAVES: u64 = 40;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the generator started: the clock embedded in
/// command ids, comparable across all tasks of this process.
pub fn now_us() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// The `Instant` of a `now_us()` value.
pub fn instant_of(us: u64) -> Instant {
    *EPOCH.get_or_init(Instant::now) + Duration::from_micros(us)
}

/// A concurrent latency histogram in microseconds.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..SUB * (OCTAVES + 1))
                .map(|_| AtomicU64::new(0))
                .collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn index(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let log = 63 - u64::from(us.leading_zeros()); // ≥ 6
    let shift = log - SUB.trailing_zeros() as u64;
    let idx = (shift + 1) * SUB + ((us >> shift) - SUB);
    idx.min(SUB * (OCTAVES + 1) - 1) as usize
}

/// The middle of bucket `idx`.
fn value(idx: usize) -> u64 {
    let idx = idx as u64;
    if idx < SUB {
        return idx;
    }
    let shift = idx / SUB - 1;
    let low = (SUB + idx % SUB) << shift;
    low + (1u64 << shift) / 2
}

impl Histogram {
    /// Record one value.
    pub fn record(&self, us: u64) {
        self.buckets[index(us)].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.max.fetch_max(us, Relaxed);
    }

    /// Record a duration.
    pub fn record_duration(&self, d: Duration) {
        self.record(d.as_micros() as u64);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The largest value recorded (exact).
    pub fn max_us(&self) -> u64 {
        self.max.load(Relaxed)
    }

    /// The value below which a fraction `p` of the values lie; 0 when empty.
    pub fn percentile_us(&self, p: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let target = ((total as f64 * p).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (idx, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Relaxed);
            if seen >= target {
                return value(idx).min(self.max_us());
            }
        }
        self.max_us()
    }
}

/// A counter per string key (rejection codes, error kinds).
#[derive(Default)]
pub struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    /// Count one occurrence of `key`.
    pub fn add(&self, key: &str) {
        let mut map = self.0.lock().expect("tally lock is never poisoned");
        *map.entry(key.to_owned()).or_default() += 1;
    }

    /// Occurrences by key.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().expect("tally lock is never poisoned").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_the_bucket_precision() {
        let h = Histogram::default();
        for us in 1..=10_000 {
            h.record(us);
        }
        for (p, want) in [(0.5, 5_000.0), (0.99, 9_900.0), (1.0, 10_000.0)] {
            let got = h.percentile_us(p) as f64;
            assert!((got - want).abs() / want < 0.02, "p{p}: {got} vs {want}");
        }
        assert_eq!(h.max_us(), 10_000);
        assert_eq!(h.count(), 10_000);
        assert_eq!(Histogram::default().percentile_us(0.5), 0);
    }

    #[test]
    fn every_value_lands_in_a_bucket_that_contains_it() {
        for us in [0, 1, 63, 64, 65, 127, 128, 1_000, 123_456, 1 << 39] {
            let v = value(index(us));
            assert!(
                v.abs_diff(us) as f64 <= 1.0 + us as f64 / 64.0,
                "{us} -> {v}"
            );
        }
    }
}
