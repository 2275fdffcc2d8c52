//! The job queue with several nodes: workers run in every node, and each
//! queued job runs once — on whichever node claimed it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use server::jobs::mail_job;
use server::mail::Mail;

use crate::deployment::Deployment;
use crate::harness::Engine;

const JOBS: usize = 600;

/// The `To` header of every `.eml` in `dir`.
fn recipients(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("To: "))
                .map(str::to_owned)
        })
        .collect()
}

pub async fn every_job_runs_once_on_one_of_the_nodes(engine: Engine) {
    let cluster = Deployment::start(engine).await;
    let db = storage::Db::connect(&cluster.database_url, 2)
        .await
        .expect("connects");
    let mails: Vec<_> = (0..JOBS)
        .map(|i| {
            mail_job(&Mail::PasswordChanged {
                to: format!("n{i}@example.com"),
                name: format!("Person {i}"),
            })
        })
        .collect();
    db.enqueue_all(&mails).await.expect("queued");
    let deadline = Instant::now() + Duration::from_secs(60);
    let per_node = loop {
        let per_node: Vec<Vec<String>> = (0..3)
            .map(|i| recipients(&cluster.node_dir(i).join("mail")))
            .collect();
        if per_node.iter().map(Vec::len).sum::<usize>() >= JOBS {
            break per_node;
        }
        assert!(Instant::now() < deadline, "the jobs were not all run");
        // Files are what there is to watch.
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut times: HashMap<&str, usize> = HashMap::new();
    for to in per_node.iter().flatten() {
        *times.entry(to.as_str()).or_default() += 1;
    }
    let shares: Vec<usize> = per_node.iter().map(Vec::len).collect();
    println!("{JOBS} mail jobs over 3 nodes: {shares:?} per node");
    assert_eq!(times.len(), JOBS, "every job ran");
    assert!(times.values().all(|n| *n == 1), "none ran twice");
    assert!(
        shares.iter().filter(|n| **n > 0).count() >= 2,
        "the nodes shared the work: {shares:?}"
    );
    // The last jobs are deleted just after their files are written.
    loop {
        let left = db.job_counts().await.expect("counts");
        let mail: i64 = left
            .iter()
            .filter(|(kind, _, _)| kind == "mail")
            .map(|(_, _, n)| n)
            .sum();
        if mail == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "mail jobs left: {left:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
