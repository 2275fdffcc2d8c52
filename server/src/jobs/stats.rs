//! What the workers of this node measure, for `/metrics`: jobs started
//! (attempts) and finished by kind and outcome, their run time, and how
//! long they waited from due to start. Counts by state come from the
//! table when the page is scraped (they are the whole queue's, not this
//! node's).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use protocol::jobs::JobKind;

use crate::metrics::{Exposition, Histogram, Kind};

/// One kind's series.
#[derive(Default, Debug)]
struct PerKind {
    attempts: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    run: Histogram,
    wait: Histogram,
}

/// This node's job series.
#[derive(Debug)]
pub struct JobStats {
    kinds: HashMap<JobKind, PerKind>,
}

impl Default for JobStats {
    fn default() -> Self {
        JobStats {
            kinds: JobKind::ALL
                .into_iter()
                .map(|k| (k, PerKind::default()))
                .collect(),
        }
    }
}

impl JobStats {
    fn of(&self, kind: JobKind) -> &PerKind {
        // Every kind has an entry from the start.
        &self.kinds[&kind]
    }

    /// A job of `kind` started, `waited` after it was due.
    pub fn started(&self, kind: JobKind, waited: Duration) {
        let k = self.of(kind);
        k.attempts.fetch_add(1, Ordering::Relaxed);
        k.wait.observe(waited);
    }

    /// A job of `kind` ended after `took`.
    pub fn finished(&self, kind: JobKind, ok: bool, took: Duration) {
        let k = self.of(kind);
        if ok {
            k.succeeded.fetch_add(1, Ordering::Relaxed);
        } else {
            k.failed.fetch_add(1, Ordering::Relaxed);
        }
        k.run.observe(took);
    }

    /// Write this node's series, and the queue's `counts` by kind and
    /// state (`None` when the database did not answer).
    pub fn encode(&self, page: &mut Exposition, counts: Option<&[(String, String, i64)]>) {
        page.family(
            "corkboard_jobs",
            Kind::Gauge,
            "Jobs in the queue now (every node's), by kind and state (queued, running, dead).",
        );
        if let Some(counts) = counts {
            for kind in JobKind::ALL {
                for state in ["queued", "running", "dead"] {
                    let n = counts
                        .iter()
                        .find(|(k, s, _)| k == kind.name() && s == state)
                        .map_or(0, |(_, _, n)| *n);
                    page.sample(
                        "corkboard_jobs",
                        &[("kind", kind.name()), ("state", state)],
                        n,
                    );
                }
            }
        }
        page.family(
            "corkboard_job_attempts_total",
            Kind::Counter,
            "Job runs this node started, by kind (each retry is one more).",
        );
        for kind in JobKind::ALL {
            let n = self.of(kind).attempts.load(Ordering::Relaxed);
            page.sample("corkboard_job_attempts_total", &[("kind", kind.name())], n);
        }
        page.family(
            "corkboard_job_runs_total",
            Kind::Counter,
            "Job runs this node finished, by kind and outcome (ok, failed).",
        );
        for kind in JobKind::ALL {
            let k = self.of(kind);
            for (outcome, n) in [("ok", &k.succeeded), ("failed", &k.failed)] {
                page.sample(
                    "corkboard_job_runs_total",
                    &[("kind", kind.name()), ("outcome", outcome)],
                    n.load(Ordering::Relaxed),
                );
            }
        }
        page.family(
            "corkboard_job_run_seconds",
            Kind::Histogram,
            "How long job runs took on this node, by kind.",
        );
        for kind in JobKind::ALL {
            self.of(kind)
                .run
                .write(page, "corkboard_job_run_seconds", &[("kind", kind.name())]);
        }
        page.family(
            "corkboard_job_wait_seconds",
            Kind::Histogram,
            "How long jobs waited from due to started on this node, by kind.",
        );
        for kind in JobKind::ALL {
            self.of(kind)
                .wait
                .write(page, "corkboard_job_wait_seconds", &[("kind", kind.name())]);
        }
    }
}
