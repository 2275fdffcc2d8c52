//! The job workers at run time, against a mail relay that accepts
//! connections and never answers: a kind runs at most its concurrency at
//! once per node, and a graceful shutdown lets running jobs finish within
//! the shutdown bound and gives back (queued again, the attempt not
//! counted) those still running after it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use protocol::jobs::JobKind;
use server::config::Secret;
use server::jobs::mail_job;
use server::mail::Mail;
use storage::Db;

use crate::helpers::{spawn_app_with, TestApp, WAIT};

/// A TCP listener that takes connections and says nothing; each is closed
/// after `hold` (never, when `None`). Counts connections.
struct SilentRelay {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl SilentRelay {
    async fn start(hold: Option<Duration>) -> SilentRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                match hold {
                    Some(hold) => {
                        tokio::spawn(async move {
                            tokio::time::sleep(hold).await;
                            drop(socket);
                        });
                    }
                    None => held.push(socket),
                }
            }
        });
        SilentRelay { port, connections }
    }
}

async fn app_on(relay: &SilentRelay) -> TestApp {
    let url = format!("smtp://127.0.0.1:{}", relay.port);
    spawn_app_with(move |s| {
        s.mail.smtp_url = Some(Secret(url));
        s.shutdown_timeout = Duration::from_secs(1);
    })
    .await
}

async fn queue_mail(db: &Db, n: usize) {
    let mails: Vec<_> = (0..n)
        .map(|i| {
            mail_job(&Mail::PasswordChanged {
                to: format!("n{i}@example.com"),
                name: "N".into(),
            })
        })
        .collect();
    db.enqueue_all(&mails).await.expect("queued");
}

async fn in_state(db: &Db, state: &str) -> Vec<storage::jobs::JobRow> {
    db.list_jobs(Some(state), Some(JobKind::Mail.name()), 0, 100)
        .await
        .expect("jobs")
}

async fn wait_running(db: &Db, n: usize) {
    let deadline = Instant::now() + WAIT;
    while in_state(db, "running").await.len() < n {
        assert!(Instant::now() < deadline, "{n} jobs never ran at once");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_kind_runs_at_most_its_concurrency_at_once() {
    let relay = SilentRelay::start(None).await;
    let app = app_on(&relay).await;
    let db = app.db().await;
    queue_mail(&db, 10).await;
    let limit = JobKind::Mail.concurrency();
    wait_running(&db, limit).await;
    // Nothing more starts while those hang, however long we look.
    for _ in 0..10 {
        assert_eq!(in_state(&db, "running").await.len(), limit);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(relay.connections.load(Ordering::SeqCst), limit);
    assert_eq!(in_state(&db, "queued").await.len(), 10 - limit);
}

#[actix_web::test]
async fn shutdown_gives_back_the_jobs_still_running_after_its_bound() {
    let relay = SilentRelay::start(None).await;
    let mut app = app_on(&relay).await;
    let db = app.db().await;
    queue_mail(&db, 2).await;
    wait_running(&db, 2).await;
    let began = Instant::now();
    app.stop().await;
    let took = began.elapsed();
    let queued = in_state(&db, "queued").await;
    assert_eq!(queued.len(), 2, "both given back");
    assert!(
        queued.iter().all(|j| j.attempts == 0),
        "the interrupted attempt is not counted: {queued:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "stopped within the bound: {took:?}"
    );
}

#[actix_web::test]
async fn shutdown_lets_a_running_job_finish_within_its_bound() {
    // The relay hangs up after 300 ms: each send then fails (a transient
    // error), which is the job finishing, within the 1 s bound.
    let relay = SilentRelay::start(Some(Duration::from_millis(300))).await;
    let mut app = app_on(&relay).await;
    let db = app.db().await;
    queue_mail(&db, 1).await;
    wait_running(&db, 1).await;
    app.stop().await;
    let queued = in_state(&db, "queued").await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].attempts, 1,
        "its attempt ran to the end: {queued:?}"
    );
    assert!(queued[0].last_error.is_some(), "{queued:?}");
}
