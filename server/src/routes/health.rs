//! `/health/live`: the process answers. `/health/ready`: the database
//! answers and the storage queue has room.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::startup::AppState;

/// Storage queue depth above which the server reports not ready.
pub const READY_QUEUE_FRACTION: f64 = 0.9;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db_ok = state.db.ping().await.is_ok();
    let depth = state.storage.queue_depth();
    let capacity = state.storage_capacity.max(1);
    let queue_ok = (depth as f64) < (capacity as f64) * READY_QUEUE_FRACTION;
    let body = json!({
        "status": if db_ok && queue_ok { "ok" } else { "unavailable" },
        "database": if db_ok { "ok" } else { "unreachable" },
        "storage_queue": { "depth": depth, "capacity": capacity },
    });
    if db_ok && queue_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
