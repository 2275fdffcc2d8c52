//! The API's own description: the OpenAPI document and its offline page.
//! Neither needs a credential.

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::HttpResponse;

use crate::openapi;

/// The page runs only its own inline script and style, and may fetch only
/// from this server.
const DOCS_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";

/// Clients may cache the document and page this long (seconds); a new
/// server version serves a new one.
const CACHE_SECS: u32 = 300;

/// `GET /api/v1/openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(CacheControl(vec![CacheDirective::MaxAge(CACHE_SECS)]))
        .body(openapi::document_json())
}

/// `GET /api/v1/docs`: a page rendering the document, with no external
/// resource (it works offline).
#[utoipa::path(
    get,
    path = "/api/v1/docs",
    tag = "docs",
    responses((status = 200, description = "The API reference page", content_type = "text/html", body = String)),
)]
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header(("Content-Security-Policy", DOCS_CSP))
        .insert_header(CacheControl(vec![CacheDirective::MaxAge(CACHE_SECS)]))
        .body(openapi::DOCS_PAGE)
}
