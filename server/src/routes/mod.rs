//! HTTP routes under `/api/v1`, health checks and the WebSocket upgrade.

mod auth;
mod boards;
mod extract;
mod health;
mod orgs;
mod ws;

use actix_web::web;

pub use extract::{json_config, path_config, query_config};

/// Register every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/auth/register", web::post().to(auth::register))
            .route("/auth/login", web::post().to(auth::login))
            .route("/me", web::get().to(auth::me))
            .route("/orgs", web::post().to(orgs::create))
            .route("/orgs", web::get().to(orgs::list_mine))
            .route("/orgs/{org}", web::get().to(orgs::get))
            .route("/orgs/{org}/members", web::get().to(orgs::members))
            .route("/orgs/{org}/members", web::post().to(orgs::add_member))
            .route("/orgs/{org}/boards", web::get().to(boards::list))
            .route("/orgs/{org}/boards", web::post().to(boards::create))
            .route(
                "/orgs/{org}/items/{number}",
                web::get().to(boards::item_by_number),
            )
            .route("/boards/{board}", web::get().to(boards::get))
            .route("/boards/{board}/commands", web::post().to(boards::command))
            .default_service(web::to(not_found)),
    )
    .route("/ws", web::get().to(ws::upgrade))
    .route("/health/live", web::get().to(health::live))
    .route("/health/ready", web::get().to(health::ready));
}

async fn not_found() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::NotFound { what: "route" })
}
