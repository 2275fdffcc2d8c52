//! HTTP routes under `/api/v1`, health checks and the WebSocket upgrade.

mod account;
mod admin_jobs;
mod admin_orgs;
mod admin_users;
mod api_keys;
mod audit;
mod auth;
mod boards;
mod commands;
mod comments;
mod docs;
mod extract;
mod health;
mod history;
mod invites;
mod items;
mod members;
mod org_commands;
mod org_lifecycle;
mod orgs;
mod page;
mod paths;
mod refresh_cookie;
mod resources;
mod sessions;
mod views;
mod webhooks;
mod ws;

use actix_web::web;

pub use paths::get_only;
use paths::Paths;

pub use extract::{json_config, path_config, query_config};

/// Where the REST API lives.
pub const API_PREFIX: &str = "/api/v1";

/// The route table of `/api/v1`: `method "path" => module::handler`, the
/// path relative to [`API_PREFIX`].
///
/// One list does three things, so a route cannot be served without being
/// documented: it registers each route, it lists each handler's
/// `#[utoipa::path]` in [`RoutesDoc`] (a handler without one does not
/// compile), and it exports [`API_ROUTES`], which the API tests compare
/// with the served OpenAPI document in both directions (a path or method
/// that differs between the table and the annotation fails them).
macro_rules! api_routes {
    ($($method:ident $path:literal => $module:ident :: $handler:ident,)*) => {
        /// Every route under `/api/v1`: (lowercase method, path relative to
        /// [`API_PREFIX`]), as registered.
        pub const API_ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// The `operationId` of each route of [`API_ROUTES`], in the same
        /// order: `module_handler`, unique where handler names are not.
        pub const OPERATION_IDS: &[&str] =
            &[$(concat!(stringify!($module), "_", stringify!($handler))),*];

        fn api_scope() -> actix_web::Scope {
            let mut paths = Paths::default();
            $(paths.add($path, stringify!($method), web::$method().to($module::$handler));)*
            paths.register(web::scope(API_PREFIX))
        }

        /// The operations of every route in [`API_ROUTES`].
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),*))]
        pub struct RoutesDoc;
    };
}

api_routes! {
    get "/openapi.json" => docs::openapi_json,
    get "/docs" => docs::page,
    post "/auth/register" => auth::register,
    post "/auth/login" => auth::login,
    post "/auth/refresh" => sessions::refresh,
    post "/auth/logout" => sessions::logout,
    get "/auth/sessions" => sessions::list,
    delete "/auth/sessions/{id}" => sessions::revoke,
    get "/me" => auth::me,
    delete "/me" => account::delete_account,
    patch "/me/notifications" => account::set_notifications,
    post "/auth/verify-email" => account::verify_email,
    post "/auth/verify-email/resend" => account::resend_verification,
    post "/auth/password-reset" => account::request_reset,
    post "/auth/password-reset/confirm" => account::confirm_reset,
    post "/auth/password" => account::change_password,
    post "/orgs" => orgs::create,
    get "/orgs" => orgs::list_mine,
    get "/orgs/{org}" => orgs::get,
    patch "/orgs/{org}" => org_lifecycle::rename,
    delete "/orgs/{org}" => org_lifecycle::delete,
    post "/orgs/{org}/transfer-ownership" => org_lifecycle::transfer,
    get "/orgs/{org}/members" => members::list,
    post "/orgs/{org}/members" => members::add,
    patch "/orgs/{org}/members/{user}" => members::update,
    delete "/orgs/{org}/members/{user}" => members::remove,
    post "/orgs/{org}/invites" => invites::create,
    get "/orgs/{org}/invites" => invites::list,
    delete "/orgs/{org}/invites/{id}" => invites::revoke,
    post "/invites/accept" => invites::accept,
    post "/orgs/{org}/api-keys" => api_keys::create,
    get "/orgs/{org}/api-keys" => api_keys::list,
    delete "/orgs/{org}/api-keys/{id}" => api_keys::revoke,
    post "/orgs/{org}/webhooks" => webhooks::create,
    get "/orgs/{org}/webhooks" => webhooks::list,
    get "/orgs/{org}/webhooks/{id}" => webhooks::get,
    patch "/orgs/{org}/webhooks/{id}" => webhooks::update,
    delete "/orgs/{org}/webhooks/{id}" => webhooks::delete,
    post "/orgs/{org}/webhooks/{id}/rotate-secret" => webhooks::rotate_secret,
    get "/orgs/{org}/webhooks/{id}/deliveries" => webhooks::deliveries,
    post "/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver" => webhooks::redeliver,
    get "/orgs/{org}/audit" => audit::org_list,
    get "/orgs/{org}/boards" => boards::list,
    post "/orgs/{org}/boards" => boards::create,
    get "/orgs/{org}/items" => items::list,
    get "/orgs/{org}/search" => items::search,
    get "/orgs/{org}/items/{number}" => boards::item_by_number,
    get "/boards/{board}" => boards::get,
    post "/boards/{board}/commands" => boards::command,
    get "/boards/{board}/events" => history::events,
    get "/boards/{board}/items/{item}/comments" => comments::list,
    // Resource-style routes for every board command, and board presence.
    patch "/boards/{board}" => resources::rename_board,
    post "/boards/{board}/archive" => resources::archive_board,
    post "/boards/{board}/restore" => resources::restore_board,
    get "/boards/{board}/presence" => resources::presence,
    post "/boards/{board}/columns" => resources::add_column,
    patch "/boards/{board}/columns/{column}" => resources::rename_column,
    delete "/boards/{board}/columns/{column}" => resources::remove_column,
    post "/boards/{board}/columns/{column}/move" => resources::move_column,
    put "/boards/{board}/columns/{column}/wip-limit" => resources::set_wip_limit,
    post "/boards/{board}/items" => resources::create_item,
    patch "/boards/{board}/items/{item}" => resources::edit_item,
    post "/boards/{board}/items/{item}/move" => resources::move_item,
    put "/boards/{board}/items/{item}/assignees/{user}" => resources::assign_item,
    delete "/boards/{board}/items/{item}/assignees/{user}" => resources::unassign_item,
    put "/boards/{board}/items/{item}/labels/{label}" => resources::add_label,
    delete "/boards/{board}/items/{item}/labels/{label}" => resources::remove_label,
    post "/boards/{board}/items/{item}/archive" => resources::archive_item,
    post "/boards/{board}/items/{item}/restore" => resources::restore_item,
    post "/boards/{board}/items/{item}/comments" => resources::add_comment,
    patch "/boards/{board}/comments/{comment}" => resources::edit_comment,
    delete "/boards/{board}/comments/{comment}" => resources::delete_comment,
    // Instance operators only (`corkboard admin grant EMAIL`).
    get "/admin/jobs" => admin_jobs::list,
    post "/admin/jobs/retry-dead" => admin_jobs::retry_dead,
    post "/admin/jobs/discard-dead" => admin_jobs::discard_dead,
    get "/admin/jobs/{id}" => admin_jobs::get,
    delete "/admin/jobs/{id}" => admin_jobs::discard,
    post "/admin/jobs/{id}/retry" => admin_jobs::retry,
    get "/admin/users" => admin_users::list,
    post "/admin/users/{id}/disable" => admin_users::disable,
    post "/admin/users/{id}/enable" => admin_users::enable,
    post "/admin/users/{id}/logout" => admin_users::logout,
    get "/admin/orgs" => admin_orgs::list,
    get "/admin/audit" => audit::admin_list,
}

/// Register every route. A path that exists answers a method it lacks
/// with 405 `method_not_allowed` and `Allow`; a path that does not, with
/// 404 `not_found`, inside `/api/v1` and outside.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(api_scope().default_service(web::to(not_found)));
    let mut others = Paths::default();
    others.add("/", "get", web::get().to(crate::app_assets::home));
    others.add("/ws", "get", web::get().to(ws::upgrade));
    others.add("/health/startup", "get", web::get().to(health::startup));
    others.add("/health/live", "get", web::get().to(health::live));
    others.add("/health/ready", "get", web::get().to(health::ready));
    for resource in others.resources() {
        cfg.service(resource);
    }
    // The app's files and pages, never under `/api`, `/ws`, `/health`
    // or `/metrics` (those stay 404 `not_found`).
    cfg.default_service(web::to(crate::app_assets::fallback));
}

async fn not_found() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::NotFound { what: "route" })
}
