//! `GET /metrics`: the server's own series plus the counters other layers
//! keep, read at scrape time. With `CORKBOARD_METRICS_TOKEN` set the scraper
//! must send it as a bearer token (production requires one); without it the
//! page is open: serve it only where the scraper can reach it, or turn it
//! off (`CORKBOARD_METRICS=off`).

use actix_web::{web, HttpRequest, HttpResponse};
use protocol::codes::ErrorCode;
use storage::{BATCH_EVENTS_BUCKETS, COMMIT_MICROS_BUCKETS};

use super::{Exposition, Kind, CONTENT_TYPE};
use crate::state::AppState;

/// Register `GET /metrics`.
pub fn route(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::routes::get_only("/metrics", web::get().to(serve)));
}

pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, crate::error::ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let given = crate::auth::bearer_token(&req).unwrap_or_default();
        let equal = aws_lc_rs::constant_time::verify_slices_are_equal(
            given.as_bytes(),
            expected.0.as_bytes(),
        )
        .is_ok();
        if !equal {
            return Err(crate::error::ApiError::Unauthorized {
                code: ErrorCode::InvalidToken,
                message: "GET /metrics needs the bearer token of CORKBOARD_METRICS_TOKEN".into(),
            });
        }
    }
    // The queue's counts by state come from the table; a database that
    // does not answer leaves them out rather than failing the page.
    let jobs = tokio::time::timeout(JOB_COUNTS_TIMEOUT, state.db.job_counts())
        .await
        .ok()
        .and_then(Result::ok);
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(render(&state, jobs.as_deref())))
}

/// How long the page waits for the job queue's counts.
const JOB_COUNTS_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// The whole page; `jobs` is the queue's counts by kind and state.
pub fn render(state: &AppState, jobs: Option<&[(String, String, i64)]>) -> String {
    let mut page = Exposition::default();
    state.metrics.encode(&mut page);
    state.jobs.encode(&mut page, jobs);
    encode_actors(&mut page, state);
    encode_storage(&mut page, state);
    encode_pool(&mut page, state);
    encode_rate_limiters(&mut page, state);
    super::cluster::encode(&mut page, state);
    super::process::encode(&mut page);
    page.finish()
}

fn encode_actors(page: &mut Exposition, state: &AppState) {
    let s = state.registry.stats().snapshot();
    let counters: [(&str, &str, u64); 11] = [
        (
            "corkboard_commands_committed_total",
            "Board commands whose events were committed.",
            s.commands_committed,
        ),
        (
            "corkboard_board_batches_total",
            "Batches of a board's queued commands appended in one store call each.",
            s.board_batches,
        ),
        (
            "corkboard_commands_rejected_total",
            "Board commands refused by a domain rule.",
            s.commands_rejected,
        ),
        (
            "corkboard_commands_replayed_total",
            "Retried commands answered with their recorded outcome (idempotency).",
            s.commands_replayed,
        ),
        (
            "corkboard_events_broadcast_total",
            "Events broadcast to a board's subscribers (each encoded at most once per format).",
            s.events_broadcast,
        ),
        (
            "corkboard_event_deliveries_total",
            "Event frames queued to subscribers (events times subscribers).",
            s.deliveries,
        ),
        (
            "corkboard_slow_consumers_cut_total",
            "Sessions cut off (close 4008) because their outbound queue overflowed, once per session.",
            s.slow_consumers_cut,
        ),
        (
            "corkboard_snapshot_resets_total",
            "Snapshots marked reset: a resume that could not be served as events.",
            s.resets,
        ),
        (
            "corkboard_boards_activated_total",
            "Board actors activated (loaded from the store).",
            s.boards_activated,
        ),
        (
            "corkboard_boards_passivated_total",
            "Board actors passivated after being idle.",
            s.boards_passivated,
        ),
        (
            "corkboard_boards_crashed_total",
            "Board actors that panicked.",
            s.boards_crashed,
        ),
    ];
    for (name, help, value) in counters {
        page.single(name, Kind::Counter, help, value);
    }
    page.family(
        "corkboard_resumes_total",
        Kind::Counter,
        "subscribe{since} answered with the missed events, by where they came from.",
    );
    page.sample(
        "corkboard_resumes_total",
        &[("from", "memory")],
        s.resumes_from_memory,
    );
    page.sample(
        "corkboard_resumes_total",
        &[("from", "store")],
        s.resumes_from_store,
    );
    page.single(
        "corkboard_active_boards",
        Kind::Gauge,
        "Board actors in memory.",
        state.registry.active_boards(),
    );
    page.single(
        "corkboard_active_orgs",
        Kind::Gauge,
        "Organization actors in memory.",
        state.registry.active_orgs(),
    );
    page.family(
        "corkboard_actor_mailbox_depth",
        Kind::Gauge,
        "Messages waiting in actor mailboxes, by kind of actor.",
    );
    page.sample(
        "corkboard_actor_mailbox_depth",
        &[("actor", "board")],
        s.board_mailbox_depth,
    );
    page.sample(
        "corkboard_actor_mailbox_depth",
        &[("actor", "org")],
        s.org_mailbox_depth,
    );
}

fn encode_storage(page: &mut Exposition, state: &AppState) {
    let s = state.storage.stats();
    let counters: [(&str, &str, u64); 5] = [
        (
            "corkboard_storage_batches_total",
            "Group-commit transactions committed.",
            s.batches_committed,
        ),
        (
            "corkboard_storage_appends_total",
            "Append requests (one board's or one organization's events each) committed.",
            s.requests_committed,
        ),
        (
            "corkboard_storage_events_total",
            "Events committed.",
            s.events_committed,
        ),
        (
            "corkboard_storage_append_failures_total",
            "Append requests answered with an error (not counting duplicates).",
            s.failures,
        ),
        (
            "corkboard_storage_duplicate_commands_total",
            "Appends refused as a duplicate command id: idempotent retries, answered with the original outcome.",
            s.duplicates,
        ),
    ];
    for (name, help, value) in counters {
        page.single(name, Kind::Counter, help, value);
    }
    page.single(
        "corkboard_storage_largest_batch_events",
        Kind::Gauge,
        "Events in the largest transaction committed since start.",
        s.largest_batch,
    );
    page.single(
        "corkboard_storage_last_commit_seconds",
        Kind::Gauge,
        "Duration of the last committed transaction.",
        s.last_commit_micros as f64 / 1e6,
    );
    page.family(
        "corkboard_storage_batch_events",
        Kind::Histogram,
        "Events per committed group-commit transaction.",
    );
    let bounds = BATCH_EVENTS_BUCKETS.map(|b| b as f64);
    page.histogram(
        "corkboard_storage_batch_events",
        &[],
        &bounds,
        &s.batch_events,
        s.events_committed as f64,
        s.batches_committed,
    );
    page.family(
        "corkboard_storage_commit_duration_seconds",
        Kind::Histogram,
        "Duration of committed transactions (write and COMMIT).",
    );
    let bounds = COMMIT_MICROS_BUCKETS.map(|b| b as f64 / 1e6);
    page.histogram(
        "corkboard_storage_commit_duration_seconds",
        &[],
        &bounds,
        &s.commit_micros,
        s.commit_micros_sum as f64 / 1e6,
        s.batches_committed,
    );
    page.single(
        "corkboard_storage_queue_depth",
        Kind::Gauge,
        "Append requests waiting for a group commit.",
        state.storage.queue_depth(),
    );
    page.single(
        "corkboard_storage_queue_capacity",
        Kind::Gauge,
        "Append requests that may wait before appends are refused as overloaded.",
        state.storage.queue_capacity(),
    );
}

fn encode_pool(page: &mut Exposition, state: &AppState) {
    let pool = state.db.pool_status();
    page.family(
        "corkboard_db_pool_connections",
        Kind::Gauge,
        "PostgreSQL pool connections, by state.",
    );
    page.sample(
        "corkboard_db_pool_connections",
        &[("state", "in_use")],
        pool.size.saturating_sub(pool.available),
    );
    page.sample(
        "corkboard_db_pool_connections",
        &[("state", "idle")],
        pool.available,
    );
    page.single(
        "corkboard_db_pool_max_connections",
        Kind::Gauge,
        "Most connections the pool opens.",
        pool.max_size,
    );
    page.single(
        "corkboard_db_pool_waiting",
        Kind::Gauge,
        "Callers waiting for a pool connection.",
        pool.waiting,
    );
}

fn encode_rate_limiters(page: &mut Exposition, state: &AppState) {
    page.family(
        "corkboard_rate_limit_buckets",
        Kind::Gauge,
        "Token buckets held in memory, by limit (idle ones are evicted).",
    );
    page.sample(
        "corkboard_rate_limit_buckets",
        &[("limit", "user")],
        state.rate_limits.principal.len(),
    );
    page.sample(
        "corkboard_rate_limit_buckets",
        &[("limit", "ip")],
        state.rate_limits.ip.len(),
    );
}
