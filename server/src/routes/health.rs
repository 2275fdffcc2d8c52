//! Health checks, for load balancers and Kubernetes probes. Each body has
//! `status`, the server's `version` and `uptime_secs`.
//!
//! - `/health/startup` (a startupProbe): the application is built, so the
//!   configuration was valid and the migrations are applied. The port is
//!   only bound after that, so until then the probe cannot connect.
//! - `/health/live` (a livenessProbe): the process answers.
//! - `/health/ready` (a readinessProbe): the database answers (its check's
//!   `latency_ms` is reported), the storage queue has room, and the bus to
//!   the other nodes is connected (without it this node would not hear
//!   their commits: it keeps serving, but a load balancer should prefer
//!   the others). More dead jobs than `CORKBOARD_JOBS_DEAD_THRESHOLD`
//!   make it `degraded`, still 200: the node serves, but an operator
//!   should look at the dead-letter queue (`/api/v1/admin/jobs`).

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::metrics::VERSION;
use crate::state::AppState;

/// Storage queue depth above which the server reports not ready.
pub const READY_QUEUE_FRACTION: f64 = 0.9;

/// The fields every health body has.
fn body(state: &AppState, ok: bool) -> Value {
    json!({
        "status": if ok { "ok" } else { "unavailable" },
        "version": VERSION,
        "uptime_secs": state.metrics.uptime().as_secs(),
    })
}

/// Answers as `live` does: that the port is bound at all means startup is
/// over (see the module's doc).
pub async fn startup(state: web::Data<AppState>) -> HttpResponse {
    live(state).await
}

pub async fn live(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(body(&state, true))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let pinged = Instant::now();
    let db_ok = state.db.ping().await.is_ok();
    // Milliseconds with µs precision; a failed check reports how long it
    // took to fail (up to the ping's timeout).
    let latency_ms = pinged.elapsed().as_micros() as f64 / 1000.0;
    let depth = state.storage.queue_depth();
    let capacity = state.storage_capacity.max(1);
    let queue_ok = (depth as f64) < (capacity as f64) * READY_QUEUE_FRACTION;
    let bus_ok = state.cluster.bus.is_up();
    let ok = db_ok && queue_ok && bus_ok;
    let mut body = body(&state, ok);
    if db_ok {
        let dead = dead_jobs(&state).await;
        let threshold = state.settings.jobs.dead_threshold;
        body["jobs"] = json!({ "dead": dead, "dead_threshold": threshold });
        if ok && dead.is_some_and(|dead| dead > threshold) {
            body["status"] = json!("degraded");
        }
    }
    body["database"] = json!({
        "status": if db_ok { "ok" } else { "unreachable" },
        "latency_ms": latency_ms,
    });
    body["storage_queue"] = json!({ "depth": depth, "capacity": capacity });
    body["bus"] = json!({
        "status": if bus_ok { "ok" } else { "down" },
        "engine": state.cluster.engine,
        "node": state.cluster.node.0,
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        // The report, in the one error shape as well.
        body["code"] = json!(protocol::codes::ErrorCode::Unavailable.as_str());
        body["message"] = json!(if !db_ok {
            "the database does not answer"
        } else if !queue_ok {
            "the storage queue is nearly full"
        } else {
            "the bus to the other nodes is down"
        });
        body["request_id"] = json!(crate::request_id::current());
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Dead jobs in the queue, when the database answers.
async fn dead_jobs(state: &AppState) -> Option<i64> {
    let counts = state.db.job_counts().await.ok()?;
    Some(
        counts
            .iter()
            .filter(|(_, s, _)| s == "dead")
            .map(|(_, _, n)| n)
            .sum(),
    )
}
