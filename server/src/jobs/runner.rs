//! One node's workers: claim, run, record; listen for new jobs; queue the
//! scheduled ones; recover the jobs of gone nodes; stop gracefully.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use protocol::jobs::{retry_delay, JobKind};
use storage::jobs::{ClaimedJob, Completed, FailedJob};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use super::work::{self, JobError};
use super::{POLL_EVERY, RELEASE_EVERY, SCHEDULE_EVERY};
use crate::cluster::NODE_TIMEOUT;
use crate::state::AppState;

/// How long to wait before listening again after the connection failed.
const LISTEN_RETRY: Duration = Duration::from_secs(1);
/// The channel the `jobs` insert trigger notifies.
const CHANNEL: &str = "corkboard_jobs";

/// The running workers of this node. They stop claiming when the server
/// starts shutting down (`AppState::shutdown`), let running jobs finish
/// within the shutdown bound, and give back (queue again) those still
/// running then.
pub struct JobRunner {
    done: tokio::sync::oneshot::Receiver<()>,
}

impl JobRunner {
    /// Resolves once the workers have stopped (or `bound` passed).
    pub async fn stopped(self, bound: Duration) {
        let _ = tokio::time::timeout(bound, self.done).await;
    }
}

/// What one node's workers share.
struct Workers {
    state: AppState,
    node: Uuid,
    wake: Notify,
    /// Jobs running now, by kind, and their ids.
    running: RefCell<HashMap<JobKind, HashSet<i64>>>,
    /// Kinds that may have due jobs: named by a notification, all of them
    /// at each poll, kept while claims come back full. A kind whose claim
    /// came back short is not asked again until then.
    maybe_due: RefCell<HashSet<JobKind>>,
    finished: Notify,
}

/// Start this node's workers (unless `settings.workers` is off) and the
/// listener that wakes them; the database URL is for the listening
/// connection.
pub fn spawn(state: AppState, database_url: String) -> Option<JobRunner> {
    if !state.settings.jobs.workers {
        return None;
    }
    let mut stopping = state.shutdown.clone();
    let (done_tx, done) = tokio::sync::oneshot::channel();
    let workers = Rc::new(Workers {
        node: state.cluster.node.0,
        state,
        wake: Notify::new(),
        running: RefCell::new(HashMap::new()),
        maybe_due: RefCell::new(JobKind::ALL.into_iter().collect()),
        finished: Notify::new(),
    });
    actix_rt::spawn(listen(database_url, Rc::clone(&workers), stopping.clone()));
    actix_rt::spawn(housekeeping(Rc::clone(&workers), stopping.clone()));
    actix_rt::spawn(async move {
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !*stopping.borrow() {
            tokio::select! {
                _ = poll.tick() => workers.maybe_due.borrow_mut().extend(JobKind::ALL),
                () = workers.wake.notified() => {}
                _ = stopping.changed() => continue,
            }
            claim_and_start(&workers).await;
        }
        drain(&workers).await;
        let _ = done_tx.send(());
    });
    Some(JobRunner { done })
}

/// Claim what each kind that may have due jobs has room for, and start
/// it.
async fn claim_and_start(workers: &Rc<Workers>) {
    for kind in JobKind::ALL {
        if !workers.maybe_due.borrow().contains(&kind) {
            continue;
        }
        let busy = workers.running.borrow().get(&kind).map_or(0, HashSet::len);
        let free = kind.concurrency().saturating_sub(busy);
        if free == 0 {
            continue;
        }
        let claimed = match workers
            .state
            .db
            .claim_jobs(workers.node, kind, i64::try_from(free).unwrap_or(1))
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, kind = kind.name(), "claiming jobs failed");
                return;
            }
        };
        if claimed.len() < free {
            workers.maybe_due.borrow_mut().remove(&kind);
        }
        for job in claimed {
            workers
                .running
                .borrow_mut()
                .entry(kind)
                .or_default()
                .insert(job.id);
            actix_rt::spawn(run_one(Rc::clone(workers), job));
        }
    }
}

/// A job of this node that no worker holds is orphaned once it has been
/// claimed this long ago (a claim is handed to its worker at once; this
/// only keeps the two apart).
const ORPHAN_AFTER: Duration = Duration::from_secs(10);

/// Run one job and record how it ended.
async fn run_one(workers: Rc<Workers>, job: ClaimedJob) {
    let state = &workers.state;
    let stats = &state.jobs;
    stats.started(job.kind, job.waited);
    tracing::debug!(
        job_id = job.id,
        kind = job.kind.name(),
        attempt = job.attempt,
        waited_us = job.waited.as_micros() as u64,
        "job started"
    );
    let began = Instant::now();
    let outcome = match tokio::time::timeout(job.kind.timeout(), work::run(state, &job)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(JobError::Retry(format!(
            "took longer than {:?}",
            job.kind.timeout()
        ))),
    };
    let took = began.elapsed();
    let db = &state.db;
    let recorded = match &outcome {
        Ok(()) => db.complete_job(job.id, workers.node).await.map(|done| {
            if done == Completed::Again {
                // Queued again without an insert, so no notification: look now.
                workers.maybe_due.borrow_mut().insert(job.kind);
            }
        }),
        Err(e) => {
            let settings = &state.settings.jobs;
            let max = if matches!(e, JobError::Permanent(_)) {
                job.attempt
            } else {
                settings.max_attempts(job.kind)
            };
            let delay = match e {
                JobError::RetryIn { after, .. } => *after,
                _ => retry_delay(settings.retry_base, job.attempt, rand::random::<f64>()),
            };
            db.fail_job(job.id, workers.node, &e.to_string(), delay, max)
                .await
                .map(|fate| {
                    let dead = fate == FailedJob::Dead;
                    tracing::warn!(
                        job_id = job.id,
                        kind = job.kind.name(),
                        attempt = job.attempt,
                        error = %e,
                        dead,
                        retry_in_ms = if dead { 0 } else { delay.as_millis() as u64 },
                        "job failed"
                    );
                })
        }
    };
    stats.finished(job.kind, outcome.is_ok(), took);
    if let Err(e) = recorded {
        // The job stays running under this node's id until a restart
        // makes this node gone and another queues it again.
        tracing::warn!(job_id = job.id, error = %e, "recording a job's outcome failed");
    }
    if let Some(ids) = workers.running.borrow_mut().get_mut(&job.kind) {
        ids.remove(&job.id);
    }
    workers.finished.notify_waiters();
    workers.wake.notify_one();
}

/// At shutdown: wait for running jobs within the shutdown bound (from
/// when shutdown began), then give back those still running.
async fn drain(workers: &Rc<Workers>) {
    let bound = workers.state.settings.shutdown_timeout;
    let deadline = Instant::now() + bound;
    loop {
        let left: Vec<i64> = workers
            .running
            .borrow()
            .values()
            .flatten()
            .copied()
            .collect();
        if left.is_empty() {
            return;
        }
        let finished = workers.finished.notified();
        if tokio::time::timeout_at(deadline.into(), finished)
            .await
            .is_err()
        {
            match workers.state.db.release_jobs(workers.node, &left).await {
                Ok(n) => {
                    tracing::info!(released = n, "jobs still running at shutdown queued again")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "giving back running jobs failed; other nodes will")
                }
            }
            return;
        }
    }
}

/// Queue due scheduled jobs, and the running jobs of gone nodes again.
async fn housekeeping(workers: Rc<Workers>, mut stopping: watch::Receiver<bool>) {
    let mut schedule = tokio::time::interval(SCHEDULE_EVERY);
    let mut release = tokio::time::interval(RELEASE_EVERY);
    let db = &workers.state.db;
    loop {
        tokio::select! {
            _ = schedule.tick() => {
                for kind in JobKind::ALL {
                    let Some(every) = kind.every() else { continue };
                    match db.enqueue_if_due(kind, every).await {
                        Ok(true) => tracing::debug!(kind = kind.name(), "scheduled job queued"),
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, kind = kind.name(), "scheduling failed"),
                    }
                }
            }
            _ = release.tick() => {
                match db.release_gone_nodes_jobs(workers.node, NODE_TIMEOUT).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(released = n, "jobs of a gone node queued again");
                        workers.maybe_due.borrow_mut().extend(JobKind::ALL);
                        workers.wake.notify_one();
                    }
                    Err(e) => tracing::warn!(error = %e, "releasing gone nodes' jobs failed"),
                }
                // This node's own jobs that no worker runs: their outcome
                // could not be recorded (the database failed just then).
                let running: Vec<i64> = workers.running.borrow().values().flatten().copied().collect();
                match db.release_own_orphans(workers.node, &running, ORPHAN_AFTER).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(released = n, "jobs whose outcome was never recorded queued again");
                        workers.maybe_due.borrow_mut().extend(JobKind::ALL);
                        workers.wake.notify_one();
                    }
                    Err(e) => tracing::warn!(error = %e, "releasing orphaned jobs failed"),
                }
            }
            _ = stopping.changed() => return,
        }
    }
}

/// Wake the workers whenever a job is inserted anywhere: `LISTEN` on a
/// connection of its own, reconnecting after a failure (the poll covers
/// the gap).
async fn listen(url: String, workers: Rc<Workers>, mut stopping: watch::Receiver<bool>) {
    loop {
        if let Err(e) = listen_once(&url, &workers, &mut stopping).await {
            tracing::debug!(error = %e, "job listener connection lost");
        }
        if *stopping.borrow() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(LISTEN_RETRY) => {}
            _ = stopping.changed() => return,
        }
    }
}

async fn listen_once(
    url: &str,
    workers: &Rc<Workers>,
    stopping: &mut watch::Receiver<bool>,
) -> Result<(), tokio_postgres::Error> {
    use futures_util::{stream, StreamExt};
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let waker = Rc::clone(workers);
    let mut pump = actix_rt::spawn(
        stream::poll_fn(move |cx| connection.poll_message(cx)).for_each(move |message| {
            if let Ok(tokio_postgres::AsyncMessage::Notification(n)) = message {
                let kinds = n.payload().split(',').filter_map(JobKind::from_name);
                waker.maybe_due.borrow_mut().extend(kinds);
                waker.wake.notify_one();
            }
            std::future::ready(())
        }),
    );
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Until the connection ends (the pump's stream ends) or the node stops.
    tokio::select! {
        _ = &mut pump => {}
        _ = stopping.changed() => pump.abort(),
    }
    drop(client);
    Ok(())
}
