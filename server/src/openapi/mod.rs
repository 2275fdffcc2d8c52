//! The OpenAPI 3.1 document of `/api/v1`, generated from the code.
//!
//! - Every operation comes from a `#[utoipa::path]` on its handler; the
//!   handlers are listed once, in the route table of `routes/mod.rs`, which
//!   both registers them and lists them in [`crate::routes::RoutesDoc`].
//! - Request and response bodies are the types the handlers deserialize
//!   and serialize (`ToSchema`), protocol types included (`protocol`'s
//!   `openapi` feature).
//! - The answers every route can give because of *how* it is reached are
//!   added here, from the operation's shape, rather than repeated on each
//!   handler: see [`StandardResponses`].
//!
//! Served at `GET /api/v1/openapi.json`, rendered by `GET /api/v1/docs`.

#[cfg(test)]
mod client_copy;
mod standard;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use standard::StandardResponses;

use protocol::codes::ErrorCode;

use crate::error::ErrorBody;

/// Name of the security scheme for a user's JWT access token.
pub const ACCESS_TOKEN: &str = "access_token";
/// Name of the security scheme for an organization's API key.
pub const API_KEY: &str = "api_key";
/// Name of the security scheme of the operator routes (`/admin/*`): a
/// user's access token, of a user who is an instance operator.
pub const OPERATOR_BEARER: &str = "operator_bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corkboard API",
        description = "REST API of Corkboard, a real-time team board. Every error \
            answers the same JSON shape (`ErrorBody`): a stable `code`, a `message`, \
            optional `details` and the `request_id`. Authenticate with \
            `Authorization: Bearer <access token>` (from `POST /api/v1/auth/login`) or \
            `Authorization: Bearer cbk_<prefix>_<secret>` (an API key). Another \
            organization's resources answer 404, never 403.",
    ),
    components(schemas(ErrorBody, ErrorCode)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts, login and tokens"),
        (name = "sessions", description = "Login sessions: refresh, logout, list, revoke"),
        (name = "orgs", description = "Organizations"),
        (name = "members", description = "Members of an organization and their roles"),
        (name = "invites", description = "Single-use invitations to an organization"),
        (name = "api-keys", description = "API keys of an organization"),
        (name = "webhooks", description = "Webhook endpoints of an organization (Standard Webhooks signatures), their delivery log and redelivery"),
        (name = "boards", description = "Boards, board commands and the live board"),
        (name = "items", description = "Item list, search, comments and history"),
        (name = "docs", description = "This document and its page"),
        (name = "audit", description = "The audit log of an organization, for its admins and owners"),
        (name = "admin", description = "The operator tier: instance operators only (granted with `corkboard admin grant EMAIL`, never through this API), authenticated with `operator_bearer`. Users (list, disable, enable, force logout), organizations, the job queue, the audit log of the whole instance"),
    )
)]
struct ApiDoc;

/// The bearer credentials: a user's access token, an API key, and an
/// operator's access token (for the operator tier).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut access = Http::new(HttpAuthScheme::Bearer);
        access.bearer_format = Some("JWT".into());
        access.description = Some(
            "A user's access token (HS256 JWT, at most 15 minutes) from login or refresh.".into(),
        );
        components.add_security_scheme(ACCESS_TOKEN, SecurityScheme::Http(access));
        let mut key = Http::new(HttpAuthScheme::Bearer);
        key.bearer_format = Some("cbk_<prefix>_<secret>".into());
        key.description = Some(
            "An organization's API key, sent as a bearer token. It acts with its own \
             role inside its own organization only."
                .into(),
        );
        components.add_security_scheme(API_KEY, SecurityScheme::Http(key));
        let mut operator = Http::new(HttpAuthScheme::Bearer);
        operator.bearer_format = Some("JWT".into());
        operator.description = Some(
            "A user access token (as `access_token`) of an instance operator: a user granted \
             the role with `corkboard admin grant EMAIL` on the server's command line. \
             Separate from organization roles: an API key, or the token of a user who is \
             not an operator, gets 403 on every `/admin` route."
                .into(),
        );
        components.add_security_scheme(OPERATOR_BEARER, SecurityScheme::Http(operator));
    }
}

/// The whole document: the operations of the route table, the shared
/// components, and the standard answers.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::routes::RoutesDoc::openapi());
    name_operations(&mut doc);
    StandardResponses.modify(&mut doc);
    doc
}

/// Gives each operation its unique id from the route table. An operation
/// whose annotation disagrees with the table keeps utoipa's default id;
/// the API tests fail on such a disagreement anyway.
fn name_operations(doc: &mut utoipa::openapi::OpenApi) {
    use crate::routes::{API_PREFIX, API_ROUTES, OPERATION_IDS};
    for ((method, path), id) in API_ROUTES.iter().zip(OPERATION_IDS) {
        let Some(item) = doc.paths.paths.get_mut(&format!("{API_PREFIX}{path}")) else {
            continue;
        };
        let op = match *method {
            "get" => &mut item.get,
            "post" => &mut item.post,
            "put" => &mut item.put,
            "patch" => &mut item.patch,
            "delete" => &mut item.delete,
            _ => continue,
        };
        if let Some(op) = op {
            op.operation_id = Some((*id).to_owned());
        }
    }
}

/// The document as served: serialized once per process.
pub fn document_json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        // Serializing a tree of plain values cannot fail; say so if it did.
        document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"the OpenAPI document failed: {e}\"}}"))
    })
}

/// The offline docs page (no CDN: plain HTML and JavaScript that fetch
/// `./openapi.json` and render it).
pub const DOCS_PAGE: &str = include_str!("docs.html");

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_with_its_security_schemes() {
        let doc: serde_json::Value =
            serde_json::from_str(super::document_json()).expect("valid JSON");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["access_token"]["scheme"], "bearer");
        assert_eq!(schemes["api_key"]["scheme"], "bearer");
        assert_eq!(schemes["operator_bearer"]["scheme"], "bearer");
        // The operator routes, and only they, use the operator scheme
        // under their own tag.
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for op in item.as_object().expect("path item").values() {
                let schemes: Vec<&str> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_object())
                    .flat_map(|s| s.keys().map(String::as_str))
                    .collect();
                let admin = path.starts_with("/api/v1/admin/");
                assert_eq!(schemes.contains(&"operator_bearer"), admin, "{path}");
                assert_eq!(op["tags"][0] == "admin", admin, "{path}");
            }
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }

    /// `ErrorBody.code` is documented as the catalog's `ErrorCode`, whose
    /// schema lists exactly the codes of `protocol::codes` (which
    /// PROTOCOL.md is checked against), so REST clients generated from the
    /// document get every code and no other.
    #[test]
    fn the_error_body_code_lists_exactly_the_catalog() {
        let doc: serde_json::Value =
            serde_json::from_str(super::document_json()).expect("valid JSON");
        let schemas = &doc["components"]["schemas"];
        let code = &schemas["ErrorBody"]["properties"]["code"];
        let reference = code["$ref"]
            .as_str()
            .or_else(|| code["allOf"][0]["$ref"].as_str())
            .unwrap_or_else(|| panic!("ErrorBody.code is not a reference: {code}"));
        assert_eq!(reference, "#/components/schemas/ErrorCode");
        let listed: Vec<&str> = schemas["ErrorCode"]["enum"]
            .as_array()
            .expect("ErrorCode is a string enum")
            .iter()
            .map(|v| v.as_str().expect("a string"))
            .collect();
        let catalog: Vec<&str> = protocol::codes::ALL.iter().map(|c| c.code).collect();
        assert_eq!(listed, catalog);
        assert!(schemas["ErrorCode"]["description"].is_string());
    }

    /// Every `$ref` names a component that exists (a `value_type` that is
    /// not registered would leave a dangling one).
    #[test]
    fn every_reference_resolves_and_operation_ids_are_unique() {
        fn walk(v: &serde_json::Value, doc: &serde_json::Value, refs: &mut usize) {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                        let pointer = r.strip_prefix('#').expect("local reference");
                        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
                        *refs += 1;
                    }
                    map.values().for_each(|v| walk(v, doc, refs));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, doc, refs)),
                _ => {}
            }
        }
        let doc: serde_json::Value =
            serde_json::from_str(super::document_json()).expect("valid JSON");
        let mut refs = 0;
        walk(&doc, &doc, &mut refs);
        assert!(refs > 50, "only {refs} references");
        let mut ids = std::collections::BTreeSet::new();
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("path item").values() {
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            }
        }
    }
}
