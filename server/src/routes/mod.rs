//! HTTP routes under `/api/v1`, health checks and the WebSocket upgrade.

mod api_keys;
mod auth;
mod boards;
mod comments;
mod extract;
mod health;
mod history;
mod invites;
mod items;
mod members;
mod orgs;
mod resources;
mod sessions;
mod ws;

use actix_web::web;

pub use extract::{json_config, path_config, query_config};

/// Register every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/auth/register", web::post().to(auth::register))
            .route("/auth/login", web::post().to(auth::login))
            .route("/auth/refresh", web::post().to(sessions::refresh))
            .route("/auth/logout", web::post().to(sessions::logout))
            .route("/auth/sessions", web::get().to(sessions::list))
            .route("/auth/sessions/{id}", web::delete().to(sessions::revoke))
            .route("/me", web::get().to(auth::me))
            .route("/orgs", web::post().to(orgs::create))
            .route("/orgs", web::get().to(orgs::list_mine))
            .route("/orgs/{org}", web::get().to(orgs::get))
            .route("/orgs/{org}/members", web::get().to(members::list))
            .route("/orgs/{org}/members", web::post().to(members::add))
            .route(
                "/orgs/{org}/members/{user}",
                web::patch().to(members::update),
            )
            .route(
                "/orgs/{org}/members/{user}",
                web::delete().to(members::remove),
            )
            .route("/orgs/{org}/invites", web::post().to(invites::create))
            .route("/orgs/{org}/invites", web::get().to(invites::list))
            .route(
                "/orgs/{org}/invites/{id}",
                web::delete().to(invites::revoke),
            )
            .route("/invites/accept", web::post().to(invites::accept))
            .route("/orgs/{org}/api-keys", web::post().to(api_keys::create))
            .route("/orgs/{org}/api-keys", web::get().to(api_keys::list))
            .route(
                "/orgs/{org}/api-keys/{id}",
                web::delete().to(api_keys::revoke),
            )
            .route("/orgs/{org}/boards", web::get().to(boards::list))
            .route("/orgs/{org}/boards", web::post().to(boards::create))
            .route("/orgs/{org}/items", web::get().to(items::list))
            .route("/orgs/{org}/search", web::get().to(items::search))
            .route(
                "/orgs/{org}/items/{number}",
                web::get().to(boards::item_by_number),
            )
            .route("/boards/{board}", web::get().to(boards::get))
            .route("/boards/{board}/commands", web::post().to(boards::command))
            .route("/boards/{board}/events", web::get().to(history::events))
            .route(
                "/boards/{board}/items/{item}/comments",
                web::get().to(comments::list),
            )
            .configure(resource_routes)
            .default_service(web::to(not_found)),
    )
    .route("/ws", web::get().to(ws::upgrade))
    .route("/health/live", web::get().to(health::live))
    .route("/health/ready", web::get().to(health::ready));
}

/// Resource-style routes for every board command, and board presence.
fn resource_routes(cfg: &mut web::ServiceConfig) {
    use resources as r;
    cfg.route("/boards/{board}", web::patch().to(r::rename_board))
        .route("/boards/{board}/archive", web::post().to(r::archive_board))
        .route("/boards/{board}/restore", web::post().to(r::restore_board))
        .route("/boards/{board}/presence", web::get().to(r::presence))
        .route("/boards/{board}/columns", web::post().to(r::add_column))
        .route(
            "/boards/{board}/columns/{column}",
            web::patch().to(r::rename_column),
        )
        .route(
            "/boards/{board}/columns/{column}",
            web::delete().to(r::remove_column),
        )
        .route(
            "/boards/{board}/columns/{column}/move",
            web::post().to(r::move_column),
        )
        .route(
            "/boards/{board}/columns/{column}/wip-limit",
            web::put().to(r::set_wip_limit),
        )
        .route("/boards/{board}/items", web::post().to(r::create_item))
        .route(
            "/boards/{board}/items/{item}",
            web::patch().to(r::edit_item),
        )
        .route(
            "/boards/{board}/items/{item}/move",
            web::post().to(r::move_item),
        )
        .route(
            "/boards/{board}/items/{item}/assignees/{user}",
            web::put().to(r::assign_item),
        )
        .route(
            "/boards/{board}/items/{item}/assignees/{user}",
            web::delete().to(r::unassign_item),
        )
        .route(
            "/boards/{board}/items/{item}/labels/{label}",
            web::put().to(r::add_label),
        )
        .route(
            "/boards/{board}/items/{item}/labels/{label}",
            web::delete().to(r::remove_label),
        )
        .route(
            "/boards/{board}/items/{item}/archive",
            web::post().to(r::archive_item),
        )
        .route(
            "/boards/{board}/items/{item}/restore",
            web::post().to(r::restore_item),
        )
        .route(
            "/boards/{board}/items/{item}/comments",
            web::post().to(r::add_comment),
        )
        .route(
            "/boards/{board}/comments/{comment}",
            web::patch().to(r::edit_comment),
        )
        .route(
            "/boards/{board}/comments/{comment}",
            web::delete().to(r::delete_comment),
        );
}

async fn not_found() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::NotFound { what: "route" })
}
