//! The background job queue's workers: every node runs them (the queue is
//! the `jobs` table, `storage::jobs`). Each node claims due jobs of a kind
//! while it has free slots for that kind (`JobKind::concurrency`), runs
//! them with the kind's timeout, and records the outcome: success deletes
//! the job, failure queues it again after an exponential, jittered delay
//! (`protocol::jobs::retry_delay`), or makes it dead once its attempts are
//! spent. Scheduled kinds (the retention steps) are queued by whichever
//! node finds them due first. The running jobs of a node that stops
//! heartbeating are queued again by the others. See `docs/jobs.md`.

mod runner;
mod stats;
mod work;

use std::collections::HashMap;
use std::time::Duration;

use protocol::jobs::JobKind;

pub use runner::{spawn, JobRunner};
pub use stats::JobStats;
pub use work::{purge_deleted_orgs, JobError};

/// How often a node looks for due jobs when no notification came (a
/// retry's delay ending, a notification lost while the listening
/// connection was down).
pub const POLL_EVERY: Duration = Duration::from_millis(500);
/// How often a node checks the schedules of the scheduled kinds.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(15);
/// How often a node queues again the running jobs of nodes that are gone.
pub const RELEASE_EVERY: Duration = Duration::from_secs(2);

/// The job that sends `mail`.
pub fn mail_job(mail: &crate::mail::Mail) -> storage::jobs::NewJob {
    // A `Mail` is strings and ids: it always serializes.
    let payload = serde_json::to_value(mail).unwrap_or_default();
    storage::jobs::NewJob::new(JobKind::Mail, payload)
}

/// How the job queue runs on this node (`CORKBOARD_JOBS_*`).
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// Whether this node runs workers at all (every node may enqueue).
    pub workers: bool,
    /// The first retry's delay; each further one doubles it.
    pub retry_base: Duration,
    /// Attempts per kind, where they differ from `JobKind::max_attempts`.
    pub max_attempts: HashMap<JobKind, i32>,
    /// Dead jobs above this many make `/health/ready` report `degraded`.
    pub dead_threshold: i64,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            workers: true,
            retry_base: protocol::jobs::RETRY_BASE,
            max_attempts: HashMap::new(),
            dead_threshold: 100,
        }
    }
}

impl JobSettings {
    /// Attempts before a job of `kind` is dead.
    pub fn max_attempts(&self, kind: JobKind) -> i32 {
        self.max_attempts
            .get(&kind)
            .copied()
            .unwrap_or_else(|| kind.max_attempts())
    }
}
