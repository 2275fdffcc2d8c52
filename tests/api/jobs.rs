//! The job queue against the real server and PostgreSQL: a job commits
//! with its change or not at all, workers run what is queued, scheduled
//! retention jobs delete what they must and nothing else, operators (and
//! only they) list, retry and discard jobs, and `/metrics` and readiness
//! report the queue.

use std::time::{Duration, Instant};

use protocol::jobs::JobKind;
use reqwest::StatusCode;
use serde_json::{json, Value};
use storage::jobs::{enqueue, NewJob};
use storage::Db;

use crate::helpers::{email, spawn_app_with, TestApp, WAIT};

/// Start a server whose workers retry after 10 ms instead of seconds.
pub async fn spawn_quick_jobs_app() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.retry_base = Duration::from_millis(10);
        s.metrics = true;
    })
    .await
}

/// Wait until job `id` is gone (it succeeded) or is dead; its row then.
pub async fn settled(db: &Db, id: i64) -> Option<storage::jobs::JobRow> {
    let deadline = Instant::now() + WAIT;
    loop {
        match db.job(id).await.expect("job") {
            None => return None,
            Some(job) if job.state == "dead" => return Some(job),
            Some(job) => {
                assert!(Instant::now() < deadline, "job never settled: {job:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Run one `kind` job now and wait for it to succeed.
pub async fn run_job(db: &Db, kind: JobKind) {
    let id = db
        .enqueue(&NewJob::new(kind, Value::Null))
        .await
        .expect("enqueue")
        .expect("queued");
    assert!(settled(db, id).await.is_none(), "{kind:?} succeeded");
}

async fn count(db: &Db, sql: &str) -> i64 {
    let client = db.pool().get().await.expect("client");
    client.query_one(sql, &[]).await.expect("count").get(0)
}

async fn exec(db: &Db, sql: &str) {
    let client = db.pool().get().await.expect("client");
    client.batch_execute(sql).await.expect("statement");
}

#[actix_web::test]
async fn a_job_commits_with_its_transaction_or_not_at_all() {
    let app = spawn_quick_jobs_app().await;
    let db = app.db().await;
    let mut client = app.db().await.pool().get().await.expect("client");
    // Rolled back: the job never existed, so it never runs.
    let tx = client.transaction().await.expect("tx");
    let job = NewJob::new(JobKind::PruneSnapshots, Value::Null).unique("rolled-back");
    let id = enqueue(&tx, &job).await.expect("enqueue").expect("id");
    tx.rollback().await.expect("rollback");
    assert!(db.job(id).await.expect("job").is_none());
    // Committed: it runs (and, having succeeded, is gone).
    let tx = client.transaction().await.expect("tx");
    let id = enqueue(&tx, &job).await.expect("enqueue").expect("id");
    // A second job with the same key in the same transaction is not queued.
    assert_eq!(enqueue(&tx, &job).await.expect("enqueue"), None);
    tx.commit().await.expect("commit");
    assert!(settled(&db, id).await.is_none());
}

#[actix_web::test]
async fn a_unique_key_queues_the_same_work_once_while_it_is_pending() {
    let app = spawn_app_with(|s| s.jobs.workers = false).await;
    let db = app.db().await;
    let job = NewJob::new(JobKind::PruneTokens, json!({})).unique("once");
    let first = db.enqueue(&job).await.expect("enqueue");
    assert!(first.is_some());
    assert_eq!(db.enqueue(&job).await.expect("enqueue"), None);
    let queued = count(&db, "SELECT count(*) FROM jobs WHERE unique_key = 'once'").await;
    assert_eq!(queued, 1);
}

#[actix_web::test]
async fn the_retention_jobs_delete_what_expired_and_keep_the_rest() {
    let app = spawn_quick_jobs_app().await;
    let db = app.db().await;
    let (_, _) = app.register(&email()).await;
    let (_, _) = app.register(&email()).await;
    // Two sessions long expired, one revoked long ago, the live ones kept.
    exec(
        &db,
        "UPDATE login_sessions SET expires_at = now() - interval '2 days' \
         WHERE id IN (SELECT id FROM login_sessions LIMIT 1);
         INSERT INTO login_sessions (id, user_id, expires_at, revoked_at, revoke_reason)
           SELECT gen_random_uuid(), id, now() + interval '1 day', now() - interval '2 days', 'logout'
           FROM users LIMIT 1;
         INSERT INTO login_sessions (id, user_id, expires_at, revoked_at, revoke_reason)
           SELECT gen_random_uuid(), id, now() + interval '1 day', now(), 'logout'
           FROM users LIMIT 1;",
    )
    .await;
    let before = count(&db, "SELECT count(*) FROM login_sessions").await;
    run_job(&db, JobKind::PruneSessions).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM login_sessions").await,
        before - 2,
        "the expired and the long-revoked sessions went; the recent revocation stays (restarts reload it)"
    );

    exec(
        &db,
        "INSERT INTO login_failures (scope, failures, window_started_at, locked_until) VALUES
           ('email:old@x.io', 3, now() - interval '1 day', NULL),
           ('email:served@x.io', 9, now() - interval '1 day', now() - interval '1 hour'),
           ('email:locked@x.io', 9, now() - interval '1 day', now() + interval '1 hour'),
           ('email:fresh@x.io', 1, now(), NULL);",
    )
    .await;
    run_job(&db, JobKind::PruneLoginFailures).await;
    let mut left: Vec<String> = {
        let client = db.pool().get().await.expect("client");
        client
            .query("SELECT scope FROM login_failures", &[])
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    left.sort();
    assert_eq!(left, ["email:fresh@x.io", "email:locked@x.io"]);

    exec(
        &db,
        "INSERT INTO orgs (id, name, key) VALUES ('00000000-0000-4000-8000-000000000001', 'Old', 'OLDIES');
         INSERT INTO invites (id, org_id, role, token_hash, created_by, expires_at, revoked_at) VALUES
           (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'member', sha256('a'), gen_random_uuid(), now() - interval '40 days', NULL),
           (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'member', sha256('b'), gen_random_uuid(), now() + interval '1 day', now() - interval '31 days'),
           (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'member', sha256('c'), gen_random_uuid(), now() - interval '1 day', NULL),
           (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'member', sha256('d'), gen_random_uuid(), now() + interval '1 day', NULL);",
    )
    .await;
    run_job(&db, JobKind::PruneTokens).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM invites").await,
        2,
        "invites used, revoked or expired over 30 days ago go; recent history and open ones stay"
    );

    exec(
        &db,
        "INSERT INTO snapshots (board_id, seq, state) VALUES (gen_random_uuid(), 3, '\\x00');",
    )
    .await;
    run_job(&db, JobKind::PruneSnapshots).await;
    assert_eq!(count(&db, "SELECT count(*) FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM boards b WHERE b.id = s.board_id)").await, 0);
}

#[actix_web::test]
async fn idempotency_records_past_48_hours_are_pruned_by_their_job() {
    let app = spawn_quick_jobs_app().await;
    let (token, _) = app.register(&email()).await;
    let org = app.create_org(&token, &crate::helpers::org_key()).await;
    let board = app.create_board(&token, &org).await;
    let board = board["id"].as_str().expect("id").to_owned();
    let mut ws = app.ws(&token, crate::helpers::Wire::Json).await;
    for id in ["old", "kept"] {
        let ack = ws
            .command(id, &board, json!({ "type": "create_item", "title": id }))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    let db = app.db().await;
    let outcomes = "SELECT count(*) FROM command_outcomes";
    exec(
        &db,
        &format!(
            "UPDATE command_outcomes SET at = at - {} WHERE command_id <> 'kept'",
            49 * 3600 * 1000
        ),
    )
    .await;
    run_job(&db, JobKind::PruneOutcomes).await;
    assert_eq!(
        count(&db, outcomes).await,
        1,
        "only the recent outcome stays"
    );
}

#[actix_web::test]
async fn only_operators_reach_the_job_admin_api() {
    let app = spawn_app_with(|s| s.jobs.workers = false).await;
    let someone = email();
    let (token, _) = app.register(&someone).await;
    let (status, body) = app.get(&token, "/api/v1/admin/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
    let db = app.db().await;
    db.set_operator(&someone, true).await.expect("grant");
    let (status, body) = app.get(&token, "/api/v1/admin/jobs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An org API key is never an operator, even one its operator made.
    let org = app.create_org(&token, &crate::helpers::org_key()).await;
    let (_, key) = app.create_api_key(&token, &org, "admin").await;
    let (status, _) = app.get(&key, "/api/v1/admin/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    db.set_operator(&someone, false).await.expect("revoke");
    let (status, _) = app.get(&token, "/api/v1/admin/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Register an operator; their token.
pub async fn operator(app: &TestApp) -> String {
    let address = email();
    let (token, _) = app.register(&address).await;
    app.db()
        .await
        .set_operator(&address, true)
        .await
        .expect("grant");
    token
}

#[actix_web::test]
async fn operators_list_filter_page_retry_and_discard_dead_jobs() {
    let app = spawn_app_with(|s| {
        s.jobs.workers = false;
        s.jobs.dead_threshold = 1;
    })
    .await;
    let token = operator(&app).await;
    let db = app.db().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let job = NewJob::new(JobKind::PruneTokens, json!({ "n": i }));
        ids.push(db.enqueue(&job).await.expect("enqueue").expect("id"));
    }
    // Three of them dead, as if their attempts ran out.
    exec(
        &db,
        &format!(
            "UPDATE jobs SET state = 'dead', attempts = max_attempts, last_error = 'boom' WHERE id IN ({}, {}, {})",
            ids[0], ids[1], ids[2]
        ),
    )
    .await;
    let ready: Value = app
        .http
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert_eq!(ready["jobs"]["dead"], 3, "{ready}");

    let (status, page) = app
        .get(
            &token,
            "/api/v1/admin/jobs?state=dead&kind=prune_tokens&limit=2",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed: Vec<i64> = page["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(listed, [ids[0], ids[1]]);
    assert_eq!(page["jobs"][0]["last_error"], "boom");
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, rest) = app
        .get(
            &token,
            &format!("/api/v1/admin/jobs?state=dead&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest["jobs"][0]["id"], ids[2]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let (status, body) = app.get(&token, "/api/v1/admin/jobs?state=done").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("state"),
        "{body}"
    );
    let (status, body) = app.get(&token, "/api/v1/admin/jobs?kind=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Retry one: queued, attempts reset.
    let (status, body) = app
        .post(
            &token,
            &format!("/api/v1/admin/jobs/{}/retry", ids[0]),
            Value::Null,
        )
        .await;
    assert_eq!((status, body["count"].clone()), (StatusCode::OK, json!(1)));
    let (_, job) = app
        .get(&token, &format!("/api/v1/admin/jobs/{}", ids[0]))
        .await;
    assert_eq!(
        (job["state"].clone(), job["attempts"].clone()),
        (json!("queued"), json!(0))
    );
    // Only dead jobs are retried or discarded.
    let (status, body) = app
        .post(
            &token,
            &format!("/api/v1/admin/jobs/{}/retry", ids[3]),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app
        .delete(&token, &format!("/api/v1/admin/jobs/{}", ids[3]))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app.delete(&token, "/api/v1/admin/jobs/999999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Discard one, retry the rest.
    let (status, _) = app
        .delete(&token, &format!("/api/v1/admin/jobs/{}", ids[1]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(db.job(ids[1]).await.expect("job").is_none());
    let (_, body) = app
        .post(
            &token,
            "/api/v1/admin/jobs/retry-dead?kind=prune_tokens",
            Value::Null,
        )
        .await;
    assert_eq!(body["count"], 1);
    let (_, body) = app
        .post(&token, "/api/v1/admin/jobs/discard-dead", Value::Null)
        .await;
    assert_eq!(body["count"], 0);
    let (_, queued) = app
        .get(&token, "/api/v1/admin/jobs?state=queued&kind=prune_tokens")
        .await;
    assert_eq!(queued["jobs"].as_array().map(Vec::len), Some(4));
    let ready: Value = app
        .http
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ok", "{ready}");
}

#[actix_web::test]
async fn metrics_count_jobs_by_state_and_runs_by_kind() {
    let app = spawn_quick_jobs_app().await;
    let db = app.db().await;
    run_job(&db, JobKind::PruneSnapshots).await;
    let page = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for series in [
        "corkboard_jobs{kind=\"mail\",state=\"dead\"} 0",
        "corkboard_job_attempts_total{kind=\"prune_snapshots\"}",
        "corkboard_job_runs_total{kind=\"prune_snapshots\",outcome=\"ok\"}",
        "corkboard_job_run_seconds_count{kind=\"prune_snapshots\"}",
        "corkboard_job_wait_seconds_bucket{kind=\"prune_snapshots\"",
    ] {
        assert!(page.contains(series), "{series} on /metrics");
    }
}

#[actix_web::test]
async fn a_job_that_fails_three_times_is_dead_until_an_operator_retries_it() {
    let app = spawn_app_with(|s| {
        s.jobs.retry_base = Duration::from_millis(10);
        s.jobs.max_attempts.insert(JobKind::Mail, 3);
        s.jobs.dead_threshold = 0;
    })
    .await;
    let token = operator(&app).await;
    // A file where the outbox directory should be: every write of a
    // message fails, as a full or read-only disk would.
    let outbox = app.settings.data_dir.join("mail");
    std::fs::create_dir_all(&app.settings.data_dir).expect("data dir");
    let _ = std::fs::remove_dir_all(&outbox);
    std::fs::write(&outbox, b"not a directory").expect("blocker");

    let address = email();
    let (status, _) = app
        .http
        .post(app.url("/api/v1/auth/password-reset"))
        .json(&json!({ "email": address }))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("request");
    assert_eq!(status, StatusCode::ACCEPTED);
    // No account: nothing queued. Register (queues the verification).
    app.register(&address).await;
    let db = app.db().await;
    let deadline = Instant::now() + WAIT;
    let dead = loop {
        let (_, page) = app
            .get(&token, "/api/v1/admin/jobs?state=dead&kind=mail")
            .await;
        if let Some(job) = page["jobs"].as_array().and_then(|j| j.first()) {
            break job.clone();
        }
        assert!(Instant::now() < deadline, "the mail job never died");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(dead["attempts"], 3, "{dead}");
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("not delivered yet"),
        "{dead}"
    );
    assert_eq!(dead["payload"]["token"], "<redacted>", "{dead}");
    let ready: Value = app
        .http
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "degraded", "{ready}");

    // The disk is fixed; the operator retries; the mail goes out.
    std::fs::remove_file(&outbox).expect("unblock");
    let id = dead["id"].as_i64().expect("id");
    let (status, _) = app
        .post(
            &token,
            &format!("/api/v1/admin/jobs/{id}/retry"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        settled(&db, id).await.is_none(),
        "delivered after the retry"
    );
    let mail = crate::outbox::first_to(&app, &address).await;
    assert!(mail.token("/verify-email").starts_with("cbv_"));
}

#[actix_web::test]
async fn a_running_job_whose_outcome_was_never_recorded_runs_again() {
    let app = spawn_quick_jobs_app().await;
    let db = app.db().await;
    // A job this node claimed a minute ago, which no worker of it runs: as
    // when recording its outcome failed.
    let client = db.pool().get().await.expect("client");
    let id: i64 = client
        .query_one(
            "INSERT INTO jobs (kind, payload, max_attempts, state, attempts, locked_by, locked_at) \
             SELECT 'prune_outcomes', 'null'::jsonb, 5, 'running', 1, id, now() - interval '1 minute' \
             FROM nodes ORDER BY heartbeat_at DESC LIMIT 1 RETURNING id",
            &[],
        )
        .await
        .expect("an orphaned job")
        .get(0);
    drop(client);
    assert!(
        settled(&db, id).await.is_none(),
        "queued again by its own node's housekeeping, and run"
    );
}
