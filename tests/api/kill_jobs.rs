//! Queued jobs survive a crash: 1,000 mail jobs are queued, the server (a
//! separate process, see `kill.rs`) is SIGKILLed while it sends them to
//! its outbox, and a new process finishes the rest. Every message is
//! delivered; the only ones delivered twice are those running at the
//! kill (at most the kind's concurrency): a mail job is at-least-once,
//! and each copy carries its job's Message-ID.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use protocol::jobs::JobKind;
use server::jobs::mail_job;
use server::mail::Mail;
use storage::{Db, TestDb};

use crate::kill::ServerProcess;
use crate::outbox;

const JOBS: usize = 1_000;
/// Messages out before the kill.
const KILL_AFTER: usize = 100;

fn outbox_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

async fn pending(db: &Db) -> i64 {
    db.job_counts()
        .await
        .expect("counts")
        .iter()
        .filter(|(kind, state, _)| kind == JobKind::Mail.name() && state != "dead")
        .map(|(_, _, n)| n)
        .sum()
}

#[actix_web::test]
async fn a_thousand_queued_jobs_survive_sigkill_and_each_runs() {
    let test_db = TestDb::new().await;
    let db = Db::connect(&test_db.url, 2).await.expect("connects");
    db.migrate().await.expect("migrates");
    let data = std::env::temp_dir().join(format!("corkboard-kill-jobs-{}", uuid::Uuid::new_v4()));
    let data_arg = data.to_string_lossy().into_owned();
    let env = [("CORKBOARD_DATA_DIR", data_arg.as_str())];
    let mails: Vec<_> = (0..JOBS)
        .map(|i| {
            mail_job(&Mail::PasswordChanged {
                to: format!("n{i}@example.com"),
                name: format!("Person {i}"),
            })
        })
        .collect();
    db.enqueue_all(&mails).await.expect("queued");
    let secret = "kill-jobs-secret-kill-jobs-secret-0123";
    let outbox_dir = data.join("mail");

    let mut first = ServerProcess::start_with(&test_db.url, secret, &env).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox_files(&outbox_dir).len() < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the first process sent too little"
        );
        // Files are what there is to watch.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill();
    let before = outbox_files(&outbox_dir).len();
    let left = pending(&db).await;
    assert!(left > 0, "killed with jobs left ({before} sent)");

    let _second = ServerProcess::start_with(&test_db.url, secret, &env).await;
    let began = Instant::now();
    let deadline = began + Duration::from_secs(120);
    while pending(&db).await > 0 {
        assert!(Instant::now() < deadline, "the jobs were never all done");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    let mut per_message_id: HashMap<String, usize> = HashMap::new();
    for file in outbox_files(&outbox_dir) {
        let mail = outbox::read(&file);
        *per_recipient
            .entry(mail.header("To").to_owned())
            .or_default() += 1;
        *per_message_id
            .entry(mail.header("Message-ID").to_owned())
            .or_default() += 1;
    }
    let twice: usize = per_recipient.values().map(|n| n - 1).sum();
    println!(
        "jobs after SIGKILL: {before} of {JOBS} sent before the kill, {left} left; \
         the rest done {:.1} s after the restart; {twice} sent twice",
        began.elapsed().as_secs_f64()
    );
    assert_eq!(per_recipient.len(), JOBS, "every message was sent");
    assert!(
        twice <= JobKind::Mail.concurrency(),
        "only jobs running at the kill ran again: {twice}"
    );
    assert_eq!(
        per_message_id.len(),
        JOBS,
        "a message sent twice kept its Message-ID"
    );
    assert_eq!(
        db.list_jobs(Some("dead"), None, 0, 10)
            .await
            .expect("dead")
            .len(),
        0
    );
    let _ = std::fs::remove_dir_all(&data);
}
